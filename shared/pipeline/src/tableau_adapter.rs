//! The [`TableauApi`] port over the real Tableau client (`autoexpose-tableau`).

use autoexpose_domain::Workbook;
use std::sync::{Arc, OnceLock};

use autoexpose_tableau::{
    ClientOptions, ConnectionSettings, HttpClient, TableauClient, TableauError as ClientError,
    TokenSecret, build_http_client,
};

use autoexpose_tableau::{JobStatus, RefreshOutcome};

use crate::ports::{
    Integration, JobState, ProjectNode, RefreshReply, RefreshTarget, RefreshTargetKind,
    ResolvedCollection, Secret, TableauApi, TableauError,
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

    fn http(&self) -> Result<HttpClient, TableauError> {
        if let Some(http) = self.http.get() {
            return Ok(http.clone());
        }
        let built = build_http_client(&self.options).map_err(port_error)?;
        Ok(self.http.get_or_init(|| built).clone())
    }

    fn client(
        &self,
        integration: &Integration,
        secret: &Secret,
    ) -> Result<TableauClient, TableauError> {
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

/// Sorts the client's errors into the port's kinds; the client's messages already say what
/// to do and never carry a secret.
fn port_error(error: ClientError) -> TableauError {
    let message = error.to_string();
    match error {
        ClientError::PatRejected { .. }
        | ClientError::SiteNotFound { .. }
        | ClientError::SignInRefused { .. }
        | ClientError::Redirected { .. }
        | ClientError::InvalidServerUrl { .. } => TableauError::SignIn(message),
        ClientError::RateLimited { .. }
        | ClientError::ServerError { .. }
        | ClientError::Unreachable { .. }
        | ClientError::MetadataIndexing => TableauError::Unavailable(message),
        ClientError::UnknownProject(name) => TableauError::UnknownCollections(vec![name]),
        _ => TableauError::Other(message),
    }
}

impl TableauApi for TableauHttp {
    async fn resolve_collections(
        &self,
        integration: &Integration,
        secret: &Secret,
        collections: &[String],
    ) -> Result<Vec<ResolvedCollection>, TableauError> {
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
                Err(ClientError::UnknownProject(_)) => unknown.push(entry.clone()),
                Err(other) => return Err(port_error(other)),
            }
        }
        if unknown.is_empty() {
            Ok(resolved)
        } else {
            Err(TableauError::UnknownCollections(unknown))
        }
    }

    async fn list_workbooks(
        &self,
        integration: &Integration,
        secret: &Secret,
    ) -> Result<Vec<Workbook>, TableauError> {
        if integration.collections.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.client(integration, secret)?;
        let listing = client
            .list_collections(&integration.collections, |_| {})
            .await
            .map_err(port_error)?;
        if !listing.workbooks.complete {
            return Err(TableauError::Other(format!(
                "Tableau returned an incomplete workbook listing for site '{}'; nothing was changed, try again",
                integration.site
            )));
        }
        Ok(listing.workbooks.workbooks)
    }

    async fn list_projects(
        &self,
        integration: &Integration,
        secret: &Secret,
    ) -> Result<Vec<ProjectNode>, TableauError> {
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
    ) -> Result<Vec<Result<RefreshReply, TableauError>>, TableauError> {
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
                    replies.push(match outcome {
                        Ok(RefreshOutcome::Queued { job_id }) => {
                            Ok(RefreshReply::Queued { job_id })
                        }
                        Ok(RefreshOutcome::AlreadyQueued) => Ok(RefreshReply::AlreadyQueued),
                        Ok(RefreshOutcome::NotRefreshable) => Ok(RefreshReply::NotRefreshable),
                        Err(e) => Err(port_error(e)),
                    });
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
    ) -> Result<JobState, TableauError> {
        let client = self.client(integration, secret)?;
        let status = client
            .with_session(async |session| session.job(job_id).await)
            .await
            .map_err(port_error)?;
        Ok(match status {
            JobStatus::InProgress { progress } => JobState::InProgress { progress },
            JobStatus::Succeeded => JobState::Succeeded,
            JobStatus::Failed { notes } => JobState::Failed { notes },
            JobStatus::Cancelled => JobState::Cancelled,
        })
    }
}
