//! The domain of autoexpose: pure data in, data out.
//!
//! It reads a dbt `manifest.json` into the relations that exist in the warehouse (models,
//! seeds, snapshots, sources), matches BI workbooks' upstream tables against them by
//! `{database}.{schema}.{name}` (quoting removed, case folded) and builds one dbt exposure
//! per workbook. It does no I/O beyond reading bytes it is handed.
//!
//! ```
//! use autoexpose_domain::{Manifest, MatchOptions, UpstreamTable, Workbook, build_exposures};
//!
//! let manifest = Manifest::from_slice(br#"{
//!   "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"},
//!   "nodes": {"model.shop.orders": {"resource_type": "model", "name": "orders",
//!     "alias": "orders", "database": "analytics", "schema": "prod", "package_name": "shop",
//!     "config": {"materialized": "table"}}},
//!   "sources": {}
//! }"#).unwrap();
//! let workbook = Workbook {
//!     luid: "wb-1".into(),
//!     name: "Sales".into(),
//!     tables: vec![UpstreamTable {
//!         database: Some("ANALYTICS".into()),
//!         schema: Some("PROD".into()),
//!         name: Some("ORDERS".into()),
//!         ..UpstreamTable::default()
//!     }],
//!     ..Workbook::default()
//! };
//! let outcome = build_exposures(&manifest, &[workbook], &MatchOptions::default());
//! assert_eq!(outcome.exposures[0].name, "sales");
//! assert_eq!(outcome.exposures[0].depends_on, ["model.shop.orders"]);
//! ```

pub mod custom_sql;
pub mod dag;
pub mod diagnose;
mod error;
pub mod fqn;
pub mod health;
mod index;
pub mod inject;
pub mod lineage;
mod manifest;
mod matching;
pub mod naming;
pub mod render;
pub mod run_results;
mod workbook;

pub use error::ManifestError;
pub use fqn::Fqn;
pub use index::{Aliases, RelationIndex, TableMatch, table_fqn};
pub use manifest::{
    Manifest, ManifestMetadata, ManualExposure, Relation, RelationKind, parse_minor_version, skim,
};
pub use matching::{
    Exposure, MatchOptions, MatchOutcome, MatchStats, TableauSite, build_exposures,
};
pub use workbook::{CustomSql, DatasourceRef, Owner, ProjectRef, UpstreamTable, Workbook};
