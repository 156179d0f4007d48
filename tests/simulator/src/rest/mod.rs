//! The REST API: routing, version checks, authentication, and the handlers.

mod auth;
pub(crate) mod body;
mod collections;
mod jobs;
mod listings;
mod projects;
mod quality_warnings;
mod usage;

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method};
use axum::response::Response;

use crate::state::{AppState, Session, lock};
use crate::stats::RouteKind;
use body::{Format, RestError};

/// A request, taken apart once.
pub(crate) struct Req {
    pub(crate) method: Method,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) format: Format,
}

impl Req {
    pub(crate) fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub(crate) fn is_json_body(&self) -> bool {
        self.header("content-type")
            .is_some_and(|t| t.to_ascii_lowercase().contains("json"))
    }
}

/// Where a path leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    ServerInfo {
        version: String,
    },
    SignIn {
        version: String,
    },
    SignOut {
        version: String,
    },
    Projects {
        version: String,
        site: String,
    },
    RefreshWorkbook {
        version: String,
        site: String,
        id: String,
    },
    RefreshDatasource {
        version: String,
        site: String,
        id: String,
    },
    Job {
        version: String,
        site: String,
        id: String,
    },
    QualityWarningsOnContent {
        version: String,
        site: String,
        content_type: String,
        content_id: String,
    },
    QualityWarning {
        version: String,
        site: String,
        id: String,
    },
    /// Query Workbooks for Site: every workbook, paged.
    Workbooks {
        version: String,
        site: String,
    },
    /// Get Users on Site, paged.
    Users {
        version: String,
        site: String,
    },
    /// Query Workbook: one workbook by LUID.
    Workbook {
        version: String,
        site: String,
        id: String,
    },
    /// List Collections (version-less, REST 3.28+; the site is the token's).
    TableauCollections,
    /// Get Collection: one Tableau Collection's details.
    TableauCollection {
        id: String,
    },
    /// List Collection Items.
    TableauCollectionItems {
        id: String,
    },
    /// Get batch usage statistics (Content Exploration, version-less; the token's site).
    UsageStatsBatch,
    /// Query Views for Site.
    SiteViews {
        version: String,
        site: String,
    },
    /// Query Views for Workbook.
    WorkbookViews {
        version: String,
        site: String,
        id: String,
    },
    Metadata,
    Unknown,
}

impl Route {
    /// Reads a path; fixed segments are matched case-insensitively, as Tableau does.
    pub(crate) fn parse(path: &str) -> Route {
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
        let lower: Vec<String> = segments.iter().map(|s| s.to_ascii_lowercase()).collect();
        let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
        let owned = |i: usize| segments[i].to_string();
        match lower.as_slice() {
            ["api", "metadata", "graphql"] => Route::Metadata,
            ["api", _, "serverinfo"] => Route::ServerInfo { version: owned(1) },
            ["api", _, "auth", "signin"] => Route::SignIn { version: owned(1) },
            ["api", _, "auth", "signout"] => Route::SignOut { version: owned(1) },
            ["api", _, "sites", _, "projects"] => Route::Projects {
                version: owned(1),
                site: owned(3),
            },
            ["api", _, "sites", _, "workbooks", _, "refresh"] => Route::RefreshWorkbook {
                version: owned(1),
                site: owned(3),
                id: owned(5),
            },
            ["api", _, "sites", _, "datasources", _, "refresh"] => Route::RefreshDatasource {
                version: owned(1),
                site: owned(3),
                id: owned(5),
            },
            ["api", "-", "collections"] => Route::TableauCollections,
            ["api", "-", "collections", _] => Route::TableauCollection { id: owned(3) },
            ["api", "-", "collections", _, "items"] => {
                Route::TableauCollectionItems { id: owned(3) }
            }
            ["api", "-", "content", "usage-stats"] => Route::UsageStatsBatch,
            ["api", _, "sites", _, "views"] => Route::SiteViews {
                version: owned(1),
                site: owned(3),
            },
            ["api", _, "sites", _, "workbooks", _, "views"] => Route::WorkbookViews {
                version: owned(1),
                site: owned(3),
                id: owned(5),
            },
            ["api", _, "sites", _, "workbooks"] => Route::Workbooks {
                version: owned(1),
                site: owned(3),
            },
            ["api", _, "sites", _, "users"] => Route::Users {
                version: owned(1),
                site: owned(3),
            },
            ["api", _, "sites", _, "workbooks", _] => Route::Workbook {
                version: owned(1),
                site: owned(3),
                id: owned(5),
            },
            ["api", _, "sites", _, "jobs", _] => Route::Job {
                version: owned(1),
                site: owned(3),
                id: owned(5),
            },
            ["api", _, "sites", _, "dataqualitywarnings", _, _] => {
                Route::QualityWarningsOnContent {
                    version: owned(1),
                    site: owned(3),
                    content_type: owned(5),
                    content_id: owned(6),
                }
            }
            ["api", _, "sites", _, "dataqualitywarnings", _] => Route::QualityWarning {
                version: owned(1),
                site: owned(3),
                id: owned(5),
            },
            _ => Route::Unknown,
        }
    }

    pub(crate) fn kind(&self) -> RouteKind {
        match self {
            Route::ServerInfo { .. } => RouteKind::ServerInfo,
            Route::SignIn { .. } => RouteKind::SignIn,
            Route::SignOut { .. } => RouteKind::SignOut,
            Route::Projects { .. } => RouteKind::Projects,
            Route::RefreshWorkbook { .. } | Route::RefreshDatasource { .. } => RouteKind::Refresh,
            Route::Job { .. } => RouteKind::Job,
            Route::Workbook { .. }
            | Route::Workbooks { .. }
            | Route::Users { .. }
            | Route::TableauCollections
            | Route::TableauCollection { .. }
            | Route::TableauCollectionItems { .. } => RouteKind::Other,
            Route::QualityWarningsOnContent { .. } | Route::QualityWarning { .. } => {
                RouteKind::QualityWarnings
            }
            Route::UsageStatsBatch | Route::SiteViews { .. } | Route::WorkbookViews { .. } => {
                RouteKind::Usage
            }
            Route::Metadata => RouteKind::Metadata,
            Route::Unknown => RouteKind::Other,
        }
    }
}

/// `3.25` → `(3, 25)`; anything else → `None`.
pub(crate) fn parse_version(text: &str) -> Option<(u32, u32)> {
    let (major, minor) = text.split_once('.')?;
    if major.is_empty() || minor.is_empty() {
        return None;
    }
    if !major
        .bytes()
        .chain(minor.bytes())
        .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some((major.parse().ok()?, minor.parse().ok()?))
}

fn check_version(state: &AppState, version: &str) -> Result<(), RestError> {
    let newest = parse_version(&state.server.rest_api_version).unwrap_or((3, 25));
    match parse_version(version) {
        Some(v) if v >= (2, 0) && v <= newest => Ok(()),
        _ => Err(RestError::not_found(
            "404001",
            format!("Version '{version}' is not a valid version of the API."),
        )),
    }
}

/// A valid version that is also at least `oldest` (the method's first version).
fn check_version_at_least(
    state: &AppState,
    version: &str,
    oldest: (u32, u32),
) -> Result<(), RestError> {
    check_version(state, version)?;
    match parse_version(version) {
        Some(v) if v >= oldest => Ok(()),
        _ => Err(RestError::not_found(
            "404001",
            format!("Version '{version}' does not support this method."),
        )),
    }
}

fn require_method(req: &Req, method: Method) -> Result<(), RestError> {
    if req.method == method {
        Ok(())
    } else {
        Err(RestError::new(
            405,
            "405000",
            "Method Not Allowed",
            format!("This resource does not support {}.", req.method),
        ))
    }
}

/// The session behind the request's `X-Tableau-Auth` token.
pub(crate) fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Session, RestError> {
    let Some(token) = headers.get("x-tableau-auth").and_then(|v| v.to_str().ok()) else {
        return Err(RestError::new(
            401,
            "401000",
            "Unauthorized Access",
            "No authentication credentials were provided.",
        ));
    };
    let invalid = || {
        RestError::new(
            401,
            "401002",
            "Unauthorized Access",
            "Invalid authentication credentials were provided.",
        )
    };
    let mut sessions = lock(&state.sessions);
    let Some(session) = sessions.get_mut(token) else {
        return Err(invalid());
    };
    let now = Instant::now();
    let idle_too_long = state
        .faults
        .session_idle_timeout()
        .is_some_and(|limit| now.duration_since(session.last_used) > limit);
    let dead = session.expires <= now
        || idle_too_long
        || state.faults.token_expired(session.issued)
        || state.faults.pat_revoked(&session.pat_name);
    if dead {
        sessions.remove(token);
        return Err(invalid());
    }
    session.last_used = now;
    Ok(session.clone())
}

/// The session, checked to belong to the site named in the path.
fn authenticate_site(state: &AppState, req: &Req, site: &str) -> Result<Session, RestError> {
    let session = authenticate(state, &req.headers)?;
    if session.site_id != site {
        return Err(RestError::not_found(
            "404000",
            format!("Site '{site}' could not be found."),
        ));
    }
    Ok(session)
}

/// Answers one REST request.
pub(crate) fn handle(state: &Arc<AppState>, route: Route, req: &Req) -> Response {
    let result = match route {
        Route::ServerInfo { version } => check_version(state, &version)
            .and_then(|()| require_method(req, Method::GET))
            .map(|()| auth::server_info(state, req)),
        Route::SignIn { version } => check_version(state, &version)
            .and_then(|()| require_method(req, Method::POST))
            .and_then(|()| auth::sign_in(state, req)),
        Route::SignOut { version } => check_version(state, &version)
            .and_then(|()| require_method(req, Method::POST))
            .and_then(|()| auth::sign_out(state, req)),
        Route::Projects { version, site } => check_version(state, &version)
            .and_then(|()| require_method(req, Method::GET))
            .and_then(|()| authenticate_site(state, req, &site))
            .and_then(|session| projects::list(state, req, &session)),
        Route::RefreshWorkbook { version, site, id } => check_version(state, &version)
            .and_then(|()| require_method(req, Method::POST))
            .and_then(|()| authenticate_site(state, req, &site))
            .and_then(|session| jobs::refresh_workbook(state, req, &session, &id)),
        Route::RefreshDatasource { version, site, id } => check_version(state, &version)
            .and_then(|()| require_method(req, Method::POST))
            .and_then(|()| authenticate_site(state, req, &site))
            .and_then(|session| jobs::refresh_datasource(state, req, &session, &id)),
        Route::Job { version, site, id } => check_version(state, &version)
            .and_then(|()| require_method(req, Method::GET))
            .and_then(|()| authenticate_site(state, req, &site))
            .and_then(|session| jobs::query_job(state, req, &session, &id)),
        Route::Workbook { version, site, id } => check_version(state, &version)
            .and_then(|()| require_method(req, Method::GET))
            .and_then(|()| authenticate_site(state, req, &site))
            .and_then(|session| collections::query_workbook(state, req, &session, &id)),
        Route::Workbooks { version, site } => check_version(state, &version)
            .and_then(|()| require_method(req, Method::GET))
            .and_then(|()| authenticate_site(state, req, &site))
            .and_then(|session| listings::workbooks(state, req, &session)),
        Route::Users { version, site } => check_version(state, &version)
            .and_then(|()| require_method(req, Method::GET))
            .and_then(|()| authenticate_site(state, req, &site))
            .and_then(|session| listings::users(state, req, &session)),
        Route::TableauCollections => collections::available(state)
            .and_then(|()| require_method(req, Method::GET))
            .and_then(|()| authenticate(state, &req.headers))
            .and_then(|session| collections::list(state, req, &session)),
        Route::TableauCollection { id } => collections::available(state)
            .and_then(|()| require_method(req, Method::GET))
            .and_then(|()| authenticate(state, &req.headers))
            .and_then(|session| collections::details(state, req, &session, &id)),
        Route::TableauCollectionItems { id } => collections::available(state)
            .and_then(|()| require_method(req, Method::GET))
            .and_then(|()| authenticate(state, &req.headers))
            .and_then(|session| collections::items(state, req, &session, &id)),
        Route::QualityWarningsOnContent {
            version,
            site,
            content_type,
            content_id,
        } => check_version_at_least(state, &version, (3, 5))
            .and_then(|()| authenticate_site(state, req, &site))
            .and_then(|session| {
                quality_warnings::on_content(state, req, &session, &content_type, &content_id)
            }),
        Route::QualityWarning { version, site, id } => {
            check_version_at_least(state, &version, (3, 5))
                .and_then(|()| authenticate_site(state, req, &site))
                .and_then(|session| quality_warnings::by_id(state, req, &session, &id))
        }
        Route::UsageStatsBatch => require_method(req, Method::POST)
            .and_then(|()| authenticate(state, &req.headers))
            .and_then(|session| usage::batch(state, req, &session)),
        Route::SiteViews { version, site } => check_version(state, &version)
            .and_then(|()| require_method(req, Method::GET))
            .and_then(|()| authenticate_site(state, req, &site))
            .and_then(|session| usage::site_views(state, req, &session)),
        Route::WorkbookViews { version, site, id } => check_version(state, &version)
            .and_then(|()| require_method(req, Method::GET))
            .and_then(|()| authenticate_site(state, req, &site))
            .and_then(|session| usage::workbook_views(state, req, &session, &id)),
        Route::Metadata | Route::Unknown => Err(RestError::not_found(
            "404000",
            "The requested resource does not exist.",
        )),
    };
    result.unwrap_or_else(|error| error.into_response(req.format))
}

/// Decodes `%XX` and `+` in a query-string part.
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Splits a query string into decoded pairs.
pub(crate) fn parse_query(query: Option<&str>) -> Vec<(String, String)> {
    let Some(query) = query else {
        return Vec::new();
    };
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(pair), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_case_insensitively() {
        assert_eq!(
            Route::parse("/api/2.4/serverInfo"),
            Route::ServerInfo {
                version: "2.4".into()
            }
        );
        assert_eq!(
            Route::parse("/api/3.25/sites/S/Projects"),
            Route::Projects {
                version: "3.25".into(),
                site: "S".into()
            }
        );
        assert_eq!(Route::parse("/api/metadata/graphql"), Route::Metadata);
        assert_eq!(
            Route::parse("/api/-/Collections"),
            Route::TableauCollections
        );
        assert_eq!(
            Route::parse("/api/-/collections/C1/items"),
            Route::TableauCollectionItems { id: "C1".into() }
        );
        assert_eq!(
            Route::parse("/api/3.28/sites/S/workbooks/W"),
            Route::Workbook {
                version: "3.28".into(),
                site: "S".into(),
                id: "W".into()
            }
        );
        assert_eq!(Route::parse("/nope"), Route::Unknown);
    }

    #[test]
    fn versions_must_be_major_dot_minor() {
        assert_eq!(parse_version("3.25"), Some((3, 25)));
        assert_eq!(parse_version("3"), None);
        assert_eq!(parse_version("3.x"), None);
        assert_eq!(parse_version("-3.1"), None);
    }

    #[test]
    fn percent_decoding_handles_escapes_and_plus() {
        assert_eq!(percent_decode("a%20b+c%2"), "a b c%2");
        assert_eq!(
            parse_query(Some("filter=name%3Aeq%3AX&pageSize=2")),
            vec![
                ("filter".to_string(), "name:eq:X".to_string()),
                ("pageSize".to_string(), "2".to_string())
            ]
        );
    }
}
