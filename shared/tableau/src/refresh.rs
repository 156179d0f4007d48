//! Extract refreshes ("Update Now") and following the jobs they start.

use autoexpose_domain::refresh::{JobState, RefreshReply};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::client::Session;
use crate::error::TableauError;
use crate::rest;

impl Session {
    /// Starts an extract refresh of a workbook ("Update Workbook Now").
    pub async fn refresh_workbook(&self, luid: &str) -> Result<RefreshReply, TableauError> {
        self.refresh("workbooks", luid, "refreshing a workbook's extracts")
            .await
    }

    /// Starts an extract refresh of a published data source ("Update Data Source Now").
    pub async fn refresh_datasource(&self, luid: &str) -> Result<RefreshReply, TableauError> {
        self.refresh("datasources", luid, "refreshing a data source's extract")
            .await
    }

    async fn refresh(
        &self,
        kind: &str,
        luid: &str,
        operation: &'static str,
    ) -> Result<RefreshReply, TableauError> {
        let url = format!("{}/{kind}/{luid}/refresh", self.site_url());
        let reply = self
            .call(operation, |http| {
                http.post(&url)
                    .header("Accept", "application/json")
                    .json(&json!({}))
            })
            .await?;
        if reply.status.is_success() {
            let job_id =
                rest::job_id(&reply.body).ok_or_else(|| TableauError::UnexpectedResponse {
                    host: self.transport().host().to_string(),
                    operation,
                    detail: "it has no `job.id`".into(),
                })?;
            return Ok(RefreshReply::Queued { job_id });
        }
        let code = rest::error_body(&reply.body).map(|e| e.code);
        match (reply.status, code.as_deref()) {
            (StatusCode::CONFLICT, Some("409093")) => Ok(RefreshReply::AlreadyQueued),
            (StatusCode::CONFLICT, Some("409090")) => Ok(RefreshReply::NotRefreshable),
            _ => Err(self.site_refusal(operation, &reply)),
        }
    }

    /// The status of a background job ("Query Job").
    pub async fn job(&self, job_id: &str) -> Result<JobState, TableauError> {
        let operation = "reading a job's status";
        let url = format!("{}/jobs/{job_id}", self.site_url());
        let reply = self
            .call(operation, |http| {
                http.get(&url).header("Accept", "application/json")
            })
            .await?;
        if !reply.status.is_success() {
            return Err(self.site_refusal(operation, &reply));
        }
        let unexpected = |detail: &str| TableauError::UnexpectedResponse {
            host: self.transport().host().to_string(),
            operation,
            detail: detail.to_string(),
        };
        let body: Value =
            serde_json::from_slice(&reply.body).map_err(|e| unexpected(&e.to_string()))?;
        let job = body
            .get("job")
            .ok_or_else(|| unexpected("it has no `job`"))?;
        job_status(job).map_err(|detail| unexpected(&detail))
    }
}

/// Reads `finishCode` (0 success, 1 failed, 2 cancelled, 3 completed) and `progress`.
fn job_status(job: &Value) -> Result<JobState, String> {
    let finished = rest::text(job.get("completedAt")).is_some_and(|t| !t.is_empty());
    let finish_code = rest::number(job.get("finishCode"));
    match finish_code {
        None if !finished => Ok(JobState::InProgress {
            progress: rest::number(job.get("progress")).map(|p| p.min(100) as u32),
        }),
        // Tableau writes finishCode 0 while a job runs too: only completedAt ends it.
        Some(0) if !finished => Ok(JobState::InProgress {
            progress: rest::number(job.get("progress")).map(|p| p.min(100) as u32),
        }),
        Some(0) | Some(3) => Ok(JobState::Succeeded),
        Some(1) => Ok(JobState::Failed {
            notes: job_notes(job),
        }),
        Some(2) => Ok(JobState::Cancelled),
        Some(other) => Err(format!("finishCode {other} is not one Tableau documents")),
        None => Err("the job has completedAt but no finishCode".into()),
    }
}

fn job_notes(job: &Value) -> Option<String> {
    let from = |key: &str| {
        job.get(key)
            .and_then(|detail| rest::text(detail.get("notes")))
    };
    from("extractRefreshJob")
        .or_else(|| rest::text(job.get("notes")))
        .or_else(|| from("statusNotes"))
        .filter(|n| !n.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(json: &str) -> JobState {
        let value: Value = serde_json::from_str(json).unwrap();
        job_status(&value).unwrap()
    }

    #[test]
    fn running_job_has_no_finish_code() {
        assert_eq!(
            job(r#"{"id": "j", "progress": "40", "createdAt": "2021-10-05T18:53:34Z"}"#),
            JobState::InProgress { progress: Some(40) }
        );
    }

    #[test]
    fn failed_job_carries_its_notes() {
        let status = job(
            r#"{"id": "bb1aab79", "mode": "Asynchronous", "type": "RefreshExtract", "progress": "100",
                "createdAt": "2021-10-05T18:53:34Z", "startedAt": "2021-10-05T18:53:34Z",
                "completedAt": "2021-10-05T18:53:35Z", "finishCode": "1",
                "extractRefreshJob": {"workbook": {"id": "5998aaaf", "name": "Superstore"},
                  "notes": "java.lang.RuntimeException: Login failed for user."}}"#,
        );
        assert_eq!(
            status,
            JobState::Failed {
                notes: Some("java.lang.RuntimeException: Login failed for user.".into())
            }
        );
    }

    #[test]
    fn finish_codes_map_to_outcomes() {
        assert_eq!(
            job(r#"{"completedAt": "2021-10-05T18:53:35Z", "finishCode": 0}"#),
            JobState::Succeeded
        );
        assert_eq!(
            job(r#"{"completedAt": "2021-10-05T18:53:35Z", "finishCode": "2"}"#),
            JobState::Cancelled
        );
    }
}
