//! Usage: the Content Exploration usage-stats batch method, and the views' lifetime
//! `totalViewCount` for sites without it.
//!
//! - `POST /api/-/content/usage-stats` ("Get batch usage statistics", version-less, the
//!   token's site): a JSON body `{"content_items": [{"type": "workbook", "luid": ...}]}`
//!   (`contentItems` is read too, as the gRPC gateway behind it accepts both) answers `201`
//!   with `{"content_items": [{"content": {"type", "luid"}, "usage": {"hitsTotal", ...}}],
//!   "errors": [{"http_error_code", "message"}]}`; counts are strings, as protobuf's JSON
//!   writes 64-bit integers. An item the site does not hold goes to `errors` with 404.
//!   At most [`MAX_BATCH`] items per call (400 beyond). A site with `usage_stats: absent`
//!   answers 404 as for an unknown resource; `forbidden` answers 403.
//! - `GET /api/{v}/sites/{site}/views?includeUsageStatistics=true` (Query Views for Site) and
//!   `GET /api/{v}/sites/{site}/workbooks/{id}/views?includeUsageStatistics=true` (Query
//!   Views for Workbook): each view with `workbook id` and `usage totalViewCount`.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::Req;
use super::body::{El, RestError, ts_response, with_type};
use super::projects::paging;
use crate::data::{UsageSpec, UsageStatsAccess, ViewSpec, WorkbookSpec};
use crate::state::{AppState, Session, Site};
use crate::util::derived_luid;

/// The most content items one batch call takes.
pub(crate) const MAX_BATCH: usize = 100;

fn site(state: &AppState, session: &Session) -> Result<std::sync::Arc<Site>, RestError> {
    state
        .site_by_id(&session.site_id)
        .ok_or_else(|| RestError::not_found("404000", "The site no longer exists."))
}

/// Whether the session's site answers the usage-stats methods.
pub(super) fn check_access(state: &AppState, session: &Session) -> Result<(), RestError> {
    match site(state, session)?.spec.usage_stats {
        UsageStatsAccess::Available => Ok(()),
        UsageStatsAccess::Absent => Err(RestError::not_found(
            "404000",
            "The requested resource does not exist.",
        )),
        UsageStatsAccess::Forbidden => Err(RestError::new(
            403,
            "403000",
            "Forbidden",
            "The signed-in user does not have permission to read usage statistics.",
        )),
    }
}

/// `POST /api/-/content/usage-stats`
pub(super) fn batch(state: &AppState, req: &Req, session: &Session) -> Result<Response, RestError> {
    check_access(state, session)?;
    let body: Value = serde_json::from_slice(&req.body)
        .map_err(|e| RestError::bad_request(format!("The request body is not JSON: {e}")))?;
    let items = body
        .get("content_items")
        .or_else(|| body.get("contentItems"))
        .and_then(Value::as_array)
        .ok_or_else(|| RestError::bad_request("The request has no content_items."))?;
    if items.len() > MAX_BATCH {
        return Err(RestError::bad_request(format!(
            "A batch holds at most {MAX_BATCH} content items; this one holds {}.",
            items.len()
        )));
    }
    let site = site(state, session)?;
    let mut answered = Vec::new();
    let mut errors = Vec::new();
    for item in items {
        let kind = item.get("type").and_then(Value::as_str).unwrap_or_default();
        let luid = item.get("luid").and_then(Value::as_str).unwrap_or_default();
        let workbook = (kind == "workbook")
            .then(|| site.workbook(luid))
            .flatten()
            .map(|i| &site.spec.workbooks[i]);
        match workbook {
            Some(workbook) => answered.push(json!({
                "content": {"type": kind, "luid": luid},
                "usage": usage_json(workbook.usage.as_ref()),
            })),
            None => errors.push(json!({
                "http_error_code": 404,
                "message": format!("Content item {kind} '{luid}' could not be found."),
            })),
        }
    }
    let reply = json!({"content_items": answered, "errors": errors});
    Ok(with_type(
        StatusCode::CREATED,
        "application/vnd.tableau.usagestats.v1.ContentItemUsageStatsList+json",
        reply.to_string(),
    ))
}

fn usage_json(usage: Option<&UsageSpec>) -> Value {
    let zero = UsageSpec::default();
    let u = usage.unwrap_or(&zero);
    json!({
        "hitsTotal": u.hits_total.to_string(),
        "hitsLastTwoWeeksTotal": u.hits_last_two_weeks.to_string(),
        "hitsLastOneMonthTotal": u.hits_last_one_month.to_string(),
        "hitsLastThreeMonthsTotal": u.hits_last_three_months.to_string(),
        "hitsLastTwelveMonthsTotal": u.hits_last_twelve_months.to_string(),
    })
}

/// A workbook's views; one standing for the workbook when the spec lists none.
fn views_of(workbook: &WorkbookSpec) -> Vec<ViewSpec> {
    if !workbook.views.is_empty() {
        return workbook.views.clone();
    }
    vec![ViewSpec {
        id: derived_luid(&format!("view:{}", workbook.luid)),
        name: workbook.name.clone(),
        total_view_count: workbook.usage.as_ref().map_or(0, |u| u.hits_total),
    }]
}

fn view_element(workbook: &WorkbookSpec, view: &ViewSpec, with_usage: bool) -> El {
    let mut el = El::new("view")
        .attr("id", &view.id)
        .attr("name", &view.name)
        .attr(
            "contentUrl",
            format!("{}/sheets/{}", workbook.name, view.name),
        )
        .attr("createdAt", &workbook.created_at)
        .attr("updatedAt", &workbook.updated_at)
        .child(El::new("workbook").attr("id", &workbook.luid))
        .child(El::new("owner").attr("id", &workbook.owner_id))
        .child(El::new("project").attr("id", &workbook.project_id));
    if with_usage {
        el = el.child(El::new("usage").attr("totalViewCount", view.total_view_count));
    }
    el
}

fn wants_usage(req: &Req) -> bool {
    req.query_param("includeUsageStatistics")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// `GET /api/{v}/sites/{site}/views` (Query Views for Site), paged.
pub(super) fn site_views(
    state: &AppState,
    req: &Req,
    session: &Session,
) -> Result<Response, RestError> {
    let (page_size, page_number) = paging(req)?;
    let site = site(state, session)?;
    let with_usage = wants_usage(req);
    // Elements are built for the page asked only: a site's views can be many.
    let all: Vec<(&WorkbookSpec, ViewSpec)> = site
        .spec
        .workbooks
        .iter()
        .flat_map(|w| views_of(w).into_iter().map(move |v| (w, v)))
        .collect();
    let total = all.len();
    let start = (page_number - 1).saturating_mul(page_size);
    if page_number > 1 && start >= total {
        return Err(RestError::new(
            400,
            "400006",
            "Invalid page number",
            format!("The page number '{page_number}' is not valid."),
        ));
    }
    let page: Vec<El> = all
        .iter()
        .skip(start)
        .take(page_size)
        .map(|(w, v)| view_element(w, v, with_usage))
        .collect();
    let pagination = El::new("pagination")
        .attr("pageNumber", page_number)
        .attr("pageSize", page_size)
        .attr("totalAvailable", total);
    Ok(ts_response(
        StatusCode::OK,
        req.format,
        vec![pagination, El::list("views", page)],
    ))
}

/// `GET /api/{v}/sites/{site}/workbooks/{id}/views` (Query Views for Workbook), unpaged as
/// Tableau's is.
pub(super) fn workbook_views(
    state: &AppState,
    req: &Req,
    session: &Session,
    id: &str,
) -> Result<Response, RestError> {
    let site = site(state, session)?;
    let workbook = site
        .workbook(id)
        .map(|i| &site.spec.workbooks[i])
        .ok_or_else(|| RestError::not_found("404006", format!("Workbook '{id}' not found.")))?;
    let with_usage = wants_usage(req);
    let views = views_of(workbook)
        .iter()
        .map(|v| view_element(workbook, v, with_usage))
        .collect();
    Ok(ts_response(
        StatusCode::OK,
        req.format,
        vec![El::list("views", views)],
    ))
}
