//! The collections-updated function (PRODUCT.md S5): invoked directly with an integration
//! id and its new collection list, it checks the collections against Tableau, stores them
//! and syncs the integration at once, so new workbooks are captured and workbooks outside
//! the new selection lose their exposures.
//!
//! The payload is `{"integration_id": "acme-prod", "collections": ["Finance", "<LUID>"]}`:
//! collections are Tableau project LUIDs or paths (`Finance/Reporting`). An empty list
//! deselects everything. `"tableau_collections": ["Board pack", "<LUID>"]` sets Tableau's
//! own Collections (REST API 3.28+) by name or LUID, an empty list clearing them; with it,
//! `collections` may be left out to keep the projects as they are.
//!
//! # Responses
//!
//! Success is the run: `{"integration_id", "status": "ok", "run_id", "added", "changed",
//! "removed", "collections"}`. A request that cannot succeed as sent (a payload of the
//! wrong shape, an unknown integration or collection, a rejected token) is answered with
//! `{"error": "...", "kind": "..."}`; nothing is stored then. Failures that a retry may fix
//! (DynamoDB, Tableau unavailable, a sync already running) are returned as function
//! errors, so an asynchronous invocation is retried.

use autoexpose_lambda::{Deps, ErrorResponse, FunctionError, RunOutcome, is_retryable};
use lambda_runtime::LambdaEvent;
use serde::Serialize;
use serde_json::Value;

/// What the function was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionsRequest {
    /// The integration.
    pub integration_id: String,
    /// Its new collections: project LUIDs or paths; `None` keeps the stored ones (only
    /// when Tableau Collections are given).
    pub collections: Option<Vec<String>>,
    /// Its new Tableau Collections, by name or LUID; `None` keeps the stored ones.
    pub tableau_collections: Option<Vec<String>>,
}

/// The function's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum CollectionsResponse {
    /// The collections are stored and the integration synced.
    Updated {
        /// The sync that followed.
        #[serde(flatten)]
        run: RunOutcome,
        /// The collections as requested, when they were.
        #[serde(skip_serializing_if = "Option::is_none")]
        collections: Option<Vec<String>>,
        /// The Tableau Collections as requested, when they were.
        #[serde(skip_serializing_if = "Option::is_none")]
        tableau_collections: Option<Vec<String>>,
    },
    /// The request was refused; nothing changed.
    Rejected(ErrorResponse),
}

const FIELDS: [&str; 3] = ["integration_id", "collections", "tableau_collections"];

impl CollectionsRequest {
    /// Reads the payload, or says which field is missing or wrong.
    pub fn from_payload(payload: &Value) -> Result<CollectionsRequest, String> {
        let Some(object) = payload.as_object() else {
            return Err(format!(
                "the payload must be a JSON object like {{\"integration_id\": \"acme-prod\", \"collections\": [\"Finance\"]}}, not {}",
                json_type(payload)
            ));
        };
        let unknown: Vec<&str> = object
            .keys()
            .map(String::as_str)
            .filter(|k| !FIELDS.contains(k))
            .collect();
        if !unknown.is_empty() {
            return Err(format!(
                "unknown field(s) {}: the payload takes only \"integration_id\", \"collections\" and \"tableau_collections\"",
                quoted(&unknown)
            ));
        }
        let integration_id = match object.get("integration_id") {
            None => {
                return Err(
                    "field \"integration_id\" is missing: name the integration to update".into(),
                );
            }
            Some(Value::String(id)) if !id.trim().is_empty() => id.trim().to_string(),
            Some(Value::String(_)) => return Err("field \"integration_id\" is empty".into()),
            Some(other) => {
                return Err(format!(
                    "field \"integration_id\" must be a string, not {}",
                    json_type(other)
                ));
            }
        };
        let collections = string_list(object, "collections")?;
        let tableau_collections = string_list(object, "tableau_collections")?;
        if collections.is_none() && tableau_collections.is_none() {
            return Err("field \"collections\" is missing: give the list of Tableau project LUIDs or paths (an empty list deselects everything), or \"tableau_collections\"".into());
        }
        Ok(CollectionsRequest {
            integration_id,
            collections,
            tableau_collections,
        })
    }
}

/// The list of strings in `field`, if given.
fn string_list(
    object: &serde_json::Map<String, Value>,
    field: &str,
) -> Result<Option<Vec<String>>, String> {
    match object.get(field) {
        None => Ok(None),
        Some(Value::Array(items)) => collection_list(field, items).map(Some),
        Some(other) => Err(format!(
            "field \"{field}\" must be a list of strings, not {}",
            json_type(other)
        )),
    }
}

fn collection_list(field: &str, items: &[Value]) -> Result<Vec<String>, String> {
    let mut collections: Vec<String> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Some(name) = item.as_str().map(str::trim) else {
            return Err(format!(
                "field \"{field}\" must be a list of strings, but item {i} is {}",
                json_type(item)
            ));
        };
        if name.is_empty() {
            return Err(format!("field \"{field}\": item {i} is empty"));
        }
        if !collections.iter().any(|c| c == name) {
            collections.push(name.to_string());
        }
    }
    Ok(collections)
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The handler: validates the payload, updates the collections and reports the sync.
pub async fn handler(
    event: LambdaEvent<Value>,
    deps: &Deps,
) -> Result<CollectionsResponse, FunctionError> {
    let (payload, context) = event.into_parts();
    let request = match CollectionsRequest::from_payload(&payload) {
        Ok(request) => request,
        Err(message) => {
            tracing::warn!(request_id = %context.request_id, kind = "invalid_request",
                error = %message, "collections update refused");
            return Ok(CollectionsResponse::Rejected(
                ErrorResponse::invalid_request(message),
            ));
        }
    };
    let integration = request.integration_id.as_str();
    let collections = request.collections.as_deref().unwrap_or_default().join(",");
    let tableau_collections = request
        .tableau_collections
        .as_deref()
        .unwrap_or_default()
        .join(",");
    let pipeline = deps.pipeline();
    let updated = match (&request.collections, &request.tableau_collections) {
        (Some(projects), None) => pipeline.update_collections(integration, projects).await,
        (projects, tableau) => {
            pipeline
                .update_selection(integration, projects.as_deref(), tableau.as_deref())
                .await
        }
    };
    match updated {
        Ok(run) => {
            tracing::info!(integration, collections, tableau_collections, run_id = %run.run_id,
                added = run.added, changed = run.changed, removed = run.removed,
                "collections updated and synced");
            Ok(CollectionsResponse::Updated {
                run: RunOutcome::ok(&run),
                collections: request.collections,
                tableau_collections: request.tableau_collections,
            })
        }
        Err(error) if is_retryable(&error) => {
            tracing::error!(integration, collections, error = %error,
                "collections update failed; it may succeed when retried");
            Err(FunctionError::Retryable(error.to_string()))
        }
        Err(error) => {
            let response = ErrorResponse::from_pipeline(&error);
            tracing::warn!(integration, collections, kind = response.kind, error = %error,
                "collections update refused");
            Ok(CollectionsResponse::Rejected(response))
        }
    }
}
