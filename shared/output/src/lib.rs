//! What autoexpose writes, for people and for tools, from what `autoexpose-domain` decided.
//!
//! As ripgrep's printer sits beside its matcher, this crate sits beside the domain: it
//! depends on it, never the other way. It writes:
//!
//! - the dbt properties file with the auto exposures ([`dbt_yaml_files`], [`to_dbt_yaml`]),
//!   through a YAML serializer that quotes what YAML 1.1 would misread;
//! - the match report as JSON or a text table ([`to_json`], [`to_table`]);
//! - a copy of `manifest.json` with the exposures injected as dbt would write them
//!   ([`inject_exposures`]), for `dbt docs serve` without a `dbt parse`;
//! - the lineage page, one self-contained HTML file ([`lineage_html`]).
//! - the impact report of a pull request, Markdown for its comment and JSON
//!   ([`impact_markdown`], [`impact_json`]).
//!
//! Every writer is deterministic: the same input gives the same bytes.
//!
//! ```
//! use autoexpose_domain::{Exposure, Manifest};
//! use autoexpose_output::{YamlOptions, to_dbt_yaml};
//!
//! let manifest = Manifest::from_slice(br#"{
//!   "metadata": {"dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v12.json",
//!     "dbt_version": "1.11.2", "project_name": "shop"},
//!   "nodes": {"model.shop.orders": {"resource_type": "model", "name": "orders",
//!     "alias": "orders", "database": "analytics", "schema": "prod", "package_name": "shop"}}
//! }"#).unwrap();
//! let exposure = Exposure {
//!     name: "sales".into(), label: "Sales".into(), exposure_type: "dashboard".into(),
//!     url: None, owner: None, description: Some("Yes".into()),
//!     depends_on: vec!["model.shop.orders".into()],
//!     workbook_luid: "wb-1".into(), project: "Finance".into(), project_luid: None,
//!     unmatched_tables: vec![], unparsed_custom_sql: vec![], referenced_columns: vec![],
//!     missing_columns: vec![], usage: None, maturity: None, stale: false,
//! };
//! let yaml = to_dbt_yaml(&[exposure], &manifest, &YamlOptions::default());
//! assert!(yaml.contains("  - name: sales\n"));
//! assert!(yaml.contains("    description: \"Yes\"\n"), "YAML 1.1 would read a boolean");
//! assert!(yaml.contains("      - ref('orders')\n"));
//! ```

mod dbt_yaml;
mod impact;
mod inject;
mod lineage;
mod plan;
mod report;
mod usage_meta;

pub use dbt_yaml::{
    EXPOSURES_FILE, EXPOSURES_FOLDER, YamlFile, dbt_yaml_files, dependency_call, to_dbt_yaml,
};
pub use impact::{IMPACT_MARKER, impact_json, impact_markdown};
pub use inject::{InjectError, InjectOptions, inject_exposures};
pub use lineage::{LineageOptions, lineage_html};
pub use plan::{DEFAULT_OWNER, YamlOptions};
pub use report::{to_json, to_table};
pub use usage_meta::usage_summary;
