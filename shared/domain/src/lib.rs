//! The domain of autoexpose: pure data in, data out.
//!
//! It reads a dbt `manifest.json` into the relations that exist in the warehouse (models,
//! seeds, snapshots, sources), matches Tableau workbooks' upstream tables against them by
//! `{database}.{schema}.{name}` (quoting removed, case folded) and builds one dbt exposure
//! per workbook. It does no I/O beyond reading bytes it is handed.
//!
//! ```
//! use autoexpose_domain::{Manifest, MatchOptions, build_exposures, parse_workbooks_response};
//!
//! let manifest = Manifest::from_slice(br#"{
//!   "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"},
//!   "nodes": {"model.shop.orders": {"resource_type": "model", "name": "orders",
//!     "alias": "orders", "database": "analytics", "schema": "prod", "package_name": "shop",
//!     "config": {"materialized": "table"}}},
//!   "sources": {}
//! }"#).unwrap();
//! let workbooks = parse_workbooks_response(br#"{"data": {"workbooks": [{
//!   "name": "Sales", "luid": "wb-1", "projectName": "Finance",
//!   "upstreamTables": [{"name": "ORDERS", "schema": "PROD", "database": {"name": "ANALYTICS"}}]
//! }]}}"#).unwrap();
//! let outcome = build_exposures(&manifest, &workbooks, &MatchOptions::default());
//! assert_eq!(outcome.exposures[0].name, "sales");
//! assert_eq!(outcome.exposures[0].depends_on, ["model.shop.orders"]);
//! ```

pub mod custom_sql;
pub mod dag;
pub mod diagnose;
mod error;
pub mod fqn;
mod graphql;
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

pub use error::{ManifestError, TableauResponseError};
pub use fqn::Fqn;
pub use graphql::{
    GraphQlError, PageInfo, TableNode, WorkbookNode, WorkbooksConnection, WorkbooksData,
    WorkbooksResponse, page_workbooks, parse_workbooks_response,
};
pub use index::{Aliases, RelationIndex, TableMatch, table_fqn};
pub use manifest::{
    Manifest, ManifestMetadata, ManualExposure, Relation, RelationKind, parse_minor_version, skim,
};
pub use matching::{
    Exposure, MatchOptions, MatchOutcome, MatchStats, TableauSite, build_exposures,
};
pub use workbook::{CustomSql, DatasourceRef, Owner, ProjectRef, UpstreamTable, Workbook};
