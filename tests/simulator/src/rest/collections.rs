//! Tableau's own Collections (REST API 3.28, Tableau Cloud February 2026 / Server 2026.1)
//! and Query Workbook, which tells a Collection's workbook's project.
//!
//! Tableau's reference ("Collections Methods", `rest_api_ref_collections.htm`) documents
//! List Collections, Get Collection and List Collection Items, and says the new endpoints
//! are version-less (`/api/-/...`) and act for the signed-in user on the token's site.
//! The exact sub-paths and bodies were not in the text we could read, so this serves the
//! closest documented shape, which is an assumption to re-check against a real 3.28 site:
//! - `GET /api/-/collections` → `pagination` + `collections.collection[]` with `id, name,
//!   description, visibility, totalItemCount, permissionedItemCount, createdAt, updatedAt,
//!   owner.id` (the fields of tableauserverclient's `CollectionItem`);
//! - `GET /api/-/collections/{id}` → `collection`;
//! - `GET /api/-/collections/{id}/items` → `pagination` + `items.item[]` with `id, name,
//!   contentType`;
//! - or, with the site's `collections_in_content_shape`, the newer shape a third-party
//!   client reads: bare arrays, `luid` for a Collection's id, and each item as
//!   `{collectionLuid, addedDate, content: {luid, name, contentType}}`;
//! - items the token's user may not see are counted in `totalItemCount`, not in
//!   `permissionedItemCount`, and not listed;
//! - an unknown Collection is `404` with code `404000`; a server older than 3.28 knows none
//!   of these paths and answers `404` as for any unknown resource.

use axum::http::StatusCode;
use axum::response::Response;

use super::body::{El, RestError, ts_response};
use super::projects::paging;
use super::{Req, parse_version};
use crate::data::{TableauCollectionSpec, WorkbookSpec};
use crate::state::{AppState, Session, Site};

/// The first REST API version with Collections.
const FIRST_VERSION: (u32, u32) = (3, 28);

const CREATED_AT: &str = "2026-02-10T09:00:00Z";

/// Collections exist only on servers that speak REST 3.28 or newer.
pub(super) fn available(state: &AppState) -> Result<(), RestError> {
    let newest = parse_version(&state.server.rest_api_version).unwrap_or((3, 25));
    if newest >= FIRST_VERSION {
        Ok(())
    } else {
        Err(RestError::not_found(
            "404000",
            "The requested resource does not exist.",
        ))
    }
}

fn site(state: &AppState, session: &Session) -> Result<std::sync::Arc<Site>, RestError> {
    state
        .site_by_id(&session.site_id)
        .ok_or_else(|| RestError::not_found("404000", "The site no longer exists."))
}

fn not_found(id: &str) -> RestError {
    RestError::not_found("404000", format!("Collection '{id}' could not be found."))
}

/// `GET /api/-/collections`
pub(super) fn list(state: &AppState, req: &Req, session: &Session) -> Result<Response, RestError> {
    let (page_size, page_number) = paging(req)?;
    let site = site(state, session)?;
    let all: Vec<El> = site
        .spec
        .tableau_collections
        .iter()
        .map(|c| collection_element(c, site.spec.collections_in_content_shape))
        .collect();
    let (page, pagination) = page_of(all, page_size, page_number)?;
    Ok(ts_response(
        StatusCode::OK,
        req.format,
        vec![pagination, plural(&site, "collections", page)],
    ))
}

/// `GET /api/-/collections/{id}`
pub(super) fn details(
    state: &AppState,
    req: &Req,
    session: &Session,
    id: &str,
) -> Result<Response, RestError> {
    let site = site(state, session)?;
    let collection = find(&site, id)?;
    Ok(ts_response(
        StatusCode::OK,
        req.format,
        vec![collection_element(
            collection,
            site.spec.collections_in_content_shape,
        )],
    ))
}

/// `GET /api/-/collections/{id}/items`
pub(super) fn items(
    state: &AppState,
    req: &Req,
    session: &Session,
    id: &str,
) -> Result<Response, RestError> {
    let (page_size, page_number) = paging(req)?;
    let site = site(state, session)?;
    let collection = find(&site, id)?;
    let all: Vec<El> = collection
        .items
        .iter()
        .filter(|item| !item.hidden)
        .map(|item| {
            let name = site
                .workbook(&item.luid)
                .filter(|_| item.content_type == "workbook")
                .map(|i| site.spec.workbooks[i].name.clone())
                .unwrap_or_else(|| item.name.clone());
            if site.spec.collections_in_content_shape {
                El::new("item")
                    .attr("collectionLuid", &collection.id)
                    .attr("addedDate", CREATED_AT)
                    .child(
                        El::new("content")
                            .attr("luid", &item.luid)
                            .attr("name", name)
                            .attr("contentType", &item.content_type),
                    )
            } else {
                El::new("item")
                    .attr("id", &item.luid)
                    .attr("name", name)
                    .attr("contentType", &item.content_type)
            }
        })
        .collect();
    let (page, pagination) = page_of(all, page_size, page_number)?;
    Ok(ts_response(
        StatusCode::OK,
        req.format,
        vec![pagination, plural(&site, "items", page)],
    ))
}

/// `GET /api/{v}/sites/{site}/workbooks/{id}` (Query Workbook).
pub(super) fn query_workbook(
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
    Ok(ts_response(
        StatusCode::OK,
        req.format,
        vec![workbook_element(&site, workbook)],
    ))
}

fn workbook_element(site: &Site, workbook: &WorkbookSpec) -> El {
    let project_name = site
        .project(&workbook.project_id)
        .map(|i| site.spec.projects[i].name.clone())
        .unwrap_or_default();
    El::new("workbook")
        .attr("id", &workbook.luid)
        .attr("name", &workbook.name)
        .attr("description", &workbook.description)
        .attr("createdAt", &workbook.created_at)
        .attr("updatedAt", &workbook.updated_at)
        .child(
            El::new("project")
                .attr("id", &workbook.project_id)
                .attr("name", project_name),
        )
        .child(El::new("owner").attr("id", &workbook.owner_id))
}

fn find<'a>(site: &'a Site, id: &str) -> Result<&'a TableauCollectionSpec, RestError> {
    site.spec
        .tableau_collections
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(|| not_found(id))
}

/// A list in the site's Collections body shape.
fn plural(site: &Site, name: &str, items: Vec<El>) -> El {
    if site.spec.collections_in_content_shape {
        El::array(name, items)
    } else {
        El::list(name, items)
    }
}

fn collection_element(collection: &TableauCollectionSpec, content_shape: bool) -> El {
    let visible = collection.items.iter().filter(|i| !i.hidden).count();
    let mut el = El::new("collection")
        .attr(if content_shape { "luid" } else { "id" }, &collection.id)
        .attr("name", &collection.name)
        .attr("description", &collection.description)
        .attr("visibility", &collection.visibility)
        .attr("totalItemCount", collection.items.len())
        .attr("permissionedItemCount", visible)
        .attr("createdAt", CREATED_AT)
        .attr("updatedAt", CREATED_AT);
    if let Some(owner) = &collection.owner_id {
        el = el.child(El::new("owner").attr("id", owner));
    }
    el
}

fn page_of(all: Vec<El>, page_size: usize, page_number: usize) -> Result<(Vec<El>, El), RestError> {
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
    let page = all.into_iter().skip(start).take(page_size).collect();
    let pagination = El::new("pagination")
        .attr("pageNumber", page_number)
        .attr("pageSize", page_size)
        .attr("totalAvailable", total);
    Ok((page, pagination))
}
