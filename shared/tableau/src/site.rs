//! Where a person opens a Tableau workbook: the browser URL built from the site and the
//! workbook's numeric (vizportal) id.

use autoexpose_domain::{Workbook, WorkbookUrls};
use serde::{Deserialize, Serialize};

/// The Tableau site that workbooks come from: its rule for workbook browser URLs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableauSite {
    /// Host (`10az.online.tableau.com`), host and port, or a full URL with scheme.
    pub server_url: String,
    /// The site's content URL; empty for the Default site of a Tableau Server.
    pub content_url: String,
}

impl WorkbookUrls for TableauSite {
    fn workbook_url(&self, workbook: &Workbook) -> Option<String> {
        TableauSite::workbook_url(self, workbook)
    }
}

impl TableauSite {
    /// `https://host[:port]` (or the scheme given), without a trailing slash.
    pub fn base_url(&self) -> String {
        let url = self.server_url.trim().trim_end_matches('/');
        if url.contains("://") {
            url.to_string()
        } else {
            format!("https://{url}")
        }
    }

    /// The URL a person opens to see a workbook, from its numeric (vizportal) id.
    pub fn workbook_url(&self, workbook: &Workbook) -> Option<String> {
        let numeric = workbook
            .vizportal_url_id
            .clone()
            .filter(|id| !id.is_empty())
            .or_else(|| {
                let uri = workbook.uri.as_deref()?;
                let (_, id) = uri.rsplit_once("/workbooks/")?;
                Some(id.trim_matches('/').to_string()).filter(|id| !id.is_empty())
            })?;
        let base = self.base_url();
        Some(if self.content_url.is_empty() {
            format!("{base}/#/workbooks/{numeric}/views")
        } else {
            format!(
                "{base}/#/site/{}/workbooks/{numeric}/views",
                self.content_url
            )
        })
    }
}
