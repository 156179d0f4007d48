//! BI workbooks as the matcher sees them.
//!
//! The Tableau client and the saved-response reader both produce these types (a second BI
//! tool's adapter would too), so the matcher never needs to know where a workbook came
//! from. The ids a browser URL needs travel as an opaque `url_id` that the BI adapter's
//! [`WorkbookUrls`](crate::WorkbookUrls) rule reads.

use serde::{Deserialize, Serialize};

use crate::columns::{FieldColumn, Usage};

/// A person who owns Tableau content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    /// Display name, e.g. "Ada Lovelace".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Email address, when Tableau knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// The Tableau project (folder) that holds a workbook.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectRef {
    /// Project name as shown in Tableau.
    pub name: String,
    /// Project LUID (the REST id), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub luid: Option<String>,
}

/// A database table that a workbook reads, as the Metadata API names it.
///
/// Any part can be missing: Tableau nulls names the signed-in user may not see
/// ("obfuscated" results) and leaves `schema` empty for some connectors.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UpstreamTable {
    /// Metadata API id of the table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// REST LUID of the table (`DatabaseTable.luid`), the id Tableau's REST methods take,
    /// e.g. to put a data quality warning on the table. Tableau leaves it empty for
    /// tables it has not catalogued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub luid: Option<String>,
    /// Database (catalog, BigQuery project) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// Schema (dataset) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Table name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Tableau's bracketed full name, e.g. `[analytics].[dbt_prod].[orders]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    /// Tableau connection class, e.g. `snowflake`, `postgres`, `bigquery`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_type: Option<String>,
}

/// A custom SQL query that a workbook's data sources run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomSql {
    /// Metadata API id of the `CustomSQLTable`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The SQL text as Tableau stores it (possibly HTML-escaped).
    pub query: String,
    /// Database the query runs against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// Tableau connection class, which decides the SQL dialect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_type: Option<String>,
    /// Tables Tableau's own parser found in the query; empty when it could not parse it.
    #[serde(default)]
    pub tables: Vec<UpstreamTable>,
}

/// A published data source that a workbook uses, for extract refreshes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasourceRef {
    /// REST id of the published data source.
    pub luid: String,
    /// Data source name.
    pub name: String,
    /// Whether it is an extract (refreshable) rather than a live connection.
    #[serde(default)]
    pub has_extracts: bool,
}

/// One workbook of a BI tool with everything the matcher and the exposure need.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredWorkbook")]
pub struct Workbook {
    /// Metadata API id (not the REST id).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// REST id of the workbook; the stable key of its exposure.
    pub luid: String,
    /// Workbook name as shown in Tableau.
    pub name: String,
    /// The project that holds it.
    #[serde(default)]
    pub project: ProjectRef,
    /// The workbook owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
    /// Free-text description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The BI tool's id for the workbook in its browser URLs, opaque here: the BI
    /// adapter's [`WorkbookUrls`](crate::WorkbookUrls) rule makes the exposure's URL of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_id: Option<String>,
    /// Creation time (RFC 3339) as Tableau reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Last update time (RFC 3339) as Tableau reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// Tables it reads: directly, through embedded and through published data sources.
    #[serde(default)]
    pub tables: Vec<UpstreamTable>,
    /// Custom SQL queries its data sources run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub custom_sql: Vec<CustomSql>,
    /// Published data sources it uses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub datasources: Vec<DatasourceRef>,
    /// Whether one of its embedded data sources is an extract.
    #[serde(default)]
    pub has_embedded_extracts: bool,
    /// How often people opened it, as the BI tool reported at the last sync.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// The database columns its fields read (field lineage), fetched only for workbooks
    /// that matched a dbt node; empty where not fetched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<FieldColumn>,
    /// Whether `columns` is what the BI tool's field lineage gave, possibly nothing, as
    /// against never asked: a workbook that only a later manifest matched was not.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub columns_fetched: bool,
}

/// A workbook as stored in snapshots, of this version or an earlier one. Snapshots
/// written before `url_id` carry Tableau's two ids in its place, `vizportal_url_id` and
/// the Metadata API `uri`; the first one given becomes `url_id`, and the Tableau adapter's
/// URL rule reads either.
#[derive(Deserialize)]
struct StoredWorkbook {
    #[serde(default)]
    id: String,
    luid: String,
    name: String,
    #[serde(default)]
    project: ProjectRef,
    #[serde(default)]
    owner: Option<Owner>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    url_id: Option<String>,
    #[serde(default)]
    vizportal_url_id: Option<String>,
    #[serde(default)]
    uri: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    updated_at: Option<String>,
    #[serde(default)]
    tables: Vec<UpstreamTable>,
    #[serde(default)]
    custom_sql: Vec<CustomSql>,
    #[serde(default)]
    datasources: Vec<DatasourceRef>,
    #[serde(default)]
    has_embedded_extracts: bool,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default)]
    columns: Vec<FieldColumn>,
    #[serde(default)]
    columns_fetched: bool,
}

impl From<StoredWorkbook> for Workbook {
    fn from(stored: StoredWorkbook) -> Workbook {
        let earlier = stored
            .vizportal_url_id
            .filter(|id| !id.is_empty())
            .or(stored.uri);
        Workbook {
            id: stored.id,
            luid: stored.luid,
            name: stored.name,
            project: stored.project,
            owner: stored.owner,
            description: stored.description,
            url_id: stored.url_id.or(earlier),
            created_at: stored.created_at,
            updated_at: stored.updated_at,
            tables: stored.tables,
            custom_sql: stored.custom_sql,
            datasources: stored.datasources,
            has_embedded_extracts: stored.has_embedded_extracts,
            usage: stored.usage,
            // Snapshots written before the flag have columns only where they were fetched.
            columns_fetched: stored.columns_fetched || !stored.columns.is_empty(),
            columns: stored.columns,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> Workbook {
        serde_json::from_str(json).expect("the workbook reads")
    }

    #[test]
    fn snapshots_of_the_earlier_format_keep_their_url_ids() {
        let both = read(
            r#"{"luid":"wb-1","name":"Revenue","vizportal_url_id":"42","uri":"sites/1/workbooks/42"}"#,
        );
        assert_eq!(both.url_id.as_deref(), Some("42"));
        let uri_only =
            read(r#"{"luid":"wb-1","name":"Revenue","uri":"sites/4989/workbooks/15995"}"#);
        assert_eq!(
            uri_only.url_id.as_deref(),
            Some("sites/4989/workbooks/15995")
        );
        let empty_id = read(
            r#"{"luid":"wb-1","name":"Revenue","vizportal_url_id":"","uri":"sites/4989/workbooks/15995"}"#,
        );
        assert_eq!(
            empty_id.url_id.as_deref(),
            Some("sites/4989/workbooks/15995")
        );
        let neither = read(r#"{"luid":"wb-1","name":"Revenue"}"#);
        assert_eq!(neither.url_id, None);
    }

    #[test]
    fn workbooks_round_trip_with_a_neutral_url_id() {
        let workbook = Workbook {
            luid: "wb-1".into(),
            name: "Revenue".into(),
            url_id: Some("42".into()),
            tables: vec![UpstreamTable {
                name: Some("orders".into()),
                ..UpstreamTable::default()
            }],
            ..Workbook::default()
        };
        let json = serde_json::to_string(&workbook).expect("encodes");
        assert!(json.contains(r#""url_id":"42""#), "{json}");
        assert!(!json.contains("vizportal"), "{json}");
        assert_eq!(read(&json), workbook);
    }

    #[test]
    fn whether_columns_were_fetched_survives_a_round_trip() {
        let fetched_empty = Workbook {
            luid: "wb-1".into(),
            name: "Revenue".into(),
            columns_fetched: true,
            ..Workbook::default()
        };
        let json = serde_json::to_string(&fetched_empty).expect("encodes");
        assert!(read(&json).columns_fetched, "{json}");
        let never = read(r#"{"luid":"wb-1","name":"Revenue"}"#);
        assert!(!never.columns_fetched);
        // A snapshot from before the flag fetched exactly the columns it has.
        let earlier = read(
            r#"{"luid":"wb-1","name":"Revenue","columns":[{"table":{"name":"orders"},"name":"amount"}]}"#,
        );
        assert!(earlier.columns_fetched);
    }
}
