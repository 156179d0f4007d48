//! The Metadata API's GraphQL schema, with Tableau's own type and field names.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use async_graphql::{
    Context, EmptyMutation, EmptySubscription, Enum, ErrorExtensions, ID, InputObject, Object,
    Schema, SimpleObject,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

use crate::data::{CustomSqlSpec, DatasourceSpec, TableSpec, WorkbookSpec};
use crate::state::{Site, lock};
use crate::util::{derived_luid, table_luid};

mod fields;
use fields::{ColumnObj, FieldObj, FieldOwner, columns_of_table, fields_of, proxy_fields_of};
mod lineage;
use lineage::{VirtualTableObj, datasources_of, virtual_tables_of};

/// The executable schema.
pub(crate) type SimSchema = Schema<QueryRoot, EmptyMutation, EmptySubscription>;

/// Builds the schema once per simulator.
pub(crate) fn build_schema() -> SimSchema {
    Schema::build(QueryRoot, EmptyMutation, EmptySubscription).finish()
}

/// Warnings and errors a query collects on the way, appended to the response.
#[derive(Debug, Default)]
pub(crate) struct QueryNotes {
    pub(crate) errors: Mutex<Vec<Value>>,
    pub(crate) timeout_above_first: Option<usize>,
}

impl QueryNotes {
    fn push(&self, error: Value) {
        lock(&self.errors).push(error);
    }
}

const MAX_PAGE_SIZE: usize = 1000;
const DEFAULT_PAGE_SIZE: usize = 100;

fn invalid_argument(message: impl Into<String>) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, e| {
        e.set("severity", "ERROR");
        e.set("code", "INVALID_ARGUMENT");
    })
}

// ---------------------------------------------------------------------------------------
// Paging

/// `first` / `after` / `offset` as a connection field receives them.
struct PageArgs {
    first: Option<i32>,
    after: Option<String>,
    offset: Option<i32>,
}

/// One item to page: its sort value, its id (tie-break and cursor), and the node.
struct Keyed<T> {
    value: String,
    id: String,
    node: T,
}

/// `pageInfo` of a connection.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(name = "PageInfo")]
pub(crate) struct PageInfo {
    has_next_page: bool,
    has_previous_page: bool,
    start_cursor: Option<String>,
    end_cursor: Option<String>,
}

fn encode_cursor(type_name: &str, scope: &str, value: &str, id: &str) -> String {
    let json = json!({"type": type_name, "scope": scope, "sortOrderValue": {"lastValue": value, "lastId": id}});
    BASE64.encode(json.to_string())
}

fn decode_cursor(
    type_name: &str,
    scope: &str,
    cursor: &str,
) -> async_graphql::Result<(String, String)> {
    let bad = || invalid_argument(format!("Cursor '{cursor}' is not valid for this query."));
    let bytes = BASE64.decode(cursor.trim()).map_err(|_| bad())?;
    let json: Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if json["type"] != type_name || json["scope"] != scope {
        return Err(bad());
    }
    let order = &json["sortOrderValue"];
    match (order["lastValue"].as_str(), order["lastId"].as_str()) {
        (Some(value), Some(id)) => Ok((value.to_string(), id.to_string())),
        _ => Err(bad()),
    }
}

/// `first` as Tableau applies it: 100 when absent, cut to the largest page size and to the
/// time-limit fault, with the warnings those cuts add; `after` with `offset` is refused.
fn page_size(ctx: &Context<'_>, args: &PageArgs) -> async_graphql::Result<usize> {
    let notes = ctx.data::<Arc<QueryNotes>>()?;
    if args.after.is_some() && args.offset.is_some() {
        return Err(invalid_argument(
            "Cannot use both 'after' and 'offset' for pagination.",
        ));
    }
    let mut first = match args.first {
        None => DEFAULT_PAGE_SIZE,
        Some(n) if n < 0 => return Err(invalid_argument("'first' must not be negative.")),
        Some(n) => n as usize,
    };
    if first > MAX_PAGE_SIZE {
        notes.push(json!({
            "message": format!("The requested page size {first} exceeds the maximum page size of {MAX_PAGE_SIZE}; {MAX_PAGE_SIZE} is used."),
            "extensions": {"severity": "WARNING", "code": "MAX_PAGE_SIZE_EXCEEDED", "properties": {"maxPageSize": MAX_PAGE_SIZE}}
        }));
        first = MAX_PAGE_SIZE;
    }
    if let Some(limit) = notes.timeout_above_first
        && first > limit
    {
        notes.push(json!({"message": "Reached time limit of PT5S for query execution.", "path": null, "extensions": null}));
        first = limit;
    }
    Ok(first)
}

/// Sorts, then cuts one page out of `items` as Tableau does.
fn paginate<T>(
    ctx: &Context<'_>,
    type_name: &str,
    site: &Site,
    mut items: Vec<Keyed<T>>,
    descending: bool,
    args: PageArgs,
) -> async_graphql::Result<(Vec<T>, PageInfo, i32)> {
    let scope = format!("sites/{}", site.spec.site_number);
    let first = page_size(ctx, &args)?;
    items.sort_by(|a, b| (&a.value, &a.id).cmp(&(&b.value, &b.id)));
    if descending {
        items.reverse();
    }
    let total = items.len();
    let start = match (&args.after, args.offset) {
        (Some(cursor), _) => {
            let (value, id) = decode_cursor(type_name, &scope, cursor)?;
            let key = (value.as_str(), id.as_str());
            items.partition_point(|k| {
                let item = (k.value.as_str(), k.id.as_str());
                if descending { item >= key } else { item <= key }
            })
        }
        (None, Some(offset)) if offset < 0 => {
            return Err(invalid_argument("'offset' must not be negative."));
        }
        (None, Some(offset)) => (offset as usize).min(total),
        (None, None) => 0,
    };
    let end = start.saturating_add(first).min(total);
    let cursor_of = |k: &Keyed<T>| encode_cursor(type_name, &scope, &k.value, &k.id);
    let page_info = PageInfo {
        has_next_page: end < total,
        has_previous_page: start > 0,
        start_cursor: items.get(start).filter(|_| start < end).map(cursor_of),
        end_cursor: (end > start).then(|| cursor_of(&items[end - 1])),
    };
    let nodes = items.drain(start..end).map(|k| k.node).collect();
    Ok((nodes, page_info, total as i32))
}

/// The projects a workbook filter keeps, when that is all it says: `None` when the filter
/// asks for anything else (then [`paginate`] answers it), `Some(None)` for no filter.
fn only_project_luids(filter: &Option<WorkbookFilter>) -> Option<Option<HashSet<&str>>> {
    let Some(filter) = filter else {
        return Some(None);
    };
    let WorkbookFilter {
        id: None,
        id_within: None,
        luid: None,
        luid_within: None,
        name: None,
        name_within: None,
        project_name: None,
        project_name_within: None,
        project_luid: None,
        project_luid_within: Some(luids),
        vizportal_url_id: None,
        vizportal_url_id_within: None,
    } = filter
    else {
        return None;
    };
    Some(Some(luids.iter().flatten().map(String::as_str).collect()))
}

/// One page of workbooks in id order, cut from the site's id index: the work is the page
/// (and the workbooks of other projects skipped on the way), not the site. It answers
/// exactly as [`paginate`] would over the filtered, sorted site.
fn indexed_workbook_page(
    ctx: &Context<'_>,
    site: &Arc<Site>,
    projects: Option<HashSet<&str>>,
    descending: bool,
    args: PageArgs,
) -> async_graphql::Result<(Vec<WorkbookObj>, PageInfo, i32)> {
    let scope = format!("sites/{}", site.spec.site_number);
    let first = page_size(ctx, &args)?;
    let keeps = |index: usize| {
        projects
            .as_ref()
            .is_none_or(|p| p.contains(site.spec.workbooks[index].project_id.as_str()))
    };
    let total = match &projects {
        None => site.spec.workbooks.len(),
        Some(luids) => luids.iter().map(|l| site.workbooks_in_project(l)).sum(),
    };
    let order = site.workbooks_by_id();
    // Every workbook's sort value is "" in id order, as in `keyed_workbooks`.
    let key_of = |index: usize| ("", site.workbook_id(index));
    // `ahead`: the workbooks from the page's start on; `behind`: those before it, nearest
    // first. Both walk the index in place: nothing the size of the site is built.
    let (mut ahead, has_previous_page) = match (&args.after, args.offset) {
        (Some(cursor), _) => {
            let (value, id) = decode_cursor("Workbook", &scope, cursor)?;
            let cursor = (value.as_str(), id.as_str());
            let (ahead, mut behind) = if descending {
                let split = order.partition_point(|&i| key_of(i) < cursor);
                (walk(&order[..split], true), walk(&order[split..], false))
            } else {
                let split = order.partition_point(|&i| key_of(i) <= cursor);
                (walk(&order[split..], false), walk(&order[..split], true))
            };
            (ahead, behind.any(keeps))
        }
        (None, Some(offset)) if offset < 0 => {
            return Err(invalid_argument("'offset' must not be negative."));
        }
        (None, offset) => {
            let mut ahead = walk(order, descending);
            let skip = offset.unwrap_or(0) as usize;
            let skipped = ahead.by_ref().filter(|&i| keeps(i)).take(skip).count();
            (ahead, skipped > 0)
        }
    };
    let mut page = Vec::with_capacity(first.min(total));
    page.extend(ahead.by_ref().filter(|&i| keeps(i)).take(first));
    let has_next_page = ahead.any(keeps);
    let cursor_of = |index: usize| {
        let (value, id) = key_of(index);
        encode_cursor("Workbook", &scope, value, id)
    };
    let page_info = PageInfo {
        has_next_page,
        has_previous_page,
        start_cursor: page.first().map(|&i| cursor_of(i)),
        end_cursor: page.last().map(|&i| cursor_of(i)),
    };
    let nodes = page
        .into_iter()
        .map(|index| WorkbookObj {
            site: site.clone(),
            index,
        })
        .collect();
    Ok((nodes, page_info, total as i32))
}

/// The site's workbook indices in id order, or in reverse.
fn walk(order: &[usize], descending: bool) -> Box<dyn Iterator<Item = usize> + '_> {
    if descending {
        Box::new(order.iter().rev().copied())
    } else {
        Box::new(order.iter().copied())
    }
}

fn within(list: &Option<Vec<Option<String>>>, value: &str) -> bool {
    match list {
        None => true,
        Some(items) => items.iter().flatten().any(|v| v == value),
    }
}

fn equals(expected: &Option<String>, value: &str) -> bool {
    expected.as_deref().is_none_or(|e| e == value)
}

// ---------------------------------------------------------------------------------------
// Node types

/// `Database` (a `DatabaseServer` in real Tableau).
#[derive(Clone)]
pub(crate) struct DatabaseObj {
    /// `None` where the Metadata API obfuscates it.
    name: Option<String>,
    connection_type: String,
}

#[Object(name = "Database")]
impl DatabaseObj {
    async fn id(&self) -> ID {
        ID(derived_luid(&format!(
            "database:{}:{}",
            self.connection_type,
            self.name.as_deref().unwrap_or_default()
        )))
    }
    async fn luid(&self) -> String {
        derived_luid(&format!(
            "database-luid:{}:{}",
            self.connection_type,
            self.name.as_deref().unwrap_or_default()
        ))
    }
    async fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    async fn connection_type(&self) -> &str {
        &self.connection_type
    }
    async fn is_embedded(&self) -> bool {
        false
    }
}

/// `TableauUser`.
#[derive(Clone)]
pub(crate) struct UserObj {
    site: Arc<Site>,
    index: usize,
}

#[Object(name = "TableauUser")]
impl UserObj {
    async fn id(&self) -> ID {
        ID(derived_luid(&format!("user:{}", self.spec().id)))
    }
    async fn luid(&self) -> &str {
        &self.spec().id
    }
    async fn name(&self) -> &str {
        &self.spec().name
    }
    async fn username(&self) -> &str {
        &self.spec().username
    }
    async fn email(&self) -> &str {
        &self.spec().email
    }
}

impl UserObj {
    fn spec(&self) -> &crate::data::UserSpec {
        &self.site.spec.users[self.index]
    }
}

/// `TableauSite`.
pub(crate) struct SiteObj {
    site: Arc<Site>,
}

#[Object(name = "TableauSite")]
impl SiteObj {
    async fn id(&self) -> ID {
        ID(derived_luid(&format!("site:{}", self.site.spec.id)))
    }
    async fn luid(&self) -> &str {
        &self.site.spec.id
    }
    async fn name(&self) -> &str {
        &self.site.spec.name
    }
    async fn uri(&self) -> String {
        format!("sites/{}", self.site.spec.site_number)
    }
}

/// `DatabaseTable`.
#[derive(Clone)]
pub(crate) struct TableObj {
    site: Arc<Site>,
    index: usize,
}

impl TableObj {
    fn spec(&self) -> &TableSpec {
        &self.site.spec.tables[self.index]
    }
}

fn full_name(table: &TableSpec) -> String {
    match &table.full_name {
        Some(full) => full.clone(),
        None if table.schema.is_empty() => format!("[{}]", table.name),
        None => format!("[{}].[{}]", table.schema, table.name),
    }
}

#[Object(name = "DatabaseTable")]
impl TableObj {
    async fn id(&self) -> ID {
        ID(self.spec().id.clone())
    }
    async fn luid(&self) -> String {
        table_luid(self.spec())
    }
    async fn name(&self) -> Option<&str> {
        (!self.spec().obfuscated).then_some(self.spec().name.as_str())
    }
    async fn full_name(&self) -> Option<String> {
        (!self.spec().obfuscated).then(|| full_name(self.spec()))
    }
    async fn schema(&self) -> Option<&str> {
        (!self.spec().obfuscated).then_some(self.spec().schema.as_str())
    }
    async fn connection_type(&self) -> &str {
        &self.spec().connection_type
    }
    async fn is_embedded(&self) -> bool {
        self.spec().is_embedded
    }
    async fn table_type(&self) -> &str {
        "DATABASETABLE"
    }
    async fn description(&self) -> &str {
        ""
    }
    async fn is_certified(&self) -> bool {
        false
    }
    async fn columns(&self) -> Vec<ColumnObj> {
        columns_of_table(&self.site, self.index)
    }
    async fn database(&self) -> Option<DatabaseObj> {
        let spec = self.spec();
        (!spec.database_null).then(|| DatabaseObj {
            name: (!spec.obfuscated).then(|| spec.database.clone()),
            connection_type: spec.connection_type.clone(),
        })
    }
    async fn downstream_workbooks(&self) -> Vec<WorkbookObj> {
        let id = &self.spec().id;
        let mut out = Vec::new();
        for (index, _) in self.site.spec.workbooks.iter().enumerate() {
            let wb = WorkbookObj {
                site: self.site.clone(),
                index,
            };
            if wb
                .table_indices()
                .iter()
                .any(|&t| self.site.spec.tables[t].id == *id)
            {
                out.push(wb);
            }
        }
        out
    }
}

/// Who holds a custom SQL table.
#[derive(Clone, Copy)]
enum SqlOwner {
    Workbook(usize),
    Datasource(usize),
}

/// `CustomSQLTable`.
#[derive(Clone)]
pub(crate) struct CustomSqlObj {
    site: Arc<Site>,
    owner: SqlOwner,
    index: usize,
}

impl CustomSqlObj {
    fn spec(&self) -> &CustomSqlSpec {
        match self.owner {
            SqlOwner::Workbook(w) => &self.site.spec.workbooks[w].custom_sql[self.index],
            SqlOwner::Datasource(d) => &self.site.spec.datasources[d].custom_sql[self.index],
        }
    }
}

#[Object(name = "CustomSQLTable")]
impl CustomSqlObj {
    async fn id(&self) -> ID {
        ID(self.spec().id.clone())
    }
    async fn name(&self) -> &str {
        "Custom SQL Query"
    }
    async fn query(&self) -> &str {
        &self.spec().query
    }
    async fn is_unsupported_custom_sql(&self) -> bool {
        self.spec().is_unsupported
    }
    async fn is_embedded(&self) -> bool {
        true
    }
    async fn connection_type(&self) -> &str {
        &self.spec().connection_type
    }
    async fn description(&self) -> &str {
        ""
    }
    async fn database(&self) -> DatabaseObj {
        DatabaseObj {
            name: Some(self.spec().database.clone()),
            connection_type: self.spec().connection_type.clone(),
        }
    }
    async fn tables(&self) -> Vec<TableObj> {
        tables_of(&self.site, &self.spec().table_ids)
    }
    async fn upstream_tables(&self) -> Vec<TableObj> {
        tables_of(&self.site, &self.spec().table_ids)
    }
    async fn downstream_workbooks(&self) -> Vec<WorkbookObj> {
        match self.owner {
            SqlOwner::Workbook(index) => vec![WorkbookObj {
                site: self.site.clone(),
                index,
            }],
            SqlOwner::Datasource(d) => {
                workbooks_using(&self.site, &self.site.spec.datasources[d].luid)
            }
        }
    }
    async fn downstream_datasources(&self) -> Vec<PublishedDatasourceObj> {
        match self.owner {
            SqlOwner::Workbook(_) => Vec::new(),
            SqlOwner::Datasource(index) => vec![PublishedDatasourceObj {
                site: self.site.clone(),
                index,
            }],
        }
    }
}

fn tables_of(site: &Arc<Site>, ids: &[String]) -> Vec<TableObj> {
    ids.iter()
        .filter_map(|id| site.table(id))
        .map(|index| TableObj {
            site: site.clone(),
            index,
        })
        .collect()
}

fn dedup_tables(site: &Arc<Site>, indices: Vec<usize>) -> Vec<TableObj> {
    let mut seen = HashSet::new();
    indices
        .into_iter()
        .filter(|i| seen.insert(*i))
        .map(|index| TableObj {
            site: site.clone(),
            index,
        })
        .collect()
}

fn databases_of(tables: &[TableObj]) -> Vec<DatabaseObj> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for table in tables {
        let spec = table.spec();
        if seen.insert((spec.connection_type.clone(), spec.database.clone())) {
            out.push(DatabaseObj {
                name: Some(spec.database.clone()),
                connection_type: spec.connection_type.clone(),
            });
        }
    }
    out
}

/// Table indices a data source reads, directly and through its custom SQL.
fn datasource_table_indices(site: &Site, ds: &DatasourceSpec) -> Vec<usize> {
    let mut out: Vec<usize> = ds
        .table_ids
        .iter()
        .filter_map(|id| site.table(id))
        .collect();
    for sql in &ds.custom_sql {
        out.extend(sql.table_ids.iter().filter_map(|id| site.table(id)));
    }
    out
}

fn workbooks_using(site: &Arc<Site>, datasource_luid: &str) -> Vec<WorkbookObj> {
    site.spec
        .workbooks
        .iter()
        .enumerate()
        .filter(|(_, wb)| wb.datasource_luids.iter().any(|l| l == datasource_luid))
        .map(|(index, _)| WorkbookObj {
            site: site.clone(),
            index,
        })
        .collect()
}

/// `PublishedDatasource`.
#[derive(Clone)]
pub(crate) struct PublishedDatasourceObj {
    site: Arc<Site>,
    index: usize,
}

impl PublishedDatasourceObj {
    fn spec(&self) -> &DatasourceSpec {
        &self.site.spec.datasources[self.index]
    }
    fn metadata_id(&self) -> String {
        self.spec()
            .id
            .clone()
            .unwrap_or_else(|| derived_luid(&format!("datasource:{}", self.spec().luid)))
    }
    fn project_name_of(&self) -> Option<String> {
        let project = self.site.project(&self.spec().project_id)?;
        Some(self.site.spec.projects[project].name.clone())
    }
}

#[Object(name = "PublishedDatasource")]
impl PublishedDatasourceObj {
    async fn id(&self) -> ID {
        ID(self.metadata_id())
    }
    async fn luid(&self) -> &str {
        &self.spec().luid
    }
    async fn name(&self) -> &str {
        &self.spec().name
    }
    async fn has_extracts(&self) -> bool {
        self.spec().has_extracts
    }
    async fn extract_last_refresh_time(&self) -> Option<String> {
        None
    }
    async fn project_name(&self) -> Option<String> {
        self.project_name_of()
    }
    async fn description(&self) -> &str {
        ""
    }
    async fn is_certified(&self) -> bool {
        false
    }
    async fn contains_unsupported_custom_sql(&self) -> bool {
        self.spec().custom_sql.iter().any(|s| s.is_unsupported)
    }
    async fn owner(&self) -> Option<UserObj> {
        let owner = self.spec().owner_id.as_deref()?;
        Some(UserObj {
            site: self.site.clone(),
            index: self.site.user(owner)?,
        })
    }
    async fn upstream_tables(&self) -> Vec<TableObj> {
        dedup_tables(
            &self.site,
            datasource_table_indices(&self.site, self.spec()),
        )
    }
    async fn upstream_databases(&self) -> Vec<DatabaseObj> {
        databases_of(&dedup_tables(
            &self.site,
            datasource_table_indices(&self.site, self.spec()),
        ))
    }
    async fn downstream_workbooks(&self) -> Vec<WorkbookObj> {
        workbooks_using(&self.site, &self.spec().luid)
    }
    /// Published data sources this one is built on.
    async fn upstream_datasources(&self) -> Vec<PublishedDatasourceObj> {
        datasources_of(&self.site, &self.spec().datasource_luids)
    }
    async fn fields(&self) -> Vec<FieldObj> {
        fields_of(&self.site, FieldOwner::Datasource(self.index))
    }
    async fn upstream_virtual_connection_tables(&self) -> Vec<VirtualTableObj> {
        virtual_tables_of(&self.site, &self.spec().virtual_table_luids)
    }
}

/// What an embedded data source stands for.
#[derive(Clone, Copy)]
enum EmbeddedKind {
    /// The workbook's own connections (tables, custom SQL, its extract).
    Direct,
    /// A proxy for the published data source with this index.
    Proxy(usize),
}

/// `EmbeddedDatasource`.
#[derive(Clone)]
pub(crate) struct EmbeddedDatasourceObj {
    site: Arc<Site>,
    workbook: usize,
    position: usize,
    kind: EmbeddedKind,
}

impl EmbeddedDatasourceObj {
    fn proxied(&self) -> Vec<PublishedDatasourceObj> {
        match self.kind {
            EmbeddedKind::Direct => Vec::new(),
            EmbeddedKind::Proxy(index) => vec![PublishedDatasourceObj {
                site: self.site.clone(),
                index,
            }],
        }
    }
    fn workbook_spec(&self) -> &WorkbookSpec {
        &self.site.spec.workbooks[self.workbook]
    }
    fn table_indices(&self) -> Vec<usize> {
        match self.kind {
            EmbeddedKind::Direct => {
                let wb = self.workbook_spec();
                let mut out: Vec<usize> = wb
                    .table_ids
                    .iter()
                    .filter_map(|id| self.site.table(id))
                    .collect();
                for sql in &wb.custom_sql {
                    out.extend(sql.table_ids.iter().filter_map(|id| self.site.table(id)));
                }
                out
            }
            EmbeddedKind::Proxy(d) => {
                datasource_table_indices(&self.site, &self.site.spec.datasources[d])
            }
        }
    }
}

#[Object(name = "EmbeddedDatasource")]
impl EmbeddedDatasourceObj {
    async fn id(&self) -> ID {
        ID(derived_luid(&format!(
            "embedded:{}:{}",
            self.workbook_spec().luid,
            self.position
        )))
    }
    async fn name(&self) -> String {
        match self.kind {
            EmbeddedKind::Direct => self.workbook_spec().name.clone(),
            EmbeddedKind::Proxy(d) => self.site.spec.datasources[d].name.clone(),
        }
    }
    async fn has_extracts(&self) -> bool {
        match self.kind {
            EmbeddedKind::Direct => self.workbook_spec().embedded_extract,
            EmbeddedKind::Proxy(_) => false,
        }
    }
    async fn extract_last_refresh_time(&self) -> Option<String> {
        None
    }
    /// Its tables; `filter` keeps those it accepts (tools ask for one connection type).
    async fn upstream_tables(&self, filter: Option<DatabaseTableFilter>) -> Vec<TableObj> {
        let mut tables = dedup_tables(&self.site, self.table_indices());
        if let Some(filter) = filter {
            tables.retain(|t| filter.accepts(t));
        }
        tables
    }
    async fn upstream_databases(&self) -> Vec<DatabaseObj> {
        databases_of(&dedup_tables(&self.site, self.table_indices()))
    }
    async fn upstream_datasources(&self) -> Vec<PublishedDatasourceObj> {
        self.proxied()
    }
    async fn parent_published_datasources(&self) -> Vec<PublishedDatasourceObj> {
        self.proxied()
    }
    async fn workbook(&self) -> WorkbookObj {
        WorkbookObj {
            site: self.site.clone(),
            index: self.workbook,
        }
    }
    /// Its fields: the workbook's own, or one `DatasourceField` per field of the published
    /// data source it stands for.
    async fn fields(&self) -> Vec<FieldObj> {
        match self.kind {
            EmbeddedKind::Direct => fields_of(&self.site, FieldOwner::Workbook(self.workbook)),
            EmbeddedKind::Proxy(d) => proxy_fields_of(&self.site, self.workbook, d),
        }
    }
}

/// `Workbook`.
#[derive(Clone)]
pub(crate) struct WorkbookObj {
    site: Arc<Site>,
    index: usize,
}

impl WorkbookObj {
    fn spec(&self) -> &WorkbookSpec {
        &self.site.spec.workbooks[self.index]
    }
    fn metadata_id(&self) -> String {
        self.site.workbook_id(self.index).to_string()
    }
    fn project_name_of(&self) -> String {
        self.site
            .project(&self.spec().project_id)
            .map(|p| self.site.spec.projects[p].name.clone())
            .unwrap_or_default()
    }
    fn datasource_indices(&self) -> Vec<usize> {
        self.spec()
            .datasource_luids
            .iter()
            .filter_map(|l| self.site.datasource(l))
            .collect()
    }
    /// Every table the workbook reaches: directly, through custom SQL, through data sources.
    fn table_indices(&self) -> Vec<usize> {
        let wb = self.spec();
        let mut out: Vec<usize> = wb
            .table_ids
            .iter()
            .filter_map(|id| self.site.table(id))
            .collect();
        for sql in &wb.custom_sql {
            out.extend(sql.table_ids.iter().filter_map(|id| self.site.table(id)));
        }
        for d in self.datasource_indices() {
            out.extend(datasource_table_indices(
                &self.site,
                &self.site.spec.datasources[d],
            ));
        }
        out
    }
    fn embedded(&self) -> Vec<EmbeddedDatasourceObj> {
        let wb = self.spec();
        let proxies = self.datasource_indices();
        let has_direct = !wb.table_ids.is_empty()
            || !wb.custom_sql.is_empty()
            || wb.embedded_extract
            || proxies.is_empty();
        let mut kinds = Vec::new();
        if has_direct {
            kinds.push(EmbeddedKind::Direct);
        }
        kinds.extend(proxies.into_iter().map(EmbeddedKind::Proxy));
        kinds
            .into_iter()
            .enumerate()
            .map(|(position, kind)| EmbeddedDatasourceObj {
                site: self.site.clone(),
                workbook: self.index,
                position,
                kind,
            })
            .collect()
    }
}

#[Object(name = "Workbook")]
impl WorkbookObj {
    async fn id(&self) -> ID {
        ID(self.metadata_id())
    }
    async fn luid(&self) -> &str {
        &self.spec().luid
    }
    async fn name(&self) -> &str {
        &self.spec().name
    }
    async fn description(&self) -> &str {
        &self.spec().description
    }
    async fn uri(&self) -> String {
        format!(
            "sites/{}/workbooks/{}",
            self.site.spec.site_number,
            self.spec().vizportal_url_id
        )
    }
    async fn vizportal_url_id(&self) -> &str {
        &self.spec().vizportal_url_id
    }
    async fn project_name(&self) -> String {
        self.project_name_of()
    }
    async fn project_luid(&self) -> &str {
        &self.spec().project_id
    }
    async fn container_name(&self) -> String {
        self.project_name_of()
    }
    async fn container_type(&self) -> &str {
        "Project"
    }
    async fn contains_unsupported_custom_sql(&self) -> bool {
        self.spec().custom_sql.iter().any(|s| s.is_unsupported)
    }
    async fn created_at(&self) -> &str {
        &self.spec().created_at
    }
    async fn updated_at(&self) -> &str {
        &self.spec().updated_at
    }
    async fn site(&self) -> SiteObj {
        SiteObj {
            site: self.site.clone(),
        }
    }
    async fn owner(&self) -> Option<UserObj> {
        Some(UserObj {
            site: self.site.clone(),
            index: self.site.user(&self.spec().owner_id)?,
        })
    }
    async fn upstream_tables(&self) -> Vec<TableObj> {
        dedup_tables(&self.site, self.table_indices())
    }
    async fn upstream_databases(&self) -> Vec<DatabaseObj> {
        databases_of(&dedup_tables(&self.site, self.table_indices()))
    }
    async fn upstream_datasources(&self) -> Vec<PublishedDatasourceObj> {
        self.datasource_indices()
            .into_iter()
            .map(|index| PublishedDatasourceObj {
                site: self.site.clone(),
                index,
            })
            .collect()
    }
    async fn embedded_datasources(&self) -> Vec<EmbeddedDatasourceObj> {
        self.embedded()
    }
    /// Virtual connection tables read by its embedded data source and by the published
    /// data sources it uses.
    async fn upstream_virtual_connection_tables(&self) -> Vec<VirtualTableObj> {
        let mut luids = self.spec().virtual_table_luids.clone();
        for d in self.datasource_indices() {
            luids.extend(self.site.spec.datasources[d].virtual_table_luids.clone());
        }
        virtual_tables_of(&self.site, &luids)
    }
}

// ---------------------------------------------------------------------------------------
// Filters, ordering, connections

/// `Workbook_Filter`: every key optional, all ANDed.
#[derive(InputObject, Default)]
#[graphql(name = "Workbook_Filter")]
pub(crate) struct WorkbookFilter {
    id: Option<String>,
    id_within: Option<Vec<Option<String>>>,
    luid: Option<String>,
    luid_within: Option<Vec<Option<String>>>,
    name: Option<String>,
    name_within: Option<Vec<Option<String>>>,
    project_name: Option<String>,
    project_name_within: Option<Vec<Option<String>>>,
    project_luid: Option<String>,
    project_luid_within: Option<Vec<Option<String>>>,
    vizportal_url_id: Option<String>,
    vizportal_url_id_within: Option<Vec<Option<String>>>,
}

impl WorkbookFilter {
    fn accepts(&self, wb: &WorkbookObj) -> bool {
        let spec = wb.spec();
        let id = wb.site.workbook_id(wb.index);
        // The project's name is looked up only when the filter asks for it.
        let project_name_matches = || {
            if self.project_name.is_none() && self.project_name_within.is_none() {
                return true;
            }
            let project = wb.project_name_of();
            equals(&self.project_name, &project) && within(&self.project_name_within, &project)
        };
        equals(&self.id, id)
            && within(&self.id_within, id)
            && equals(&self.luid, &spec.luid)
            && within(&self.luid_within, &spec.luid)
            && equals(&self.name, &spec.name)
            && within(&self.name_within, &spec.name)
            && project_name_matches()
            && equals(&self.project_luid, &spec.project_id)
            && within(&self.project_luid_within, &spec.project_id)
            && equals(&self.vizportal_url_id, &spec.vizportal_url_id)
            && within(&self.vizportal_url_id_within, &spec.vizportal_url_id)
    }
}

/// `OrderDirection`.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
#[graphql(name = "OrderDirection")]
pub(crate) enum OrderDirection {
    #[default]
    Asc,
    Desc,
}

/// Fields workbooks can be ordered by.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "WorkbookOrderField")]
pub(crate) enum WorkbookOrderField {
    Id,
    Luid,
    Name,
    ProjectLuid,
    ProjectName,
    CreatedAt,
    UpdatedAt,
}

/// `orderBy` for workbooks.
#[derive(InputObject)]
#[graphql(name = "WorkbookSortOrder")]
pub(crate) struct WorkbookSortOrder {
    field: WorkbookOrderField,
    #[graphql(default)]
    direction: OrderDirection,
}

/// `PublishedDatasource_Filter`.
#[derive(InputObject, Default)]
#[graphql(name = "PublishedDatasource_Filter")]
pub(crate) struct PublishedDatasourceFilter {
    id: Option<String>,
    id_within: Option<Vec<Option<String>>>,
    luid: Option<String>,
    luid_within: Option<Vec<Option<String>>>,
    name: Option<String>,
    name_within: Option<Vec<Option<String>>>,
    project_name: Option<String>,
    project_name_within: Option<Vec<Option<String>>>,
}

impl PublishedDatasourceFilter {
    fn accepts(&self, ds: &PublishedDatasourceObj) -> bool {
        let spec = ds.spec();
        let id = ds.metadata_id();
        let project = ds.project_name_of().unwrap_or_default();
        equals(&self.id, &id)
            && within(&self.id_within, &id)
            && equals(&self.luid, &spec.luid)
            && within(&self.luid_within, &spec.luid)
            && equals(&self.name, &spec.name)
            && within(&self.name_within, &spec.name)
            && equals(&self.project_name, &project)
            && within(&self.project_name_within, &project)
    }
}

/// `CustomSQLTable_Filter`.
#[derive(InputObject, Default)]
#[graphql(name = "CustomSQLTable_Filter")]
pub(crate) struct CustomSqlTableFilter {
    id: Option<String>,
    id_within: Option<Vec<Option<String>>>,
    name: Option<String>,
    is_unsupported_custom_sql: Option<bool>,
}

impl CustomSqlTableFilter {
    fn accepts(&self, sql: &CustomSqlObj) -> bool {
        let spec = sql.spec();
        equals(&self.id, &spec.id)
            && within(&self.id_within, &spec.id)
            && equals(&self.name, "Custom SQL Query")
            && self
                .is_unsupported_custom_sql
                .is_none_or(|u| u == spec.is_unsupported)
    }
}

/// `DatabaseTable_Filter`.
#[derive(InputObject, Default)]
#[graphql(name = "DatabaseTable_Filter")]
pub(crate) struct DatabaseTableFilter {
    id: Option<String>,
    id_within: Option<Vec<Option<String>>>,
    name: Option<String>,
    name_within: Option<Vec<Option<String>>>,
    schema: Option<String>,
    full_name: Option<String>,
    connection_type: Option<String>,
}

impl DatabaseTableFilter {
    fn accepts(&self, table: &TableObj) -> bool {
        let spec = table.spec();
        equals(&self.id, &spec.id)
            && within(&self.id_within, &spec.id)
            && equals(&self.name, &spec.name)
            && within(&self.name_within, &spec.name)
            && equals(&self.schema, &spec.schema)
            && equals(&self.full_name, &full_name(spec))
            && equals(&self.connection_type, &spec.connection_type)
    }
}

/// `WorkbooksConnection`.
#[derive(SimpleObject)]
#[graphql(name = "WorkbooksConnection")]
pub(crate) struct WorkbooksConnection {
    nodes: Vec<WorkbookObj>,
    page_info: PageInfo,
    total_count: i32,
}

/// `PublishedDatasourcesConnection`.
#[derive(SimpleObject)]
#[graphql(name = "PublishedDatasourcesConnection")]
pub(crate) struct PublishedDatasourcesConnection {
    nodes: Vec<PublishedDatasourceObj>,
    page_info: PageInfo,
    total_count: i32,
}

/// `CustomSQLTablesConnection`.
#[derive(SimpleObject)]
#[graphql(name = "CustomSQLTablesConnection")]
pub(crate) struct CustomSqlTablesConnection {
    nodes: Vec<CustomSqlObj>,
    page_info: PageInfo,
    total_count: i32,
}

/// `DatabaseTablesConnection`.
#[derive(SimpleObject)]
#[graphql(name = "DatabaseTablesConnection")]
pub(crate) struct DatabaseTablesConnection {
    nodes: Vec<TableObj>,
    page_info: PageInfo,
    total_count: i32,
}

fn site_of(ctx: &Context<'_>) -> async_graphql::Result<Arc<Site>> {
    Ok(ctx.data::<Arc<Site>>()?.clone())
}

fn workbooks(site: &Arc<Site>, filter: &Option<WorkbookFilter>) -> Vec<WorkbookObj> {
    (0..site.spec.workbooks.len())
        .map(|index| WorkbookObj {
            site: site.clone(),
            index,
        })
        .filter(|wb| filter.as_ref().is_none_or(|f| f.accepts(wb)))
        .collect()
}

fn datasources(
    site: &Arc<Site>,
    filter: &Option<PublishedDatasourceFilter>,
) -> Vec<PublishedDatasourceObj> {
    (0..site.spec.datasources.len())
        .map(|index| PublishedDatasourceObj {
            site: site.clone(),
            index,
        })
        .filter(|ds| filter.as_ref().is_none_or(|f| f.accepts(ds)))
        .collect()
}

fn custom_sql_tables(site: &Arc<Site>, filter: &Option<CustomSqlTableFilter>) -> Vec<CustomSqlObj> {
    let mut out = Vec::new();
    for (w, wb) in site.spec.workbooks.iter().enumerate() {
        for index in 0..wb.custom_sql.len() {
            out.push(CustomSqlObj {
                site: site.clone(),
                owner: SqlOwner::Workbook(w),
                index,
            });
        }
    }
    for (d, ds) in site.spec.datasources.iter().enumerate() {
        for index in 0..ds.custom_sql.len() {
            out.push(CustomSqlObj {
                site: site.clone(),
                owner: SqlOwner::Datasource(d),
                index,
            });
        }
    }
    out.retain(|sql| filter.as_ref().is_none_or(|f| f.accepts(sql)));
    out
}

fn database_tables(site: &Arc<Site>, filter: &Option<DatabaseTableFilter>) -> Vec<TableObj> {
    (0..site.spec.tables.len())
        .map(|index| TableObj {
            site: site.clone(),
            index,
        })
        .filter(|t| filter.as_ref().is_none_or(|f| f.accepts(t)))
        .collect()
}

fn keyed_workbooks(
    list: Vec<WorkbookObj>,
    order: &Option<WorkbookSortOrder>,
) -> (Vec<Keyed<WorkbookObj>>, bool) {
    let field = order.as_ref().map_or(WorkbookOrderField::Id, |o| o.field);
    let descending = order
        .as_ref()
        .is_some_and(|o| o.direction == OrderDirection::Desc);
    let keyed = list
        .into_iter()
        .map(|wb| {
            let spec = wb.spec();
            let value = match field {
                WorkbookOrderField::Id => String::new(),
                WorkbookOrderField::Luid => spec.luid.clone(),
                WorkbookOrderField::Name => spec.name.clone(),
                WorkbookOrderField::ProjectLuid => spec.project_id.clone(),
                WorkbookOrderField::ProjectName => wb.project_name_of(),
                WorkbookOrderField::CreatedAt => spec.created_at.clone(),
                WorkbookOrderField::UpdatedAt => spec.updated_at.clone(),
            };
            Keyed {
                value,
                id: wb.metadata_id(),
                node: wb,
            }
        })
        .collect();
    (keyed, descending)
}

/// The query root.
pub(crate) struct QueryRoot;

#[Object(name = "Query")]
impl QueryRoot {
    /// All workbooks matching `filter`.
    async fn workbooks(
        &self,
        ctx: &Context<'_>,
        filter: Option<WorkbookFilter>,
        order_by: Option<WorkbookSortOrder>,
    ) -> async_graphql::Result<Vec<WorkbookObj>> {
        let site = site_of(ctx)?;
        let (mut keyed, descending) = keyed_workbooks(workbooks(&site, &filter), &order_by);
        keyed.sort_by(|a, b| (&a.value, &a.id).cmp(&(&b.value, &b.id)));
        if descending {
            keyed.reverse();
        }
        Ok(keyed.into_iter().map(|k| k.node).collect())
    }

    /// Workbooks, one page at a time.
    async fn workbooks_connection(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        offset: Option<i32>,
        filter: Option<WorkbookFilter>,
        order_by: Option<WorkbookSortOrder>,
    ) -> async_graphql::Result<WorkbooksConnection> {
        let site = site_of(ctx)?;
        let args = PageArgs {
            first,
            after,
            offset,
        };
        let in_id_order = order_by
            .as_ref()
            .is_none_or(|o| o.field == WorkbookOrderField::Id);
        let (nodes, page_info, total_count) = match only_project_luids(&filter) {
            Some(projects) if in_id_order => {
                let descending = order_by
                    .as_ref()
                    .is_some_and(|o| o.direction == OrderDirection::Desc);
                indexed_workbook_page(ctx, &site, projects, descending, args)?
            }
            _ => {
                let (keyed, descending) = keyed_workbooks(workbooks(&site, &filter), &order_by);
                paginate(ctx, "Workbook", &site, keyed, descending, args)?
            }
        };
        Ok(WorkbooksConnection {
            nodes,
            page_info,
            total_count,
        })
    }

    /// All published data sources matching `filter`.
    async fn published_datasources(
        &self,
        ctx: &Context<'_>,
        filter: Option<PublishedDatasourceFilter>,
    ) -> async_graphql::Result<Vec<PublishedDatasourceObj>> {
        Ok(datasources(&site_of(ctx)?, &filter))
    }

    /// Published data sources, one page at a time.
    async fn published_datasources_connection(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        offset: Option<i32>,
        filter: Option<PublishedDatasourceFilter>,
    ) -> async_graphql::Result<PublishedDatasourcesConnection> {
        let site = site_of(ctx)?;
        let keyed = datasources(&site, &filter)
            .into_iter()
            .map(|ds| Keyed {
                value: String::new(),
                id: ds.metadata_id(),
                node: ds,
            })
            .collect();
        let args = PageArgs {
            first,
            after,
            offset,
        };
        let (nodes, page_info, total_count) =
            paginate(ctx, "PublishedDatasource", &site, keyed, false, args)?;
        Ok(PublishedDatasourcesConnection {
            nodes,
            page_info,
            total_count,
        })
    }

    /// All custom SQL tables matching `filter`.
    #[graphql(name = "customSQLTables")]
    async fn custom_sql_tables(
        &self,
        ctx: &Context<'_>,
        filter: Option<CustomSqlTableFilter>,
    ) -> async_graphql::Result<Vec<CustomSqlObj>> {
        Ok(custom_sql_tables(&site_of(ctx)?, &filter))
    }

    /// Custom SQL tables, one page at a time.
    #[graphql(name = "customSQLTablesConnection")]
    async fn custom_sql_tables_connection(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        offset: Option<i32>,
        filter: Option<CustomSqlTableFilter>,
    ) -> async_graphql::Result<CustomSqlTablesConnection> {
        let site = site_of(ctx)?;
        let keyed = custom_sql_tables(&site, &filter)
            .into_iter()
            .map(|sql| Keyed {
                value: String::new(),
                id: sql.spec().id.clone(),
                node: sql,
            })
            .collect();
        let args = PageArgs {
            first,
            after,
            offset,
        };
        let (nodes, page_info, total_count) =
            paginate(ctx, "CustomSQLTable", &site, keyed, false, args)?;
        Ok(CustomSqlTablesConnection {
            nodes,
            page_info,
            total_count,
        })
    }

    /// All database tables matching `filter`.
    async fn database_tables(
        &self,
        ctx: &Context<'_>,
        filter: Option<DatabaseTableFilter>,
    ) -> async_graphql::Result<Vec<TableObj>> {
        Ok(database_tables(&site_of(ctx)?, &filter))
    }

    /// Database tables, one page at a time.
    async fn database_tables_connection(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        offset: Option<i32>,
        filter: Option<DatabaseTableFilter>,
    ) -> async_graphql::Result<DatabaseTablesConnection> {
        let site = site_of(ctx)?;
        let keyed = database_tables(&site, &filter)
            .into_iter()
            .map(|t| Keyed {
                value: String::new(),
                id: t.spec().id.clone(),
                node: t,
            })
            .collect();
        let args = PageArgs {
            first,
            after,
            offset,
        };
        let (nodes, page_info, total_count) =
            paginate(ctx, "DatabaseTable", &site, keyed, false, args)?;
        Ok(DatabaseTablesConnection {
            nodes,
            page_info,
            total_count,
        })
    }
}
