//! Orchestrating exposures (PRODUCT.md S8, S10): recording dbt's run results and source
//! freshness, refreshing the Tableau extracts behind exposures whose upstream nodes were
//! rebuilt, and following the refresh jobs to their end.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::time::Duration;

use autoexpose_domain::Workbook;
use autoexpose_domain::dag::{Dag, TestTargets};
use autoexpose_domain::health::{RefreshDecision, refresh_decision};
use autoexpose_domain::run_results::{NodeResult, ResultsKind, parse_results};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::PipelineError;
use crate::pipeline::Pipeline;
use crate::quality_warnings::WarningsOutcome;
use crate::{
    ArtifactLocation, Integration, JobState, RefreshJob, RefreshRecord, RefreshReply, RefreshState,
    RefreshTarget, RefreshTargetKind, ResultsPointer, SkippedRefresh, StoreError, format_timestamp,
};

/// The longest wait between two polls of a job: SQS's maximum message delay.
pub const MAX_POLL_DELAY: Duration = Duration::from_secs(900);
const FIRST_POLL_DELAY: Duration = Duration::from_secs(60);
const RESULTS_RETRIES: usize = 5;
static HOLDER_SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// The delay before poll number `attempt` (0 = the first) of a job: one minute, doubling,
/// capped at [`MAX_POLL_DELAY`].
pub fn poll_delay(attempt: u32) -> Duration {
    let factor = 1u64 << attempt.min(10);
    (FIRST_POLL_DELAY * factor as u32).min(MAX_POLL_DELAY)
}

/// What happened to a results file handed to [`Pipeline::record_run_results`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResultsOutcome {
    /// It is newer than the recorded one: its results are stored and, for run results,
    /// the extracts of rebuilt exposures were refreshed where enabled.
    Recorded {
        /// The new pointer.
        pointer: ResultsPointer,
        /// How many node results it held.
        nodes: usize,
        /// Per integration with active exposures: the refresh records written, or the
        /// error that stopped its refreshes.
        refreshes: Vec<(String, Result<Vec<RefreshRecord>, String>)>,
        /// The jobs Tableau queued, to follow until they finish.
        jobs: Vec<RefreshJob>,
        /// Per integration with data quality warnings on: what changed on Tableau, or the
        /// error that stopped it.
        warnings: Vec<(String, Result<WarningsOutcome, String>)>,
    },
    /// It is the recorded one again; nothing changed.
    Duplicate(ResultsPointer),
    /// It is older than the recorded one; nothing changed.
    Stale {
        /// The recorded (newer) one.
        recorded: ResultsPointer,
    },
}

/// The outcome of one poll of a refresh job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobCheck {
    /// The job finished (or was given up on); its outcome is recorded.
    Done(RefreshRecord),
    /// Still running: poll `job` again after `delay`.
    NotYet {
        /// The job with its attempt count increased.
        job: RefreshJob,
        /// How long to wait.
        delay: Duration,
    },
}

fn results_order(a: &ResultsPointer, b: &ResultsPointer) -> Ordering {
    crate::stages::generated_order(
        (&a.generated_at, &a.invocation_id),
        (&b.generated_at, &b.invocation_id),
    )
}

fn minutes_left(d: Duration) -> u64 {
    d.as_secs().div_ceil(60)
}

impl Pipeline {
    /// Reads a `run_results.json` or `sources.json` and, if it is newer than the one
    /// recorded for `dbt_project` (by `generated_at`, then `invocation_id`), stores each
    /// node's result. For run results it then refreshes, for every integration of the
    /// project with active exposures, the extracts of exposures with an upstream node
    /// rebuilt successfully and none failed — skipping those inside the build-after
    /// window — and returns the queued jobs to follow. For either kind it then writes the
    /// new health as Tableau data quality warnings where an integration has them on. Older
    /// and duplicate files change nothing.
    pub async fn record_run_results(
        &self,
        dbt_project: &str,
        location: &ArtifactLocation,
    ) -> Result<ResultsOutcome, PipelineError> {
        let bytes =
            self.artifacts()
                .read(location)
                .await
                .map_err(|source| PipelineError::Artifact {
                    location: location.clone(),
                    source,
                })?;
        let broken = |message: String| PipelineError::Results {
            location: location.clone(),
            message,
        };
        let file = parse_results(&bytes).map_err(|e| broken(e.to_string()))?;
        drop(bytes);
        let missing = |field: &str| {
            broken(format!(
                "it has no metadata.{field}, so it cannot be ordered against other results; upload the file dbt wrote"
            ))
        };
        let candidate = ResultsPointer {
            dbt_project: dbt_project.to_string(),
            kind: file.kind,
            location: location.clone(),
            generated_at: file
                .generated_at
                .clone()
                .ok_or_else(|| missing("generated_at"))?,
            invocation_id: file
                .invocation_id
                .clone()
                .ok_or_else(|| missing("invocation_id"))?,
            recorded_at: format_timestamp(self.now()),
        };
        let mut attempts = 0;
        loop {
            let current = self
                .store()
                .get_results_pointer(dbt_project, file.kind)
                .await?;
            if let Some(current) = &current {
                match results_order(&candidate, current) {
                    Ordering::Less => {
                        tracing::info!(dbt_project, %location, "older results ignored");
                        return Ok(ResultsOutcome::Stale {
                            recorded: current.clone(),
                        });
                    }
                    Ordering::Equal => {
                        tracing::info!(dbt_project, %location, "duplicate results ignored");
                        return Ok(ResultsOutcome::Duplicate(current.clone()));
                    }
                    Ordering::Greater => {}
                }
            }
            match self
                .store()
                .put_node_results(&candidate, current.as_ref(), &file.results)
                .await
            {
                Ok(()) => break,
                Err(StoreError::Conflict(_)) if attempts < RESULTS_RETRIES => attempts += 1,
                Err(e) => return Err(e.into()),
            }
        }
        tracing::info!(dbt_project, %location, kind = file.kind.as_str(), nodes = file.results.len(),
            invocation_id = %candidate.invocation_id, "results recorded");

        let mut refreshes = Vec::new();
        let mut jobs = Vec::new();
        if file.kind == ResultsKind::RunResults {
            let (dag, tests) = self.project_graph(dbt_project).await?;
            for integration in self.store().list_integrations(Some(dbt_project)).await? {
                if !self.orchestration.active(&integration) {
                    continue;
                }
                let result = self
                    .refresh_integration(
                        &integration,
                        &dag,
                        &tests,
                        &file.results,
                        &candidate.invocation_id,
                    )
                    .await;
                match result {
                    Ok((records, queued)) => {
                        jobs.extend(queued);
                        refreshes.push((integration.id.clone(), Ok(records)));
                    }
                    Err(e) => {
                        tracing::warn!(integration = %integration.id, error = %e, "extract refreshes failed");
                        refreshes.push((integration.id.clone(), Err(e.to_string())));
                    }
                }
            }
        }
        // Health moved with these results: the warnings viewers see follow it. A failure
        // here fails nothing else; the last written warnings stay.
        let warnings = match self.write_quality_warnings(dbt_project).await {
            Ok(warnings) => warnings,
            Err(e) => {
                tracing::warn!(dbt_project, error = %e, "data quality warnings not written");
                Vec::new()
            }
        };
        Ok(ResultsOutcome::Recorded {
            pointer: candidate,
            nodes: file.results.len(),
            refreshes,
            jobs,
            warnings,
        })
    }

    /// The applied manifest's DAG and test targets; empty when none is applied (health
    /// and refreshes then follow each exposure's direct dependencies only).
    pub(crate) async fn project_graph(
        &self,
        dbt_project: &str,
    ) -> Result<(Dag, TestTargets), PipelineError> {
        let Some((_, manifest)) = self.applied_manifest(dbt_project).await? else {
            return Ok((Dag::default(), TestTargets::default()));
        };
        Ok(manifest.into_graph())
    }

    async fn refresh_integration(
        &self,
        integration: &Integration,
        dag: &Dag,
        tests: &TestTargets,
        results: &[NodeResult],
        invocation_id: &str,
    ) -> Result<(Vec<RefreshRecord>, Vec<RefreshJob>), PipelineError> {
        let workbooks: HashMap<String, Workbook> = self
            .store()
            .get_snapshot(&integration.id)
            .await?
            .map(|s| s.workbooks)
            .unwrap_or_default()
            .into_iter()
            .map(|w| (w.luid.clone(), w))
            .collect();
        // Each target once per run, however many exposures share it.
        let mut targets: BTreeMap<RefreshTarget, Vec<String>> = BTreeMap::new();
        for stored in self.store().list_exposures(&integration.id).await? {
            let exposure = stored.exposure;
            match refresh_decision(&exposure.depends_on, dag, tests, results) {
                RefreshDecision::Refresh { .. } => {}
                RefreshDecision::NothingRebuilt => continue,
                RefreshDecision::UpstreamFailed { reasons } => {
                    tracing::info!(integration = %integration.id, exposure = %exposure.name,
                        reasons = %reasons.join("; "), "not refreshed: something upstream failed");
                    continue;
                }
            }
            let Some(workbook) = workbooks.get(&exposure.workbook_luid) else {
                continue;
            };
            let mut add = |target: RefreshTarget| {
                targets
                    .entry(target)
                    .or_default()
                    .push(workbook.luid.clone());
            };
            if workbook.has_embedded_extracts {
                add(RefreshTarget {
                    kind: RefreshTargetKind::Workbook,
                    luid: workbook.luid.clone(),
                    name: workbook.name.clone(),
                });
            }
            for datasource in workbook.datasources.iter().filter(|d| d.has_extracts) {
                add(RefreshTarget {
                    kind: RefreshTargetKind::Datasource,
                    luid: datasource.luid.clone(),
                    name: datasource.name.clone(),
                });
            }
        }

        let now = self.now();
        let stamp = format_timestamp(now);
        let window = self.orchestration.build_after(integration);
        let mut records = Vec::new();
        let mut due: Vec<(RefreshTarget, Vec<String>, Option<RefreshRecord>)> = Vec::new();
        for (target, workbook_luids) in targets {
            let existing = self
                .store()
                .get_refresh(&integration.id, target.kind, &target.luid)
                .await?;
            let last = existing
                .as_ref()
                .and_then(|r| r.requested_at.as_deref())
                .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok());
            if let Some(last) = last {
                let ends = last + window;
                if ends > now {
                    let left = Duration::try_from(ends - now).unwrap_or_default();
                    let mut record = existing.clone().unwrap_or_else(|| {
                        new_record(integration, &target, &workbook_luids, &stamp)
                    });
                    record.workbook_luids = workbook_luids;
                    record.updated_at = stamp.clone();
                    record.skipped = Some(SkippedRefresh {
                        at: stamp.clone(),
                        invocation_id: invocation_id.to_string(),
                        reason: format!(
                            "refreshed at {}; the build-after window of {} minutes ends in {} minutes",
                            format_timestamp(last),
                            window.as_secs() / 60,
                            minutes_left(left)
                        ),
                    });
                    self.store().put_refresh(&record).await?;
                    records.push(record);
                    continue;
                }
            }
            due.push((target, workbook_luids, existing));
        }
        if due.is_empty() {
            return Ok((records, Vec::new()));
        }

        let asked: Vec<RefreshTarget> = due.iter().map(|(t, _, _)| t.clone()).collect();
        let replies = self
            .with_integration_lease(&integration.id, async |secret| {
                self.bi()
                    .refresh_extracts(integration, secret, &asked)
                    .await
                    .map_err(|source| PipelineError::Tableau {
                        integration: integration.id.clone(),
                        source,
                    })
            })
            .await?;

        let mut jobs = Vec::new();
        for ((target, workbook_luids, existing), reply) in due.into_iter().zip(replies) {
            let mut record = existing
                .unwrap_or_else(|| new_record(integration, &target, &workbook_luids, &stamp));
            record.workbook_luids = workbook_luids;
            record.updated_at = stamp.clone();
            record.skipped = None;
            record.finish_code = None;
            record.notes = None;
            record.invocation_id = Some(invocation_id.to_string());
            match reply {
                Ok(RefreshReply::Queued { job_id }) => {
                    record.state = Some(RefreshState::Queued);
                    record.requested_at = Some(stamp.clone());
                    record.job_id = Some(job_id.clone());
                    jobs.push(RefreshJob {
                        integration_id: integration.id.clone(),
                        target: target.clone(),
                        job_id,
                        requested_at: stamp.clone(),
                        attempt: 0,
                    });
                }
                Ok(RefreshReply::AlreadyQueued) => {
                    record.state = Some(RefreshState::AlreadyQueued);
                    record.notes = Some(
                        "Tableau already had a refresh of it queued or running (409093)".into(),
                    );
                }
                Ok(RefreshReply::NotRefreshable) => {
                    record.state = Some(RefreshState::NotRefreshable);
                    record.notes =
                        Some("Tableau says it has no extract to refresh (409090)".into());
                }
                Err(error) => {
                    record.state = Some(RefreshState::RequestFailed);
                    record.notes = Some(error.to_string());
                }
            }
            tracing::info!(integration = %integration.id, kind = target.kind.as_str(), luid = %target.luid,
                state = record.state.map_or("", RefreshState::as_str), "extract refresh requested");
            self.store().put_refresh(&record).await?;
            records.push(record);
        }
        Ok((records, jobs))
    }

    /// The jobs that `invocation_id`'s run results queued and that are still being
    /// followed (their refresh record is still `queued` with that invocation), so that a
    /// retried upload event can hand them to the job queue again: recording is done, but
    /// the hand-over may not have been.
    pub async fn queued_jobs(
        &self,
        dbt_project: &str,
        invocation_id: &str,
    ) -> Result<Vec<RefreshJob>, PipelineError> {
        let mut jobs = Vec::new();
        for integration in self.store().list_integrations(Some(dbt_project)).await? {
            for record in self.store().list_refreshes(&integration.id).await? {
                if record.state != Some(RefreshState::Queued)
                    || record.invocation_id.as_deref() != Some(invocation_id)
                {
                    continue;
                }
                let (Some(job_id), Some(requested_at)) = (record.job_id, record.requested_at)
                else {
                    continue;
                };
                jobs.push(RefreshJob {
                    integration_id: integration.id.clone(),
                    target: record.target,
                    job_id,
                    requested_at,
                    attempt: 0,
                });
            }
        }
        Ok(jobs)
    }

    /// Polls a refresh job once. A finished job's outcome (finish code, notes) is
    /// recorded; a job still running after the maximum age is recorded as given up;
    /// otherwise it is to be polled again after a growing delay.
    pub async fn check_refresh_job(&self, job: &RefreshJob) -> Result<JobCheck, PipelineError> {
        let integration = self.integration(&job.integration_id).await?;
        let state = self
            .with_integration_lease(&integration.id, async |secret| {
                self.bi()
                    .job_status(&integration, secret, &job.job_id)
                    .await
                    .map_err(|source| PipelineError::Tableau {
                        integration: integration.id.clone(),
                        source,
                    })
            })
            .await?;
        let now = self.now();
        let stamp = format_timestamp(now);
        let age = OffsetDateTime::parse(&job.requested_at, &Rfc3339)
            .ok()
            .and_then(|at| Duration::try_from(now - at).ok())
            .unwrap_or_default();
        let (state, finish_code, notes) = match state {
            JobState::InProgress { .. } if age < self.orchestration.job_max_age => {
                let mut next = job.clone();
                next.attempt += 1;
                return Ok(JobCheck::NotYet {
                    delay: poll_delay(next.attempt),
                    job: next,
                });
            }
            JobState::InProgress { .. } => (
                RefreshState::GaveUp,
                None,
                Some(format!(
                    "still running after {} hours; autoexpose stopped following it (see Tableau's job {})",
                    age.as_secs() / 3600,
                    job.job_id
                )),
            ),
            JobState::Succeeded => (RefreshState::Succeeded, Some(0), None),
            JobState::Failed { notes } => (RefreshState::Failed, Some(1), notes),
            JobState::Cancelled => (RefreshState::Cancelled, Some(2), None),
        };
        let mut record = self
            .store()
            .get_refresh(&integration.id, job.target.kind, &job.target.luid)
            .await?
            .unwrap_or_else(|| new_record(&integration, &job.target, &[], &stamp));
        if record.job_id.as_deref().is_some_and(|id| id != job.job_id) {
            // A newer refresh replaced this one; its own watcher records that one.
            tracing::info!(integration = %integration.id, job_id = %job.job_id, "job superseded; not recorded");
            return Ok(JobCheck::Done(record));
        }
        record.job_id = Some(job.job_id.clone());
        record.state = Some(state);
        record.finish_code = finish_code;
        record.notes = notes;
        record.updated_at = stamp;
        self.store().put_refresh(&record).await?;
        tracing::info!(integration = %integration.id, job_id = %job.job_id, state = state.as_str(), "refresh job finished");
        Ok(JobCheck::Done(record))
    }

    /// Runs `work` with the integration's PAT secret under its lease (a sign-in ends the
    /// PAT's other sessions, so no two sessions may overlap).
    pub(crate) async fn with_integration_lease<R>(
        &self,
        integration_id: &str,
        work: impl AsyncFnOnce(&crate::ports::Secret) -> Result<R, PipelineError>,
    ) -> Result<R, PipelineError> {
        let integration = self.integration(integration_id).await?;
        let holder = format!(
            "refresh-{}-{:010}",
            format_timestamp(self.now()),
            HOLDER_SEQUENCE.fetch_add(1, AtomicOrdering::Relaxed)
        );
        self.acquire_lease(integration_id, &holder).await?;
        let result = match self.secrets().tableau_secret(&integration.secret_ref).await {
            Ok(secret) => self
                .until_stopped(integration_id, work(&secret))
                .await
                .and_then(|result| result),
            Err(source) => Err(PipelineError::Secret {
                integration: integration.id.clone(),
                source,
            }),
        };
        let released = self.store().release_lease(integration_id, &holder).await;
        let value = result?;
        released?;
        Ok(value)
    }
}

fn new_record(
    integration: &Integration,
    target: &RefreshTarget,
    workbook_luids: &[String],
    stamp: &str,
) -> RefreshRecord {
    RefreshRecord {
        integration_id: integration.id.clone(),
        target: target.clone(),
        workbook_luids: workbook_luids.to_vec(),
        state: None,
        requested_at: None,
        invocation_id: None,
        job_id: None,
        finish_code: None,
        notes: None,
        skipped: None,
        updated_at: stamp.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poll_delays_grow_and_stop_at_the_sqs_maximum() {
        assert_eq!(poll_delay(0), Duration::from_secs(60));
        assert_eq!(poll_delay(1), Duration::from_secs(120));
        assert_eq!(poll_delay(3), Duration::from_secs(480));
        assert_eq!(poll_delay(4), MAX_POLL_DELAY);
        assert_eq!(poll_delay(40), MAX_POLL_DELAY);
    }
}
