//! The Tableau Metadata API's workbook shapes on the wire, as JSON, and their conversion to
//! the domain's BI-neutral [`Workbook`].
//!
//! Accepted by [`parse_workbooks_response`]: the response of the GraphiQL query in dbt's
//! troubleshooting guide (`{"data":{"workbooks":[...]}}`), the paged `workbooksConnection`
//! form, a bare `data` object, and a JSON array of such pages (a saved multi-page listing).
//! The client decodes its live pages with the same [`WorkbookNode`] type, so both paths agree.

use autoexpose_domain::printable::printable;
use autoexpose_domain::{CustomSql, DatasourceRef, Owner, ProjectRef, UpstreamTable, Workbook};
use serde::Deserialize;
use thiserror::Error;

/// A GraphQL error or warning as Tableau reports it.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub(crate) struct GraphQlError {
    /// Human-readable message.
    #[serde(default)]
    pub(crate) message: String,
    /// Tableau's `extensions` (`severity`, `code`); may be null.
    #[serde(default)]
    pub(crate) extensions: Option<GraphQlErrorExtensions>,
}

/// Tableau's `extensions` block on a GraphQL error.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub(crate) struct GraphQlErrorExtensions {
    /// `WARNING` or `ERROR`.
    #[serde(default)]
    pub(crate) severity: Option<String>,
    /// e.g. `NODE_LIMIT_EXCEEDED`, `FEATURE_DISABLED`.
    #[serde(default)]
    pub(crate) code: Option<String>,
}

impl GraphQlError {
    /// The error's code, if Tableau gave one.
    pub(crate) fn code(&self) -> Option<&str> {
        self.extensions.as_ref()?.code.as_deref()
    }

    /// `message (CODE)` for error texts.
    pub(crate) fn describe(&self) -> String {
        match self.code() {
            Some(code) => format!("{} ({code})", self.message),
            None => self.message.clone(),
        }
    }
}

/// `pageInfo` of a connection.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PageInfo {
    /// Whether another page follows.
    #[serde(default)]
    pub(crate) has_next_page: bool,
    /// Cursor to pass as `after` for the next page.
    #[serde(default)]
    pub(crate) end_cursor: Option<String>,
}

/// A `workbooksConnection` page.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WorkbooksConnection {
    /// The workbooks of this page.
    #[serde(default)]
    pub(crate) nodes: Vec<Option<WorkbookNode>>,
    /// Paging state.
    #[serde(default)]
    pub(crate) page_info: PageInfo,
    /// Size of the whole filtered set.
    #[serde(default)]
    pub(crate) total_count: Option<u64>,
}

/// The `data` object of a workbooks query.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WorkbooksData {
    /// Plain list form (`workbooks { ... }`).
    #[serde(default)]
    pub(crate) workbooks: Option<Vec<Option<WorkbookNode>>>,
    /// Paged form (`workbooksConnection { nodes ... }`).
    #[serde(default)]
    pub(crate) workbooks_connection: Option<WorkbooksConnection>,
}

/// A whole GraphQL response to a workbooks query.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct WorkbooksResponse {
    /// `data`; null when the query failed.
    #[serde(default)]
    pub(crate) data: Option<WorkbooksData>,
    /// Errors and warnings.
    #[serde(default)]
    pub(crate) errors: Option<Vec<GraphQlError>>,
}

/// A workbook node with the fields autoexpose asks for; every field is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WorkbookNode {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    luid: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    uri: Option<String>,
    #[serde(default)]
    vizportal_url_id: Option<String>,
    #[serde(default)]
    project_name: Option<String>,
    #[serde(default)]
    project_luid: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    updated_at: Option<String>,
    #[serde(default)]
    owner: Option<OwnerNode>,
    #[serde(default)]
    upstream_tables: Option<Vec<Option<TableNode>>>,
    #[serde(default)]
    embedded_datasources: Option<Vec<Option<EmbeddedDatasourceNode>>>,
    #[serde(default)]
    upstream_datasources: Option<Vec<Option<PublishedDatasourceNode>>>,
    #[serde(default)]
    upstream_virtual_connection_tables: Option<Vec<Option<VirtualTableNode>>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct OwnerNode {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

/// A `DatabaseTable` (or `CustomSQLTable`) node.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TableNode {
    #[serde(default, rename = "__typename")]
    typename: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    luid: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    full_name: Option<String>,
    #[serde(default)]
    schema: Option<String>,
    #[serde(default)]
    connection_type: Option<String>,
    #[serde(default)]
    database: Option<DatabaseNode>,
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    tables: Option<Vec<Option<TableNode>>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DatabaseNode {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    connection_type: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EmbeddedDatasourceNode {
    #[serde(default)]
    has_extracts: Option<bool>,
    #[serde(default)]
    upstream_tables: Option<Vec<Option<TableNode>>>,
    #[serde(default)]
    upstream_datasources: Option<Vec<Option<PublishedDatasourceNode>>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PublishedDatasourceNode {
    #[serde(default)]
    luid: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    has_extracts: Option<bool>,
    #[serde(default)]
    upstream_tables: Option<Vec<Option<TableNode>>>,
    /// Published data sources this one is built on.
    #[serde(default)]
    upstream_datasources: Option<Vec<Option<PublishedDatasourceNode>>>,
    #[serde(default)]
    upstream_virtual_connection_tables: Option<Vec<Option<VirtualTableNode>>>,
}

/// A `VirtualConnectionTable`: a table of a virtual connection, with the database tables
/// it reads.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VirtualTableNode {
    #[serde(default)]
    upstream_tables: Option<Vec<Option<TableNode>>>,
}

/// The present items of a GraphQL list that may itself be null and hold nulls.
pub(crate) fn flatten<T>(list: Option<Vec<Option<T>>>) -> impl Iterator<Item = T> {
    list.into_iter().flatten().flatten()
}

impl TableNode {
    /// The domain's table of this node.
    pub(crate) fn into_table(self) -> UpstreamTable {
        let connection_type = self
            .connection_type
            .or_else(|| self.database.as_ref()?.connection_type.clone());
        UpstreamTable {
            id: self.id,
            // Tableau sends `""` for a table it has not catalogued; that is no LUID.
            luid: self.luid.filter(|l| !l.trim().is_empty()),
            database: self.database.and_then(|d| d.name),
            schema: self.schema,
            name: self.name,
            full_name: self.full_name,
            connection_type,
        }
    }

    fn is_custom_sql(&self) -> bool {
        self.typename.as_deref() == Some("CustomSQLTable") || self.query.is_some()
    }

    /// Converts a `CustomSQLTable` node into the domain [`CustomSql`].
    pub(crate) fn into_custom_sql(self) -> CustomSql {
        let tables = flatten(self.tables).map(TableNode::into_table).collect();
        let connection_type = self
            .connection_type
            .or_else(|| self.database.as_ref()?.connection_type.clone());
        CustomSql {
            id: self.id,
            query: self.query.unwrap_or_default(),
            database: self.database.and_then(|d| d.name),
            connection_type,
            tables,
        }
    }
}

/// Collects tables into a workbook, deduplicated by id (or by name when ids are missing).
#[derive(Default)]
struct TableSink {
    tables: Vec<UpstreamTable>,
    custom_sql: Vec<CustomSql>,
}

impl TableSink {
    fn add(&mut self, node: TableNode) {
        if node.is_custom_sql() {
            let sql = node.into_custom_sql();
            if !self
                .custom_sql
                .iter()
                .any(|s| s.id.is_some() && s.id == sql.id)
            {
                self.custom_sql.push(sql);
            }
            return;
        }
        let table = node.into_table();
        let duplicate = self.tables.iter().any(|t| match (&t.id, &table.id) {
            (Some(a), Some(b)) => a == b,
            _ => t.database == table.database && t.schema == table.schema && t.name == table.name,
        });
        if !duplicate {
            self.tables.push(table);
        }
    }
}

/// Adds the tables a published data source reaches: its own, those of its virtual
/// connection tables, and those of the published data sources it is built on (at any depth
/// the response holds). Only the data source the workbook uses is recorded in
/// `datasources`; the ones it is built on are refreshed on their own schedules.
fn add_published(
    ds: PublishedDatasourceNode,
    sink: &mut TableSink,
    datasources: &mut Vec<DatasourceRef>,
) {
    add_published_tables(
        ds.upstream_tables,
        ds.upstream_virtual_connection_tables,
        ds.upstream_datasources,
        sink,
    );
    if let Some(luid) = ds.luid
        && !datasources.iter().any(|d| d.luid == luid)
    {
        datasources.push(DatasourceRef {
            luid,
            name: ds.name.unwrap_or_default(),
            has_extracts: ds.has_extracts.unwrap_or(false),
        });
    }
}

fn add_published_tables(
    tables: Option<Vec<Option<TableNode>>>,
    virtual_tables: Option<Vec<Option<VirtualTableNode>>>,
    upstream: Option<Vec<Option<PublishedDatasourceNode>>>,
    sink: &mut TableSink,
) {
    for table in flatten(tables) {
        sink.add(table);
    }
    for virtual_table in flatten(virtual_tables) {
        add_virtual_table(virtual_table, sink);
    }
    for ds in flatten(upstream) {
        add_published_tables(
            ds.upstream_tables,
            ds.upstream_virtual_connection_tables,
            ds.upstream_datasources,
            sink,
        );
    }
}

/// Adds the database tables a virtual connection table reads.
fn add_virtual_table(virtual_table: VirtualTableNode, sink: &mut TableSink) {
    for table in flatten(virtual_table.upstream_tables) {
        sink.add(table);
    }
}

impl WorkbookNode {
    /// Converts the wire node into the domain [`Workbook`], gathering tables reached
    /// directly, through embedded data sources, through published data sources (and the
    /// ones they are built on) and through virtual connection tables, each table once.
    pub(crate) fn into_workbook(self) -> Workbook {
        let mut sink = TableSink::default();
        let mut datasources: Vec<DatasourceRef> = Vec::new();
        let mut has_embedded_extracts = false;
        for table in flatten(self.upstream_tables) {
            sink.add(table);
        }
        for embedded in flatten(self.embedded_datasources) {
            let proxies: Vec<_> = flatten(embedded.upstream_datasources).collect();
            // An embedded source that proxies a published one is refreshed through that one.
            if embedded.has_extracts.unwrap_or(false) && proxies.is_empty() {
                has_embedded_extracts = true;
            }
            for table in flatten(embedded.upstream_tables) {
                sink.add(table);
            }
            for ds in proxies {
                add_published(ds, &mut sink, &mut datasources);
            }
        }
        for ds in flatten(self.upstream_datasources) {
            add_published(ds, &mut sink, &mut datasources);
        }
        for virtual_table in flatten(self.upstream_virtual_connection_tables) {
            add_virtual_table(virtual_table, &mut sink);
        }
        let owner = self.owner.and_then(|o| {
            let name = o.name.or(o.username);
            (name.is_some() || o.email.is_some()).then_some(Owner {
                name,
                email: o.email,
            })
        });
        let luid = self.luid.unwrap_or_default();
        Workbook {
            id: self.id.unwrap_or_default(),
            name: self.name.unwrap_or_else(|| luid.clone()),
            luid,
            project: ProjectRef {
                name: self.project_name.unwrap_or_default(),
                luid: self.project_luid,
            },
            owner,
            description: self.description.filter(|d| !d.trim().is_empty()),
            // The numeric id of browser URLs; the Metadata API `uri` ends in it when the
            // id itself is missing (see `TableauSite::workbook_url`).
            url_id: self
                .vizportal_url_id
                .filter(|id| !id.is_empty())
                .or(self.uri),
            created_at: self.created_at,
            updated_at: self.updated_at,
            tables: sink.tables,
            custom_sql: sink.custom_sql,
            datasources,
            has_embedded_extracts,
            usage: None,
            // Fetched apart, for matched workbooks only (`Session::workbook_columns`).
            columns: Vec::new(),
            columns_fetched: false,
        }
    }
}

/// Reads the workbooks out of a saved Metadata API response.
///
/// GraphQL warnings that come with data are tolerated (the data is used); errors with no
/// data are an error that quotes Tableau's messages. The document is decoded straight into
/// typed pages, never into a generic tree.
pub fn parse_workbooks_response(bytes: &[u8]) -> Result<Vec<Workbook>, TableauResponseError> {
    let text = std::str::from_utf8(bytes).map_err(|e| TableauResponseError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    let pages = if text.trim_start().starts_with('[') {
        serde_json::from_str::<Vec<WorkbooksResponse>>(text)
    } else {
        serde_json::from_str::<WorkbooksResponse>(text).map(|page| vec![page])
    }
    .map_err(TableauResponseError::from_json)?;
    let mut workbooks = Vec::new();
    for page in pages {
        workbooks.extend(page_workbooks(page)?);
    }
    Ok(workbooks)
}

/// The workbooks of one response page, or the page's errors when it has no data.
fn page_workbooks(page: WorkbooksResponse) -> Result<Vec<Workbook>, TableauResponseError> {
    let errors = page.errors.unwrap_or_default();
    let Some(data) = page.data else {
        if errors.is_empty() {
            return Err(TableauResponseError::Shape(
                "neither `data` nor `errors` is present".into(),
            ));
        }
        let messages: Vec<String> = errors.iter().map(GraphQlError::describe).collect();
        return Err(TableauResponseError::GraphQl(messages.join("; ")));
    };
    let nodes = match (data.workbooks, data.workbooks_connection) {
        (Some(list), _) => list,
        (None, Some(connection)) => connection.nodes,
        (None, None) => {
            return Err(TableauResponseError::Shape(
                "`data` has neither `workbooks` nor `workbooksConnection`".into(),
            ));
        }
    };
    Ok(nodes
        .into_iter()
        .flatten()
        .map(WorkbookNode::into_workbook)
        .collect())
}

/// A Tableau Metadata API response that cannot be used.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TableauResponseError {
    /// The file is not UTF-8 text.
    #[error("the Tableau response is not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// The file is empty.
    #[error("the Tableau response is empty")]
    Empty,
    /// The JSON ends before the document does.
    #[error(
        "the Tableau response ends early at line {line}, column {column}: the file looks truncated"
    )]
    Truncated {
        /// Line of the end.
        line: usize,
        /// Column of the end.
        column: usize,
    },
    /// The text is not valid JSON.
    #[error("the Tableau response is not valid JSON: {}", printable(.0))]
    NotJson(String),
    /// The JSON is not a Metadata API workbooks response.
    #[error(
        "the Tableau response does not have the shape of a Metadata API workbooks query: {}",
        printable(.0)
    )]
    Shape(String),
    /// Tableau answered with GraphQL errors and no data.
    #[error("Tableau's Metadata API returned errors and no data: {}", printable(.0))]
    GraphQl(String),
}

impl TableauResponseError {
    pub(crate) fn from_json(err: serde_json::Error) -> TableauResponseError {
        use serde_json::error::Category;
        match err.classify() {
            Category::Eof if err.line() <= 1 && err.column() == 0 => TableauResponseError::Empty,
            Category::Eof => TableauResponseError::Truncated {
                line: err.line(),
                column: err.column(),
            },
            Category::Syntax => TableauResponseError::NotJson(err.to_string()),
            Category::Data | Category::Io => TableauResponseError::Shape(err.to_string()),
        }
    }
}
