//! The domain of autoexpose: pure data in, data out.
//!
//! It reads the dbt artifacts autoexpose works from — `manifest.json` in one pass into
//! relations, manual exposures, the DAG and the tests' targets ([`Manifest`], [`dag`]), and
//! `run_results.json` / `sources.json` ([`run_results`]) — and matches the upstream tables of
//! BI workbooks ([`Workbook`]) against the relations by `{database}.{schema}.{name}`
//! (quoting removed, case folded, see [`fqn`]), reading custom SQL where the BI tool gives no
//! tables ([`custom_sql`]). Each matched workbook becomes one dbt [`Exposure`] with a stable
//! name ([`naming`]). It also explains why a table did not match ([`diagnose`]) and how
//! healthy an exposure's upstream data is ([`health`]), and which exposures a dbt pull
//! request breaks ([`impact`]).
//!
//! It does no I/O beyond reading bytes it is handed, and knows no BI tool's API: the Tableau
//! client builds [`Workbook`]s, whose `url_id` only the BI adapter's [`WorkbookUrls`] rule
//! reads, and `autoexpose-output` writes what this crate decides.
//!
//! ```
//! use autoexpose_domain::{Manifest, MatchOptions, UpstreamTable, Workbook, build_exposures};
//!
//! let manifest = Manifest::from_slice(br#"{
//!   "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json"},
//!   "nodes": {"model.shop.orders": {"resource_type": "model", "name": "orders",
//!     "alias": "orders", "database": "analytics", "schema": "prod", "package_name": "shop",
//!     "config": {"materialized": "table"}}},
//!   "sources": {},
//!   "parent_map": {"model.shop.orders": ["source.shop.raw.orders"]}
//! }"#).unwrap();
//! let parents: Vec<&str> = manifest.dag().parents("model.shop.orders").collect();
//! assert_eq!(parents, ["source.shop.raw.orders"]);
//!
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

pub mod catalog;
mod column_match;
pub mod columns;
pub mod connection;
pub mod custom_sql;
pub mod dag;
pub mod diagnose;
mod error;
pub mod fqn;
pub mod health;
pub mod impact;
mod index;
mod manifest;
mod matching;
pub mod naming;
mod object;
pub mod printable;
pub mod quality_warning;
pub mod refresh;
pub mod run_results;
pub mod timestamp;
pub mod usage_rules;
mod workbook;

pub use catalog::{Catalog, CatalogError};
pub use columns::{
    DbtColumn, DocumentedColumn, DocumentedColumns, FieldColumn, ReferencedColumn, Usage,
};
pub use error::ManifestError;
pub use fqn::Fqn;
pub use index::{Aliases, RelationIndex, TableMatch, table_fqn};
pub use manifest::{
    Manifest, ManifestMetadata, ManifestWarning, ManualExposure, NEWEST_SCHEMA_VERSION, Relation,
    RelationKind, parse_minor_version, skim,
};
pub use matching::{
    Exposure, MatchOptions, MatchOutcome, MatchStats, WorkbookUrls, build_exposures,
};
pub use workbook::{CustomSql, DatasourceRef, Owner, ProjectRef, UpstreamTable, Workbook};
