//! The port's data quality warning changes over the Tableau client's REST methods.

use autoexpose_domain::quality_warning::is_ours;
use autoexpose_pipeline::{BiError, WarningAsset, WarningAssetKind, WarningChange, WarningReply};
use autoexpose_tableau::{AddedWarning, Session, TableauError, WarningContent};

use crate::port_error;

fn content(asset: &WarningAsset) -> WarningContent {
    match asset.kind {
        WarningAssetKind::Datasource => WarningContent::Datasource,
        WarningAssetKind::Table => WarningContent::Table,
    }
}

/// Makes each change in order; after a 403 (no licence, no permission) nothing more is
/// asked and every remaining change answers `NotAvailable` too.
pub(crate) async fn apply(
    session: &Session,
    changes: &[WarningChange],
) -> Vec<Result<WarningReply, BiError>> {
    let mut replies = Vec::with_capacity(changes.len());
    let mut refused: Option<String> = None;
    for change in changes {
        if let Some(detail) = &refused {
            replies.push(Ok(WarningReply::NotAvailable {
                detail: detail.clone(),
            }));
            continue;
        }
        match one(session, change).await {
            Err(e) if e.is_forbidden() => {
                let detail = e.to_string();
                refused = Some(detail.clone());
                replies.push(Ok(WarningReply::NotAvailable { detail }));
            }
            other => replies.push(other.map_err(port_error)),
        }
    }
    replies
}

async fn one(session: &Session, change: &WarningChange) -> Result<WarningReply, TableauError> {
    match change {
        WarningChange::Raise { asset, text } => {
            raise(session, asset, &text.message, text.severe).await
        }
        WarningChange::Update {
            asset,
            warning_luid,
            text,
        } => {
            match session
                .update_quality_warning(warning_luid, &text.message, text.severe)
                .await?
            {
                Some(warning) => Ok(WarningReply::Written {
                    warning_luid: warning.id,
                }),
                // Someone deleted ours: the asset still needs one.
                None => raise(session, asset, &text.message, text.severe).await,
            }
        }
        WarningChange::Clear { warning_luid, .. } => {
            session.delete_quality_warning(warning_luid).await?;
            Ok(WarningReply::Cleared)
        }
    }
}

/// Adds a warning, taking over one of ours whose LUID was lost (it carries the marker)
/// instead of adding a second.
async fn raise(
    session: &Session,
    asset: &WarningAsset,
    message: &str,
    severe: bool,
) -> Result<WarningReply, TableauError> {
    let existing = session
        .quality_warnings(content(asset), &asset.luid)
        .await?;
    if let Some(ours) = existing.iter().find(|w| is_ours(&w.message))
        && let Some(warning) = session
            .update_quality_warning(&ours.id, message, severe)
            .await?
    {
        return Ok(WarningReply::Written {
            warning_luid: warning.id,
        });
    }
    match session
        .add_quality_warning(content(asset), &asset.luid, message, severe)
        .await?
    {
        AddedWarning::Added(warning) => Ok(WarningReply::Written {
            warning_luid: warning.id,
        }),
        AddedWarning::AssetHoldsOne { detail } => Ok(WarningReply::HeldBack { detail }),
    }
}
