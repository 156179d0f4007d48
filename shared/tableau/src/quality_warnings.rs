//! Data quality warnings (REST API 3.5+, Data Management): the notices Tableau shows every
//! viewer of a data source or table, and of the workbooks that read it.
//!
//! Methods live under `sites/{site}/dataQualityWarnings`: by content
//! (`/{contentType}/{contentLuid}`: query, add) and by warning LUID (`/{warningLuid}`:
//! update, delete). A site without Data Management, or a token without permission,
//! answers 403 ([`TableauError::is_forbidden`]).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::client::Session;
use crate::error::TableauError;
use crate::rest;

/// The kind of asset a warning is on, as the REST path names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WarningContent {
    /// A published data source.
    Datasource,
    /// A database table (Tableau Catalog).
    Table,
}

impl WarningContent {
    /// The path segment: `datasource` or `table`.
    pub fn as_str(self) -> &'static str {
        match self {
            WarningContent::Datasource => "datasource",
            WarningContent::Table => "table",
        }
    }
}

/// One data quality warning as Tableau reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualityWarning {
    /// The warning's LUID.
    pub id: String,
    /// `datasource`, `table`, `database` or `flow`.
    pub content_type: String,
    /// The asset's LUID.
    pub content_id: String,
    /// `WARNING`, `STALE`, `DEPRECATED`, `SENSITIVE_DATA` or `MAINTENANCE`.
    pub warning_type: String,
    /// What viewers read.
    pub message: String,
    /// Shown while true.
    pub is_active: bool,
    /// Shown as severe.
    pub is_severe: bool,
}

/// What adding a warning did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddedWarning {
    /// It is on the asset now.
    Added(QualityWarning),
    /// The asset already holds a warning and this Tableau allows one per asset (before
    /// Tableau Cloud February 2024 / Server 2024.2); nothing changed.
    AssetHoldsOne {
        /// Tableau's words.
        detail: String,
    },
}

impl Session {
    /// The warnings on one asset ("Query Data Quality Warning by Content").
    pub async fn quality_warnings(
        &self,
        content: WarningContent,
        luid: &str,
    ) -> Result<Vec<QualityWarning>, TableauError> {
        let operation = "reading the data quality warnings of an asset";
        let url = self.content_url(content, luid);
        let reply = self
            .call(operation, |http| {
                http.get(&url).header("Accept", "application/json")
            })
            .await?;
        if !reply.status.is_success() {
            return Err(self.site_refusal(operation, &reply));
        }
        let body = self.json_body(operation, &reply.body)?;
        let list = body.get("dataQualityWarningList");
        rest::items(list, "dataQualityWarning")
            .into_iter()
            .map(|item| read_warning(item).ok_or_else(|| self.unreadable(operation)))
            .collect()
    }

    /// Adds an active `WARNING` with this message to an asset ("Add Data Quality
    /// Warning").
    pub async fn add_quality_warning(
        &self,
        content: WarningContent,
        luid: &str,
        message: &str,
        severe: bool,
    ) -> Result<AddedWarning, TableauError> {
        let operation = "adding a data quality warning";
        let url = self.content_url(content, luid);
        let body = warning_body(message, severe);
        let reply = self
            .call(operation, |http| {
                http.post(&url)
                    .header("Accept", "application/json")
                    .json(&body)
            })
            .await?;
        if reply.status == StatusCode::CONFLICT {
            let detail = rest::error_body(&reply.body)
                .map(|e| e.detail)
                .unwrap_or_default();
            return Ok(AddedWarning::AssetHoldsOne { detail });
        }
        if !reply.status.is_success() {
            return Err(self.site_refusal(operation, &reply));
        }
        self.one_warning(operation, &reply.body)
            .map(AddedWarning::Added)
    }

    /// Sets a warning's message and severity ("Update Data Quality Warning"); `None` when
    /// the warning no longer exists (someone deleted it).
    pub async fn update_quality_warning(
        &self,
        id: &str,
        message: &str,
        severe: bool,
    ) -> Result<Option<QualityWarning>, TableauError> {
        let operation = "updating a data quality warning";
        let url = format!("{}/dataQualityWarnings/{id}", self.site_url());
        let body = warning_body(message, severe);
        let reply = self
            .call(operation, |http| {
                http.put(&url)
                    .header("Accept", "application/json")
                    .json(&body)
            })
            .await?;
        if reply.status == StatusCode::NOT_FOUND && !self.is_site_missing(&reply.body) {
            return Ok(None);
        }
        if !reply.status.is_success() {
            return Err(self.site_refusal(operation, &reply));
        }
        self.one_warning(operation, &reply.body).map(Some)
    }

    /// Deletes a warning ("Delete Data Quality Warning by ID"); `false` when it was
    /// already gone.
    pub async fn delete_quality_warning(&self, id: &str) -> Result<bool, TableauError> {
        let operation = "deleting a data quality warning";
        let url = format!("{}/dataQualityWarnings/{id}", self.site_url());
        let reply = self
            .call(operation, |http| {
                http.delete(&url).header("Accept", "application/json")
            })
            .await?;
        if reply.status == StatusCode::NOT_FOUND && !self.is_site_missing(&reply.body) {
            return Ok(false);
        }
        if !reply.status.is_success() {
            return Err(self.site_refusal(operation, &reply));
        }
        Ok(true)
    }

    fn content_url(&self, content: WarningContent, luid: &str) -> String {
        format!(
            "{}/dataQualityWarnings/{}/{luid}",
            self.site_url(),
            content.as_str()
        )
    }

    /// A 404 for the site itself is not "the warning is gone".
    fn is_site_missing(&self, body: &[u8]) -> bool {
        rest::error_body(body).is_some_and(|e| e.code == "404000" && e.detail.starts_with("Site "))
    }

    fn json_body(&self, operation: &'static str, body: &[u8]) -> Result<Value, TableauError> {
        serde_json::from_slice(body).map_err(|e| TableauError::UnexpectedResponse {
            host: self.transport().host().to_string(),
            operation,
            detail: e.to_string(),
        })
    }

    fn one_warning(
        &self,
        operation: &'static str,
        body: &[u8],
    ) -> Result<QualityWarning, TableauError> {
        let body = self.json_body(operation, body)?;
        body.get("dataQualityWarning")
            .and_then(read_warning)
            .ok_or_else(|| self.unreadable(operation))
    }

    fn unreadable(&self, operation: &'static str) -> TableauError {
        TableauError::UnexpectedResponse {
            host: self.transport().host().to_string(),
            operation,
            detail: "a `dataQualityWarning` has no `id`, `contentId` or `contentType`".into(),
        }
    }
}

impl TableauError {
    /// True for Tableau's 403 on a call: the site lacks the feature's licence or the
    /// token's user lacks the permission; asking again cannot help until a person acts.
    pub fn is_forbidden(&self) -> bool {
        matches!(self, TableauError::Api { status: 403, .. })
    }
}

fn warning_body(message: &str, severe: bool) -> Value {
    json!({"dataQualityWarning": {
        "type": "WARNING",
        "isActive": "true",
        "message": message,
        "isSevere": severe.to_string(),
    }})
}

/// Booleans arrive as `"true"`/`"false"` (Tableau's JSON mirrors XML attributes) or as
/// JSON booleans.
fn flag(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(other) => rest::text(Some(other)).is_some_and(|t| t.eq_ignore_ascii_case("true")),
        None => false,
    }
}

fn read_warning(item: &Value) -> Option<QualityWarning> {
    Some(QualityWarning {
        id: rest::text(item.get("id"))?,
        content_type: rest::text(item.get("contentType"))?,
        content_id: rest::text(item.get("contentId"))?,
        warning_type: rest::text(item.get("type")).unwrap_or_else(|| "WARNING".into()),
        message: rest::text(item.get("message")).unwrap_or_default(),
        is_active: flag(item.get("isActive")),
        is_severe: flag(item.get("isSevere")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_read_string_and_json_booleans() {
        let item = json!({"id": "w1", "contentType": "datasource", "contentId": "d1",
            "type": "STALE", "message": "m", "isActive": "true", "isSevere": false});
        let warning = read_warning(&item).unwrap();
        assert_eq!(warning.warning_type, "STALE");
        assert!(warning.is_active);
        assert!(!warning.is_severe);
    }

    #[test]
    fn a_warning_without_its_asset_is_unreadable() {
        assert_eq!(read_warning(&json!({"id": "w1", "message": "m"})), None);
    }
}
