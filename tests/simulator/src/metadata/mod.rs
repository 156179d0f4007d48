//! `POST /api/metadata/graphql`: authentication, faults, execution, the node limit.

mod schema;

use std::sync::Arc;
use std::time::SystemTime;

use async_graphql::Value as ConstValue;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use schema::QueryNotes;
pub(crate) use schema::{SimSchema, build_schema};

use crate::rest::body::with_type;
use crate::rest::{Req, authenticate};
use crate::state::AppState;
use crate::util::iso8601;

fn json_response(status: StatusCode, body: Value) -> Response {
    with_type(status, "application/json;charset=utf-8", body.to_string())
}

/// The Spring-style body the Metadata API answers a missing or bad token with.
fn unauthorized() -> Response {
    json_response(
        StatusCode::UNAUTHORIZED,
        json!({
            "timestamp": iso8601(SystemTime::now()),
            "status": 401,
            "error": "Unauthorized",
            "path": "/relationship-service-war/graphql"
        }),
    )
}

fn error_only(message: &str, code: &str) -> Response {
    json_response(
        StatusCode::OK,
        json!({"data": null, "errors": [{"message": message, "extensions": {"severity": "ERROR", "code": code}}]}),
    )
}

/// Reads `{query, variables, operationName}` (JSON), a raw `application/graphql` body, or `GET ?query=`.
fn read_request(req: &Req) -> Result<async_graphql::Request, String> {
    if req.method == Method::GET {
        let query = req
            .query_param("query")
            .ok_or("GET requests need a 'query' parameter")?;
        let mut request = async_graphql::Request::new(query);
        if let Some(vars) = req.query_param("variables") {
            let vars: Value =
                serde_json::from_str(vars).map_err(|e| format!("'variables' is not JSON: {e}"))?;
            request = request.variables(async_graphql::Variables::from_json(vars));
        }
        return Ok(request);
    }
    let content_type = req
        .header("content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.contains("application/graphql") {
        let text =
            std::str::from_utf8(&req.body).map_err(|_| "the body is not UTF-8".to_string())?;
        return Ok(async_graphql::Request::new(text));
    }
    let body: Value =
        serde_json::from_slice(&req.body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let query = body
        .get("query")
        .and_then(Value::as_str)
        .ok_or("the body has no 'query' string")?;
    let mut request = async_graphql::Request::new(query);
    if let Some(vars) = body.get("variables").filter(|v| v.is_object()) {
        request = request.variables(async_graphql::Variables::from_json(vars.clone()));
    }
    if let Some(name) = body.get("operationName").and_then(Value::as_str) {
        request = request.operation_name(name);
    }
    Ok(request)
}

/// Answers one Metadata API request.
pub(crate) async fn handle(state: &Arc<AppState>, req: &Req) -> Response {
    if req.method != Method::POST && req.method != Method::GET {
        return json_response(
            StatusCode::METHOD_NOT_ALLOWED,
            json!({"status": 405, "error": "Method Not Allowed", "path": "/relationship-service-war/graphql"}),
        );
    }
    let Ok(session) = authenticate(state, &req.headers) else {
        return unauthorized();
    };
    if state.faults.metadata_disabled() {
        return error_only(
            "The Metadata API is disabled. A server administrator can enable it with 'tsm maintenance metadata-services enable'.",
            "FEATURE_DISABLED",
        );
    }
    if state.faults.take_rate_exceeded() {
        return error_only(
            "The request rate limit has been exceeded. Reduce the query rate and try again.",
            "RATE_EXCEEDED",
        );
    }
    let request = match read_request(req) {
        Ok(request) => request,
        Err(problem) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                json!({"errors": [{"message": format!("Invalid GraphQL request: {problem}"), "extensions": {"severity": "ERROR", "code": "INVALID_ARGUMENT"}}]}),
            );
        }
    };
    if state.faults.field_lineage_unavailable() && request.query.contains("upstreamColumns") {
        return json_response(
            StatusCode::OK,
            json!({"data": null, "errors": [{
                "message": "Validation error of type FieldUndefined: Field 'upstreamColumns' in type 'ColumnField' is undefined",
                "locations": [{"line": 1, "column": 1}],
                "extensions": {"classification": "ValidationError"}
            }]}),
        );
    }
    let Some(site) = state.site_by_id(&session.site_id) else {
        return unauthorized();
    };
    let notes = Arc::new(QueryNotes {
        timeout_above_first: state.faults.timeout_above_first(),
        ..QueryNotes::default()
    });
    let mut response = state
        .schema
        .execute(request.data(site).data(notes.clone()))
        .await;
    let mut extra = std::mem::take(&mut *crate::state::lock(&notes.errors));
    let limit = state.faults.node_limit();
    if count_nodes(&response.data) > limit {
        let mut budget = limit;
        prune(&mut response.data, &mut budget);
        extra.push(json!({
            "message": format!("Showing partial results. The request exceeded the {limit} node limit. Use pagination, additional filtering, or both in the query to adjust results."),
            "extensions": {"severity": "WARNING", "code": "NODE_LIMIT_EXCEEDED", "properties": {"nodeLimit": limit}}
        }));
    }
    if state.faults.backfill_running() {
        extra.push(json!({
            "message": "The Metadata API is still indexing content on this server (backfill in progress), so the results may be incomplete.",
            "extensions": {"severity": "WARNING", "code": "BACKFILL_RUNNING"}
        }));
    }
    if extra.is_empty() {
        // Straight from async-graphql's tree to text: a page is thousands of nodes, and a
        // `serde_json::Value` of them on the way would cost as much again.
        let body = serde_json::to_string(&response).unwrap_or_else(|e| unwritable(&e).to_string());
        return with_type(StatusCode::OK, "application/json;charset=utf-8", body);
    }
    let mut body = serde_json::to_value(&response).unwrap_or_else(|e| unwritable(&e));
    if let Some(object) = body.as_object_mut() {
        let errors = object
            .entry("errors")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Some(list) = errors.as_array_mut() {
            list.extend(extra);
        }
    }
    json_response(StatusCode::OK, body)
}

/// The answer when a result cannot be written as JSON.
fn unwritable(error: &serde_json::Error) -> Value {
    json!({"data": null, "errors": [{"message": error.to_string()}]})
}

/// Every JSON object in the result counts as one node.
fn count_nodes(value: &ConstValue) -> usize {
    match value {
        ConstValue::Object(map) => 1 + map.values().map(count_nodes).sum::<usize>(),
        ConstValue::List(items) => items.iter().map(count_nodes).sum(),
        _ => 0,
    }
}

/// Cuts lists short once `budget` nodes have been spent; single objects stay (they are
/// required by the schema), so the result is close to, not exactly at, the limit.
fn prune(value: &mut ConstValue, budget: &mut usize) {
    match value {
        ConstValue::Object(map) => {
            *budget = budget.saturating_sub(1);
            for child in map.values_mut() {
                prune(child, budget);
            }
        }
        ConstValue::List(items) => {
            let mut keep = 0;
            for item in items.iter_mut() {
                if *budget == 0 {
                    break;
                }
                prune(item, budget);
                keep += 1;
            }
            items.truncate(keep);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pruning_truncates_lists_once_the_budget_is_spent() {
        let mut data = ConstValue::from_json(
            json!({"c": {"nodes": [{"a": 1}, {"a": 2}, {"a": 3}, {"a": 4}]}}),
        )
        .expect("a value");
        assert_eq!(count_nodes(&data), 6);
        let mut budget = 4;
        prune(&mut data, &mut budget);
        let data = data.into_json().expect("JSON");
        assert_eq!(data["c"]["nodes"].as_array().map(Vec::len), Some(2));
    }
}
