//! One module per command group. Each holds its clap arguments and a `run` that opens the
//! chosen store when it needs one; none imports another (only `exposures` owns its
//! `export` submodule), and all share the helper modules beside `main.rs`.

pub mod collections;
pub mod diagnose;
pub mod exposures;
pub mod integrations;
pub mod lineage;
pub mod manifest;
pub mod matching;
pub mod results;
pub mod sync;
