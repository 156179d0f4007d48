//! The site-data file format: what a simulated Tableau server holds.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::SimError;

/// Everything one simulated server holds: its version and its sites.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteData {
    /// Product and REST API version the server reports.
    #[serde(default)]
    pub server: ServerSpec,
    /// The sites; sign-in picks one by `content_url` (`""` is the Default site).
    pub sites: Vec<SiteSpec>,
}

/// What `serverinfo` reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSpec {
    /// e.g. `2025.1.0`.
    pub product_version: String,
    /// The newest REST API version served, e.g. `3.25`; every version from 2.0 up to it works.
    pub rest_api_version: String,
    /// Build number shown on `productVersion@build`.
    #[serde(default = "default_build")]
    pub build: String,
}

fn default_build() -> String {
    "20251.25.0101.0000".to_string()
}

impl Default for ServerSpec {
    fn default() -> Self {
        ServerSpec {
            product_version: "2025.1.0".to_string(),
            rest_api_version: "3.25".to_string(),
            build: default_build(),
        }
    }
}

/// One Tableau site and its content.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSpec {
    /// URL namespace used at sign-in (`""` = Default site).
    pub content_url: String,
    /// Display name.
    pub name: String,
    /// Site LUID, used in `/sites/{id}/...` paths.
    pub id: String,
    /// Numeric site id used in Metadata API `uri`s (`sites/<n>/workbooks/...`).
    #[serde(default = "default_site_number")]
    pub site_number: u32,
    /// Projects; `parent_id` builds the tree.
    #[serde(default)]
    pub projects: Vec<ProjectSpec>,
    /// Users (workbook owners, PAT holders).
    #[serde(default)]
    pub users: Vec<UserSpec>,
    /// Personal access tokens that may sign in to this site.
    #[serde(default)]
    pub pats: Vec<PatSpec>,
    /// Database tables known to the catalog.
    #[serde(default)]
    pub tables: Vec<TableSpec>,
    /// Published data sources.
    #[serde(default)]
    pub datasources: Vec<DatasourceSpec>,
    /// Workbooks.
    #[serde(default)]
    pub workbooks: Vec<WorkbookSpec>,
    /// Virtual connections (Tableau 2022.x and later) and their tables.
    #[serde(default)]
    pub virtual_connections: Vec<VirtualConnectionSpec>,
    /// Tableau's own Collections (REST API 3.28+), served only when
    /// `server.rest_api_version` is 3.28 or newer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tableau_collections: Vec<TableauCollectionSpec>,
    /// Data quality warnings on the site's data sources and tables (REST API 3.5+).
    #[serde(default)]
    pub quality_warnings: Vec<QualityWarningSpec>,
    /// The site has no Data Management licence: every data quality warning method answers
    /// 403.
    #[serde(default)]
    pub no_data_management: bool,
    /// Tableau before Cloud February 2024 / Server 2024.2: an asset holds at most one data
    /// quality warning, and adding a second answers 409.
    #[serde(default)]
    pub one_warning_per_asset: bool,
    /// Tableau Collections in the newer body shape: lists as bare arrays, a Collection's
    /// LUID as `luid`, each item's own fields under `content { luid, name, contentType }`
    /// (the classic shape otherwise: `collections.collection[]`, `items.item[]`).
    #[serde(default)]
    pub collections_in_content_shape: bool,
    /// Whether the Content Exploration usage-stats methods (`/api/-/content/usage-stats`)
    /// answer: `available` (default), `absent` (an older server: 404) or `forbidden` (the
    /// token's user may not read usage: 403). Views' `totalViewCount` always answers.
    #[serde(default, skip_serializing_if = "UsageStatsAccess::is_available")]
    pub usage_stats: UsageStatsAccess,
}

/// How a site answers the Content Exploration usage-stats methods.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageStatsAccess {
    /// They answer.
    #[default]
    Available,
    /// The server does not have them: 404, as for any unknown resource.
    Absent,
    /// The token's user may not read usage: 403.
    Forbidden,
}

impl UsageStatsAccess {
    fn is_available(&self) -> bool {
        *self == UsageStatsAccess::Available
    }
}

/// How often a workbook was opened, as the usage-stats methods count it. A workbook
/// without one was never opened (every count zero).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageSpec {
    /// `hitsTotal`: over the workbook's life.
    #[serde(default)]
    pub hits_total: u64,
    /// `hitsLastTwoWeeksTotal`.
    #[serde(default)]
    pub hits_last_two_weeks: u64,
    /// `hitsLastOneMonthTotal`.
    #[serde(default)]
    pub hits_last_one_month: u64,
    /// `hitsLastThreeMonthsTotal`.
    #[serde(default)]
    pub hits_last_three_months: u64,
    /// `hitsLastTwelveMonthsTotal`.
    #[serde(default)]
    pub hits_last_twelve_months: u64,
}

/// A view (sheet or dashboard) of a workbook, as Query Views lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewSpec {
    /// View LUID.
    pub id: String,
    /// Name.
    pub name: String,
    /// `usage totalViewCount` with `includeUsageStatistics=true`.
    #[serde(default)]
    pub total_view_count: u64,
}

/// A data quality warning on a data source or table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualityWarningSpec {
    /// Warning LUID.
    pub id: String,
    /// `datasource`, `table`, `database` or `flow`, as in the REST path.
    pub content_type: String,
    /// LUID of the asset it is on.
    pub content_id: String,
    /// `WARNING`, `DEPRECATED`, `STALE`, `SENSITIVE_DATA` or `MAINTENANCE`.
    #[serde(default = "default_warning_type")]
    pub warning_type: String,
    /// The text a viewer reads.
    #[serde(default)]
    pub message: String,
    /// Shown to viewers while true.
    #[serde(default = "default_true")]
    pub is_active: bool,
    /// Shown as a severe (red) warning.
    #[serde(default)]
    pub is_severe: bool,
    /// LUID of the user who added it (Tableau's automatic extract-refresh warning has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    /// ISO-8601 creation time.
    #[serde(default)]
    pub created_at: String,
    /// ISO-8601 update time.
    #[serde(default)]
    pub updated_at: String,
}

fn default_warning_type() -> String {
    "WARNING".to_string()
}

fn default_true() -> bool {
    true
}

fn default_site_number() -> u32 {
    1
}

/// A project (folder).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectSpec {
    /// Project LUID.
    pub id: String,
    /// Name (not unique across the tree).
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Parent project LUID; absent for top-level projects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// Owner user LUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
}

/// A user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    /// User LUID.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Email address.
    #[serde(default)]
    pub email: String,
    /// Sign-in name.
    pub username: String,
}

/// A personal access token.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatSpec {
    /// Token name (`personalAccessTokenName`).
    pub name: String,
    /// Token secret (`personalAccessTokenSecret`).
    pub secret: String,
    /// LUID of the user it signs in as.
    pub user_id: String,
    /// An expired (or revoked) token fails sign-in with 401001.
    #[serde(default)]
    pub expired: bool,
}

/// A database table in Tableau's catalog.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    /// Metadata API id.
    pub id: String,
    /// Table name as Tableau shows it.
    pub name: String,
    /// Schema name (may be `""`, as real servers return it where no schema was picked).
    #[serde(default)]
    pub schema: String,
    /// Database name.
    #[serde(default)]
    pub database: String,
    /// Tableau connection class, e.g. `snowflake`, `excel-direct`, `webdata-direct:…`.
    pub connection_type: String,
    /// Bracketed full name; defaults to `[schema].[name]`. Real servers disagree with
    /// `schema` at times (`"[public].[actor]"` beside `schema: "public1"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    /// `DatabaseTable.isEmbedded`.
    #[serde(default)]
    pub is_embedded: bool,
    /// Answer `"database": null` (connectors that name no database).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub database_null: bool,
    /// Answer as the Metadata API's obfuscation does for a user who may not see the
    /// table: `id` intact, `name`, `fullName`, `schema` and `database.name` null.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub obfuscated: bool,
    /// Its columns (`DatabaseTable.columns`), which data source fields read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<ColumnSpec>,
}

/// A column of a database table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    /// Column name as the database spells it.
    pub name: String,
    /// `Column.remoteType`, Tableau's OLE DB type name: `WSTR`, `I8`, `R8`, `DBTIMESTAMP`, ...
    #[serde(default = "default_remote_type")]
    pub remote_type: String,
    /// Answer `name: null`, as the Metadata API's obfuscation does for a column the
    /// signed-in user may not see.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub obfuscated: bool,
}

fn default_remote_type() -> String {
    "WSTR".to_string()
}

/// A field of a data source (embedded or published): a `ColumnField` reading one column
/// of a table, or, with a `formula`, a `CalculatedField` over other fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// The field's name as the data source shows it, e.g. `Order Date`.
    pub name: String,
    /// For a column field: the id of the table holding its column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_id: Option<String>,
    /// For a column field: the column it reads; defaults to the field's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// For a calculated field: its formula, e.g. `SUM([Amount]) / COUNTD([Order Id])`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formula: Option<String>,
    /// For a calculated field: the names of the fields (of the same data source) its
    /// formula reads.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// `dataType`: `STRING`, `INTEGER`, `REAL`, `DATE`, `DATETIME`, `BOOLEAN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_type: Option<String>,
}

/// A custom SQL table inside a workbook or published data source.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomSqlSpec {
    /// Metadata API id.
    pub id: String,
    /// The SQL text.
    pub query: String,
    /// Tableau connection class.
    pub connection_type: String,
    /// Database name.
    pub database: String,
    /// Tables Tableau's parser found in the SQL (empty when unparsable).
    #[serde(default)]
    pub table_ids: Vec<String>,
    /// `isUnsupportedCustomSql`.
    #[serde(default)]
    pub is_unsupported: bool,
}

/// A published data source.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasourceSpec {
    /// REST LUID.
    pub luid: String,
    /// Metadata API id; derived from the LUID when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Name.
    pub name: String,
    /// Project LUID.
    pub project_id: String,
    /// Owner user LUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    /// Whether it holds an extract (refreshable).
    #[serde(default)]
    pub has_extracts: bool,
    /// Tables it reads.
    #[serde(default)]
    pub table_ids: Vec<String>,
    /// Custom SQL it runs.
    #[serde(default)]
    pub custom_sql: Vec<CustomSqlSpec>,
    /// When set, refresh jobs for it fail with this text in `notes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_error: Option<String>,
    /// Other published data sources it reads (a data source published on top of another).
    #[serde(default)]
    pub datasource_luids: Vec<String>,
    /// Virtual connection tables it reads, by their LUID.
    #[serde(default)]
    pub virtual_table_luids: Vec<String>,
    /// Its fields (`PublishedDatasource.fields`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldSpec>,
}

/// A virtual connection: a shared set of connections whose tables data sources read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VirtualConnectionSpec {
    /// REST LUID.
    pub luid: String,
    /// Name.
    pub name: String,
    /// Its tables.
    #[serde(default)]
    pub tables: Vec<VirtualTableSpec>,
}

/// A table of a virtual connection, standing for the database tables it reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VirtualTableSpec {
    /// LUID.
    pub luid: String,
    /// Name as the virtual connection shows it.
    pub name: String,
    /// Database tables it reads.
    #[serde(default)]
    pub table_ids: Vec<String>,
}

/// A workbook.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkbookSpec {
    /// REST LUID.
    pub luid: String,
    /// Metadata API id; derived from the LUID when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Name.
    pub name: String,
    /// Project LUID.
    pub project_id: String,
    /// Owner user LUID.
    pub owner_id: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Numeric id used in UI URLs.
    pub vizportal_url_id: String,
    /// ISO-8601 creation time.
    pub created_at: String,
    /// ISO-8601 update time.
    pub updated_at: String,
    /// Tables its embedded data source reads directly.
    #[serde(default)]
    pub table_ids: Vec<String>,
    /// Whether its embedded data source holds an extract.
    #[serde(default)]
    pub embedded_extract: bool,
    /// Published data sources it uses.
    #[serde(default)]
    pub datasource_luids: Vec<String>,
    /// Custom SQL in its embedded data source.
    #[serde(default)]
    pub custom_sql: Vec<CustomSqlSpec>,
    /// When set, refresh jobs for it fail with this text in `notes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_error: Option<String>,
    /// Virtual connection tables its embedded data source reads, by their LUID.
    #[serde(default)]
    pub virtual_table_luids: Vec<String>,
    /// How often it was opened (usage-stats methods); absent: never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<UsageSpec>,
    /// Its views; absent: one view named after the workbook whose `totalViewCount` is
    /// `usage.hits_total`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub views: Vec<ViewSpec>,
    /// The fields of its own embedded data source (those of the published data sources
    /// it uses are theirs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldSpec>,
}

/// A Tableau Collection: a curated list of content from any project (REST API 3.28+).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableauCollectionSpec {
    /// Collection LUID.
    pub id: String,
    /// Name (not unique: two users may each have a "Board pack").
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// `public` (shared) or `private`.
    #[serde(default = "default_visibility")]
    pub visibility: String,
    /// Owner user LUID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_id: Option<String>,
    /// Its items, in their position order.
    #[serde(default)]
    pub items: Vec<TableauCollectionItemSpec>,
}

fn default_visibility() -> String {
    "public".to_string()
}

/// One item of a Tableau Collection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableauCollectionItemSpec {
    /// `contentType` in responses: `workbook`, `datasource`, `view`, `flow`, ...
    pub content_type: String,
    /// The item's LUID (a workbook's REST LUID for `workbook`).
    pub luid: String,
    /// Name shown for items that are not workbooks of this site.
    #[serde(default)]
    pub name: String,
    /// The token's user may not see it: it counts in `totalItemCount`, not in
    /// `permissionedItemCount`, and is not listed.
    #[serde(default)]
    pub hidden: bool,
}

impl SiteSpec {
    /// The table with this id.
    pub fn table(&self, id: &str) -> Option<&TableSpec> {
        self.tables.iter().find(|t| t.id == id)
    }

    /// The project with this LUID.
    pub fn project(&self, id: &str) -> Option<&ProjectSpec> {
        self.projects.iter().find(|p| p.id == id)
    }

    /// Checks that every reference (project, owner, table, data source) points at something.
    pub fn validate(&self) -> Result<(), SimError> {
        let problem = |problem: String| SimError::InvalidSite {
            site: self.content_url.clone(),
            problem,
        };
        let projects: HashSet<&str> = self.projects.iter().map(|p| p.id.as_str()).collect();
        let users: HashSet<&str> = self.users.iter().map(|u| u.id.as_str()).collect();
        // By id, the first of a repeated id as `SiteSpec::table` finds it: a site of 100,000
        // tables and 400,000 fields would take minutes to check by scanning.
        let mut tables: HashMap<&str, &TableSpec> = HashMap::with_capacity(self.tables.len());
        for table in &self.tables {
            tables.entry(table.id.as_str()).or_insert(table);
        }
        let datasources: HashSet<&str> = self.datasources.iter().map(|d| d.luid.as_str()).collect();
        for project in &self.projects {
            if let Some(parent) = &project.parent_id
                && !projects.contains(parent.as_str())
            {
                return Err(problem(format!(
                    "project '{}' has unknown parent_id '{parent}'",
                    project.name
                )));
            }
        }
        for pat in &self.pats {
            if !users.contains(pat.user_id.as_str()) {
                return Err(problem(format!(
                    "PAT '{}' has unknown user_id '{}'",
                    pat.name, pat.user_id
                )));
            }
        }
        let check_tables = |owner: &str, ids: &[String]| match ids
            .iter()
            .find(|id| !tables.contains_key(id.as_str()))
        {
            Some(id) => Err(problem(format!("{owner} reads unknown table id '{id}'"))),
            None => Ok(()),
        };
        for ds in &self.datasources {
            let owner = format!("data source '{}'", ds.name);
            if !projects.contains(ds.project_id.as_str()) {
                return Err(problem(format!(
                    "{owner} has unknown project_id '{}'",
                    ds.project_id
                )));
            }
            check_tables(&owner, &ds.table_ids)?;
            for sql in &ds.custom_sql {
                check_tables(&owner, &sql.table_ids)?;
            }
            check_fields(&tables, &owner, &ds.fields).map_err(problem)?;
        }
        for wb in &self.workbooks {
            let owner = format!("workbook '{}'", wb.name);
            if !projects.contains(wb.project_id.as_str()) {
                return Err(problem(format!(
                    "{owner} has unknown project_id '{}'",
                    wb.project_id
                )));
            }
            if !users.contains(wb.owner_id.as_str()) {
                return Err(problem(format!(
                    "{owner} has unknown owner_id '{}'",
                    wb.owner_id
                )));
            }
            check_tables(&owner, &wb.table_ids)?;
            for sql in &wb.custom_sql {
                check_tables(&owner, &sql.table_ids)?;
            }
            check_fields(&tables, &owner, &wb.fields).map_err(problem)?;
            if let Some(luid) = wb
                .datasource_luids
                .iter()
                .find(|l| !datasources.contains(l.as_str()))
            {
                return Err(problem(format!(
                    "{owner} uses unknown data source '{luid}'"
                )));
            }
        }
        let workbooks: HashSet<&str> = self.workbooks.iter().map(|w| w.luid.as_str()).collect();
        for collection in &self.tableau_collections {
            if let Some(item) = collection
                .items
                .iter()
                .find(|i| i.content_type == "workbook" && !workbooks.contains(i.luid.as_str()))
            {
                return Err(problem(format!(
                    "Tableau Collection '{}' holds unknown workbook '{}'",
                    collection.name, item.luid
                )));
            }
        }
        let mut seen = HashMap::new();
        for wb in &self.workbooks {
            if seen.insert(wb.luid.as_str(), ()).is_some() {
                return Err(problem(format!(
                    "workbook luid '{}' appears twice",
                    wb.luid
                )));
            }
        }
        Ok(())
    }
}

/// Checks that each column field reads a column its table (of `tables`, by id) lists, and
/// that each calculated field reads fields of the same data source.
fn check_fields(
    tables: &HashMap<&str, &TableSpec>,
    owner: &str,
    fields: &[FieldSpec],
) -> Result<(), String> {
    let names: HashSet<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    for field in fields {
        let what = format!("{owner}'s field '{}'", field.name);
        if field.formula.is_some() {
            if let Some(unknown) = field
                .references
                .iter()
                .find(|r| !names.contains(r.as_str()))
            {
                return Err(format!("{what} reads unknown field '{unknown}'"));
            }
            continue;
        }
        let Some(table_id) = &field.table_id else {
            return Err(format!("{what} has neither a table_id nor a formula"));
        };
        let Some(table) = tables.get(table_id.as_str()) else {
            return Err(format!("{what} reads unknown table id '{table_id}'"));
        };
        let column = field.column.as_deref().unwrap_or(&field.name);
        if !table.columns.iter().any(|c| c.name == column) {
            return Err(format!(
                "{what} reads column '{column}', which table '{table_id}' does not list"
            ));
        }
    }
    Ok(())
}

impl SiteData {
    /// Checks the whole server: unique site content URLs and valid references in each site.
    pub fn validate(&self) -> Result<(), SimError> {
        let mut seen = HashSet::new();
        for site in &self.sites {
            if !seen.insert(site.content_url.as_str()) {
                return Err(SimError::InvalidSite {
                    site: site.content_url.clone(),
                    problem: "two sites share this content_url".to_string(),
                });
            }
            site.validate()?;
        }
        if crate::rest::parse_version(&self.server.rest_api_version).is_none() {
            return Err(SimError::InvalidSite {
                site: String::new(),
                problem: format!(
                    "server.rest_api_version '{}' is not of the form MAJOR.MINOR",
                    self.server.rest_api_version
                ),
            });
        }
        Ok(())
    }
}

/// Reads and validates a site-data JSON file.
pub fn load_site_file(path: &Path) -> Result<SiteData, SimError> {
    let text = std::fs::read_to_string(path).map_err(|source| SimError::ReadSiteFile {
        path: path.to_path_buf(),
        source,
    })?;
    let data: SiteData = serde_json::from_str(&text).map_err(|source| SimError::ParseSiteFile {
        path: path.to_path_buf(),
        source,
    })?;
    data.validate()?;
    Ok(data)
}
