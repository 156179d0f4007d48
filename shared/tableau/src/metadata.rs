//! Workbooks and their upstream tables through the Metadata API (GraphQL), page by page.
//!
//! A listing is all or nothing: node/time-limit warnings mean Tableau cut the page short,
//! so the same page is fetched again at half the size; any other failure fails the whole
//! listing. Pages are decoded with the [`wire`](crate::wire) types so that a live listing and a
//! saved response read the same way.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use autoexpose_domain::printable::printable;
use autoexpose_domain::{CustomSql, Workbook};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::client::Session;
use crate::error::{GaveUp, TableauError};
use crate::wire::{GraphQlError, PageInfo, TableNode, WorkbookNode, WorkbooksResponse};

mod fields;
mod resumable;
pub use fields::{FIELDS_PAGE_SIZE, LUIDS_PER_FIELDS_QUERY, WorkbookColumns};
pub use resumable::{ListingCursor, WorkbookStretch};

/// The largest page the Metadata API serves.
const MAX_PAGE_SIZE: u32 = 1000;

/// How far a listing has got, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Workbook pages fetched so far.
    pub pages: usize,
    /// Workbooks received so far.
    pub workbooks: usize,
    /// Workbooks in the selection, once Tableau has said (`totalCount`).
    pub total: Option<u64>,
}

/// Every workbook of a set of projects.
///
/// Only ever returned complete: a page cut short by Tableau is fetched again smaller, and
/// any failure is an error, never a shorter listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkbookListing {
    /// The workbooks, one per LUID, sorted by LUID, with their custom SQL attached.
    pub workbooks: Vec<Workbook>,
    /// LUIDs of the projects that were listed.
    pub project_luids: Vec<String>,
    /// Metadata API pages fetched (workbooks and custom SQL).
    pub pages: usize,
    /// Always `true`: the listing covers every workbook of `project_luids`.
    pub complete: bool,
}

const TABLE_FIELDS: &str =
    "__typename id luid name fullName schema connectionType database { name connectionType }";

/// How deep a chain of published data sources (one published on top of another) is
/// followed beyond the first; each level is one more nested `upstreamDatasources`.
const DATASOURCE_CHAIN_DEPTH: usize = 2;

/// A virtual connection table and the database tables it reads.
fn virtual_table_fields() -> String {
    format!("luid name upstreamTables {{ {TABLE_FIELDS} }}")
}

/// A published data source with its tables, its virtual connection tables, and the
/// published data sources it reads, `depth` levels further.
fn published_datasource_fields(depth: usize) -> String {
    let mut fields = format!(
        "luid name hasExtracts upstreamTables {{ {TABLE_FIELDS} }} upstreamVirtualConnectionTables {{ {} }}",
        virtual_table_fields()
    );
    if depth > 0 {
        fields.push_str(&format!(
            " upstreamDatasources {{ {} }}",
            published_datasource_fields(depth - 1)
        ));
    }
    fields
}

fn workbooks_query() -> String {
    let published = published_datasource_fields(DATASOURCE_CHAIN_DEPTH);
    let virtual_tables = virtual_table_fields();
    format!(
        "query Workbooks($first: Int, $after: String, $projectLuids: [String]) {{
  workbooksConnection(first: $first, after: $after,
                      filter: {{projectLuidWithin: $projectLuids}},
                      orderBy: {{field: ID, direction: ASC}}) {{
    totalCount
    pageInfo {{ hasNextPage endCursor }}
    nodes {{
      id luid name uri vizportalUrlId projectName projectLuid description createdAt updatedAt
      owner {{ name username email }}
      upstreamTables {{ {TABLE_FIELDS} }}
      upstreamVirtualConnectionTables {{ {virtual_tables} }}
      embeddedDatasources {{
        hasExtracts
        upstreamTables {{ {TABLE_FIELDS} }}
        upstreamDatasources {{ {published} }}
      }}
      upstreamDatasources {{ {published} }}
    }}
  }}
}}"
    )
}

fn custom_sql_query() -> String {
    format!(
        "query CustomSql($first: Int, $after: String) {{
  customSQLTablesConnection(first: $first, after: $after) {{
    totalCount
    pageInfo {{ hasNextPage endCursor }}
    nodes {{
      __typename id query connectionType
      database {{ name connectionType }}
      tables {{ {TABLE_FIELDS} }}
      downstreamWorkbooks {{ luid }}
    }}
  }}
}}"
    )
}

/// One decoded page: its errors, and its nodes when Tableau sent data.
struct PageParts<N> {
    errors: Vec<GraphQlError>,
    connection: Option<(Vec<N>, PageInfo, Option<u64>)>,
}

/// A GraphQL response holding one `*Connection`.
trait ConnectionResponse: DeserializeOwned + Send + 'static {
    type Node: Send + 'static;
    fn into_parts(self) -> PageParts<Self::Node>;
}

impl ConnectionResponse for WorkbooksResponse {
    type Node = Workbook;

    fn into_parts(self) -> PageParts<Workbook> {
        let connection = self.data.and_then(|d| d.workbooks_connection).map(|c| {
            let nodes = c
                .nodes
                .into_iter()
                .flatten()
                .map(WorkbookNode::into_workbook)
                .collect();
            (nodes, c.page_info, c.total_count)
        });
        PageParts {
            errors: self.errors.unwrap_or_default(),
            connection,
        }
    }
}

#[derive(Deserialize)]
struct CustomSqlResponse {
    #[serde(default)]
    data: Option<CustomSqlData>,
    #[serde(default)]
    errors: Option<Vec<GraphQlError>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CustomSqlData {
    #[serde(default, rename = "customSQLTablesConnection")]
    custom_sql_tables_connection: Option<CustomSqlConnection>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CustomSqlConnection {
    #[serde(default)]
    nodes: Vec<Option<CustomSqlNode>>,
    #[serde(default)]
    page_info: PageInfo,
    #[serde(default)]
    total_count: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CustomSqlNode {
    #[serde(flatten)]
    table: TableNode,
    #[serde(default)]
    downstream_workbooks: Option<Vec<Option<LuidNode>>>,
}

#[derive(Deserialize)]
struct LuidNode {
    #[serde(default)]
    luid: Option<String>,
}

impl ConnectionResponse for CustomSqlResponse {
    /// The query and the LUIDs of the workbooks that use it.
    type Node = (CustomSql, Vec<String>);

    fn into_parts(self) -> PageParts<Self::Node> {
        let connection = self
            .data
            .and_then(|d| d.custom_sql_tables_connection)
            .map(|c| {
                let nodes = c
                    .nodes
                    .into_iter()
                    .flatten()
                    .map(|node| {
                        let workbooks = node
                            .downstream_workbooks
                            .into_iter()
                            .flatten()
                            .flatten()
                            .filter_map(|w| w.luid)
                            .collect();
                        (node.table.into_custom_sql(), workbooks)
                    })
                    .collect();
                (nodes, c.page_info, c.total_count)
            });
        PageParts {
            errors: self.errors.unwrap_or_default(),
            connection,
        }
    }
}

/// What a page's errors mean for the listing.
#[derive(Debug)]
enum Verdict {
    /// No errors, or warnings that do not cut data.
    Complete,
    /// Tableau cut the page short (node or time limit).
    Partial(String),
    /// `RATE_EXCEEDED`: wait and ask again.
    RateLimited,
    /// Nothing to retry.
    Fail(TableauError),
}

fn is_time_limit_message(message: &str) -> bool {
    message.starts_with("Reached time limit of")
        || message.starts_with("Execution canceled because timeout")
}

fn judge(errors: &[GraphQlError]) -> Verdict {
    let mut partial = None;
    let mut rate_limited = false;
    for error in errors {
        let code = error.code().unwrap_or_default();
        let severity = error
            .extensions
            .as_ref()
            .and_then(|e| e.severity.as_deref())
            .unwrap_or_default();
        match code {
            "FEATURE_DISABLED" | "SITE_DISABLED" => {
                return Verdict::Fail(TableauError::MetadataApiDisabled);
            }
            "BACKFILL_RUNNING" => return Verdict::Fail(TableauError::MetadataIndexing),
            "RATE_EXCEEDED" => rate_limited = true,
            "NODE_LIMIT_EXCEEDED" | "TIME_LIMIT_EXCEEDED" => partial = Some(error.describe()),
            _ if is_time_limit_message(&error.message) => partial = Some(error.describe()),
            // Warnings that leave the data whole: page size clamped, sort or
            // permission-based filtering noted.
            _ if severity.eq_ignore_ascii_case("WARNING") => {
                tracing::warn!(warning = %printable(&error.describe()), "Tableau Metadata API warning");
            }
            _ => {
                let message: Vec<String> = errors.iter().map(GraphQlError::describe).collect();
                return Verdict::Fail(TableauError::MetadataQuery {
                    message: message.join("; "),
                });
            }
        }
    }
    match (rate_limited, partial) {
        (true, _) => Verdict::RateLimited,
        (false, Some(reason)) => Verdict::Partial(reason),
        (false, None) => Verdict::Complete,
    }
}

/// Shared counters of a listing running in several tasks.
struct ProgressTracker {
    pages: AtomicUsize,
    workbooks: AtomicUsize,
    /// `totalCount` of each chunk, once its first page has arrived.
    totals: Mutex<Vec<Option<u64>>>,
    report: Box<dyn Fn(Progress) + Send + Sync>,
}

impl ProgressTracker {
    fn page(&self, chunk: usize, workbooks: usize, total: Option<u64>) {
        let pages = self.pages.fetch_add(1, Ordering::SeqCst) + 1;
        let so_far = self.workbooks.fetch_add(workbooks, Ordering::SeqCst) + workbooks;
        let total = {
            let mut totals = self.totals.lock().unwrap_or_else(|p| p.into_inner());
            if let (Some(slot), Some(t)) = (totals.get_mut(chunk), total) {
                slot.get_or_insert(t);
            }
            totals.iter().copied().sum::<Option<u64>>()
        };
        (self.report)(Progress {
            pages,
            workbooks: so_far,
            total,
        });
    }
}

impl Session {
    /// Lists every workbook in the given projects (not their sub-projects: resolve those
    /// first with [`Session::resolve_collections`]), with upstream tables and custom SQL.
    ///
    /// `progress` is called after each workbook page.
    pub async fn list_workbooks(
        &self,
        project_luids: &[String],
        progress: impl Fn(Progress) + Send + Sync + 'static,
    ) -> Result<WorkbookListing, TableauError> {
        let mut luids: Vec<String> = Vec::new();
        for luid in project_luids {
            if !luids.contains(luid) {
                luids.push(luid.clone());
            }
        }
        if luids.is_empty() {
            return Ok(WorkbookListing {
                complete: true,
                ..WorkbookListing::default()
            });
        }
        let chunks = self.chunk_projects(&luids);
        let tracker = Arc::new(ProgressTracker {
            pages: AtomicUsize::new(0),
            workbooks: AtomicUsize::new(0),
            totals: Mutex::new(vec![None; chunks.len()]),
            report: Box::new(progress),
        });
        let custom_sql = {
            let session = self.clone();
            tokio::spawn(async move { session.custom_sql().await })
        };
        let mut tasks = tokio::task::JoinSet::new();
        for (index, chunk) in chunks.into_iter().enumerate() {
            let session = self.clone();
            let tracker = tracker.clone();
            tasks.spawn(async move { session.list_chunk(index, chunk, tracker).await });
        }
        let mut by_luid: BTreeMap<String, Workbook> = BTreeMap::new();
        let mut pages = 0;
        while let Some(joined) = tasks.join_next().await {
            let (chunk_pages, workbooks) = match joined_result(joined) {
                Ok(done) => done,
                Err(err) => {
                    custom_sql.abort();
                    return Err(err);
                }
            };
            pages += chunk_pages;
            for workbook in workbooks {
                by_luid.entry(workbook.luid.clone()).or_insert(workbook);
            }
        }
        let (sql_pages, queries) = joined_result(custom_sql.await)?;
        pages += sql_pages;
        attach_custom_sql(&mut by_luid, queries);
        tracing::info!(
            workbooks = by_luid.len(),
            projects = luids.len(),
            pages,
            "listed Tableau workbooks"
        );
        Ok(WorkbookListing {
            workbooks: by_luid.into_values().collect(),
            project_luids: luids,
            pages,
            complete: true,
        })
    }

    /// Splits the projects into filters of at most `projects_per_query` LUIDs, and into
    /// enough filters to keep the in-flight slots busy.
    fn chunk_projects(&self, luids: &[String]) -> Vec<Vec<String>> {
        let options = self.client().options();
        let per_query = options.projects_per_query.max(1);
        let groups = luids
            .len()
            .div_ceil(per_query)
            .max(options.max_in_flight.min(luids.len()))
            .max(1);
        let size = luids.len().div_ceil(groups);
        luids.chunks(size.max(1)).map(<[String]>::to_vec).collect()
    }

    async fn list_chunk(
        &self,
        index: usize,
        luids: Vec<String>,
        tracker: Arc<ProgressTracker>,
    ) -> Result<(usize, Vec<Workbook>), TableauError> {
        let mut variables = Map::new();
        variables.insert("projectLuids".into(), json!(luids));
        let mut workbooks = Vec::new();
        let pages = self
            .all_pages::<WorkbooksResponse>(
                "workbooks",
                &workbooks_query(),
                variables,
                |page, total| {
                    tracker.page(index, page.len(), total);
                    workbooks.extend(page);
                },
            )
            .await?;
        Ok((pages, workbooks))
    }

    /// Every custom SQL query on the site, with the workbooks that use it.
    async fn custom_sql(&self) -> Result<(usize, Vec<(CustomSql, Vec<String>)>), TableauError> {
        let mut queries = Vec::new();
        let pages = self
            .all_pages::<CustomSqlResponse>(
                "custom SQL queries",
                &custom_sql_query(),
                Map::new(),
                |page, _| queries.extend(page),
            )
            .await?;
        Ok((pages, queries))
    }

    /// Fetches every page of a connection query, halving the page size when Tableau
    /// cuts a page short and retrying `RATE_EXCEEDED` with backoff.
    async fn all_pages<R: ConnectionResponse>(
        &self,
        what: &'static str,
        query: &str,
        filter: Map<String, Value>,
        on_page: impl FnMut(Vec<R::Node>, Option<u64>),
    ) -> Result<usize, TableauError> {
        let (pages, _) = self
            .pages_from::<R>(what, query, filter, None, on_page, |_| true)
            .await?;
        Ok(pages)
    }

    /// Fetches pages of a connection query from the cursor `after` (`None`: the first
    /// page) while `keep_going(pages fetched)` says so after each page; returns the pages
    /// fetched and the cursor to go on from (`None` when the last page was fetched).
    async fn pages_from<R: ConnectionResponse>(
        &self,
        what: &'static str,
        query: &str,
        filter: Map<String, Value>,
        after: Option<String>,
        on_page: impl FnMut(Vec<R::Node>, Option<u64>),
        keep_going: impl FnMut(usize) -> bool,
    ) -> Result<(usize, Option<String>), TableauError> {
        let first = self.client().options().page_size;
        self.pages_sized::<R>(what, query, filter, first, after, on_page, keep_going)
            .await
    }

    /// [`Session::pages_from`] with pages of at most `first` nodes to begin with, for
    /// queries whose nodes are larger than a workbook's listing entry.
    #[allow(clippy::too_many_arguments)]
    async fn pages_sized<R: ConnectionResponse>(
        &self,
        what: &'static str,
        query: &str,
        filter: Map<String, Value>,
        first: u32,
        mut after: Option<String>,
        mut on_page: impl FnMut(Vec<R::Node>, Option<u64>),
        mut keep_going: impl FnMut(usize) -> bool,
    ) -> Result<(usize, Option<String>), TableauError> {
        let retry = self.transport().retry.clone();
        let mut first = first.clamp(1, MAX_PAGE_SIZE);
        let mut pages = 0;
        let mut rate_retries = 0;
        loop {
            let mut variables = filter.clone();
            variables.insert("first".into(), json!(first));
            variables.insert("after".into(), json!(after));
            let parts = self
                .graphql::<R>(what, query, variables)
                .await?
                .into_parts();
            match judge(&parts.errors) {
                Verdict::Complete => rate_retries = 0,
                Verdict::Fail(err) => return Err(err),
                Verdict::Partial(reason) => {
                    if first == 1 {
                        return Err(TableauError::PartialResults { what });
                    }
                    first = (first / 2).max(1);
                    tracing::warn!(what, reason = %printable(&reason), page_size = first,
                        "Tableau returned a partial page; fetching it again smaller");
                    continue;
                }
                Verdict::RateLimited => {
                    if rate_retries >= retry.max_retries {
                        return Err(TableauError::RateLimited {
                            host: self.transport().host().to_string(),
                            what: "Metadata API RATE_EXCEEDED".into(),
                            attempts: rate_retries + 1,
                            stopped: GaveUp::RetryLimit {
                                max_retries: retry.max_retries,
                            },
                        });
                    }
                    let wait = retry.delay(rate_retries, None);
                    tracing::warn!(
                        what,
                        wait_ms = wait.as_millis() as u64,
                        "Tableau Metadata API rate limit (RATE_EXCEEDED); retrying"
                    );
                    tokio::time::sleep(wait).await;
                    rate_retries += 1;
                    continue;
                }
            }
            let Some((nodes, page_info, total)) = parts.connection else {
                return Err(self.unexpected_graphql(what, "the response has no data"));
            };
            pages += 1;
            on_page(nodes, total);
            if !page_info.has_next_page {
                return Ok((pages, None));
            }
            after = match page_info.end_cursor {
                Some(cursor) => Some(cursor),
                None => {
                    return Err(
                        self.unexpected_graphql(what, "hasNextPage is true but endCursor is null")
                    );
                }
            };
            if !keep_going(pages) {
                return Ok((pages, after));
            }
        }
    }

    /// One GraphQL request; a non-2xx answer that carries GraphQL errors is read as them.
    async fn graphql<R: ConnectionResponse>(
        &self,
        what: &'static str,
        query: &str,
        variables: Map<String, Value>,
    ) -> Result<R, TableauError> {
        let url = format!("{}/api/metadata/graphql", self.transport().base());
        let body = json!({"query": query, "variables": variables});
        let reply = self
            .call("querying the Metadata API", |http| {
                http.post(&url)
                    .header("Accept", "application/json")
                    .json(&body)
            })
            .await?;
        let parsed = serde_json::from_slice::<R>(&reply.body);
        if !reply.status.is_success() {
            if let Ok(response) = parsed
                && let Verdict::Fail(err) = judge(&response.into_parts().errors)
            {
                return Err(err);
            }
            return Err(self.client().refusal("querying the Metadata API", &reply));
        }
        parsed.map_err(|e| self.unexpected_graphql(what, &e.to_string()))
    }

    fn unexpected_graphql(&self, what: &'static str, detail: &str) -> TableauError {
        TableauError::UnexpectedResponse {
            host: self.transport().host().to_string(),
            operation: "querying the Metadata API",
            detail: format!("{what}: {detail}"),
        }
    }
}

fn joined_result<T>(
    joined: Result<Result<T, TableauError>, tokio::task::JoinError>,
) -> Result<T, TableauError> {
    match joined {
        Ok(result) => result,
        Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
        Err(_) => Err(TableauError::SignedOut),
    }
}

/// Adds each custom SQL query to the workbooks that use it (once per query id).
fn attach_custom_sql(
    workbooks: &mut BTreeMap<String, Workbook>,
    queries: Vec<(CustomSql, Vec<String>)>,
) {
    let mut attached: HashMap<String, HashSet<String>> = HashMap::new();
    for (workbook_luid, workbook) in workbooks.iter() {
        let ids = workbook.custom_sql.iter().filter_map(|s| s.id.clone());
        attached
            .entry(workbook_luid.clone())
            .or_default()
            .extend(ids);
    }
    for (sql, workbook_luids) in queries {
        for luid in workbook_luids {
            let Some(workbook) = workbooks.get_mut(&luid) else {
                continue;
            };
            let ids = attached.entry(luid).or_default();
            if let Some(id) = &sql.id
                && !ids.insert(id.clone())
            {
                continue;
            }
            workbook.custom_sql.push(sql.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(json: &str) -> Vec<GraphQlError> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn node_limit_warning_is_partial() {
        let e = errors(
            r#"[{"message": "Showing partial results. The request exceeded the 20000 node limit. Use pagination, additional filtering, or both in the query to adjust results.",
               "extensions": {"severity": "WARNING", "code": "NODE_LIMIT_EXCEEDED", "properties": {"nodeLimit": 20000}}}]"#,
        );
        assert!(matches!(judge(&e), Verdict::Partial(_)));
    }

    #[test]
    fn time_limit_messages_without_code_are_partial() {
        let e = errors(
            r#"[{"message": "Reached time limit of PT5S for query execution.", "path": null, "extensions": null}]"#,
        );
        assert!(matches!(judge(&e), Verdict::Partial(_)));
        let e = errors(
            r#"[{"message": "Execution canceled because timeout of 30000 millis was reached"}]"#,
        );
        assert!(matches!(judge(&e), Verdict::Partial(_)));
    }

    #[test]
    fn feature_disabled_names_the_tsm_command() {
        let e = errors(
            r#"[{"message": "Metadata API is disabled", "extensions": {"severity": "ERROR", "code": "FEATURE_DISABLED"}}]"#,
        );
        let Verdict::Fail(err) = judge(&e) else {
            panic!("expected a failure");
        };
        assert!(
            err.to_string()
                .contains("tsm maintenance metadata-services enable")
        );
    }

    #[test]
    fn rate_exceeded_is_retried() {
        let e = errors(
            r#"[{"message": "Rate exceeded", "extensions": {"severity": "ERROR", "code": "RATE_EXCEEDED"}}]"#,
        );
        assert!(matches!(judge(&e), Verdict::RateLimited));
    }

    #[test]
    fn other_errors_quote_tableau() {
        let e = errors(
            r#"[{"message": "Validation error of type FieldUndefined: Field 'x' in type 'Workbook' is undefined @ 'a/b'"}]"#,
        );
        let Verdict::Fail(err) = judge(&e) else {
            panic!("expected a failure");
        };
        assert!(err.to_string().contains("FieldUndefined"));
    }

    #[test]
    fn harmless_warnings_keep_the_page() {
        let e = errors(
            r#"[{"message": "clamped", "extensions": {"severity": "WARNING", "code": "MAX_PAGE_SIZE_EXCEEDED"}}]"#,
        );
        assert!(matches!(judge(&e), Verdict::Complete));
        assert!(matches!(judge(&[]), Verdict::Complete));
    }

    #[test]
    fn custom_sql_page_decodes_with_its_workbooks() {
        let body = r#"{"data": {"customSQLTablesConnection": {"totalCount": 1,
            "pageInfo": {"hasNextPage": false, "endCursor": null},
            "nodes": [{"__typename": "CustomSQLTable", "id": "csql-1",
              "query": "select * from analytics.prod.orders", "connectionType": "snowflake",
              "database": {"name": "ANALYTICS", "connectionType": "snowflake"},
              "tables": [{"id": "t-1", "name": "ORDERS", "schema": "PROD", "database": {"name": "ANALYTICS"}}],
              "downstreamWorkbooks": [{"luid": "wb-1"}, {"luid": "wb-2"}]}]}}}"#;
        let parts = serde_json::from_str::<CustomSqlResponse>(body)
            .unwrap()
            .into_parts();
        let (nodes, info, total) = parts.connection.unwrap();
        assert!(!info.has_next_page);
        assert_eq!(total, Some(1));
        let (sql, workbooks) = &nodes[0];
        assert_eq!(sql.id.as_deref(), Some("csql-1"));
        assert_eq!(sql.tables[0].name.as_deref(), Some("ORDERS"));
        assert_eq!(workbooks, &["wb-1", "wb-2"]);
    }

    #[test]
    fn custom_sql_is_attached_once_per_workbook() {
        let mut workbooks = BTreeMap::new();
        for luid in ["wb-1", "wb-2"] {
            workbooks.insert(
                luid.to_string(),
                Workbook {
                    luid: luid.into(),
                    ..Workbook::default()
                },
            );
        }
        let sql = CustomSql {
            id: Some("csql-1".into()),
            query: "select 1".into(),
            ..CustomSql::default()
        };
        attach_custom_sql(
            &mut workbooks,
            vec![
                (
                    sql.clone(),
                    vec!["wb-1".into(), "wb-1".into(), "wb-9".into()],
                ),
                (sql, vec!["wb-1".into()]),
            ],
        );
        assert_eq!(workbooks["wb-1"].custom_sql.len(), 1);
        assert!(workbooks["wb-2"].custom_sql.is_empty());
    }

    #[test]
    fn query_selects_the_fields_the_matcher_reads() {
        let query = workbooks_query();
        for field in [
            "projectLuidWithin",
            "orderBy: {field: ID, direction: ASC}",
            "vizportalUrlId",
            "embeddedDatasources",
            "hasNextPage",
            "upstreamVirtualConnectionTables",
        ] {
            assert!(query.contains(field), "query lacks {field}");
        }
    }

    #[test]
    fn query_follows_data_source_chains_to_a_bounded_depth() {
        let published = published_datasource_fields(DATASOURCE_CHAIN_DEPTH);
        assert_eq!(
            published.matches("upstreamDatasources").count(),
            DATASOURCE_CHAIN_DEPTH
        );
        assert_eq!(
            published.matches("upstreamVirtualConnectionTables").count(),
            DATASOURCE_CHAIN_DEPTH + 1
        );
    }
}
