//! A Tableau Server / Tableau Cloud simulator speaking the REST and Metadata API shapes.
//!
//! It serves, on 127.0.0.1 only, what autoexpose's Tableau client (and Tableau's own Python
//! client, `tableauserverclient`) use: `serverinfo`, PAT sign-in / sign-out (one live
//! session per PAT), paged project listing, the Metadata API (a real GraphQL engine with
//! Tableau's type and field names, cursor paging and the node limit), extract refresh and
//! job polling. Every REST route answers XML by default and JSON for
//! `Accept: application/json`, error bodies included. Faults (latency, 429/500/503, a
//! proxy's HTML 401, huge or endless bodies, requests never answered, expired tokens, idle
//! session timeouts, expired or revoked PATs, Metadata API errors) can be switched on while
//! it runs.
//!
//! ```no_run
//! use tableau_sim::{HttpFailure, Simulator, load_site_file};
//!
//! # async fn demo() -> Result<(), tableau_sim::SimError> {
//! let data = load_site_file("tests/simulator/sites/example.json".as_ref())?;
//! let sim = Simulator::start(data).await?;
//! let url = sim.base_url(); // http://127.0.0.1:PORT — give it to the client under test
//! sim.faults().fail_next(1, HttpFailure::TooManyRequests { retry_after: Some(1) });
//! // ... run the client ...
//! assert!(sim.stats().max_in_flight <= 4);
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Site file format
//!
//! A JSON [`SiteData`] document (unknown keys are rejected, so typos surface):
//!
//! ```json
//! { "server": {"product_version": "2025.1.0", "rest_api_version": "3.25"},
//!   "sites": [ { "content_url": "acme", "name": "Acme", "id": "<site luid>", "site_number": 1,
//!     "projects":    [{"id", "name", "description"?, "parent_id"?, "owner_id"?}],
//!     "users":       [{"id", "name", "email", "username"}],
//!     "pats":        [{"name", "secret", "user_id", "expired"?: false}],
//!     "tables":      [{"id", "name", "schema", "database", "connection_type", "full_name"?, "is_embedded"?,
//!                      "database_null"?, "obfuscated"?}],
//!     "datasources": [{"luid", "id"?, "name", "project_id", "owner_id"?, "has_extracts",
//!                      "table_ids": [], "custom_sql"?: [], "refresh_error"?}],
//!     "workbooks":   [{"luid", "id"?, "name", "project_id", "owner_id", "description"?,
//!                      "vizportal_url_id", "created_at", "updated_at", "table_ids": [],
//!                      "embedded_extract": false, "datasource_luids": [],
//!                      "custom_sql": [{"id", "query", "connection_type", "database",
//!                                      "table_ids": [], "is_unsupported"?}],
//!                      "refresh_error"?, "usage"?: {"hits_total", "hits_last_two_weeks",
//!                      "hits_last_one_month", "hits_last_three_months", "hits_last_twelve_months"},
//!                      "views"?: [{"id", "name", "total_view_count"}]}],
//!     "tableau_collections"?: [{"id", "name", "description"?, "visibility"?: "public",
//!                      "owner_id"?, "items": [{"content_type", "luid", "name"?}]}],
//!     "usage_stats"?: "available" | "absent" | "forbidden" } ] }
//! ```
//!
//! * `content_url` `""` is the Default site; sign-in picks the site by it.
//! * A workbook's Metadata `upstreamTables` are its own tables, the tables parsed from its
//!   custom SQL, and the tables of the published data sources it uses (Tableau's lineage
//!   shortcut). Its `embeddedDatasources` are one "direct" source (its tables and custom
//!   SQL, `hasExtracts` = `embedded_extract`) plus one proxy per published data source.
//! * A workbook refresh needs `embedded_extract`; a data source refresh needs
//!   `has_extracts` (else 409090). `refresh_error` makes the job finish with
//!   `finishCode` 1 and that text in `notes`.
//! * PATs are identified by name across the server: signing in again with the same name
//!   revokes that PAT's earlier tokens.
//! * Metadata ids default to ids derived from the LUID; `site_number` feeds `uri`.
//! * Table names come back as real servers give them: `full_name` as given (it may disagree
//!   with `schema`, which may be `""`), `database_null` answers `"database": null`, and
//!   `obfuscated` answers as the Metadata API does for a user who may not see the table
//!   (`id` intact; `name`, `fullName`, `schema`, `database.name` null).
//! * `tableau_collections` are Tableau's own Collections, served at `/api/-/collections`
//!   (and `/{id}`, `/{id}/items`) only when `rest_api_version` is 3.28 or newer; an
//!   older server answers those paths 404, as for any unknown resource. A `workbook`
//!   item must name a workbook of the site. Query Workbook (`/sites/{site}/workbooks/{id}`)
//!   tells a workbook's project.
//!
//! * Usage: `POST /api/-/content/usage-stats` (Content Exploration, batch) answers each
//!   workbook's `usage` (zeros without one); a site's `usage_stats` of `absent` makes it
//!   404 (an older server) and `forbidden` 403. Query Views for Site and for Workbook with
//!   `includeUsageStatistics=true` give each view's `totalViewCount` (one view standing
//!   for a workbook without `views`, counting its `hits_total`).
//!
//! `tests/simulator/sites/example.json` is a small hand-made site; [`generate_site`] makes
//! large ones.

#![warn(missing_docs)]

mod data;
mod error;
mod faults;
mod generate;
mod metadata;
mod rest;
mod server;
mod state;
mod stats;
mod util;

pub use data::{
    ColumnSpec, CustomSqlSpec, DatasourceSpec, FieldSpec, PatSpec, ProjectSpec, QualityWarningSpec,
    ServerSpec, SiteData, SiteSpec, TableSpec, TableauCollectionItemSpec, TableauCollectionSpec,
    UsageSpec, UsageStatsAccess, UserSpec, ViewSpec, VirtualConnectionSpec, VirtualTableSpec,
    WorkbookSpec, load_site_file,
};
pub use error::SimError;
pub use faults::{Faults, HttpFailure};
pub use generate::{GENERATED_PAT, generate_site};
pub use server::{SimConfig, Simulator};
pub use stats::Stats;
pub use util::table_luid;
