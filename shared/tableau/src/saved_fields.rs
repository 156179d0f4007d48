//! The columns each workbook reads, from the field lineage of a saved Metadata API
//! response, for `autoexpose impact` offline.
//!
//! A response that asked for the data sources' `fields { upstreamColumns { name remoteType
//! table { ... } } }` (embedded data sources, the published ones they connect to, and the
//! published ones the workbook uses) says which database columns each workbook reads, calculated
//! fields included: `upstreamColumns` of a calculated field are the columns its formula
//! reads. The tables come back as [`UpstreamTable`]s, which the caller matches to dbt nodes
//! as it matches the workbook's tables. A response without fields gives no columns.

use std::collections::BTreeMap;

use autoexpose_domain::UpstreamTable;
use serde::Deserialize;

use crate::wire::{TableauResponseError, flatten};

/// One database column a workbook reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldColumn {
    /// The table the column belongs to.
    pub table: UpstreamTable,
    /// The column's name in the database.
    pub column: String,
    /// Tableau's `remoteType` of it (e.g. `I4`, `WSTR`), where given.
    pub remote_type: Option<String>,
}

/// The columns each workbook of a saved response reads, by workbook LUID, each column once.
pub fn parse_field_columns(
    bytes: &[u8],
) -> Result<BTreeMap<String, Vec<FieldColumn>>, TableauResponseError> {
    let text = std::str::from_utf8(bytes).map_err(|e| TableauResponseError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    let pages: Vec<Page> = if text.trim_start().starts_with('[') {
        serde_json::from_str(text)
    } else {
        serde_json::from_str::<Page>(text).map(|page| vec![page])
    }
    .map_err(TableauResponseError::from_json)?;
    let mut columns: BTreeMap<String, Vec<FieldColumn>> = BTreeMap::new();
    for page in pages {
        let Some(data) = page.data else { continue };
        let nodes = data
            .workbooks
            .or(data.workbooks_connection.map(|c| c.nodes))
            .unwrap_or_default();
        for workbook in nodes.into_iter().flatten() {
            let Some(luid) = workbook.luid.clone() else {
                continue;
            };
            let read = columns.entry(luid).or_default();
            workbook.collect(read);
            read.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
            read.dedup();
        }
    }
    Ok(columns)
}

impl FieldColumn {
    fn sort_key(&self) -> (&str, Option<&str>, Option<&str>, Option<&str>) {
        let t = &self.table;
        (
            &self.column,
            t.database.as_deref(),
            t.schema.as_deref(),
            t.name.as_deref(),
        )
    }
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    data: Option<Data>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data {
    #[serde(default)]
    workbooks: Option<Vec<Option<WorkbookFields>>>,
    #[serde(default)]
    workbooks_connection: Option<Connection>,
}

#[derive(Deserialize)]
struct Connection {
    #[serde(default)]
    nodes: Vec<Option<WorkbookFields>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WorkbookFields {
    #[serde(default)]
    luid: Option<String>,
    #[serde(default)]
    embedded_datasources: Option<Vec<Option<DatasourceFields>>>,
    #[serde(default)]
    upstream_datasources: Option<Vec<Option<DatasourceFields>>>,
}

/// An embedded or published data source's fields, and the published data sources it
/// connects to.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DatasourceFields {
    #[serde(default)]
    fields: Option<Vec<Option<Field>>>,
    #[serde(default)]
    upstream_datasources: Option<Vec<Option<DatasourceFields>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Field {
    #[serde(default)]
    upstream_columns: Option<Vec<Option<Column>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Column {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    remote_type: Option<String>,
    #[serde(default)]
    table: Option<Table>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Table {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    schema: Option<String>,
    #[serde(default)]
    full_name: Option<String>,
    #[serde(default)]
    connection_type: Option<String>,
    #[serde(default)]
    database: Option<Database>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Database {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    connection_type: Option<String>,
}

/// Published data sources nest; a response deeper than this is not followed further.
const MAX_DATASOURCE_DEPTH: usize = 16;

impl WorkbookFields {
    fn collect(self, out: &mut Vec<FieldColumn>) {
        for ds in flatten(self.embedded_datasources).chain(flatten(self.upstream_datasources)) {
            ds.collect(out, 0);
        }
    }
}

impl DatasourceFields {
    fn collect(self, out: &mut Vec<FieldColumn>, depth: usize) {
        for field in flatten(self.fields) {
            for column in flatten(field.upstream_columns) {
                out.extend(column.into_field_column());
            }
        }
        if depth < MAX_DATASOURCE_DEPTH {
            for ds in flatten(self.upstream_datasources) {
                ds.collect(out, depth + 1);
            }
        }
    }
}

impl Column {
    /// The column with its table, or `None` when Tableau hid its name or its table.
    fn into_field_column(self) -> Option<FieldColumn> {
        let column = self.name.filter(|n| !n.is_empty())?;
        let table = self.table?;
        let connection_type = table
            .connection_type
            .or_else(|| table.database.as_ref()?.connection_type.clone());
        Some(FieldColumn {
            table: UpstreamTable {
                id: None,
                luid: None,
                database: table.database.and_then(|d| d.name),
                schema: table.schema,
                name: table.name,
                full_name: table.full_name,
                connection_type,
            },
            column,
            remote_type: self.remote_type,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_through_a_published_data_source_are_read() {
        let response = br#"{"data":{"workbooks":[{"luid":"wb-1","upstreamDatasources":[
          {"fields":[{"name":"Discount","upstreamColumns":[{"name":"discount","remoteType":"R8",
            "table":{"name":"orders","schema":"prod","database":{"name":"analytics"}}}]},
            {"name":"Hidden","upstreamColumns":[{"name":null,"table":null}]}]}]},
          {"luid":"wb-2"}]}}"#;
        let columns = parse_field_columns(response).expect("reads");
        assert_eq!(columns["wb-1"].len(), 1);
        assert_eq!(columns["wb-1"][0].column, "discount");
        assert_eq!(columns["wb-1"][0].table.name.as_deref(), Some("orders"));
        assert!(columns["wb-2"].is_empty());
    }
}
