//! Errors the domain reports about the dbt artifacts it reads, each naming what is wrong.

use thiserror::Error;

use crate::printable::printable;

/// A `manifest.json` that cannot be read.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ManifestError {
    /// The bytes could not be read at all.
    #[error("could not read the manifest: {0}")]
    Io(String),
    /// The file is not UTF-8 text.
    #[error("the manifest is not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// The file is empty.
    #[error("the manifest is empty")]
    Empty,
    /// The JSON ends before the document does.
    #[error("the manifest ends early at line {line}, column {column}: the file looks truncated")]
    Truncated {
        /// Line of the end.
        line: usize,
        /// Column of the end.
        column: usize,
    },
    /// The text is not valid JSON.
    #[error("the manifest is not valid JSON: {0}")]
    NotJson(String),
    /// The JSON does not have the shape of a dbt manifest.
    #[error("the manifest does not have the shape of a dbt manifest.json: {0}")]
    Shape(String),
    /// A block that every manifest has is missing.
    #[error(
        "the manifest has no `{0}`: is this a dbt manifest.json (not run_results.json or catalog.json)?"
    )]
    MissingField(&'static str),
    /// Another dbt artifact (run_results.json, catalog.json, ...) was given.
    #[error("this is dbt's {kind} artifact, not a manifest.json")]
    WrongArtifact {
        /// The artifact kind named by its schema URL, e.g. `run-results` (printable, cut).
        kind: String,
    },
    /// `dbt_schema_version` is not a manifest schema URL (shown printable and cut).
    #[error("the manifest's dbt_schema_version '{0}' is not a dbt manifest schema")]
    UnknownSchema(String),
    /// A timestamp dbt writes is there but is no timestamp.
    #[error(
        "the manifest's {field} '{value}' is not a timestamp (dbt writes e.g. {example}): \
         it cannot be ordered against other manifests; upload the manifest.json dbt wrote",
        example = crate::timestamp::GENERATED_AT_EXAMPLE
    )]
    InvalidTimestamp {
        /// The field, e.g. `metadata.generated_at`.
        field: &'static str,
        /// What it holds, made printable and cut.
        value: String,
    },
    /// The manifest was written by a dbt older than 1.3.
    #[error(
        "the manifest uses schema v{version}, written by a dbt older than 1.3; autoexpose reads v7 (dbt 1.3) and later: re-run `dbt parse` with a newer dbt"
    )]
    TooOld {
        /// The schema version found.
        version: u32,
    },
}

impl ManifestError {
    pub(crate) fn from_json(err: serde_json::Error) -> ManifestError {
        use serde_json::error::Category;
        match err.classify() {
            Category::Eof if err.line() <= 1 && err.column() == 0 => ManifestError::Empty,
            Category::Eof => ManifestError::Truncated {
                line: err.line(),
                column: err.column(),
            },
            Category::Syntax => ManifestError::NotJson(json_error(&err)),
            Category::Data => ManifestError::Shape(json_error(&err)),
            Category::Io => ManifestError::Io(json_error(&err)),
        }
    }
}

/// A JSON parser's message, made printable: it may quote the file (`invalid type: string
/// "..."`), so that part is cut, and the position it ends with is kept.
pub(crate) fn json_error(err: &serde_json::Error) -> String {
    let message = err.to_string();
    let position = format!(" at line {} column {}", err.line(), err.column());
    match message.strip_suffix(&position) {
        Some(what) if err.line() > 0 => format!("{}{position}", printable(what)),
        _ => printable(&message),
    }
}
