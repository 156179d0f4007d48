//! `GET /sites/{site}/workbooks` (Query Workbooks for Site) and `GET /sites/{site}/users`
//! (Get Users on Site): the paged REST listings that tools built on
//! `tableauserverclient` (`TSC.Pager(server.workbooks)`) read.

use axum::http::StatusCode;
use axum::response::Response;

use super::Req;
use super::body::{El, RestError, ts_response};
use super::projects::paging;
use crate::data::{UserSpec, WorkbookSpec};
use crate::state::{AppState, Session, Site};

fn site_of(state: &AppState, session: &Session) -> Result<std::sync::Arc<Site>, RestError> {
    state
        .site_by_id(&session.site_id)
        .ok_or_else(|| RestError::not_found("404000", "The site no longer exists."))
}

/// Cuts page `page_number` of `page_size` out of `total` items, as Tableau pages: a page
/// past the end (other than the first) is `400006`.
fn page_range(
    total: usize,
    page_size: usize,
    page_number: usize,
) -> Result<std::ops::Range<usize>, RestError> {
    let start = (page_number - 1).saturating_mul(page_size);
    if page_number > 1 && start >= total {
        return Err(RestError::new(
            400,
            "400006",
            "Invalid page number",
            format!("The page number '{page_number}' is not valid."),
        ));
    }
    Ok(start.min(total)..start.saturating_add(page_size).min(total))
}

fn pagination(page_number: usize, page_size: usize, total: usize) -> El {
    El::new("pagination")
        .attr("pageNumber", page_number)
        .attr("pageSize", page_size)
        .attr("totalAvailable", total)
}

/// The site's workbooks, a page at a time, in site order.
pub(super) fn workbooks(
    state: &AppState,
    req: &Req,
    session: &Session,
) -> Result<Response, RestError> {
    let (page_size, page_number) = paging(req)?;
    let site = site_of(state, session)?;
    let all = &site.spec.workbooks;
    let range = page_range(all.len(), page_size, page_number)?;
    // The browser URL Tableau gives (`webpageUrl`) starts with the host the caller used.
    let host = req.header("host").unwrap_or("127.0.0.1").to_string();
    let page: Vec<El> = all[range]
        .iter()
        .map(|w| workbook_element(&site, w, &host))
        .collect();
    Ok(ts_response(
        StatusCode::OK,
        req.format,
        vec![
            pagination(page_number, page_size, all.len()),
            El::list("workbooks", page),
        ],
    ))
}

fn workbook_element(site: &Site, workbook: &WorkbookSpec, host: &str) -> El {
    let project_name = site
        .project(&workbook.project_id)
        .map(|i| site.spec.projects[i].name.clone())
        .unwrap_or_default();
    let content_url = &site.spec.content_url;
    let webpage_url = if content_url.is_empty() {
        format!("http://{host}/#/workbooks/{}", workbook.vizportal_url_id)
    } else {
        format!(
            "http://{host}/#/site/{content_url}/workbooks/{}",
            workbook.vizportal_url_id
        )
    };
    El::new("workbook")
        .attr("id", &workbook.luid)
        .attr("name", &workbook.name)
        .attr("description", &workbook.description)
        .attr("contentUrl", workbook.name.replace(' ', ""))
        .attr("webpageUrl", webpage_url)
        .attr("showTabs", true)
        .attr("size", 1)
        .attr("createdAt", &workbook.created_at)
        .attr("updatedAt", &workbook.updated_at)
        .attr("encryptExtracts", false)
        .child(
            El::new("project")
                .attr("id", &workbook.project_id)
                .attr("name", project_name),
        )
        .child(El::new("owner").attr("id", &workbook.owner_id))
        .child(El::list("tags", Vec::new()))
}

/// The site's users, a page at a time.
pub(super) fn users(state: &AppState, req: &Req, session: &Session) -> Result<Response, RestError> {
    let (page_size, page_number) = paging(req)?;
    let site = site_of(state, session)?;
    let all = &site.spec.users;
    let range = page_range(all.len(), page_size, page_number)?;
    let page: Vec<El> = all[range].iter().map(user_element).collect();
    Ok(ts_response(
        StatusCode::OK,
        req.format,
        vec![
            pagination(page_number, page_size, all.len()),
            El::list("users", page),
        ],
    ))
}

fn user_element(user: &UserSpec) -> El {
    El::new("user")
        .attr("id", &user.id)
        .attr("name", &user.username)
        .attr("fullName", &user.name)
        .attr("email", &user.email)
        .attr("siteRole", "Explorer")
        .attr("authSetting", "ServerDefault")
}
