//! Data quality warnings (REST API 3.5+): add, query by content, query by id, update and
//! delete, on published data sources, tables, databases and flows.
//!
//! The site's switches reproduce what real sites answer: without the Data Management
//! licence every method is refused with 403; before Tableau Cloud February 2024 / Server
//! 2024.2 an asset holds one warning, and adding a second is refused with 409.

use std::time::SystemTime;

use axum::http::{Method, StatusCode};
use axum::response::Response;
use quick_xml::events::Event;

use super::Req;
use super::body::{El, RestError, ts_response};
use crate::data::{QualityWarningSpec, SiteSpec};
use crate::state::{AppState, Session, Site};
use crate::util::{iso8601, random_luid, table_luid};

const CONTENT_TYPES: [&str; 4] = ["datasource", "table", "database", "flow"];
const WARNING_TYPES: [&str; 5] = [
    "WARNING",
    "DEPRECATED",
    "STALE",
    "SENSITIVE_DATA",
    "MAINTENANCE",
];

/// What a request body may set; absent fields keep their value on update.
#[derive(Debug, Default)]
struct WarningFields {
    warning_type: Option<String>,
    message: Option<String>,
    is_active: Option<bool>,
    is_severe: Option<bool>,
}

/// `GET` (query by content) or `POST` (add) on
/// `sites/{site}/dataQualityWarnings/{contentType}/{contentLuid}`.
pub(super) fn on_content(
    state: &AppState,
    req: &Req,
    session: &Session,
    content_type: &str,
    content_id: &str,
) -> Result<Response, RestError> {
    let site = site_of(state, session)?;
    check_licence(&site.spec)?;
    let content_type = content_type.to_ascii_lowercase();
    check_content(&site, &content_type, content_id)?;
    if req.method == Method::GET {
        let items = site
            .spec
            .quality_warnings
            .iter()
            .filter(|w| w.content_type == content_type && w.content_id == content_id)
            .map(|w| warning_element(&site.spec, w))
            .collect();
        return Ok(ts_response(
            StatusCode::OK,
            req.format,
            vec![El::list("dataQualityWarningList", items)],
        ));
    }
    if req.method != Method::POST {
        return Err(method_not_allowed(req));
    }
    let fields = parse_fields(req)?;
    let warning_type = fields.warning_type.unwrap_or_else(|| "WARNING".to_string());
    check_type(&warning_type)?;
    let now = iso8601(SystemTime::now());
    let owner_id = site
        .spec
        .pats
        .iter()
        .find(|p| p.name == session.pat_name)
        .map(|p| p.user_id.clone());
    let added = edit(state, &session.site_id, |spec| {
        let taken = spec
            .quality_warnings
            .iter()
            .any(|w| w.content_type == content_type && w.content_id == content_id);
        if spec.one_warning_per_asset && taken {
            return Err(RestError::new(
                409,
                "409000",
                "Conflict",
                format!(
                    "A data quality warning already exists for the {content_type} '{content_id}'."
                ),
            ));
        }
        let warning = QualityWarningSpec {
            id: random_luid(),
            content_type: content_type.clone(),
            content_id: content_id.to_string(),
            warning_type,
            message: fields.message.unwrap_or_default(),
            is_active: fields.is_active.unwrap_or(true),
            is_severe: fields.is_severe.unwrap_or(false),
            owner_id,
            created_at: now.clone(),
            updated_at: now,
        };
        spec.quality_warnings.push(warning.clone());
        Ok(warning_element(spec, &warning))
    })?;
    Ok(ts_response(StatusCode::OK, req.format, vec![added]))
}

/// `GET`, `PUT` or `DELETE` on `sites/{site}/dataQualityWarnings/{warningLuid}`.
pub(super) fn by_id(
    state: &AppState,
    req: &Req,
    session: &Session,
    id: &str,
) -> Result<Response, RestError> {
    let site = site_of(state, session)?;
    check_licence(&site.spec)?;
    let missing = || {
        RestError::not_found(
            "404000",
            format!("Data quality warning '{id}' could not be found."),
        )
    };
    let position = |spec: &SiteSpec| spec.quality_warnings.iter().position(|w| w.id == id);
    if req.method == Method::GET {
        let index = position(&site.spec).ok_or_else(missing)?;
        let element = warning_element(&site.spec, &site.spec.quality_warnings[index]);
        return Ok(ts_response(StatusCode::OK, req.format, vec![element]));
    }
    if req.method == Method::DELETE {
        edit(state, &session.site_id, |spec| {
            let index = position(spec).ok_or_else(missing)?;
            spec.quality_warnings.remove(index);
            Ok(())
        })?;
        return Ok(ts_response(StatusCode::NO_CONTENT, req.format, Vec::new()));
    }
    if req.method != Method::PUT {
        return Err(method_not_allowed(req));
    }
    let fields = parse_fields(req)?;
    if let Some(warning_type) = &fields.warning_type {
        check_type(warning_type)?;
    }
    let updated = edit(state, &session.site_id, |spec| {
        let index = position(spec).ok_or_else(missing)?;
        let warning = &mut spec.quality_warnings[index];
        if let Some(value) = fields.warning_type {
            warning.warning_type = value;
        }
        if let Some(value) = fields.message {
            warning.message = value;
        }
        if let Some(value) = fields.is_active {
            warning.is_active = value;
        }
        if let Some(value) = fields.is_severe {
            warning.is_severe = value;
        }
        warning.updated_at = iso8601(SystemTime::now());
        let warning = warning.clone();
        Ok(warning_element(spec, &warning))
    })?;
    Ok(ts_response(StatusCode::OK, req.format, vec![updated]))
}

fn site_of(state: &AppState, session: &Session) -> Result<std::sync::Arc<Site>, RestError> {
    state.site_by_id(&session.site_id).ok_or_else(|| {
        RestError::not_found(
            "404000",
            format!("Site '{}' could not be found.", session.site_id),
        )
    })
}

fn check_licence(spec: &SiteSpec) -> Result<(), RestError> {
    if spec.no_data_management {
        return Err(RestError::new(
            403,
            "403000",
            "Forbidden",
            "Data quality warnings require Data Management, which is not licensed for this site.",
        ));
    }
    Ok(())
}

fn check_content(site: &Site, content_type: &str, content_id: &str) -> Result<(), RestError> {
    if !CONTENT_TYPES.contains(&content_type) {
        return Err(RestError::bad_request(format!(
            "'{content_type}' is not a content type that can hold a data quality warning."
        )));
    }
    let known = match content_type {
        "datasource" => site.datasource(content_id).is_some(),
        // REST names a table by its LUID, not its Metadata API id.
        "table" => site.spec.tables.iter().any(|t| table_luid(t) == content_id),
        // The simulator models no databases or flows as assets of their own.
        _ => true,
    };
    if !known {
        return Err(RestError::not_found(
            "404000",
            format!("The {content_type} '{content_id}' could not be found."),
        ));
    }
    Ok(())
}

fn check_type(warning_type: &str) -> Result<(), RestError> {
    if WARNING_TYPES.contains(&warning_type) {
        Ok(())
    } else {
        Err(RestError::bad_request(format!(
            "'{warning_type}' is not a data quality warning type."
        )))
    }
}

fn method_not_allowed(req: &Req) -> RestError {
    RestError::new(
        405,
        "405000",
        "Method Not Allowed",
        format!("This resource does not support {}.", req.method),
    )
}

/// Changes the session's site under the write lock, so two writers cannot lose each
/// other's warnings; `f` answers the element to send and may refuse.
fn edit<T>(
    state: &AppState,
    site_id: &str,
    f: impl FnOnce(&mut SiteSpec) -> Result<T, RestError>,
) -> Result<T, RestError> {
    let mut sites = state.sites.write().unwrap_or_else(|p| p.into_inner());
    let slot = sites
        .iter_mut()
        .find(|s| s.spec.id == site_id)
        .ok_or_else(|| {
            RestError::not_found("404000", format!("Site '{site_id}' could not be found."))
        })?;
    let mut spec = slot.spec.clone();
    let answer = f(&mut spec)?;
    *slot = std::sync::Arc::new(Site::new(spec));
    Ok(answer)
}

/// The element as Tableau sends it: attributes, and the owner as a child.
fn warning_element(spec: &SiteSpec, warning: &QualityWarningSpec) -> El {
    let owner = warning.owner_id.as_deref();
    let display_name = owner.and_then(|id| spec.users.iter().find(|u| u.id == id));
    let mut element = El::new("dataQualityWarning")
        .attr("id", &warning.id)
        .opt_attr("userDisplayName", display_name.map(|u| u.name.clone()))
        .attr("contentId", &warning.content_id)
        .attr("contentType", &warning.content_type)
        .attr("message", &warning.message)
        .attr("type", &warning.warning_type)
        .attr("isActive", warning.is_active)
        .attr("isSevere", warning.is_severe)
        .attr("createdAt", &warning.created_at)
        .attr("updatedAt", &warning.updated_at);
    if let Some(owner) = owner {
        element = element.child(El::new("owner").attr("id", owner));
    }
    element
}

fn parse_fields(req: &Req) -> Result<WarningFields, RestError> {
    if req.is_json_body() {
        parse_json(&req.body)
    } else {
        parse_xml(&req.body)
    }
}

fn parse_json(body: &[u8]) -> Result<WarningFields, RestError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| RestError::bad_request(format!("Malformed JSON request body: {e}")))?;
    let Some(warning) = value.get("dataQualityWarning").filter(|w| w.is_object()) else {
        return Err(RestError::bad_request(
            "The request body has no dataQualityWarning object.",
        ));
    };
    let text = |key: &str| {
        warning.get(key).and_then(|v| match v {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Bool(b) => Some(b.to_string()),
            _ => None,
        })
    };
    Ok(WarningFields {
        warning_type: text("type"),
        message: text("message"),
        is_active: text("isActive")
            .map(|v| parse_bool("isActive", &v))
            .transpose()?,
        is_severe: text("isSevere")
            .map(|v| parse_bool("isSevere", &v))
            .transpose()?,
    })
}

fn parse_xml(body: &[u8]) -> Result<WarningFields, RestError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| RestError::bad_request("The request body is not UTF-8."))?;
    let mut reader = quick_xml::Reader::from_str(text);
    loop {
        let event = reader
            .read_event()
            .map_err(|e| RestError::bad_request(format!("Malformed XML request body: {e}")))?;
        match event {
            Event::Start(e) | Event::Empty(e)
                if e.local_name().as_ref() == "dataQualityWarning" =>
            {
                let mut fields = WarningFields::default();
                for attribute in e.attributes() {
                    let attribute = attribute.map_err(|e| {
                        RestError::bad_request(format!("Malformed XML attribute: {e}"))
                    })?;
                    let value = attribute
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| {
                            RestError::bad_request(format!("Malformed XML attribute: {e}"))
                        })?
                        .into_owned();
                    match attribute.key.local_name().as_ref() {
                        "type" => fields.warning_type = Some(value),
                        "message" => fields.message = Some(value),
                        "isActive" => fields.is_active = Some(parse_bool("isActive", &value)?),
                        "isSevere" => fields.is_severe = Some(parse_bool("isSevere", &value)?),
                        _ => {}
                    }
                }
                return Ok(fields);
            }
            Event::Eof => {
                return Err(RestError::bad_request(
                    "The request body has no dataQualityWarning element.",
                ));
            }
            _ => {}
        }
    }
}

fn parse_bool(name: &str, value: &str) -> Result<bool, RestError> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(RestError::bad_request(format!(
            "{name} must be true or false, not '{value}'."
        ))),
    }
}
