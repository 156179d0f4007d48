//! Usage in the sync: after a complete listing, the BI tool is asked how often each listed
//! workbook was opened, and the counts go into the snapshot with the workbooks, so a
//! rematch (a new manifest) carries them onto the exposures without calling Tableau.
//!
//! Usage never fails a sync. A site that gives only part of it (lifetime view counts) or
//! none (a token that may not read it) says so once, on the integration record
//! ([`UsageNote`]); a failure that may pass (Tableau busy) keeps the counts of the last
//! snapshot, so exposures do not lose their usage for a day.

use std::collections::HashMap;

use autoexpose_domain::{Usage, Workbook};

use crate::error::PipelineError;
use crate::pipeline::Pipeline;
use crate::{Integration, Snapshot, StoreError, UsageNote, UsageReport, format_timestamp};

const NOTE_RETRIES: usize = 5;

impl Pipeline {
    /// Sets each workbook's usage from the BI tool (or, when it cannot answer now, from
    /// the stored snapshot), and records on the integration why usage is limited, if it is.
    pub(crate) async fn attach_usage(
        &self,
        integration: &Integration,
        workbooks: &mut [Workbook],
        stored: Option<&Snapshot>,
    ) -> Result<(), PipelineError> {
        if workbooks.is_empty() {
            return Ok(());
        }
        let luids: Vec<String> = workbooks.iter().map(|w| w.luid.clone()).collect();
        let secret = self.tableau_secret(integration).await?;
        let asked = self
            .until_stopped(
                &integration.id,
                self.bi.workbook_usage(integration, &secret, &luids),
            )
            .await?;
        let note = match asked {
            Ok(report) => {
                set_usage(workbooks, &report);
                report.limitation
            }
            Err(error) if error.is_retryable() => {
                tracing::warn!(integration = %integration.id, %error,
                    "usage could not be read; the last counts are kept");
                keep_stored_usage(workbooks, stored);
                // Passing trouble is no limitation of the site: the note stays as it was.
                return Ok(());
            }
            Err(error) => {
                tracing::warn!(integration = %integration.id, %error, "usage is not available");
                Some(format!(
                    "usage is not available on this site: {error}; exposures get no usage, maturity or stale flag until it is"
                ))
            }
        };
        self.record_usage_note(integration, note).await
    }

    /// Stores the note when it differs from the one recorded (a sync that finds the same
    /// limitation writes nothing).
    async fn record_usage_note(
        &self,
        integration: &Integration,
        note: Option<String>,
    ) -> Result<(), PipelineError> {
        let recorded = integration.usage_note.as_ref().map(|n| n.message.as_str());
        if recorded == note.as_deref() {
            return Ok(());
        }
        if let Some(message) = &note {
            tracing::warn!(integration = %integration.id, "{message}");
        }
        let wanted = note.map(|message| UsageNote {
            message,
            since: format_timestamp(self.now()),
        });
        let mut attempts = 0;
        loop {
            let mut fresh = self.integration(&integration.id).await?;
            fresh.usage_note = wanted.clone();
            match self.store.update_integration(&fresh).await {
                Ok(_) => return Ok(()),
                Err(StoreError::Conflict(_)) if attempts < NOTE_RETRIES => attempts += 1,
                Err(e) => return Err(e.into()),
            }
        }
    }
}

fn set_usage(workbooks: &mut [Workbook], report: &UsageReport) {
    for workbook in workbooks {
        workbook.usage = report.by_workbook.get(&workbook.luid).cloned();
    }
}

fn keep_stored_usage(workbooks: &mut [Workbook], stored: Option<&Snapshot>) {
    let Some(stored) = stored else {
        return;
    };
    let earlier: HashMap<&str, &Usage> = stored
        .workbooks
        .iter()
        .filter_map(|w| w.usage.as_ref().map(|u| (w.luid.as_str(), u)))
        .collect();
    for workbook in workbooks {
        workbook.usage = earlier.get(workbook.luid.as_str()).map(|u| (*u).clone());
    }
}
