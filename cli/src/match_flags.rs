//! The flags that steer matching, shared by the commands that match: database and schema
//! aliases and defaults, and the Tableau site for workbook links.

use autoexpose_domain::Aliases;

/// `--database-alias`, `--schema-alias`, `--default-schema` and `--default-database`,
/// shared by the commands that match.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct AliasArgs {
    /// Map a Tableau database name to dbt's: `TABLEAU=DBT` (repeatable), e.g. `prod_analytics=analytics`;
    /// `=DBT` is the database of tables Tableau names none for (as `--default-database DBT`).
    #[arg(long = "database-alias", value_name = "TABLEAU=DBT", value_parser = parse_alias)]
    databases: Vec<(String, String)>,
    /// Map a Tableau schema name to dbt's: `TABLEAU=DBT` (repeatable); `=DBT` is the schema
    /// of tables Tableau names none for (as `--default-schema DBT`).
    #[arg(long = "schema-alias", value_name = "TABLEAU=DBT", value_parser = parse_alias)]
    schemas: Vec<(String, String)>,
    /// The schema of tables Tableau names none for (the connection's default applied):
    /// `SCHEMA` for every table, or `SCOPE=SCHEMA` for one connection type or Tableau
    /// database, e.g. `sqlserver=dbo`, `postgres=public` (repeatable).
    #[arg(long = "default-schema", value_name = "[SCOPE=]SCHEMA", value_parser = parse_default)]
    default_schemas: Vec<(String, String)>,
    /// The database of tables Tableau names none for (`database: null`, a two-part
    /// `fullName`): `DATABASE`, or `CONNECTION_TYPE=DATABASE` (repeatable).
    #[arg(long = "default-database", value_name = "[CONNECTION_TYPE=]DATABASE", value_parser = parse_default)]
    default_databases: Vec<(String, String)>,
}

impl AliasArgs {
    /// The aliases and defaults as the matcher takes them.
    pub(crate) fn to_aliases(&self) -> Aliases {
        let (mut default_databases, databases) = split_defaults(&self.databases);
        let (mut default_schemas, schemas) = split_defaults(&self.schemas);
        default_databases.extend(self.default_databases.iter().cloned());
        default_schemas.extend(self.default_schemas.iter().cloned());
        Aliases {
            databases,
            schemas,
            default_schemas,
            default_databases,
        }
    }
}

type NameMap = std::collections::BTreeMap<String, String>;

/// Separates `=DBT` aliases (a default for every table) from `TABLEAU=DBT` ones.
fn split_defaults(aliases: &[(String, String)]) -> (NameMap, NameMap) {
    let mut defaults = NameMap::new();
    let mut mapped = NameMap::new();
    for (from, to) in aliases {
        if from.is_empty() {
            defaults.insert(String::new(), to.clone());
        } else {
            mapped.insert(from.clone(), to.clone());
        }
    }
    (defaults, mapped)
}

fn parse_alias(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((from, to)) if !to.trim().is_empty() => {
            Ok((from.trim().to_string(), to.trim().to_string()))
        }
        _ => Err(format!(
            "'{text}' is not TABLEAU=DBT, e.g. prod_analytics=analytics (or =public for tables Tableau names no schema for)"
        )),
    }
}

fn parse_default(text: &str) -> Result<(String, String), String> {
    let (scope, value) = text.split_once('=').unwrap_or(("", text));
    if value.trim().is_empty() {
        return Err(format!(
            "'{text}' names no default: give NAME, or SCOPE=NAME with a connection type or Tableau database as the scope, e.g. sqlserver=dbo"
        ));
    }
    Ok((scope.trim().to_string(), value.trim().to_string()))
}

/// `--server-url` and `--site`, for the commands that build workbook links offline.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct SiteArgs {
    /// Tableau server, for workbook links: a host (https implied) or a full URL.
    #[arg(long)]
    server_url: Option<String>,
    /// Tableau site content URL (the part after `#/site/`); empty for the Default site.
    #[arg(long, default_value = "")]
    site: String,
}

impl SiteArgs {
    /// The site's rule for workbook URLs, when a server was given.
    pub(crate) fn workbook_urls(
        &self,
    ) -> Option<std::sync::Arc<dyn autoexpose_domain::WorkbookUrls>> {
        let server_url = self.server_url.clone()?;
        Some(std::sync::Arc::new(autoexpose_tableau::TableauSite {
            server_url,
            content_url: self.site.clone(),
        }))
    }

    /// The site's content URL, unless it is the Default site.
    pub(crate) fn content_url(&self) -> Option<&str> {
        (!self.site.is_empty()).then_some(self.site.as_str())
    }
}
