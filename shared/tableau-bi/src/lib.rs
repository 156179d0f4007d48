//! The pipeline's BI tool port ([`BiTool`]) over the real Tableau client
//! (`autoexpose-tableau`). A second BI tool (Power BI) would be a crate like this one
//! beside it; the pipeline and the domain stay as they are.
//!
//! ```no_run
//! use autoexpose_tableau_bi::TableauHttp;
//! let bi = TableauHttp::new(autoexpose_tableau::ClientOptions::default());
//! # let _ = bi;
//! ```

mod quality_warnings;

use autoexpose_domain::{Workbook, WorkbookUrls};
use std::sync::{Arc, OnceLock};

use autoexpose_tableau::{
    ClientOptions, ConnectionSettings, HttpClient, ListingCursor, Selection, Session,
    TableauClient, TableauError as ClientError, TableauSite, TokenSecret, UsageSource,
    build_http_client, find_tableau_collection, has_tableau_collections,
};

use autoexpose_pipeline::{
    BiError, BiTool, ColumnLineage, Integration, JobState, ListingBudget, PartialListing,
    ProjectNode, RefreshReply, RefreshTarget, RefreshTargetKind, ResolvedCollection, Secret,
    TableauCollectionNode, TableauCollections, UsageReport, WarningChange, WarningReply,
};

/// The real Tableau client: one sign-in per call, signed out however the call ends. The
/// HTTP client (connection pool, TLS) is built once and shared by clones, so a warm Lambda
/// container reuses its connections.
#[derive(Debug, Clone, Default)]
pub struct TableauHttp {
    options: ClientOptions,
    http: Arc<OnceLock<HttpClient>>,
}

impl TableauHttp {
    /// A client with these options (page size, retries, timeouts).
    pub fn new(options: ClientOptions) -> TableauHttp {
        TableauHttp {
            options,
            http: Arc::default(),
        }
    }

    fn http(&self) -> Result<HttpClient, BiError> {
        if let Some(http) = self.http.get() {
            return Ok(http.clone());
        }
        let built = build_http_client(&self.options).map_err(port_error)?;
        Ok(self.http.get_or_init(|| built).clone())
    }

    fn client(&self, integration: &Integration, secret: &Secret) -> Result<TableauClient, BiError> {
        TableauClient::with_http_client(
            ConnectionSettings {
                server_url: integration.server_url.clone(),
                site: integration.site.clone(),
                token_name: integration.token_name.clone(),
                token_secret: TokenSecret::new(secret.expose()),
            },
            self.options.clone(),
            self.http()?,
        )
        .map_err(port_error)
    }
}

/// Sorts the client's errors into the port's kinds, keeping the client's error as the
/// source: its message already says what to do and never carries a secret.
fn port_error(error: ClientError) -> BiError {
    match error {
        ClientError::PatRejected { .. }
        | ClientError::PatRefusedMidRun { .. }
        | ClientError::UnauthorizedByProxy { .. }
        | ClientError::SiteNotFound { .. }
        | ClientError::SignInRefused { .. }
        | ClientError::Redirected { .. }
        | ClientError::InvalidServerUrl { .. }
        | ClientError::PlainHttp { .. } => BiError::SignIn(Box::new(error)),
        ClientError::RateLimited { .. }
        | ClientError::ServerError { .. }
        | ClientError::Unreachable { .. }
        | ClientError::MetadataIndexing => BiError::Unavailable(Box::new(error)),
        ClientError::UnknownProject(name) => BiError::UnknownCollections(vec![name]),
        ClientError::UnknownTableauCollection(name) => {
            BiError::UnknownTableauCollections(vec![name])
        }
        _ => BiError::Other(Box::new(error)),
    }
}

/// What the integration selects, in the client's terms.
fn selection(integration: &Integration) -> Selection {
    Selection {
        projects: integration.collections.clone(),
        tableau_collections: integration.tableau_collections.clone(),
    }
}

/// Whether the integration selects nothing at all (then nothing is listed).
fn selects_nothing(integration: &Integration) -> bool {
    integration.collections.is_empty() && integration.tableau_collections.is_empty()
}

/// The projects to list for the integration: its selected projects (nested ones
/// included) and, for its Tableau Collections, the projects that hold their workbooks.
async fn projects_to_list(
    session: &Session,
    integration: &Integration,
) -> Result<Vec<String>, ClientError> {
    if integration.tableau_collections.is_empty() {
        let projects = session
            .resolve_collections(&integration.collections)
            .await?;
        return Ok(projects.into_iter().map(|p| p.luid).collect());
    }
    let resolved = session.resolve_selection(&selection(integration)).await?;
    Ok(resolved.projects_to_list)
}

#[async_trait::async_trait]
impl BiTool for TableauHttp {
    fn workbook_urls(&self, integration: &Integration) -> Arc<dyn WorkbookUrls> {
        Arc::new(TableauSite {
            server_url: integration.server_url.clone(),
            content_url: integration.site.clone(),
        })
    }

    async fn resolve_collections(
        &self,
        integration: &Integration,
        secret: &Secret,
        collections: &[String],
    ) -> Result<Vec<ResolvedCollection>, BiError> {
        let client = self.client(integration, secret)?;
        let tree = client
            .with_session(async |session| session.projects().await)
            .await
            .map_err(port_error)?;
        // Every entry is checked, so the error names all unknown ones at once.
        let mut resolved = Vec::new();
        let mut unknown = Vec::new();
        for entry in collections {
            match tree.find(entry) {
                Ok(project) => resolved.push(ResolvedCollection {
                    requested: entry.clone(),
                    luid: project.luid.clone(),
                    path: tree
                        .path(&project.luid)
                        .unwrap_or_else(|| project.name.clone()),
                }),
                Err(ClientError::UnknownProject(_)) => unknown.push(match tree.suggest(entry) {
                    Some(path) => format!("{entry} (did you mean '{path}'?)"),
                    None => entry.clone(),
                }),
                Err(other) => return Err(port_error(other)),
            }
        }
        if unknown.is_empty() {
            Ok(resolved)
        } else {
            Err(BiError::UnknownCollections(unknown))
        }
    }

    async fn list_workbooks(
        &self,
        integration: &Integration,
        secret: &Secret,
    ) -> Result<Vec<Workbook>, BiError> {
        if selects_nothing(integration) {
            return Ok(Vec::new());
        }
        let client = self.client(integration, secret)?;
        let listing = if integration.tableau_collections.is_empty() {
            client
                .list_collections(&integration.collections, |_| {})
                .await
                .map_err(port_error)?
                .workbooks
        } else {
            // A Collection's workbooks are listed with their projects, then kept alone.
            client
                .with_session(async |session| {
                    let resolved = session.resolve_selection(&selection(integration)).await?;
                    let mut listing = session
                        .list_workbooks(&resolved.projects_to_list, |_| {})
                        .await?;
                    resolved.retain(&mut listing.workbooks);
                    Ok(listing)
                })
                .await
                .map_err(port_error)?
        };
        if !listing.complete {
            let message = format!(
                "Tableau returned an incomplete workbook listing for site '{}'; nothing was changed, try again",
                integration.site
            );
            return Err(BiError::Other(message.into()));
        }
        Ok(listing.workbooks)
    }

    async fn continue_listing(
        &self,
        integration: &Integration,
        secret: &Secret,
        listing: PartialListing,
        budget: &ListingBudget,
    ) -> Result<PartialListing, BiError> {
        if selects_nothing(integration) {
            return Ok(PartialListing::finished(Vec::new(), listing.pages));
        }
        let from = match listing.cursor.as_deref() {
            Some(text) => Some(serde_json::from_str::<ListingCursor>(text).map_err(|e| {
                BiError::Other(
                    format!(
                        "the saved Tableau listing cursor of integration '{}' cannot be read ({e}); the next sync starts the listing again",
                        integration.id
                    )
                    .into(),
                )
            })?),
            None => None,
        };
        let client = self.client(integration, secret)?;
        let (workbooks, pages, next) = client
            .with_session(async |session| {
                let from = match from {
                    Some(cursor) => cursor,
                    // The projects are fixed when the listing begins, so every step
                    // lists the same selection.
                    None => ListingCursor::start(&projects_to_list(&session, integration).await?),
                };
                let stretch = session
                    .list_workbooks_stretch(from, |pages| budget.allows(pages))
                    .await?;
                let mut workbooks = listing.workbooks;
                workbooks.extend(stretch.workbooks);
                if stretch.next.is_none() {
                    workbooks = session.attach_custom_sql(workbooks).await?;
                    if !integration.tableau_collections.is_empty() {
                        // Kept by the selection as it stands when the listing completes;
                        // a Collection deleted meanwhile fails the run here.
                        let resolved = session.resolve_selection(&selection(integration)).await?;
                        resolved.retain(&mut workbooks);
                    }
                }
                Ok((workbooks, listing.pages + stretch.pages, stretch.next))
            })
            .await
            .map_err(port_error)?;
        Ok(match next {
            None => PartialListing::finished(workbooks, pages),
            Some(cursor) => PartialListing {
                workbooks,
                cursor: Some(serde_json::to_string(&cursor).map_err(|e| {
                    BiError::Other(format!("could not save the Tableau listing cursor: {e}").into())
                })?),
                complete: false,
                pages,
            },
        })
    }

    async fn workbook_columns(
        &self,
        integration: &Integration,
        secret: &Secret,
        workbook_luids: &[String],
    ) -> Result<ColumnLineage, BiError> {
        if workbook_luids.is_empty() {
            return Ok(ColumnLineage::default());
        }
        let client = self.client(integration, secret)?;
        let read = client
            .with_session(async |session| session.workbook_columns(workbook_luids).await)
            .await
            .map_err(port_error)?;
        Ok(ColumnLineage {
            columns: read.columns,
            hidden: read.hidden,
        })
    }

    async fn resolve_tableau_collections(
        &self,
        integration: &Integration,
        secret: &Secret,
        tableau_collections: &[String],
    ) -> Result<Vec<String>, BiError> {
        let client = self.client(integration, secret)?;
        let all = client
            .with_session(async |session| session.tableau_collections().await)
            .await
            .map_err(port_error)?;
        // Every entry is checked, so the error names all unknown ones at once.
        let mut luids = Vec::new();
        let mut unknown = Vec::new();
        for entry in tableau_collections {
            match find_tableau_collection(&all, entry) {
                Ok(found) => luids.push(found.luid.clone()),
                Err(ClientError::UnknownTableauCollection(_)) => unknown.push(entry.clone()),
                Err(other) => return Err(port_error(other)),
            }
        }
        if unknown.is_empty() {
            Ok(luids)
        } else {
            Err(BiError::UnknownTableauCollections(unknown))
        }
    }

    async fn list_tableau_collections(
        &self,
        integration: &Integration,
        secret: &Secret,
    ) -> Result<TableauCollections, BiError> {
        let client = self.client(integration, secret)?;
        client
            .with_session(async |session| {
                if !has_tableau_collections(session.api_version()) {
                    let why = session
                        .check_tableau_collections()
                        .err()
                        .map(|e| e.to_string())
                        .unwrap_or_default();
                    return Ok(TableauCollections::NotAvailable(why));
                }
                let nodes = session
                    .tableau_collections()
                    .await?
                    .into_iter()
                    .map(|c| TableauCollectionNode {
                        luid: c.luid,
                        name: c.name,
                        visibility: c.visibility,
                        item_count: c.item_count,
                        visible_item_count: c.visible_item_count,
                    })
                    .collect();
                Ok(TableauCollections::Available(nodes))
            })
            .await
            .map_err(port_error)
    }

    async fn workbook_usage(
        &self,
        integration: &Integration,
        secret: &Secret,
        luids: &[String],
    ) -> Result<UsageReport, BiError> {
        if luids.is_empty() {
            return Ok(UsageReport::default());
        }
        let client = self.client(integration, secret)?;
        let usage = client
            .with_session(async |session| session.workbook_usage(luids).await)
            .await
            .map_err(port_error)?;
        let limitation = match usage.source {
            UsageSource::UsageStats => None,
            UsageSource::ViewCounts => Some(format!(
                "only lifetime view counts: Tableau's usage-stats method is not available to token '{}' on this site ({}); exposures get no hits per month, so maturity and stale mark only workbooks never viewed (Tableau Cloud and newer Tableau Server have the method; the token's user may need a site role that can read usage)",
                integration.token_name,
                usage
                    .fallback_reason
                    .as_deref()
                    .unwrap_or("no reason given"),
            )),
        };
        Ok(UsageReport {
            by_workbook: usage.by_workbook,
            limitation,
        })
    }

    async fn list_projects(
        &self,
        integration: &Integration,
        secret: &Secret,
    ) -> Result<Vec<ProjectNode>, BiError> {
        let client = self.client(integration, secret)?;
        let tree = client
            .with_session(async |session| session.projects().await)
            .await
            .map_err(port_error)?;
        Ok(tree
            .projects()
            .iter()
            .map(|p| ProjectNode {
                luid: p.luid.clone(),
                name: p.name.clone(),
                path: tree.path(&p.luid).unwrap_or_else(|| p.name.clone()),
                parent_luid: p.parent_luid.clone(),
            })
            .collect())
    }

    async fn refresh_extracts(
        &self,
        integration: &Integration,
        secret: &Secret,
        targets: &[RefreshTarget],
    ) -> Result<Vec<Result<RefreshReply, BiError>>, BiError> {
        let client = self.client(integration, secret)?;
        // One sign-in for every refresh of the integration.
        client
            .with_session(async |session| {
                let mut replies = Vec::with_capacity(targets.len());
                for target in targets {
                    let outcome = match target.kind {
                        RefreshTargetKind::Workbook => session.refresh_workbook(&target.luid).await,
                        RefreshTargetKind::Datasource => {
                            session.refresh_datasource(&target.luid).await
                        }
                    };
                    replies.push(outcome.map_err(port_error));
                }
                Ok(replies)
            })
            .await
            .map_err(port_error)
    }

    async fn job_status(
        &self,
        integration: &Integration,
        secret: &Secret,
        job_id: &str,
    ) -> Result<JobState, BiError> {
        let client = self.client(integration, secret)?;
        client
            .with_session(async |session| session.job(job_id).await)
            .await
            .map_err(port_error)
    }

    async fn apply_quality_warnings(
        &self,
        integration: &Integration,
        secret: &Secret,
        changes: &[WarningChange],
    ) -> Result<Vec<Result<WarningReply, BiError>>, BiError> {
        let client = self.client(integration, secret)?;
        // One sign-in for every change of the integration.
        client
            .with_session(async |session| Ok(quality_warnings::apply(&session, changes).await))
            .await
            .map_err(port_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxy_401_and_a_pat_refused_mid_run_need_a_person_not_a_retry() {
        let proxy = ClientError::UnauthorizedByProxy {
            host: "tableau.example.com".into(),
            operation: "listing projects",
            content_type: "text/html".into(),
            body_start: "<html>".into(),
        };
        assert!(matches!(port_error(proxy), BiError::SignIn(_)));
        let refused = ClientError::PatRefusedMidRun {
            token_name: "autoexpose-ci".into(),
            site: "acme".into(),
            code: "401001".into(),
            expiry: autoexpose_tableau::PatExpiry::Unknown,
        };
        let error = port_error(refused);
        assert!(matches!(error, BiError::SignIn(_)));
        assert!(!error.is_retryable());
    }
}
