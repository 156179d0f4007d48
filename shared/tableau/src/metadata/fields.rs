//! Which database columns a workbook's fields read, through the Metadata API's field
//! lineage, for the workbooks that matched only.
//!
//! The workbooks are asked for by LUID, [`LUIDS_PER_FIELDS_QUERY`] to a filter, and paged
//! like the workbook listing, beginning with smaller pages ([`FIELDS_PAGE_SIZE`]): a
//! workbook's fields are many more nodes than its tables, so Tableau's node limit is met
//! sooner; a page it cuts short is fetched again at half the size.
//!
//! Per embedded data source, a `ColumnField` reads its `upstreamColumns`; a
//! `CalculatedField` reads what the fields of its formula read (`fields`, followed to any
//! depth, each field once); a `DatasourceField` (an embedded data source standing for a
//! published one) reads what its `remoteField`, a field of the published data source, reads.
//! A column Tableau hides from the signed-in user (`name: null`) is counted, not kept.

use std::collections::{BTreeMap, HashMap, HashSet};

use autoexpose_domain::FieldColumn;
use serde::Deserialize;
use serde_json::{Map, json};

use super::{ConnectionResponse, PageParts, joined_result};
use crate::client::Session;
use crate::error::TableauError;
use crate::wire::{GraphQlError, PageInfo, TableNode, flatten};

/// Workbook LUIDs in one fields query's filter.
pub const LUIDS_PER_FIELDS_QUERY: usize = 100;

/// Workbooks asked for per page of a fields query, at first (halved on node limits).
pub const FIELDS_PAGE_SIZE: u32 = 25;

/// The most columns kept of one workbook, so that one odd workbook cannot swell the
/// snapshot without bound: at about 200 bytes of JSON a column, a workbook stays well
/// inside a store record of a few hundred kilobytes (DynamoDB's item limit is 400 KB).
const MAX_COLUMNS_PER_WORKBOOK: usize = 1_000;

const TABLE_FIELDS: &str = "__typename id name ... on DatabaseTable { fullName schema connectionType database { name connectionType } }";

fn field_selection() -> String {
    format!(
        "__typename id name
          ... on ColumnField {{ upstreamColumns {{ name remoteType table {{ {TABLE_FIELDS} }} }} }}
          ... on CalculatedField {{ formula fields {{ id }} }}
          ... on DatasourceField {{ remoteField {{ id }} }}"
    )
}

fn fields_query() -> String {
    let field = field_selection();
    format!(
        "query WorkbookFields($first: Int, $after: String, $luids: [String]) {{
  workbooksConnection(first: $first, after: $after,
                      filter: {{luidWithin: $luids}},
                      orderBy: {{field: ID, direction: ASC}}) {{
    totalCount
    pageInfo {{ hasNextPage endCursor }}
    nodes {{
      luid
      embeddedDatasources {{
        fields {{ {field} }}
        upstreamDatasources {{ fields {{ {field} }} }}
      }}
    }}
  }}
}}"
    )
}

/// The columns each asked-for workbook's fields read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkbookColumns {
    /// By workbook LUID: the columns, sorted, each once. A workbook Tableau did not return
    /// (deleted meanwhile, or hidden) is absent.
    pub columns: BTreeMap<String, Vec<FieldColumn>>,
    /// Columns Tableau hid from the signed-in user (`name: null`), over all workbooks.
    pub hidden: usize,
    /// Metadata API pages fetched.
    pub pages: usize,
}

#[derive(Deserialize)]
struct FieldsResponse {
    #[serde(default)]
    data: Option<FieldsData>,
    #[serde(default)]
    errors: Option<Vec<GraphQlError>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FieldsData {
    #[serde(default)]
    workbooks_connection: Option<FieldsConnection>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FieldsConnection {
    #[serde(default)]
    nodes: Vec<Option<WorkbookFieldsNode>>,
    #[serde(default)]
    page_info: PageInfo,
    #[serde(default)]
    total_count: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WorkbookFieldsNode {
    #[serde(default)]
    luid: Option<String>,
    #[serde(default)]
    embedded_datasources: Option<Vec<Option<EmbeddedFieldsNode>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EmbeddedFieldsNode {
    #[serde(default)]
    fields: Option<Vec<Option<FieldNode>>>,
    #[serde(default)]
    upstream_datasources: Option<Vec<Option<PublishedFieldsNode>>>,
}

#[derive(Deserialize)]
struct PublishedFieldsNode {
    #[serde(default)]
    fields: Option<Vec<Option<FieldNode>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FieldNode {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    upstream_columns: Option<Vec<Option<ColumnNode>>>,
    #[serde(default)]
    fields: Option<Vec<Option<IdNode>>>,
    #[serde(default)]
    remote_field: Option<IdNode>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ColumnNode {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    remote_type: Option<String>,
    #[serde(default)]
    table: Option<TableNode>,
}

#[derive(Deserialize)]
struct IdNode {
    #[serde(default)]
    id: Option<String>,
}

/// One workbook of a page: its LUID, the columns it reads, and how many Tableau hid.
struct WorkbookRead {
    luid: String,
    columns: Vec<FieldColumn>,
    hidden: usize,
}

impl ConnectionResponse for FieldsResponse {
    type Node = WorkbookRead;

    fn into_parts(self) -> PageParts<WorkbookRead> {
        let connection = self.data.and_then(|d| d.workbooks_connection).map(|c| {
            let nodes = c
                .nodes
                .into_iter()
                .flatten()
                .filter_map(WorkbookFieldsNode::into_read)
                .collect();
            (nodes, c.page_info, c.total_count)
        });
        PageParts {
            errors: self.errors.unwrap_or_default(),
            connection,
        }
    }
}

impl WorkbookFieldsNode {
    fn into_read(self) -> Option<WorkbookRead> {
        let luid = self.luid.filter(|l| !l.is_empty())?;
        let mut read = ColumnsOfWorkbook::default();
        for embedded in flatten(self.embedded_datasources) {
            read.add_datasource(embedded);
        }
        Some(read.finish(luid))
    }
}

/// The columns of one workbook as its data sources are read, each once.
#[derive(Default)]
struct ColumnsOfWorkbook {
    seen: HashSet<FieldColumn>,
    columns: Vec<FieldColumn>,
    hidden: usize,
}

impl ColumnsOfWorkbook {
    /// Adds what the fields of one embedded data source read: its own fields are the
    /// roots; the published data sources' fields are there to be reached from them.
    fn add_datasource(&mut self, embedded: EmbeddedFieldsNode) {
        let roots: Vec<FieldNode> = flatten(embedded.fields).collect();
        let published: Vec<FieldNode> = flatten(embedded.upstream_datasources)
            .flat_map(|d| flatten(d.fields))
            .collect();
        let mut by_id: HashMap<&str, &FieldNode> = HashMap::new();
        for field in roots.iter().chain(&published) {
            if let Some(id) = field.id.as_deref() {
                by_id.entry(id).or_insert(field);
            }
        }
        let mut visited: HashSet<*const FieldNode> = HashSet::new();
        let mut stack: Vec<&FieldNode> = roots.iter().rev().collect();
        while let Some(field) = stack.pop() {
            if !visited.insert(field as *const FieldNode) {
                continue;
            }
            for id in field.reads() {
                stack.extend(by_id.get(id).copied());
            }
            for column in flatten_ref(&field.upstream_columns) {
                self.add_column(column);
            }
        }
    }

    fn add_column(&mut self, column: &ColumnNode) {
        let Some(name) = column.name.as_deref().filter(|n| !n.trim().is_empty()) else {
            self.hidden += 1;
            return;
        };
        if self.columns.len() >= MAX_COLUMNS_PER_WORKBOOK {
            return;
        }
        let read = FieldColumn {
            table: column
                .table
                .clone()
                .map(TableNode::into_table)
                .unwrap_or_default(),
            name: Some(name.to_string()),
            remote_type: column.remote_type.clone(),
        };
        if self.seen.insert(read.clone()) {
            self.columns.push(read);
        }
    }

    fn finish(mut self, luid: String) -> WorkbookRead {
        self.columns.sort_by(|a, b| {
            let key = |c: &FieldColumn| {
                (
                    c.table.database.clone(),
                    c.table.schema.clone(),
                    c.table.name.clone(),
                    c.name.clone(),
                )
            };
            key(a).cmp(&key(b))
        });
        WorkbookRead {
            luid,
            columns: self.columns,
            hidden: self.hidden,
        }
    }
}

fn flatten_ref<T>(list: &Option<Vec<Option<T>>>) -> impl Iterator<Item = &T> {
    list.iter().flatten().flatten()
}

impl FieldNode {
    /// The ids of the fields this one reads: a calculated field's formula fields, a
    /// published field's stand-in's remote field.
    fn reads(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = flatten_ref(&self.fields)
            .filter_map(|f| f.id.as_deref())
            .collect();
        ids.extend(self.remote_field.as_ref().and_then(|f| f.id.as_deref()));
        ids
    }
}

impl Session {
    /// The columns the fields of each of these workbooks read, by workbook LUID. Asked for
    /// [`LUIDS_PER_FIELDS_QUERY`] workbooks at a time (the batches run side by side,
    /// within the client's in-flight limit); complete or an error.
    pub async fn workbook_columns(
        &self,
        workbook_luids: &[String],
    ) -> Result<WorkbookColumns, TableauError> {
        let mut luids: Vec<String> = workbook_luids.to_vec();
        luids.sort();
        luids.dedup();
        let mut tasks = tokio::task::JoinSet::new();
        for batch in luids.chunks(LUIDS_PER_FIELDS_QUERY) {
            let session = self.clone();
            let batch = batch.to_vec();
            tasks.spawn(async move { session.columns_of_batch(batch).await });
        }
        let mut out = WorkbookColumns::default();
        while let Some(joined) = tasks.join_next().await {
            let (pages, reads) = joined_result(joined)?;
            out.pages += pages;
            for read in reads {
                out.hidden += read.hidden;
                out.columns.entry(read.luid).or_insert(read.columns);
            }
        }
        tracing::info!(
            workbooks = out.columns.len(),
            pages = out.pages,
            hidden = out.hidden,
            "read the columns of matched Tableau workbooks"
        );
        Ok(out)
    }

    async fn columns_of_batch(
        &self,
        luids: Vec<String>,
    ) -> Result<(usize, Vec<WorkbookRead>), TableauError> {
        let mut filter = Map::new();
        filter.insert("luids".into(), json!(luids));
        let first = FIELDS_PAGE_SIZE.min(self.client().options().page_size.max(1));
        let mut reads = Vec::new();
        let (pages, _) = self
            .pages_sized::<FieldsResponse>(
                "workbook fields",
                &fields_query(),
                filter,
                first,
                None,
                |page, _| reads.extend(page),
                |_| true,
            )
            .await?;
        Ok((pages, reads))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(body: &str) -> Vec<WorkbookRead> {
        let parts = serde_json::from_str::<FieldsResponse>(body)
            .expect("decodes")
            .into_parts();
        parts.connection.expect("has data").0
    }

    #[test]
    fn calculated_and_published_fields_resolve_to_the_columns_they_read() {
        let body = r#"{"data": {"workbooksConnection": {"totalCount": 1,
          "pageInfo": {"hasNextPage": false, "endCursor": null},
          "nodes": [{"luid": "wb-1", "embeddedDatasources": [{
            "fields": [
              {"__typename": "CalculatedField", "id": "calc", "name": "AOV", "formula": "SUM([Amount])", "fields": [{"id": "proxy-amount"}]},
              {"__typename": "DatasourceField", "id": "proxy-amount", "name": "Amount", "remoteField": {"id": "pub-amount"}},
              {"__typename": "CalculatedField", "id": "loop", "name": "Loop", "formula": "[Loop]", "fields": [{"id": "loop"}]}
            ],
            "upstreamDatasources": [{"fields": [
              {"__typename": "ColumnField", "id": "pub-amount", "name": "Amount", "upstreamColumns": [
                {"name": "AMOUNT", "remoteType": "R8", "table": {"__typename": "DatabaseTable", "id": "t1", "name": "ORDERS", "schema": "PROD", "database": {"name": "ANALYTICS"}}}]},
              {"__typename": "ColumnField", "id": "pub-secret", "name": "Secret", "upstreamColumns": [
                {"name": null, "remoteType": "WSTR", "table": {"__typename": "DatabaseTable", "id": "t1", "name": "ORDERS"}}]}
            ]}]
          }]}]}}}"#;
        let reads = read(body);
        assert_eq!(reads.len(), 1);
        let columns = &reads[0].columns;
        assert_eq!(columns.len(), 1, "{columns:?}");
        assert_eq!(columns[0].name.as_deref(), Some("AMOUNT"));
        assert_eq!(columns[0].table.name.as_deref(), Some("ORDERS"));
        assert_eq!(columns[0].table.database.as_deref(), Some("ANALYTICS"));
        // The published data source's unused field is not reached from the workbook's
        // fields, so its hidden column is not counted either.
        assert_eq!(reads[0].hidden, 0);
    }

    #[test]
    fn hidden_columns_are_counted_and_repeats_kept_once() {
        let column = r#"{"name": "ID", "remoteType": "I8", "table": {"__typename": "DatabaseTable", "id": "t1", "name": "ORDERS"}}"#;
        let body = format!(
            r#"{{"data": {{"workbooksConnection": {{"pageInfo": {{"hasNextPage": false}},
              "nodes": [{{"luid": "wb-1", "embeddedDatasources": [{{"fields": [
                {{"__typename": "ColumnField", "id": "a", "upstreamColumns": [{column}, {{"name": null, "table": null}}]}},
                {{"__typename": "ColumnField", "id": "b", "upstreamColumns": [{column}]}}
              ]}}]}}, null, {{"luid": null}}]}}}}}}"#
        );
        let reads = read(&body);
        assert_eq!(reads.len(), 1);
        assert_eq!(reads[0].columns.len(), 1);
        assert_eq!(reads[0].hidden, 1);
    }

    #[test]
    fn query_asks_for_every_kind_of_field_by_luid() {
        let query = fields_query();
        for part in [
            "luidWithin: $luids",
            "... on ColumnField",
            "upstreamColumns",
            "remoteType",
            "... on CalculatedField",
            "formula",
            "... on DatasourceField",
            "remoteField",
            "upstreamDatasources",
        ] {
            assert!(query.contains(part), "query lacks {part}");
        }
    }
}
