//! One module per command group. Each holds its clap arguments and a `run` that opens the
//! chosen store when it needs one; none imports another (only `exposures` owns its
//! `export` submodule), and all share the helper modules beside `main.rs`.

pub(crate) mod collections;
pub(crate) mod diagnose;
pub(crate) mod exposures;
pub(crate) mod impact;
pub(crate) mod integrations;
pub(crate) mod lineage;
pub(crate) mod manifest;
pub(crate) mod matching;
pub(crate) mod results;
pub(crate) mod sync;
pub(crate) mod usage_flags;
pub(crate) mod warning_flags;
