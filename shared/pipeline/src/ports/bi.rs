//! The BI tool an integration reads: Tableau today, another tool as another adapter.

use async_trait::async_trait;

use std::sync::Arc;

use std::collections::BTreeMap;

use autoexpose_domain::{FieldColumn, Usage, Workbook, WorkbookUrls};
use serde::{Deserialize, Serialize};

use crate::records::{Integration, RefreshTarget, WarningAsset};
use crate::{BoxError, ListingBudget, PartialListing, Secret};
pub use autoexpose_domain::quality_warning::WarningText;
pub use autoexpose_domain::refresh::{JobState, RefreshReply};

/// A Tableau project resolved from a LUID or a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedCollection {
    /// What the person gave (LUID or path).
    pub requested: String,
    /// The project LUID.
    pub luid: String,
    /// The project path, e.g. `Finance/Quarterly`.
    pub path: String,
}

/// One Tableau project of a site, for showing the project tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectNode {
    /// Project LUID.
    pub luid: String,
    /// Project name.
    pub name: String,
    /// Full path, e.g. `Finance/Quarterly`.
    pub path: String,
    /// Parent project LUID; `None` at the top level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_luid: Option<String>,
}

/// One of Tableau's own Collections (REST API 3.28+), for showing and selecting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableauCollectionNode {
    /// Collection LUID.
    pub luid: String,
    /// Collection name.
    pub name: String,
    /// `public` or `private`, when the tool says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<String>,
    /// How many items it holds, when the tool says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_count: Option<u64>,
    /// How many of them the token's user may see, when the tool says; the others are not
    /// imported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_item_count: Option<u64>,
}

/// The site's Tableau Collections, or why it has none to offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TableauCollections {
    /// The Collections the token's user can see.
    Available(Vec<TableauCollectionNode>),
    /// The site cannot have them; the words say why (e.g. its REST API is older than 3.28).
    NotAvailable(String),
}

/// How often people opened workbooks, by workbook LUID, and what limits it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsageReport {
    /// Usage by workbook LUID; a workbook the tool said nothing of has no entry.
    pub by_workbook: BTreeMap<String, Usage>,
    /// Why the counts are partial (e.g. only lifetime view counts), in words a Tableau
    /// admin can act on; `None` when they are complete.
    pub limitation: Option<String>,
}

/// The database columns the fields of some workbooks read (field lineage), by workbook
/// LUID, as [`BiTool::workbook_columns`] fetched them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnLineage {
    /// By workbook LUID: the columns its fields read. A workbook the tool did not return
    /// is absent.
    pub columns: BTreeMap<String, Vec<FieldColumn>>,
    /// Columns the tool hid from the token's user, over all the workbooks.
    pub hidden: usize,
}

/// What went wrong talking to the BI tool, by kind, with the client's own error as the
/// source (its message already says what to do and never carries a secret).
#[derive(Debug, thiserror::Error)]
pub enum BiError {
    /// Sign-in refused: a bad, expired or revoked token, or an unknown site. A person must
    /// act; a retry cannot help.
    #[error(transparent)]
    SignIn(BoxError),
    /// Some requested Tableau Collections (Tableau's own lists) are not on the site.
    #[error("unknown Tableau Collections: {}; `autoexpose collections list` shows the site's Collections", .0.join("; "))]
    UnknownTableauCollections(Vec<String>),
    /// Some requested collections do not exist on the site.
    #[error("unknown Tableau collections: {}; check the project LUIDs or paths with `autoexpose collections list`", .0.join(", "))]
    UnknownCollections(Vec<String>),
    /// The tool is unreachable, rate limiting, or down; a retry may succeed.
    #[error(transparent)]
    Unavailable(BoxError),
    /// Anything else the tool refused or answered oddly (an API switched off, a payload
    /// that cannot be read); a retry cannot help.
    #[error(transparent)]
    Other(BoxError),
}

impl BiError {
    /// True when the same call may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, BiError::Unavailable(_))
    }
}

/// The BI tool operations the pipeline needs (Tableau today; Power BI would be another
/// adapter). Implementations sign in with the integration's token name and the given
/// secret.
#[async_trait]
pub trait BiTool: Send + Sync {
    /// The integration's rule for the browser URL of a workbook (its exposure's `url`).
    fn workbook_urls(&self, integration: &Integration) -> Arc<dyn WorkbookUrls>;

    /// Resolves project LUIDs or paths to projects. `UnknownCollections` names every one
    /// that does not exist.
    async fn resolve_collections(
        &self,
        integration: &Integration,
        secret: &Secret,
        collections: &[String],
    ) -> Result<Vec<ResolvedCollection>, BiError>;

    /// Every workbook in the integration's collections (nested projects included). Only a
    /// complete listing is returned; anything less is an error.
    async fn list_workbooks(
        &self,
        integration: &Integration,
        secret: &Secret,
    ) -> Result<Vec<Workbook>, BiError>;

    /// Goes on with a listing of the integration's workbooks from where `listing` stands,
    /// fetching pages while `budget` allows (at least one), and returns the listing as far
    /// as it got; `complete` only once every workbook is in it. A tool that cannot list in
    /// stretches lists everything at once, which is what this default does.
    async fn continue_listing(
        &self,
        integration: &Integration,
        secret: &Secret,
        listing: PartialListing,
        budget: &ListingBudget,
    ) -> Result<PartialListing, BiError> {
        let _ = (listing, budget);
        let workbooks = self.list_workbooks(integration, secret).await?;
        Ok(PartialListing::finished(workbooks, 1))
    }

    /// The columns the fields of each of these workbooks read, asked for after matching
    /// and for the matched workbooks only, so its cost grows with them, not with the site.
    /// A tool without field lineage has none to give, which this default says.
    async fn workbook_columns(
        &self,
        integration: &Integration,
        secret: &Secret,
        workbook_luids: &[String],
    ) -> Result<ColumnLineage, BiError> {
        let _ = (integration, secret, workbook_luids);
        Ok(ColumnLineage::default())
    }

    /// Resolves Tableau Collection LUIDs or names to LUIDs, in the order given.
    /// `UnknownTableauCollections` names every one that cannot be found; a tool without
    /// Tableau Collections refuses.
    async fn resolve_tableau_collections(
        &self,
        integration: &Integration,
        secret: &Secret,
        tableau_collections: &[String],
    ) -> Result<Vec<String>, BiError> {
        let _ = (integration, secret, tableau_collections);
        Err(BiError::Other(
            "this BI tool has no Tableau Collections".into(),
        ))
    }

    /// The site's Tableau Collections (or why there are none to offer).
    async fn list_tableau_collections(
        &self,
        integration: &Integration,
        secret: &Secret,
    ) -> Result<TableauCollections, BiError> {
        let _ = (integration, secret);
        Ok(TableauCollections::NotAvailable(
            "this BI tool has no Tableau Collections".into(),
        ))
    }

    /// How often people opened these workbooks (by LUID), in one session. A tool that
    /// reports no usage gives none, which this default does.
    async fn workbook_usage(
        &self,
        integration: &Integration,
        secret: &Secret,
        luids: &[String],
    ) -> Result<UsageReport, BiError> {
        let _ = (integration, secret, luids);
        Ok(UsageReport::default())
    }

    /// The site's project tree.
    async fn list_projects(
        &self,
        integration: &Integration,
        secret: &Secret,
    ) -> Result<Vec<ProjectNode>, BiError>;

    /// Starts an extract refresh of each target, in one session; one reply per target, in
    /// order. The outer error is a failed sign-in (nothing was asked).
    async fn refresh_extracts(
        &self,
        integration: &Integration,
        secret: &Secret,
        targets: &[RefreshTarget],
    ) -> Result<Vec<Result<RefreshReply, BiError>>, BiError>;

    /// Where a background job stands.
    async fn job_status(
        &self,
        integration: &Integration,
        secret: &Secret,
        job_id: &str,
    ) -> Result<JobState, BiError>;

    /// Makes each change to the data quality warnings of the integration's site, in one
    /// session; one reply per change, in order. The outer error is a failed sign-in
    /// (nothing was changed). A tool without such warnings refuses, which this default
    /// does.
    async fn apply_quality_warnings(
        &self,
        integration: &Integration,
        secret: &Secret,
        changes: &[WarningChange],
    ) -> Result<Vec<Result<WarningReply, BiError>>, BiError> {
        let _ = (integration, secret, changes);
        Err(BiError::Other(
            "this BI tool has no data quality warnings".into(),
        ))
    }
}

/// One change to the data quality warnings of a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WarningChange {
    /// Put a warning on an asset that has none of ours. An unowned warning carrying the
    /// marker (ours, whose LUID was lost) is taken over rather than doubled.
    Raise {
        /// The asset.
        asset: WarningAsset,
        /// What it should say.
        text: WarningText,
    },
    /// Rewrite our warning; one deleted meanwhile is raised again.
    Update {
        /// The asset.
        asset: WarningAsset,
        /// Our warning's LUID.
        warning_luid: String,
        /// What it should say.
        text: WarningText,
    },
    /// Remove our warning.
    Clear {
        /// The asset.
        asset: WarningAsset,
        /// Our warning's LUID.
        warning_luid: String,
    },
}

impl WarningChange {
    /// The asset changed.
    pub fn asset(&self) -> &WarningAsset {
        match self {
            WarningChange::Raise { asset, .. }
            | WarningChange::Update { asset, .. }
            | WarningChange::Clear { asset, .. } => asset,
        }
    }
}

/// What one [`WarningChange`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WarningReply {
    /// The asset carries our warning, with this LUID.
    Written {
        /// The warning's LUID.
        warning_luid: String,
    },
    /// Our warning is gone (removed now, or already).
    Cleared,
    /// The asset holds someone else's warning and the tool allows one per asset; it was
    /// left in place.
    HeldBack {
        /// The tool's words.
        detail: String,
    },
    /// The site does not offer warnings to this token (licence or permission); nothing
    /// after this change was tried.
    NotAvailable {
        /// The tool's words.
        detail: String,
    },
}
