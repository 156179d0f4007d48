//! The Tableau client: REST and Metadata API over HTTPS (reqwest with rustls).
//!
//! It signs in with a personal access token (PAT), lists a site's projects, resolves the
//! selected collections (project LUIDs or paths such as `Finance/Reporting`, with their
//! nested projects), and lists their workbooks with upstream tables and custom SQL through
//! the Metadata API, as the domain's [`Workbook`](autoexpose_domain::Workbook)s (the
//! numeric id of a workbook's browser URL as its `url_id`, which [`TableauSite`] turns
//! into the URL). It can
//! also start extract refreshes and follow their jobs, and read how often workbooks are
//! opened ([`Session::workbook_usage`]). [`parse_workbooks_response`] reads a
//! saved Metadata API response (the CLI's offline `match` and `diagnose`) through the same
//! wire types as a live listing, so both read a workbook alike.
//!
//! What it guarantees:
//! - one sign-in per run, one token shared by every request, sign-out at the end (also
//!   when the work fails), and at most one sign-in again if Tableau ends the session;
//! - never more than [`MAX_IN_FLIGHT`] requests in flight to the site;
//! - 429, 5xx and network failures are retried with capped, jittered exponential backoff,
//!   within a retry limit and a time budget; errors give the real number of attempts and
//!   which limit stopped them;
//! - no reply body is read past [`ClientOptions::max_response_bytes`] (64 MiB by default);
//! - a 401 is reported by its real cause: a proxy's page, an idle timeout, a session ended
//!   while in use, or a token that expired or was revoked during the run;
//! - a workbook listing is complete or an error, never silently partial;
//! - a server URL with a user name and password is refused, and shown redacted;
//! - Tableau's text reaches messages only through `printable` (no control characters,
//!   long values cut);
//! - neither the PAT secret nor the session token appears in a log line, error or
//!   `Debug` output, even when a proxy echoes the request into its reply.
//!
//! ```no_run
//! use autoexpose_tableau::{ClientOptions, ConnectionSettings, TableauClient, TokenSecret};
//!
//! # async fn run() -> Result<(), autoexpose_tableau::TableauError> {
//! let client = TableauClient::new(
//!     ConnectionSettings {
//!         server_url: "10az.online.tableau.com".into(),
//!         site: "acme".into(),
//!         token_name: "autoexpose".into(),
//!         token_secret: TokenSecret::new("secret from the secret store"),
//!     },
//!     ClientOptions::default(),
//! )?;
//! let listing = client
//!     .list_collections(&["Finance/Reporting".to_string()], |p| {
//!         eprintln!("{} workbooks after {} pages", p.workbooks, p.pages)
//!     })
//!     .await?;
//! for workbook in &listing.workbooks.workbooks {
//!     println!("{} reads {} tables", workbook.name, workbook.tables.len());
//! }
//! # Ok(())
//! # }
//! ```
//!
//! For several calls in one session use [`TableauClient::with_session`], which signs out
//! however the work ends.

mod client;
mod error;
mod metadata;
mod projects;
mod quality_warnings;
mod refresh;
mod rest;
mod saved_fields;
mod settings;
mod site;
mod tableau_collections;
mod transport;
mod usage;
mod wire;

pub use autoexpose_domain::refresh::{JobState, RefreshReply};
pub use client::{Session, TableauClient};
pub use error::{GaveUp, PatExpiry, SessionEnd, TableauError};
pub use metadata::{
    FIELDS_PAGE_SIZE, LUIDS_PER_FIELDS_QUERY, ListingCursor, Progress, WorkbookColumns,
    WorkbookListing, WorkbookStretch,
};
pub use projects::{Project, ProjectTree};
pub use quality_warnings::{AddedWarning, QualityWarning, WarningContent};
pub use reqwest::Client as HttpClient;
pub use saved_fields::{FieldColumn, parse_field_columns};
pub use settings::{
    ClientOptions, ConnectionSettings, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_PAGE_SIZE,
    MAX_IN_FLIGHT, RetryPolicy, TokenSecret, check_server_url, redact_server_url,
};
pub use site::TableauSite;
pub use tableau_collections::{
    ResolvedSelection, Selection, TABLEAU_COLLECTIONS_SINCE, TableauCollection,
    TableauCollectionItem, find_tableau_collection, has_tableau_collections,
};
pub use transport::build_http_client;
pub use usage::{MAX_VIEW_PAGES, USAGE_BATCH, UsageSource, WorkbookUsage};
pub use wire::{TableauResponseError, parse_workbooks_response};

/// The selected projects and every workbook in them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CollectionListing {
    /// The selected projects with everything nested below them.
    pub projects: Vec<Project>,
    /// Their workbooks, complete.
    pub workbooks: WorkbookListing,
}

impl TableauClient {
    /// The whole import in one call: signs in, resolves `collections` (project LUIDs or
    /// paths, nested projects included), lists their workbooks, and signs out.
    pub async fn list_collections(
        &self,
        collections: &[String],
        progress: impl Fn(Progress) + Send + Sync + 'static,
    ) -> Result<CollectionListing, TableauError> {
        self.with_session(async |session| {
            let projects = session.resolve_collections(collections).await?;
            let luids: Vec<String> = projects.iter().map(|p| p.luid.clone()).collect();
            let workbooks = session.list_workbooks(&luids, progress).await?;
            Ok(CollectionListing {
                projects,
                workbooks,
            })
        })
        .await
    }
}
