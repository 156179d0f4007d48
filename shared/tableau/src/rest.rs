//! Tableau REST API bodies in their JSON form (`Accept: application/json`).
//!
//! Tableau's JSON is a mechanical mapping of its XML: numbers often arrive as strings,
//! an empty list is `{}` and a one-item list may be a bare object, so the readers here
//! accept all of those.

use std::time::Duration;

use autoexpose_domain::printable::{printable, printable_within};
use serde_json::Value;

/// `{"error": {"code", "summary", "detail"}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RestError {
    pub(crate) code: String,
    pub(crate) summary: String,
    pub(crate) detail: String,
}

/// Reads a REST error body, if the body is one (the Metadata API's `"error": "Unauthorized"`
/// is not).
pub(crate) fn error_body(body: &[u8]) -> Option<RestError> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let error = value.get("error").filter(|e| e.is_object())?;
    Some(RestError {
        code: text(error.get("code")).unwrap_or_default(),
        summary: text(error.get("summary")).unwrap_or_default(),
        detail: text(error.get("detail")).unwrap_or_default(),
    })
}

/// What a 401 says about where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unauthorized {
    /// Tableau's REST error body, with its code (`401002`).
    Rest(RestError),
    /// The Metadata API's own body (`{"status": 401, "error": "Unauthorized", ...}`): from
    /// Tableau, but without a code.
    Metadata,
    /// Not Tableau's JSON at all: a proxy or gateway in front of Tableau answered.
    NotTableau {
        /// The `Content-Type`, or `no content type`.
        content_type: String,
        /// A printable cut of the body's first bytes.
        body_start: String,
    },
}

impl Unauthorized {
    /// Tableau's error code, or `HTTP 401` when Tableau gave none.
    pub(crate) fn code(&self) -> String {
        match self {
            Unauthorized::Rest(error) if !error.code.is_empty() => error.code.clone(),
            _ => "HTTP 401".to_string(),
        }
    }
}

/// Sorts a 401 by its body: Tableau's REST error, the Metadata API's, or someone else's.
pub(crate) fn unauthorized(content_type: Option<&str>, body: &[u8]) -> Unauthorized {
    if let Some(error) = error_body(body) {
        return Unauthorized::Rest(error);
    }
    let value: Option<Value> = serde_json::from_slice(body).ok();
    let is_metadata = value.as_ref().is_some_and(|v| {
        number(v.get("status")) == Some(401) && v.get("error").is_some_and(Value::is_string)
    });
    if is_metadata {
        return Unauthorized::Metadata;
    }
    Unauthorized::NotTableau {
        content_type: content_type
            .map(printable)
            .unwrap_or_else(|| "no content type".to_string()),
        body_start: body_start(body),
    }
}

/// How many characters of a foreign body a message shows.
const BODY_START_CHARS: usize = 120;

/// The first characters of a body that is not Tableau's, printable, with its length when cut.
pub(crate) fn body_start(body: &[u8]) -> String {
    if body.is_empty() {
        return "an empty body".to_string();
    }
    // Four bytes per character at most: enough bytes for the characters shown.
    let head = &body[..body.len().min(BODY_START_CHARS * 4)];
    // No more characters than bytes, so this only cleans, never cuts.
    let text = printable_within(&String::from_utf8_lossy(head), head.len());
    let mut shown: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if shown.chars().count() > BODY_START_CHARS || head.len() < body.len() {
        shown = shown.chars().take(BODY_START_CHARS).collect();
        shown.push_str(&format!("… ({} bytes in all)", body.len()));
    }
    shown
}

/// A string, or a number written as one; `{"value": ...}` for XML text nodes.
pub(crate) fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Object(map) => text(map.get("value").or_else(|| map.get("$value"))),
        _ => None,
    }
}

/// A non-negative number, whether Tableau sent `5` or `"5"`.
pub(crate) fn number(value: Option<&Value>) -> Option<u64> {
    match value? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The items of a plural wrapper: `{"project": [..]}`, `{"project": {..}}` or `{}`.
pub(crate) fn items<'a>(wrapper: Option<&'a Value>, singular: &str) -> Vec<&'a Value> {
    match wrapper.and_then(|w| w.get(singular)) {
        Some(Value::Array(list)) => list.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => Vec::new(),
    }
}

/// `restApiVersion` from `GET /api/{v}/serverinfo`.
pub(crate) fn rest_api_version(body: &[u8]) -> Result<String, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let version = text(
        value
            .get("serverInfo")
            .and_then(|s| s.get("restApiVersion")),
    )
    .ok_or("it has no serverInfo.restApiVersion")?;
    let mut parts = version.trim().split('.');
    let well_formed = parts.next().is_some_and(|p| p.parse::<u32>().is_ok())
        && parts.next().is_some_and(|p| p.parse::<u32>().is_ok());
    if !well_formed {
        return Err(format!(
            "restApiVersion '{version}' is not a version number"
        ));
    }
    Ok(version.trim().to_string())
}

/// What a successful sign-in gives.
pub(crate) struct Credentials {
    pub(crate) token: String,
    pub(crate) site_luid: String,
    pub(crate) user_luid: Option<String>,
    /// The PAT's remaining life (`estimatedTimeToExpiration`), when Tableau says.
    pub(crate) pat_expires_in: Option<Duration>,
}

/// `estimatedTimeToExpiration`, written `days:hours:minutes` (`177:05:38`).
pub(crate) fn pat_life(text: &str) -> Option<Duration> {
    let mut parts = text.trim().split(':').map(|p| p.parse::<u64>().ok());
    let (days, hours, minutes) = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some() {
        return None;
    }
    Some(Duration::from_secs(
        ((days * 24 + hours) * 60 + minutes) * 60,
    ))
}

/// Reads a sign-in response. The error text never quotes the body: it holds the token.
pub(crate) fn credentials(body: &[u8]) -> Result<Credentials, &'static str> {
    let value: Value = serde_json::from_slice(body).map_err(|_| "the body is not JSON")?;
    let credentials = value
        .get("credentials")
        .ok_or("it has no `credentials` object")?;
    let token = text(credentials.get("token")).ok_or("it has no `credentials.token`")?;
    let site_luid = text(credentials.get("site").and_then(|s| s.get("id")))
        .ok_or("it has no `credentials.site.id`")?;
    let user_luid = text(credentials.get("user").and_then(|u| u.get("id")));
    let pat_expires_in =
        text(credentials.get("estimatedTimeToExpiration")).and_then(|t| pat_life(&t));
    Ok(Credentials {
        token,
        site_luid,
        user_luid,
        pat_expires_in,
    })
}

/// `pagination` of a list response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pagination {
    pub(crate) page_number: u64,
    pub(crate) page_size: u64,
    pub(crate) total_available: u64,
}

impl Pagination {
    pub(crate) fn read(value: &Value) -> Option<Pagination> {
        let p = value.get("pagination")?;
        Some(Pagination {
            page_number: number(p.get("pageNumber"))?,
            page_size: number(p.get("pageSize"))?,
            total_available: number(p.get("totalAvailable"))?,
        })
    }

    pub(crate) fn is_last(&self) -> bool {
        self.page_number.saturating_mul(self.page_size) >= self.total_available
    }
}

/// The job id of a refresh's 202 response.
pub(crate) fn job_id(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    text(value.get("job")?.get("id"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_json_error() {
        let body = br#"{"error": {"summary": "Signin Error", "detail": "Error signing in to Tableau Server", "code": "401001"}}"#;
        let error = error_body(body).unwrap();
        assert_eq!(error.code, "401001");
        assert_eq!(error.summary, "Signin Error");
        assert_eq!(error.detail, "Error signing in to Tableau Server");
        assert_eq!(error_body(b"<html>Bad gateway</html>"), None);
    }

    #[test]
    fn a_401_is_sorted_by_who_wrote_its_body() {
        let rest = br#"{"error": {"summary": "Unauthorized Access", "detail": "Invalid authentication credentials were provided.", "code": "401002"}}"#;
        assert!(
            matches!(unauthorized(Some("application/json"), rest), Unauthorized::Rest(e) if e.code == "401002")
        );
        let metadata = br#"{"timestamp": "2026-01-01T00:00:00Z", "status": 401, "error": "Unauthorized", "path": "/relationship-service-war/graphql"}"#;
        assert_eq!(
            unauthorized(Some("application/json"), metadata),
            Unauthorized::Metadata
        );
        let html =
            b"<html>\r\n<head><title>401 Authorization Required</title></head>\x1b[2J</html>";
        let Unauthorized::NotTableau {
            content_type,
            body_start,
        } = unauthorized(Some("text/html"), html)
        else {
            panic!("a proxy's page is not Tableau's");
        };
        assert_eq!(content_type, "text/html");
        assert_eq!(
            body_start,
            "<html> <head><title>401 Authorization Required</title></head>[2J</html>"
        );
    }

    #[test]
    fn a_long_foreign_body_is_cut_and_says_how_long_it_was() {
        let body = "x".repeat(10_000);
        let shown = body_start(body.as_bytes());
        assert!(shown.starts_with(&"x".repeat(BODY_START_CHARS)));
        assert!(shown.ends_with("… (10000 bytes in all)"), "{shown}");
        assert_eq!(body_start(b""), "an empty body");
    }

    #[test]
    fn pat_life_is_days_hours_minutes() {
        assert_eq!(
            pat_life("2:12:30"),
            Some(Duration::from_secs(((2 * 24 + 12) * 60 + 30) * 60))
        );
        assert_eq!(pat_life("0:00:00"), Some(Duration::ZERO));
        assert_eq!(pat_life("soon"), None);
    }

    #[test]
    fn reads_the_documented_sign_in() {
        let body = br#"{"credentials": {"site": {"id": "6b7179ba-b82b-4f0f-91ed-812074ac5da6", "contentUrl": "marketing"},
            "user": {"id": "1a96d216-e9b8-497b-a82a-0b899a965e01"},
            "token": "eIX6mvFsqyansa4KqEI1UwOpS8ggRs2l", "estimatedTimeToExpiration": "177:05:38"}}"#;
        let c = credentials(body).unwrap();
        assert_eq!(c.token, "eIX6mvFsqyansa4KqEI1UwOpS8ggRs2l");
        assert_eq!(c.site_luid, "6b7179ba-b82b-4f0f-91ed-812074ac5da6");
        assert_eq!(
            c.user_luid.as_deref(),
            Some("1a96d216-e9b8-497b-a82a-0b899a965e01")
        );
    }

    #[test]
    fn sign_in_errors_do_not_quote_the_body() {
        let body = br#"{"credentials": {"token": "eIX6mvFsqyansa4KqEI1UwOpS8ggRs2l"}}"#;
        let err = credentials(body).err().unwrap();
        assert!(!err.contains("eIX6"));
    }

    #[test]
    fn reads_server_info_version() {
        let body = br#"{"serverInfo": {"productVersion": {"value": "2024.2.0", "build": "20242.24.0711.1636"}, "restApiVersion": "3.23"}}"#;
        assert_eq!(rest_api_version(body).unwrap(), "3.23");
        assert!(rest_api_version(br#"{"serverInfo": {"restApiVersion": "latest"}}"#).is_err());
    }

    #[test]
    fn pagination_numbers_arrive_as_strings() {
        let value: Value = serde_json::from_str(
            r#"{"pagination": {"pageNumber": "2", "pageSize": "100", "totalAvailable": "200"}}"#,
        )
        .unwrap();
        let p = Pagination::read(&value).unwrap();
        assert_eq!(p.page_number, 2);
        assert!(p.is_last());
    }

    #[test]
    fn plural_wrappers_may_be_empty_or_single() {
        let value: Value = serde_json::from_str(
            r#"{"a": {}, "b": {"project": {"id": "x"}}, "c": {"project": [{"id": "x"}, {"id": "y"}]}}"#,
        )
        .unwrap();
        assert_eq!(items(value.get("a"), "project").len(), 0);
        assert_eq!(items(value.get("b"), "project").len(), 1);
        assert_eq!(items(value.get("c"), "project").len(), 2);
    }

    #[test]
    fn reads_refresh_job_id() {
        let body = br#"{"job": {"id": "7c3d599e-949f-44c3-94a1-f30ba85757e4", "mode": "Asynchronous", "type": "RefreshExtract",
            "createdAt": "2020-03-05T22:05:32Z", "extractRefreshJob": {"workbook": {"id": "3cc6cd06", "name": "workbook-name"}}}}"#;
        assert_eq!(
            job_id(body).as_deref(),
            Some("7c3d599e-949f-44c3-94a1-f30ba85757e4")
        );
    }
}
