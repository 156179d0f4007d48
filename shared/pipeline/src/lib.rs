//! The pipeline: the three stages over small traits (store, artifacts, secrets, Tableau).

mod ports;

pub use ports::*;
