//! How often people open workbooks: the Content Exploration usage-stats method, batch form,
//! where the site has it; the views' lifetime `totalViewCount` where it does not.
//!
//! - `POST /api/-/content/usage-stats` (version-less, the token's site) takes
//!   `{"content_items": [{"type": "workbook", "luid": ...}]}` and answers, per item,
//!   `hitsTotal`, `hitsLastTwoWeeksTotal`, `hitsLastOneMonthTotal`,
//!   `hitsLastThreeMonthsTotal` and `hitsLastTwelveMonthsTotal` (numbers or, as protobuf's
//!   JSON writes 64-bit integers, strings). Workbooks go [`USAGE_BATCH`] to a call, the
//!   calls side by side (the transport keeps at most `MAX_IN_FLIGHT` in flight).
//! - An older server answers 404 (no such resource), a token whose user may not read usage
//!   403, and a server that wants smaller batches 400: then the views are read instead,
//!   with `includeUsageStatistics=true` — Query Views for Site page by page, or Query
//!   Views for Workbook per workbook when that takes fewer calls — and each workbook gets
//!   the sum of its views' counts as its lifetime views.
//!
//! Both are bounded: a batch reply is read only up to the client's response limit, and the
//! view listing stops after [`MAX_VIEW_PAGES`] pages (an error, not a silent cut).

use std::collections::BTreeMap;

use autoexpose_domain::Usage;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::client::Session;
use crate::error::TableauError;
use crate::rest::{self, Pagination};

/// Workbooks per usage-stats call.
pub const USAGE_BATCH: usize = 100;

/// Views per page of Query Views for Site (Tableau's largest page).
const VIEW_PAGE_SIZE: u64 = 1000;

/// The most pages of Query Views for Site read in one fetch: a million views.
pub const MAX_VIEW_PAGES: u64 = 1000;

const BATCH_OPERATION: &str = "reading the usage statistics of workbooks";
const SITE_VIEWS_OPERATION: &str = "listing the site's views with their view counts";
const WORKBOOK_VIEWS_OPERATION: &str = "listing a workbook's views with their view counts";

/// Where a workbook's usage came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageSource {
    /// The usage-stats method: hits per window and over the workbook's life.
    UsageStats,
    /// The views' `totalViewCount`: lifetime views only.
    ViewCounts,
}

/// The usage of the workbooks asked for, by workbook LUID. A workbook Tableau said nothing
/// of (deleted meanwhile, or hidden from the token's user) has no entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkbookUsage {
    /// Usage by workbook LUID.
    pub by_workbook: BTreeMap<String, Usage>,
    /// Which method answered.
    pub source: UsageSource,
    /// Why the usage-stats method could not be used, in Tableau's words (with
    /// [`UsageSource::ViewCounts`]).
    pub fallback_reason: Option<String>,
    /// Requests sent.
    pub requests: u64,
}

/// One batch's answer: usage by LUID, or the refusal that means "use the views".
enum BatchReply {
    Usage(Vec<(String, Usage)>),
    NotOffered(TableauError),
}

impl Session {
    /// The usage of these workbooks: from the usage-stats method where the site has it,
    /// else from their views' counts.
    pub async fn workbook_usage(&self, luids: &[String]) -> Result<WorkbookUsage, TableauError> {
        let mut usage = WorkbookUsage {
            by_workbook: BTreeMap::new(),
            source: UsageSource::UsageStats,
            fallback_reason: None,
            requests: 0,
        };
        let mut batches = luids.chunks(USAGE_BATCH);
        let Some(first) = batches.next() else {
            return Ok(usage);
        };
        // The first batch tells whether the site has the method; the rest go side by side.
        usage.requests += 1;
        match self.usage_batch(first).await? {
            BatchReply::Usage(found) => usage.by_workbook.extend(found),
            BatchReply::NotOffered(refusal) => {
                tracing::info!(reason = %refusal, "usage-stats method not offered; reading view counts");
                let counts = self.view_counts(luids).await?;
                usage.by_workbook = counts.0;
                usage.requests += counts.1;
                usage.source = UsageSource::ViewCounts;
                usage.fallback_reason = Some(refusal.to_string());
                return Ok(usage);
            }
        }
        let mut tasks = tokio::task::JoinSet::new();
        for batch in batches {
            let session = self.clone();
            let batch = batch.to_vec();
            tasks.spawn(async move { session.usage_batch(&batch).await });
        }
        while let Some(joined) = tasks.join_next().await {
            usage.requests += 1;
            let reply = joined.map_err(|e| TableauError::UnexpectedResponse {
                host: self.transport().host().to_string(),
                operation: BATCH_OPERATION,
                detail: format!("a usage request stopped: {e}"),
            })??;
            match reply {
                BatchReply::Usage(found) => usage.by_workbook.extend(found),
                // The first batch was answered: a later refusal is an error, not a fallback.
                BatchReply::NotOffered(refusal) => return Err(refusal),
            }
        }
        Ok(usage)
    }

    /// One usage-stats call for up to [`USAGE_BATCH`] workbooks.
    async fn usage_batch(&self, luids: &[String]) -> Result<BatchReply, TableauError> {
        let url = format!("{}/api/-/content/usage-stats", self.transport().base());
        let items: Vec<Value> = luids
            .iter()
            .map(|luid| json!({"type": "workbook", "luid": luid}))
            .collect();
        let body = json!({ "content_items": items });
        let reply = self
            .call(BATCH_OPERATION, |http| {
                http.post(&url)
                    .header(
                        "Accept",
                        "application/vnd.tableau.usagestats.v1.ContentItemUsageStatsList+json, application/json",
                    )
                    .json(&body)
            })
            .await?;
        if matches!(
            reply.status,
            StatusCode::NOT_FOUND | StatusCode::FORBIDDEN | StatusCode::BAD_REQUEST
        ) {
            return Ok(BatchReply::NotOffered(
                self.client().refusal(BATCH_OPERATION, &reply),
            ));
        }
        if !reply.status.is_success() {
            return Err(self.client().refusal(BATCH_OPERATION, &reply));
        }
        let value: Value =
            serde_json::from_slice(&reply.body).map_err(|e| self.odd(BATCH_OPERATION, e))?;
        read_batch(&value)
            .map(BatchReply::Usage)
            .ok_or_else(|| self.odd(BATCH_OPERATION, "it has no `content_items` list"))
    }

    /// Lifetime view counts of these workbooks, and the requests it took.
    async fn view_counts(
        &self,
        luids: &[String],
    ) -> Result<(BTreeMap<String, Usage>, u64), TableauError> {
        let wanted: std::collections::HashSet<&str> = luids.iter().map(String::as_str).collect();
        let first = self.site_views_page(1).await?;
        let pages = first
            .pagination
            .total_available
            .div_ceil(first.pagination.page_size.max(1))
            .max(1);
        if pages > luids.len() as u64 {
            // Asking per workbook takes fewer calls than listing the whole site.
            let mut counts = BTreeMap::new();
            for luid in luids {
                match self.workbook_views(luid).await {
                    Ok(usage) => {
                        counts.insert(luid.clone(), usage);
                    }
                    // Deleted since the listing: nothing to say of it.
                    Err(TableauError::Api { status: 404, .. }) => {}
                    Err(other) => return Err(other),
                }
            }
            return Ok((counts, 1 + luids.len() as u64));
        }
        if pages > MAX_VIEW_PAGES {
            return Err(self.odd(
                SITE_VIEWS_OPERATION,
                format!(
                    "the site has {} views, more than the {} pages of {VIEW_PAGE_SIZE} read at most",
                    first.pagination.total_available, MAX_VIEW_PAGES
                ),
            ));
        }
        let mut totals: BTreeMap<String, u64> = BTreeMap::new();
        let mut add = |views: Vec<(String, u64)>| {
            for (workbook, count) in views {
                if wanted.contains(workbook.as_str()) {
                    *totals.entry(workbook).or_default() += count;
                }
            }
        };
        add(first.views);
        // The other pages side by side (the transport keeps at most four in flight).
        let mut tasks = tokio::task::JoinSet::new();
        for page_number in 2..=pages {
            let session = self.clone();
            tasks.spawn(async move { session.site_views_page(page_number).await });
        }
        while let Some(joined) = tasks.join_next().await {
            let page = joined.map_err(|e| self.odd(SITE_VIEWS_OPERATION, e))??;
            add(page.views);
        }
        let counts = totals
            .into_iter()
            .map(|(luid, total)| (luid, lifetime_views(total)))
            .collect();
        Ok((counts, pages))
    }

    async fn site_views_page(&self, page_number: u64) -> Result<ViewPage, TableauError> {
        let url = format!("{}/views", self.site_url());
        let query = [
            ("includeUsageStatistics", "true".to_string()),
            ("pageSize", VIEW_PAGE_SIZE.to_string()),
            ("pageNumber", page_number.to_string()),
        ];
        let body = self.get_json(SITE_VIEWS_OPERATION, &url, &query).await?;
        let pagination = Pagination::read(&body)
            .ok_or_else(|| self.odd(SITE_VIEWS_OPERATION, "it has no `pagination`"))?;
        Ok(ViewPage {
            pagination,
            views: read_views(&body),
        })
    }

    async fn workbook_views(&self, luid: &str) -> Result<Usage, TableauError> {
        let url = format!("{}/workbooks/{luid}/views", self.site_url());
        let query = [("includeUsageStatistics", "true".to_string())];
        let body = self
            .get_json(WORKBOOK_VIEWS_OPERATION, &url, &query)
            .await?;
        let total = read_views(&body).into_iter().map(|(_, count)| count).sum();
        Ok(lifetime_views(total))
    }

    async fn get_json(
        &self,
        operation: &'static str,
        url: &str,
        query: &[(&str, String)],
    ) -> Result<Value, TableauError> {
        let reply = self
            .call(operation, |http| {
                http.get(url)
                    .query(query)
                    .header("Accept", "application/json")
            })
            .await?;
        if !reply.status.is_success() {
            return Err(self.site_refusal(operation, &reply));
        }
        serde_json::from_slice(&reply.body).map_err(|e| self.odd(operation, e))
    }

    fn odd(&self, operation: &'static str, detail: impl ToString) -> TableauError {
        TableauError::UnexpectedResponse {
            host: self.transport().host().to_string(),
            operation,
            detail: detail.to_string(),
        }
    }
}

/// One page of Query Views for Site: each view's workbook LUID and view count.
struct ViewPage {
    pagination: Pagination,
    views: Vec<(String, u64)>,
}

fn lifetime_views(total: u64) -> Usage {
    Usage {
        total_views: Some(total),
        ..Usage::default()
    }
}

/// `(workbook LUID, totalViewCount)` of each view that names its workbook.
fn read_views(body: &Value) -> Vec<(String, u64)> {
    let mut views = Vec::new();
    for view in rest::items(body.get("views"), "view") {
        let Some(workbook) = view.get("workbook").and_then(|w| rest::text(w.get("id"))) else {
            continue;
        };
        let count = view
            .get("usage")
            .and_then(|u| rest::number(u.get("totalViewCount")))
            .unwrap_or(0);
        views.push((workbook, count));
    }
    views
}

/// The workbooks of a usage-stats reply; `None` when it is not one.
fn read_batch(body: &Value) -> Option<Vec<(String, Usage)>> {
    let items = body
        .get("content_items")
        .or_else(|| body.get("contentItems"))?;
    let items = match items {
        Value::Array(items) => items.as_slice(),
        Value::Null => &[],
        _ => return None,
    };
    let mut found = Vec::with_capacity(items.len());
    for item in items {
        let Some(luid) = item.get("content").and_then(|c| rest::text(c.get("luid"))) else {
            continue;
        };
        let usage = item.get("usage");
        let count = |key: &str| usage.and_then(|u| rest::number(u.get(key)));
        found.push((
            luid,
            Usage {
                hits_last_two_weeks: count("hitsLastTwoWeeksTotal"),
                hits_last_month: count("hitsLastOneMonthTotal"),
                hits_last_three_months: count("hitsLastThreeMonthsTotal"),
                hits_last_year: count("hitsLastTwelveMonthsTotal"),
                total_views: count("hitsTotal"),
            },
        ));
    }
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_replies_read_string_and_number_counts() {
        let body = json!({"content_items": [
            {"content": {"type": "workbook", "luid": "wb-1"},
             "usage": {"hitsTotal": "42", "hitsLastTwoWeeksTotal": 3, "hitsLastOneMonthTotal": "7",
                       "hitsLastThreeMonthsTotal": "20", "hitsLastTwelveMonthsTotal": "40"}},
            {"content": {"type": "workbook"}, "usage": {}}
        ], "errors": []});
        let found = read_batch(&body).expect("a batch reply");
        assert_eq!(found.len(), 1);
        let (luid, usage) = &found[0];
        assert_eq!(luid, "wb-1");
        assert_eq!(usage.hits_last_two_weeks, Some(3));
        assert_eq!(usage.hits_last_month, Some(7));
        assert_eq!(usage.hits_last_year, Some(40));
        assert_eq!(usage.total_views, Some(42));
    }

    #[test]
    fn a_camel_case_reply_reads_too_and_other_json_is_not_a_reply() {
        let body =
            json!({"contentItems": [{"content": {"luid": "wb-2"}, "usage": {"hitsTotal": 1}}]});
        assert_eq!(read_batch(&body).map(|f| f.len()), Some(1));
        assert_eq!(read_batch(&json!({"error": "x"})), None);
        assert_eq!(read_batch(&json!({"content_items": null})), Some(vec![]));
    }

    #[test]
    fn views_without_their_workbook_are_left_out() {
        let body = json!({"views": {"view": [
            {"id": "v1", "workbook": {"id": "wb-1"}, "usage": {"totalViewCount": "12"}},
            {"id": "v2", "usage": {"totalViewCount": "5"}},
            {"id": "v3", "workbook": {"id": "wb-1"}}
        ]}});
        assert_eq!(
            read_views(&body),
            vec![("wb-1".to_string(), 12), ("wb-1".to_string(), 0)]
        );
    }
}
