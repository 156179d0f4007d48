//! What can go wrong when loading site data or starting the simulator.

use std::path::PathBuf;

/// An error from the simulator's Rust API (never from a request: those get Tableau's answers).
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The site file could not be read.
    #[error("cannot read site file {path}: {source}")]
    ReadSiteFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The site file is not valid site-data JSON.
    #[error("site file {path} is not valid site data: {source}")]
    ParseSiteFile {
        /// The file.
        path: PathBuf,
        /// Where and why parsing stopped.
        source: serde_json::Error,
    },
    /// Site data refers to something that does not exist, or repeats an id.
    #[error("site '{site}' is inconsistent: {problem}")]
    InvalidSite {
        /// The site's content URL.
        site: String,
        /// What is wrong.
        problem: String,
    },
    /// No site has this content URL.
    #[error("no site with content_url '{0}' in the simulator")]
    UnknownSite(String),
    /// The listening socket could not be opened.
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind {
        /// The requested port (0 = any free port).
        port: u16,
        /// The I/O error.
        source: std::io::Error,
    },
}
