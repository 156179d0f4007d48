//! `tableau-sim`: serve a simulated Tableau site on 127.0.0.1 until SIGTERM or Ctrl-C.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use tableau_sim::{SimConfig, Simulator, generate_site, load_site_file};

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
    let config = SimConfig {
        port: args.port,
        node_limit: args.node_limit,
        job_duration: std::time::Duration::from_secs_f64(args.job_seconds.max(0.0)),
        ..SimConfig::default()
    };
    let sim = Simulator::start_with(data, config)
        .await
        .context("starting the Tableau simulator")?;
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
