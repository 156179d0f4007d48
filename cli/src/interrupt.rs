//! Ctrl-C and SIGTERM: the first asks the running command to stop, so a sync records its
//! run and releases its lease instead of leaving it to block the next for 15 minutes; the
//! second quits at once.

use std::sync::OnceLock;

use autoexpose_pipeline::{CancellationToken, Stop};

/// The process's one stop signal.
fn token() -> &'static CancellationToken {
    static TOKEN: OnceLock<CancellationToken> = OnceLock::new();
    TOKEN.get_or_init(CancellationToken::new)
}

/// When the pipeline should stop: at the first Ctrl-C or SIGTERM.
pub(crate) fn stop() -> Stop {
    Stop::never().on(token().clone(), "interrupted by Ctrl-C or SIGTERM")
}

/// Listens for the signals on the current runtime (call once, inside it).
pub(crate) fn listen() {
    tokio::spawn(async {
        let mut signals = Signals::new();
        signals.next().await;
        eprintln!(
            "stopping: recording the run and releasing its lease (Ctrl-C again quits at once)"
        );
        token().cancel();
        signals.next().await;
        eprintln!(
            "quit without releasing the lease; clear it with `autoexpose integrations break-lease ID`"
        );
        std::process::exit(130);
    });
}

/// Ctrl-C, and on Unix SIGTERM (what `kill`, systemd and container runtimes send).
struct Signals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Signals {
        Signals {
            #[cfg(unix)]
            term: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok(),
        }
    }

    async fn next(&mut self) {
        #[cfg(unix)]
        if let Some(term) = self.term.as_mut() {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
        // Without a handler the future never completes; the default action stays.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
