//! Where a person opens a Tableau workbook: the browser URL built from the site and the
//! workbook's numeric (vizportal) id, which the client hands over as the workbook's
//! BI-neutral `url_id`.

use std::fmt;

use autoexpose_domain::{Workbook, WorkbookUrls};
use serde::{Deserialize, Serialize};

use crate::settings::{redact_server_url, strip_user_info};

/// The Tableau site that workbooks come from: its rule for workbook browser URLs.
///
/// Its `Debug` and its URLs never show a user name or password that a server URL stored
/// by an older version may hold.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableauSite {
    /// Host (`10az.online.tableau.com`), host and port, or a full URL with scheme.
    pub server_url: String,
    /// The site's content URL; empty for the Default site of a Tableau Server.
    pub content_url: String,
}

impl fmt::Debug for TableauSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TableauSite")
            .field("server_url", &redact_server_url(&self.server_url))
            .field("content_url", &self.content_url)
            .finish()
    }
}

impl WorkbookUrls for TableauSite {
    fn workbook_url(&self, workbook: &Workbook) -> Option<String> {
        TableauSite::workbook_url(self, workbook)
    }
}

impl TableauSite {
    /// `https://host[:port]` (or the scheme given), without a trailing slash or user info.
    pub fn base_url(&self) -> String {
        let url = strip_user_info(self.server_url.trim());
        let url = url.trim_end_matches('/');
        if url.contains("://") {
            url.to_string()
        } else {
            format!("https://{url}")
        }
    }

    /// The URL a person opens to see a workbook, from its `url_id`: the numeric
    /// (vizportal) id, or a Metadata API `uri` such as `sites/4989/workbooks/15995` that
    /// ends in it (listings without the numeric id, and snapshots of earlier versions).
    pub fn workbook_url(&self, workbook: &Workbook) -> Option<String> {
        let numeric = numeric_id(workbook.url_id.as_deref()?)?;
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

/// The numeric id in a `url_id`: the id itself, or the tail of a Metadata API `uri`.
fn numeric_id(url_id: &str) -> Option<&str> {
    let id = if url_id.contains('/') {
        let (_, id) = url_id.rsplit_once("/workbooks/")?;
        id.trim_matches('/')
    } else {
        url_id
    };
    Some(id).filter(|id| !id.is_empty())
}
