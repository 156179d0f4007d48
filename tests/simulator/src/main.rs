//! `tableau-sim`: serve a simulated Tableau site on 127.0.0.1 until SIGTERM or Ctrl-C.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use std::time::Duration;
use tableau_sim::{Faults, HttpFailure, SimConfig, Simulator, generate_site, load_site_file};

/// Serve a simulated Tableau Server / Cloud (REST + Metadata API) on 127.0.0.1.
#[derive(Debug, Parser)]
#[command(name = "tableau-sim", version)]
struct Args {
    /// Site-data JSON file to serve.
    #[arg(long, required_unless_present = "generate")]
    site_file: Option<PathBuf>,
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Serve a generated site (content URL `bench`, PAT `bench-pat`/`bench-secret`) with N workbooks
    /// instead of, or added to, the site file.
    #[arg(long, value_name = "N")]
    generate: Option<usize>,
    /// Tables per generated workbook.
    #[arg(long, default_value_t = 8)]
    tables_per_workbook: usize,
    /// Seed for the generated site.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Metadata API node limit.
    #[arg(long, default_value_t = 20_000)]
    node_limit: usize,
    /// Seconds an extract refresh job runs.
    #[arg(long, default_value_t = 1.5)]
    job_seconds: f64,
    /// Write the data served (site file format) to this file before serving, e.g. to
    /// build a manifest from a generated site's tables.
    #[arg(long, value_name = "PATH")]
    write_site: Option<PathBuf>,
    #[command(flatten)]
    faults: FaultArgs,
}

/// Faults switched on from the start, as `sim.faults()` switches them in Rust.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Faults")]
struct FaultArgs {
    /// Milliseconds every request waits before it is answered (a network's round trip;
    /// Tableau Cloud from another region is about 200).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    latency_ms: u64,
    /// Up to this many milliseconds more, drawn afresh for each request.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    latency_jitter_ms: u64,
    /// Bandwidth in megabits per second: request and response bodies take
    /// size / bandwidth more to travel. Unlimited when absent.
    #[arg(long, value_name = "MBIT_PER_S", value_parser = positive_number)]
    bandwidth_mbit: Option<f64>,
    /// The first COUNT requests answer KIND instead: 429, 429@SECONDS (with Retry-After),
    /// 500, 503, proxy-401, echo-401, silent, huge@STATUS[@BYTES].
    #[arg(long, value_name = "COUNT:KIND", value_parser = failure_burst)]
    fail_first: Option<(u32, HttpFailure)>,
    /// The Metadata API answers FEATURE_DISABLED.
    #[arg(long)]
    metadata_disabled: bool,
    /// The first N Metadata API queries answer RATE_EXCEEDED.
    #[arg(long, value_name = "N", default_value_t = 0)]
    rate_limit_metadata: u32,
    /// Metadata API queries asking a connection for more than N nodes time out (partial
    /// data and Tableau's time-limit error).
    #[arg(long, value_name = "N")]
    metadata_timeout_above: Option<usize>,
    /// Every Metadata API answer carries the BACKFILL_RUNNING warning.
    #[arg(long)]
    metadata_backfill_running: bool,
    /// Sessions unused for this many seconds end (their next call gets 401002).
    #[arg(long, value_name = "SECONDS")]
    session_idle_timeout: Option<u64>,
    /// A PAT (by name) that is revoked: sign-in answers 401001. Repeatable.
    #[arg(long, value_name = "NAME")]
    revoke_pat: Vec<String>,
    /// A PAT (by name) that has expired: sign-in answers 401001. Repeatable.
    #[arg(long, value_name = "NAME")]
    expire_pat: Vec<String>,
}

impl FaultArgs {
    fn apply(&self, faults: &Faults) {
        faults.set_latency(Duration::from_millis(self.latency_ms));
        faults.set_latency_jitter(Duration::from_millis(self.latency_jitter_ms));
        faults.set_bandwidth(
            self.bandwidth_mbit
                .map(|mbit| (mbit * 1_000_000.0 / 8.0).max(1.0) as u64),
        );
        if let Some((count, failure)) = self.fail_first {
            faults.fail_next(count, failure);
        }
        faults.set_metadata_disabled(self.metadata_disabled);
        faults.rate_limit_next_metadata(self.rate_limit_metadata);
        faults.set_metadata_timeout_above(self.metadata_timeout_above);
        faults.set_metadata_backfill_running(self.metadata_backfill_running);
        faults.set_session_idle_timeout(self.session_idle_timeout.map(Duration::from_secs));
        for name in &self.revoke_pat {
            faults.revoke_pat(name);
        }
        for name in &self.expire_pat {
            faults.expire_pat(name);
        }
    }
}

fn positive_number(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value > 0.0 && value.is_finite() => Ok(value),
        _ => Err(format!("'{text}' is not a positive number")),
    }
}

/// `COUNT:KIND`, e.g. `3:429@2`.
fn failure_burst(text: &str) -> Result<(u32, HttpFailure), String> {
    let (count, kind) = text
        .split_once(':')
        .ok_or_else(|| format!("'{text}' is not COUNT:KIND (e.g. 3:503)"))?;
    let count = count
        .parse::<u32>()
        .map_err(|_| format!("'{count}' in '{text}' is not a count"))?;
    Ok((count, kind.parse()?))
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let mut data = match &args.site_file {
        Some(path) => {
            load_site_file(path).with_context(|| format!("loading site file {}", path.display()))?
        }
        None => tableau_sim::SiteData::default(),
    };
    if let Some(count) = args.generate {
        let generated = generate_site(count, args.tables_per_workbook, args.seed);
        data.sites.extend(generated.sites);
    }
    if let Some(path) = &args.write_site {
        let text = serde_json::to_string(&data).context("serializing the site data")?;
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    let config = SimConfig {
        port: args.port,
        node_limit: args.node_limit,
        job_duration: std::time::Duration::from_secs_f64(args.job_seconds.max(0.0)),
        ..SimConfig::default()
    };
    let sim = Simulator::start_with(data, config)
        .await
        .context("starting the Tableau simulator")?;
    args.faults.apply(sim.faults());
    let mut stdout = std::io::stdout();
    writeln!(stdout, "listening on {}", sim.base_url()).context("writing to stdout")?;
    stdout.flush().context("flushing stdout")?;
    wait_for_stop().await?;
    sim.shutdown().await;
    Ok(())
}

async fn wait_for_stop() -> Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.context("waiting for Ctrl-C")?,
        _ = term.recv() => {}
    }
    Ok(())
}
