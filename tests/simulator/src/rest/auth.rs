//! `serverinfo`, sign-in and sign-out.

use std::time::Instant;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use quick_xml::events::{BytesStart, Event};

use super::body::{El, RestError, ts_response};
use super::{Req, authenticate};
use crate::state::{AppState, Session, lock};
use crate::util::random_token;

pub(super) fn server_info(state: &AppState, req: &Req) -> Response {
    let info = El::new("serverInfo")
        .child(
            El::text("productVersion", &state.server.product_version)
                .attr("build", &state.server.build),
        )
        .child(El::text("restApiVersion", &state.server.rest_api_version));
    ts_response(StatusCode::OK, req.format, vec![info])
}

/// What a sign-in body asks for.
#[derive(Debug, Default, PartialEq, Eq)]
struct Credentials {
    pat_name: Option<String>,
    pat_secret: Option<String>,
    user_name: Option<String>,
    content_url: Option<String>,
}

fn attribute(element: &BytesStart<'_>, name: &str) -> Result<Option<String>, RestError> {
    for attr in element.attributes() {
        let attr =
            attr.map_err(|e| RestError::bad_request(format!("Malformed XML attribute: {e}")))?;
        if attr.key.as_ref() == name {
            let value = attr
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|e| RestError::bad_request(format!("Malformed XML attribute: {e}")))?;
            return Ok(Some(value.into_owned()));
        }
    }
    Ok(None)
}

fn parse_xml_credentials(body: &[u8]) -> Result<Credentials, RestError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| RestError::bad_request("The request body is not UTF-8."))?;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut creds = Credentials::default();
    let mut seen_credentials = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| RestError::bad_request(format!("Malformed XML request body: {e}")))?;
        match event {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "credentials" => {
                    seen_credentials = true;
                    creds.pat_name = attribute(&e, "personalAccessTokenName")?;
                    creds.pat_secret = attribute(&e, "personalAccessTokenSecret")?;
                    creds.user_name = attribute(&e, "name")?;
                }
                "site" if seen_credentials => creds.content_url = attribute(&e, "contentUrl")?,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    if !seen_credentials {
        return Err(RestError::bad_request(
            "The request body has no credentials element.",
        ));
    }
    Ok(creds)
}

fn parse_json_credentials(body: &[u8]) -> Result<Credentials, RestError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| RestError::bad_request(format!("Malformed JSON request body: {e}")))?;
    let Some(credentials) = value.get("credentials") else {
        return Err(RestError::bad_request(
            "The request body has no credentials object.",
        ));
    };
    let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(str::to_string);
    Ok(Credentials {
        pat_name: text(credentials.get("personalAccessTokenName")),
        pat_secret: text(credentials.get("personalAccessTokenSecret")),
        user_name: text(credentials.get("name")),
        content_url: text(credentials.get("site").and_then(|s| s.get("contentUrl"))),
    })
}

fn signin_error() -> RestError {
    RestError::new(
        401,
        "401001",
        "Signin Error",
        "Error signing in to Tableau Server",
    )
}

pub(super) fn sign_in(state: &AppState, req: &Req) -> Result<Response, RestError> {
    let result = try_sign_in(state, req);
    let ok = result.is_ok();
    state.stats.record(|s| {
        if ok {
            s.sign_ins += 1;
        } else {
            s.failed_sign_ins += 1;
        }
    });
    result
}

fn try_sign_in(state: &AppState, req: &Req) -> Result<Response, RestError> {
    if req.body.is_empty() {
        return Err(RestError::bad_request("The request body is empty."));
    }
    let creds = if req.is_json_body() {
        parse_json_credentials(&req.body)?
    } else {
        parse_xml_credentials(&req.body)?
    };
    if creds.user_name.is_some() && creds.pat_name.is_some() {
        return Err(RestError::bad_request(
            "Both user name/password and personal access token credentials were supplied.",
        ));
    }
    let (Some(pat_name), Some(pat_secret)) = (creds.pat_name, creds.pat_secret) else {
        // The simulator knows personal access tokens only.
        return Err(signin_error());
    };
    let content_url = creds.content_url.unwrap_or_default();
    let site = state.site_by_url(&content_url).ok_or_else(signin_error)?;
    let pat = site
        .spec
        .pats
        .iter()
        .find(|p| p.name == pat_name && p.secret == pat_secret && !p.expired)
        .ok_or_else(signin_error)?;
    if state.faults.pat_revoked(&pat.name) || state.faults.pat_expired(&pat.name) {
        return Err(signin_error());
    }
    let token = random_token();
    let now = Instant::now();
    {
        let mut sessions = lock(&state.sessions);
        // A PAT holds one session: signing in again ends the earlier ones.
        sessions.retain(|_, s| s.pat_name != pat.name);
        sessions.insert(
            token.clone(),
            Session {
                site_id: site.spec.id.clone(),
                pat_name: pat.name.clone(),
                issued: now,
                expires: now + state.config.session_ttl,
                last_used: now,
            },
        );
    }
    let credentials = El::new("credentials")
        .attr("token", &token)
        .attr(
            "estimatedTimeToExpiration",
            &state.config.pat_time_to_expiration,
        )
        .child(
            El::new("site")
                .attr("id", &site.spec.id)
                .attr("contentUrl", &site.spec.content_url),
        )
        .child(El::new("user").attr("id", &pat.user_id));
    Ok(ts_response(StatusCode::OK, req.format, vec![credentials]))
}

pub(super) fn sign_out(state: &AppState, req: &Req) -> Result<Response, RestError> {
    authenticate(state, &req.headers)?;
    if let Some(token) = req.header("x-tableau-auth") {
        lock(&state.sessions).remove(token);
    }
    state.stats.record(|s| s.sign_outs += 1);
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_credentials_are_read_from_attributes() {
        let body = br#"<tsRequest><credentials personalAccessTokenName="n" personalAccessTokenSecret="s&amp;x"><site contentUrl="acme"/></credentials></tsRequest>"#;
        let creds = parse_xml_credentials(body).expect("valid body");
        assert_eq!(creds.pat_name.as_deref(), Some("n"));
        assert_eq!(creds.pat_secret.as_deref(), Some("s&x"));
        assert_eq!(creds.content_url.as_deref(), Some("acme"));
    }

    #[test]
    fn malformed_xml_is_a_bad_request() {
        let error = parse_xml_credentials(b"<tsRequest><credentials").expect_err("malformed");
        assert_eq!(error.code, "400000");
    }
}
