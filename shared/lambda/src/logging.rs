//! JSON log lines for CloudWatch: one object per line, with the fields of the event.

use tracing::Subscriber;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Installs the JSON subscriber for the process, writing to stdout, at the level of
/// `AWS_LAMBDA_LOG_LEVEL` (Lambda's advanced logging controls), else `RUST_LOG`, else
/// `info`. Lines are JSON whatever `AWS_LAMBDA_LOG_FORMAT` says, so set the function's
/// log format to JSON and CloudWatch indexes the fields. Calling it twice does nothing.
pub fn init_tracing() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".to_string());
    // Another subscriber already set (a test harness) is not worth a panic.
    let _ = tracing::subscriber::set_global_default(json_subscriber(&level, std::io::stdout));
}

/// The JSON subscriber at `level` (an `EnvFilter` directive such as `info` or
/// `autoexpose=debug`), writing to `writer`; tests capture the lines with it. Each line
/// carries the level, the message, the event's fields flattened beside it, and the
/// Lambda request id from the runtime's span.
pub fn json_subscriber<W>(level: &str, writer: W) -> impl Subscriber + Send + Sync + 'static
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let filter =
        EnvFilter::try_new(level.to_lowercase()).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .with_ansi(false)
        .with_env_filter(filter)
        .with_writer(writer)
        .finish()
}
