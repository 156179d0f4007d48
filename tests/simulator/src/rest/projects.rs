//! `GET /sites/{site}/projects`: paging, filters, sort.

use axum::http::StatusCode;
use axum::response::Response;

use super::Req;
use super::body::{El, RestError, ts_response};
use crate::data::ProjectSpec;
use crate::state::{AppState, Session};

const MAX_PAGE_SIZE: usize = 1000;

/// Reads `pageSize` / `pageNumber` as Tableau validates them.
pub(super) fn paging(req: &Req) -> Result<(usize, usize), RestError> {
    let page_size = match req.query_param("pageSize") {
        None => 100,
        Some(text) => match text.trim().parse::<i64>() {
            Ok(n) if n > MAX_PAGE_SIZE as i64 => {
                return Err(RestError::new(
                    403,
                    "403014",
                    "Page Size Limit Exceeded",
                    format!("The page size '{n}' exceeds the limit of {MAX_PAGE_SIZE}."),
                ));
            }
            Ok(n) if n >= 1 => n as usize,
            _ => {
                return Err(RestError::new(
                    400,
                    "400007",
                    "Invalid page size",
                    format!("The page size '{text}' is not a positive integer."),
                ));
            }
        },
    };
    let page_number = match req.query_param("pageNumber") {
        None => 1,
        Some(text) => match text.trim().parse::<i64>() {
            Ok(n) if n >= 1 => n as usize,
            _ => return Err(invalid_page_number(text)),
        },
    };
    Ok((page_size, page_number))
}

fn invalid_page_number(text: &str) -> RestError {
    RestError::new(
        400,
        "400006",
        "Invalid page number",
        format!("The page number '{text}' is not valid."),
    )
}

/// One `field:op:value` term of `filter=`.
struct Term {
    field: String,
    values: Vec<String>,
}

fn parse_filter(text: &str) -> Result<Vec<Term>, RestError> {
    let mut terms = Vec::new();
    // Commas separate terms, except inside `[a,b]` lists.
    let mut depth = 0;
    let mut start = 0;
    let mut parts = Vec::new();
    for (i, c) in text.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    for part in parts.into_iter().filter(|p| !p.is_empty()) {
        let mut pieces = part.splitn(3, ':');
        let (Some(field), Some(op), Some(value)) = (pieces.next(), pieces.next(), pieces.next())
        else {
            return Err(bad_filter(part));
        };
        let values = match op {
            "eq" => vec![value.to_string()],
            "in" => {
                let inner = value
                    .strip_prefix('[')
                    .and_then(|v| v.strip_suffix(']'))
                    .ok_or_else(|| bad_filter(part))?;
                inner.split(',').map(str::to_string).collect()
            }
            _ => return Err(bad_filter(part)),
        };
        if !matches!(field, "name" | "parentProjectId" | "topLevelProject") {
            return Err(bad_filter(part));
        }
        terms.push(Term {
            field: field.to_string(),
            values,
        });
    }
    Ok(terms)
}

fn bad_filter(part: &str) -> RestError {
    RestError::new(
        400,
        "400065",
        "Bad Request",
        format!("The filter expression '{part}' is not supported for projects."),
    )
}

fn matches(project: &ProjectSpec, term: &Term) -> bool {
    let value = match term.field.as_str() {
        "name" => project.name.clone(),
        "parentProjectId" => project.parent_id.clone().unwrap_or_default(),
        _ => project.parent_id.is_none().to_string(),
    };
    term.values.contains(&value)
}

pub(super) fn list(state: &AppState, req: &Req, session: &Session) -> Result<Response, RestError> {
    let (page_size, page_number) = paging(req)?;
    let site = state
        .site_by_id(&session.site_id)
        .ok_or_else(|| RestError::not_found("404000", "The site no longer exists."))?;
    let terms = match req.query_param("filter") {
        Some(text) => parse_filter(text)?,
        None => Vec::new(),
    };
    let mut projects: Vec<&ProjectSpec> = site
        .spec
        .projects
        .iter()
        .filter(|p| terms.iter().all(|t| matches(p, t)))
        .collect();
    match req.query_param("sort") {
        Some("name:asc") => projects.sort_by(|a, b| a.name.cmp(&b.name)),
        Some("name:desc") => projects.sort_by(|a, b| b.name.cmp(&a.name)),
        _ => {}
    }
    let total = projects.len();
    let start = (page_number - 1).saturating_mul(page_size);
    if page_number > 1 && start >= total {
        return Err(invalid_page_number(&page_number.to_string()));
    }
    let page: Vec<El> = projects
        .into_iter()
        .skip(start)
        .take(page_size)
        .map(|p| project_element(p, &site.spec.users.first().map(|u| u.id.clone())))
        .collect();
    let pagination = El::new("pagination")
        .attr("pageNumber", page_number)
        .attr("pageSize", page_size)
        .attr("totalAvailable", total);
    Ok(ts_response(
        StatusCode::OK,
        req.format,
        vec![pagination, El::list("projects", page)],
    ))
}

fn project_element(project: &ProjectSpec, default_owner: &Option<String>) -> El {
    let mut el = El::new("project")
        .attr("id", &project.id)
        .attr("name", &project.name)
        .attr("description", &project.description)
        .attr("contentPermissions", "ManagedByOwner")
        .opt_attr("parentProjectId", project.parent_id.as_ref())
        .opt_attr(
            "controllingPermissionsProjectId",
            project.parent_id.as_ref(),
        )
        .attr("topLevelProject", project.parent_id.is_none())
        .attr("writeable", true);
    if let Some(owner) = project.owner_id.as_ref().or(default_owner.as_ref()) {
        el = el.child(El::new("owner").attr("id", owner));
    }
    el
}
