//! The flags that steer matching, shared by the commands that match: database and schema
//! aliases, and the Tableau site for workbook links.

use autoexpose_domain::Aliases;

/// `--database-alias` and `--schema-alias`, shared by the commands that match.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct AliasArgs {
    /// Map a Tableau database name to dbt's: `TABLEAU=DBT` (repeatable), e.g. `prod_analytics=analytics`.
    #[arg(long = "database-alias", value_name = "TABLEAU=DBT", value_parser = parse_alias)]
    databases: Vec<(String, String)>,
    /// Map a Tableau schema name to dbt's: `TABLEAU=DBT` (repeatable).
    #[arg(long = "schema-alias", value_name = "TABLEAU=DBT", value_parser = parse_alias)]
    schemas: Vec<(String, String)>,
}

impl AliasArgs {
    /// The aliases as the matcher takes them.
    pub(crate) fn to_aliases(&self) -> Aliases {
        Aliases {
            databases: self.databases.iter().cloned().collect(),
            schemas: self.schemas.iter().cloned().collect(),
        }
    }
}

fn parse_alias(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((from, to)) if !from.trim().is_empty() && !to.trim().is_empty() => {
            Ok((from.trim().to_string(), to.trim().to_string()))
        }
        _ => Err(format!(
            "'{text}' is not TABLEAU=DBT, e.g. prod_analytics=analytics"
        )),
    }
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
