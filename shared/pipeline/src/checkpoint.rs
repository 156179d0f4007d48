//! A sync in steps, for a site too large to list within one invocation (issue 13).
//!
//! [`Pipeline::sync_step`] takes a [`SyncRequest`] — an integration, and the checkpoint
//! of the step before, if any — and lists workbooks until its [`ListingBudget`] runs
//! out. If the listing is not complete, the listing so far (the BI tool's paging cursor
//! and the workbooks listed, a [`SyncCheckpoint`]) is written as a JSON artifact and the
//! step hands back the [`SyncRequest`] for the next step. Only the step that completes
//! the listing replaces the snapshot and rematches, so nothing is removed before the
//! listing is whole.
//!
//! Each step takes the integration's lease and releases it when it pauses; a run is
//! recorded only when the sync finishes or fails, so `integrations show` never shows a
//! half-done sync as the last run.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::Instant;

use autoexpose_domain::Workbook;
use serde::{Deserialize, Serialize};

use crate::pipeline::Pipeline;
use crate::stages::Step;
use crate::{ArtifactError, ArtifactLocation, PipelineError, SyncRun, Trigger, format_timestamp};

/// Where checkpoints are written: `autoexpose/checkpoints/<integration>/<checkpoint>.json`.
const CHECKPOINT_PREFIX: &str = "autoexpose/checkpoints";

/// How much one step may list before it pauses: a number of pages, a moment, or both.
/// A step always lists at least one page, so every step makes progress.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListingBudget {
    max_pages: Option<usize>,
    until: Option<Instant>,
}

impl ListingBudget {
    /// No limit: the whole listing in one step.
    pub fn unlimited() -> ListingBudget {
        ListingBudget::default()
    }

    /// At most `pages` pages per step (at least one).
    pub fn with_max_pages(mut self, pages: usize) -> ListingBudget {
        self.max_pages = Some(pages.max(1));
        self
    }

    /// No new page after `until`.
    pub fn with_deadline(mut self, until: Instant) -> ListingBudget {
        self.until = Some(until);
        self
    }

    /// Whether a step that has fetched `pages` pages may fetch another.
    pub fn allows(&self, pages: usize) -> bool {
        let pages_left = self.max_pages.is_none_or(|max| pages < max);
        let time_left = self.until.is_none_or(|until| Instant::now() < until);
        pages_left && time_left
    }
}

/// A listing of an integration's workbooks as far as it has got.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartialListing {
    /// The workbooks listed so far.
    pub workbooks: Vec<Workbook>,
    /// Where the BI tool goes on from, in its own terms (opaque to the pipeline); `None`
    /// before the first page and once complete.
    pub cursor: Option<String>,
    /// True once every workbook has been listed.
    pub complete: bool,
    /// Pages fetched so far, over every step.
    pub pages: usize,
}

impl PartialListing {
    /// A listing not yet begun.
    pub fn start() -> PartialListing {
        PartialListing::default()
    }

    /// A complete listing of these workbooks.
    pub fn finished(workbooks: Vec<Workbook>, pages: usize) -> PartialListing {
        PartialListing {
            workbooks,
            cursor: None,
            complete: true,
            pages,
        }
    }
}

/// What one step leaves for the next: who asked, since when, and the listing so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncCheckpoint {
    /// Unique per step.
    pub checkpoint_id: String,
    /// The integration being synced.
    pub integration_id: String,
    /// What started the sync.
    pub trigger: Trigger,
    /// When its first step started.
    pub started_at: String,
    /// Steps taken so far.
    pub steps: u32,
    /// The listing so far.
    pub listing: PartialListing,
}

/// One step of a sync to run: the message on the sync queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    /// The integration to sync.
    pub integration_id: String,
    /// What started the sync.
    pub trigger: Trigger,
    /// The checkpoint to go on from; `None` for a sync's first step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_id: Option<String>,
    /// Steps taken before this one (0 for the first).
    #[serde(default)]
    pub step: u32,
}

/// A message on the sync queue that is not a [`SyncRequest`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the sync request is not valid: {problem}; a request is JSON like \
     {{\"integration_id\":\"acme\",\"trigger\":\"schedule\"}} (the daily-sync function writes them)"
)]
pub struct SyncRequestError {
    problem: String,
}

impl SyncRequest {
    /// The first step of a sync of `integration_id`.
    pub fn first(integration_id: impl Into<String>, trigger: Trigger) -> SyncRequest {
        SyncRequest {
            integration_id: integration_id.into(),
            trigger,
            checkpoint_id: None,
            step: 0,
        }
    }

    /// Reads a request from a message body; an error says what is wrong with it.
    pub fn parse(body: &str) -> Result<SyncRequest, SyncRequestError> {
        let request: SyncRequest = serde_json::from_str(body).map_err(|e| SyncRequestError {
            problem: e.to_string(),
        })?;
        if request.integration_id.trim().is_empty() {
            return Err(SyncRequestError {
                problem: "integration_id is empty".to_string(),
            });
        }
        if request.checkpoint_id.as_deref().is_some_and(|id| {
            id.is_empty()
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
        }) {
            return Err(SyncRequestError {
                problem: "checkpoint_id must be letters, digits and -_.: only".to_string(),
            });
        }
        Ok(request)
    }

    /// The request as the JSON message body.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Where a step's checkpoints go, and how much it may list.
#[derive(Debug, Clone, Default)]
pub struct StepOptions {
    /// The container (bucket) checkpoints are written to; `None` for local files.
    pub checkpoint_container: Option<String>,
    /// How much one step may list.
    pub budget: ListingBudget,
}

/// What one step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncStep {
    /// The listing completed: the snapshot was replaced, the exposures rematched and the
    /// run recorded.
    Finished(SyncRun),
    /// The budget ran out first: the checkpoint is written, and this request goes on
    /// from it.
    Continues(SyncRequest),
}

/// Where the checkpoint `checkpoint_id` of an integration is kept.
pub fn checkpoint_location(
    container: Option<&str>,
    integration_id: &str,
    checkpoint_id: &str,
) -> ArtifactLocation {
    let key = format!("{CHECKPOINT_PREFIX}/{integration_id}/{checkpoint_id}.json");
    match container {
        Some(container) => ArtifactLocation::in_container(container, key),
        None => ArtifactLocation::local(key),
    }
}

impl Pipeline {
    /// Runs one step of a sync under the integration's lease: goes on with the listing
    /// from the request's checkpoint (or begins it), within `options.budget`. A complete
    /// listing finishes the sync as [`Pipeline::sync_integration`] would; an incomplete
    /// one is written as a new checkpoint and the next step's request is returned.
    pub async fn sync_step(
        &self,
        request: &SyncRequest,
        options: &StepOptions,
    ) -> Result<SyncStep, PipelineError> {
        let container = options.checkpoint_container.as_deref();
        let step = self
            .run_locked_or_pause(&request.integration_id, request.trigger, |counts| async move {
                let integration = self.integration(&request.integration_id).await?;
                let (started_at, listing) = match &request.checkpoint_id {
                    Some(id) => {
                        let checkpoint = self.read_checkpoint(container, request, id).await?;
                        (checkpoint.started_at, checkpoint.listing)
                    }
                    None => (format_timestamp(self.now()), PartialListing::start()),
                };
                let secret = self.tableau_secret(&integration).await?;
                let listing = self
                    .until_stopped(
                        &integration.id,
                        self.bi
                            .continue_listing(&integration, &secret, listing, &options.budget),
                    )
                    .await?
                    .map_err(|source| PipelineError::Tableau {
                        integration: integration.id.clone(),
                        source,
                    })?;
                if listing.complete {
                    let counts = self.sync_listed(counts, &integration, listing.workbooks).await?;
                    return Ok(Step::Done(counts));
                }
                let checkpoint = SyncCheckpoint {
                    checkpoint_id: self.new_checkpoint_id(request),
                    integration_id: integration.id.clone(),
                    trigger: request.trigger,
                    started_at,
                    steps: request.step + 1,
                    listing,
                };
                self.write_checkpoint(container, &checkpoint).await?;
                tracing::info!(integration = %integration.id, step = checkpoint.steps,
                    workbooks = checkpoint.listing.workbooks.len(), pages = checkpoint.listing.pages,
                    "listing paused at its budget; the next step goes on from the checkpoint");
                Ok(Step::Paused(SyncRequest {
                    integration_id: integration.id.clone(),
                    trigger: request.trigger,
                    checkpoint_id: Some(checkpoint.checkpoint_id),
                    step: checkpoint.steps,
                }))
            })
            .await?;
        let run = match step {
            Step::Done(run) => run,
            Step::Paused(next) => return Ok(SyncStep::Continues(next)),
        };
        self.publish_after_sync(&run).await?;
        Ok(SyncStep::Finished(run))
    }

    fn new_checkpoint_id(&self, request: &SyncRequest) -> String {
        let stamp: String = format_timestamp(self.now())
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        let salt = RandomState::new().hash_one(&request.integration_id) as u32;
        format!("{stamp}-s{:04}-{salt:08x}", request.step + 1)
    }

    async fn read_checkpoint(
        &self,
        container: Option<&str>,
        request: &SyncRequest,
        checkpoint_id: &str,
    ) -> Result<SyncCheckpoint, PipelineError> {
        let location = checkpoint_location(container, &request.integration_id, checkpoint_id);
        let bytes = self.read_artifact(&location).await?;
        let corrupt = |problem: String| PipelineError::Artifact {
            location: location.clone(),
            source: ArtifactError::Rejected(
                format!(
                    "the sync checkpoint {location} of integration '{}' {problem}; \
                     the next daily sync starts the listing again",
                    request.integration_id
                )
                .into(),
            ),
        };
        let checkpoint: SyncCheckpoint =
            serde_json::from_slice(&bytes).map_err(|e| corrupt(format!("cannot be read: {e}")))?;
        if checkpoint.integration_id != request.integration_id {
            return Err(corrupt(format!(
                "belongs to integration '{}'",
                checkpoint.integration_id
            )));
        }
        Ok(checkpoint)
    }

    async fn write_checkpoint(
        &self,
        container: Option<&str>,
        checkpoint: &SyncCheckpoint,
    ) -> Result<(), PipelineError> {
        let location = checkpoint_location(
            container,
            &checkpoint.integration_id,
            &checkpoint.checkpoint_id,
        );
        let bytes = serde_json::to_vec(checkpoint).map_err(|e| PipelineError::Artifact {
            location: location.clone(),
            source: ArtifactError::Rejected(format!("could not write the checkpoint: {e}").into()),
        })?;
        self.artifacts
            .write(&location, &bytes)
            .await
            .map_err(|source| PipelineError::Artifact { location, source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_budget_allows_pages_up_to_its_limit_and_never_zero() {
        let budget = ListingBudget::unlimited().with_max_pages(2);
        assert!(budget.allows(1));
        assert!(!budget.allows(2));
        assert!(!ListingBudget::unlimited().with_max_pages(0).allows(1));
        assert!(ListingBudget::unlimited().allows(1_000_000));
    }

    #[test]
    fn a_passed_deadline_allows_no_more_pages() {
        let budget = ListingBudget::unlimited().with_deadline(Instant::now());
        assert!(!budget.allows(0));
    }

    #[test]
    fn a_request_survives_its_message_body() {
        let request = SyncRequest {
            integration_id: "acme".into(),
            trigger: Trigger::Schedule,
            checkpoint_id: Some("20250301-s0002-0a0b0c0d".into()),
            step: 2,
        };
        assert_eq!(SyncRequest::parse(&request.to_json()), Ok(request));
        let first = SyncRequest::parse(r#"{"integration_id":"acme","trigger":"schedule"}"#)
            .expect("a first step");
        assert_eq!(first, SyncRequest::first("acme", Trigger::Schedule));
    }

    #[test]
    fn a_bad_request_says_what_is_wrong() {
        let err = SyncRequest::parse("{\"trigger\":\"schedule\"}").expect_err("no id");
        assert!(err.to_string().contains("integration_id"), "{err}");
        let err = SyncRequest::parse(r#"{"integration_id":"a","trigger":"hourly"}"#)
            .expect_err("bad trigger");
        assert!(err.to_string().contains("hourly"), "{err}");
        let err = SyncRequest::parse(
            r#"{"integration_id":"a","trigger":"schedule","checkpoint_id":"../x"}"#,
        )
        .expect_err("bad checkpoint");
        assert!(err.to_string().contains("checkpoint_id"), "{err}");
    }
}
