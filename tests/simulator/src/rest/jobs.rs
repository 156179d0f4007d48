//! Extract refresh ("Update Now") and job polling.

use std::time::{Instant, SystemTime};

use axum::http::StatusCode;
use axum::response::Response;

use super::Req;
use super::body::{El, RestError, ts_response};
use crate::state::{AppState, Job, JobTargetKind, Session, lock};
use crate::util::{iso8601, random_luid};

/// Refresh bodies are optional; when present they must parse.
fn check_body(req: &Req) -> Result<(), RestError> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    if req.is_json_body() {
        serde_json::from_slice::<serde_json::Value>(&req.body)
            .map(|_| ())
            .map_err(|e| RestError::bad_request(format!("Malformed JSON request body: {e}")))
    } else {
        let text = std::str::from_utf8(&req.body)
            .map_err(|_| RestError::bad_request("The request body is not UTF-8."))?;
        let mut reader = quick_xml::Reader::from_str(text);
        reader.config_mut().check_end_names = true;
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => return Ok(()),
                Ok(_) => {}
                Err(e) => {
                    return Err(RestError::bad_request(format!(
                        "Malformed XML request body: {e}"
                    )));
                }
            }
        }
    }
}

pub(super) fn refresh_workbook(
    state: &AppState,
    req: &Req,
    session: &Session,
    luid: &str,
) -> Result<Response, RestError> {
    check_body(req)?;
    let site = state.site_by_id(&session.site_id);
    let workbook = site
        .as_ref()
        .and_then(|s| s.workbook(luid).map(|i| s.spec.workbooks[i].clone()))
        .ok_or_else(|| {
            RestError::not_found("404006", format!("Workbook '{luid}' could not be found."))
        })?;
    if !workbook.embedded_extract {
        return Err(RestError::new(
            409,
            "409090",
            "Bad Request",
            format!(
                "Extract operation for the workbook '{}' is not allowed.",
                workbook.name
            ),
        ));
    }
    let job = start_job(
        state,
        session,
        JobTargetKind::Workbook,
        luid,
        &workbook.name,
        workbook.refresh_error,
    )?;
    Ok(ts_response(
        StatusCode::ACCEPTED,
        req.format,
        vec![job_element(state, &job, false)],
    ))
}

pub(super) fn refresh_datasource(
    state: &AppState,
    req: &Req,
    session: &Session,
    luid: &str,
) -> Result<Response, RestError> {
    check_body(req)?;
    let site = state.site_by_id(&session.site_id);
    let datasource = site
        .as_ref()
        .and_then(|s| s.datasource(luid).map(|i| s.spec.datasources[i].clone()))
        .ok_or_else(|| {
            RestError::not_found("404004", format!("Datasource '{luid}' could not be found."))
        })?;
    if !datasource.has_extracts {
        return Err(RestError::new(
            409,
            "409090",
            "Bad Request",
            format!(
                "Extract operation for the data source '{}' is not allowed.",
                datasource.name
            ),
        ));
    }
    let job = start_job(
        state,
        session,
        JobTargetKind::Datasource,
        luid,
        &datasource.name,
        datasource.refresh_error,
    )?;
    Ok(ts_response(
        StatusCode::ACCEPTED,
        req.format,
        vec![job_element(state, &job, false)],
    ))
}

fn start_job(
    state: &AppState,
    session: &Session,
    kind: JobTargetKind,
    target_id: &str,
    target_name: &str,
    error: Option<String>,
) -> Result<Job, RestError> {
    let mut jobs = lock(&state.jobs);
    let busy = jobs.values().any(|j| {
        j.site_id == session.site_id
            && j.kind == kind
            && j.target_id == target_id
            && !j.finished(state.config.job_duration)
    });
    if busy {
        return Err(RestError::new(
            409,
            "409093",
            "Resource Conflict",
            format!("An extract refresh job for '{target_name}' is already queued or running."),
        ));
    }
    let job = Job {
        id: random_luid(),
        site_id: session.site_id.clone(),
        kind,
        target_id: target_id.to_string(),
        target_name: target_name.to_string(),
        created: Instant::now(),
        created_wall: SystemTime::now(),
        error,
    };
    jobs.insert(job.id.clone(), job.clone());
    Ok(job)
}

pub(super) fn query_job(
    state: &AppState,
    req: &Req,
    session: &Session,
    id: &str,
) -> Result<Response, RestError> {
    let job = lock(&state.jobs)
        .get(id)
        .filter(|j| j.site_id == session.site_id)
        .cloned()
        .ok_or_else(|| RestError::not_found("404018", format!("Job '{id}' could not be found.")))?;
    Ok(ts_response(
        StatusCode::OK,
        req.format,
        vec![job_element(state, &job, true)],
    ))
}

/// The `<job>` element; `with_status` adds progress and, once done, the outcome.
fn job_element(state: &AppState, job: &Job, with_status: bool) -> El {
    let target_tag = match job.kind {
        JobTargetKind::Workbook => "workbook",
        JobTargetKind::Datasource => "datasource",
    };
    let mut el = El::new("job")
        .attr("id", &job.id)
        .attr("mode", "Asynchronous")
        .attr("type", "RefreshExtract");
    let mut detail = El::new("extractRefreshJob").child(
        El::new(target_tag)
            .attr("id", &job.target_id)
            .attr("name", &job.target_name),
    );
    if !with_status {
        return el
            .attr("createdAt", iso8601(job.created_wall))
            .child(detail);
    }
    let duration = state.config.job_duration;
    let elapsed = job.created.elapsed();
    if elapsed < duration {
        let progress = (elapsed.as_millis() * 100 / duration.as_millis().max(1)).min(99);
        el = el
            .attr("progress", progress)
            .attr("createdAt", iso8601(job.created_wall))
            .attr("startedAt", iso8601(job.created_wall));
        return el.child(detail);
    }
    let finish_code = if job.error.is_some() { 1 } else { 0 };
    el = el
        .attr("progress", 100)
        .attr("createdAt", iso8601(job.created_wall))
        .attr("startedAt", iso8601(job.created_wall))
        .attr("completedAt", iso8601(job.created_wall + duration))
        .attr("finishCode", finish_code);
    if let Some(error) = &job.error {
        detail = detail.child(El::text("notes", error));
    }
    el.child(detail)
}
