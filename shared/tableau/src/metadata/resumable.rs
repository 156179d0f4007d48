//! A workbook listing in stretches, for a site too large to list in one go: each stretch
//! fetches pages until its caller says stop and hands back a [`ListingCursor`] to go on
//! from, perhaps in another process and another session.
//!
//! The projects are fixed when the listing starts (in the cursor) and listed one filter
//! of at most `projects_per_query` LUIDs after another, each in LUID order, so a cursor
//! means the same thing in every session.

use std::collections::BTreeMap;

use autoexpose_domain::Workbook;
use serde::{Deserialize, Serialize};
use serde_json::{Map, json};

use super::{attach_custom_sql, workbooks_query};
use crate::client::Session;
use crate::error::TableauError;
use crate::wire::WorkbooksResponse;

/// Where a listing in stretches stands: the projects it lists, the filter (chunk of
/// projects) it is in, and the Metadata API's `endCursor` within that filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingCursor {
    /// The project LUIDs of the whole listing, each once.
    pub projects: Vec<String>,
    /// Index of the filter of projects being listed.
    pub chunk: usize,
    /// The cursor within that filter; `None` at its first page.
    pub after: Option<String>,
}

impl ListingCursor {
    /// The beginning of a listing of these projects (repeats dropped).
    pub fn start(project_luids: &[String]) -> ListingCursor {
        let mut projects: Vec<String> = Vec::new();
        for luid in project_luids {
            if !projects.contains(luid) {
                projects.push(luid.clone());
            }
        }
        ListingCursor {
            projects,
            chunk: 0,
            after: None,
        }
    }
}

/// What one stretch of a listing brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkbookStretch {
    /// The workbooks of the pages fetched, without their custom SQL (see
    /// [`Session::attach_custom_sql`]).
    pub workbooks: Vec<Workbook>,
    /// Metadata API pages fetched in this stretch.
    pub pages: usize,
    /// Where to go on from; `None` when every workbook has been listed.
    pub next: Option<ListingCursor>,
}

impl Session {
    /// Lists workbooks from `from`, page after page, while `keep_going(pages fetched in
    /// this stretch)` says so; at least one page is fetched, so every stretch makes
    /// progress. A page Tableau cuts short is fetched again smaller, as in
    /// [`Session::list_workbooks`]; any failure is an error.
    pub async fn list_workbooks_stretch(
        &self,
        from: ListingCursor,
        mut keep_going: impl FnMut(usize) -> bool + Send,
    ) -> Result<WorkbookStretch, TableauError> {
        let per_query = self.client().options().projects_per_query.max(1);
        let chunks: Vec<Vec<String>> = from
            .projects
            .chunks(per_query)
            .map(<[String]>::to_vec)
            .collect();
        let mut workbooks = Vec::new();
        let mut pages = 0;
        let mut chunk = from.chunk;
        let mut after = from.after.clone();
        while let Some(luids) = chunks.get(chunk) {
            let mut variables = Map::new();
            variables.insert("projectLuids".into(), json!(luids));
            let before = pages;
            let (fetched, next) = self
                .pages_from::<WorkbooksResponse>(
                    "workbooks",
                    &workbooks_query(),
                    variables,
                    after.take(),
                    |page, _| workbooks.extend(page),
                    |in_chunk| keep_going(before + in_chunk),
                )
                .await?;
            pages += fetched;
            // Paused within this filter, or between two filters.
            let paused_at = match next {
                Some(cursor) => Some(Some(cursor)),
                None => {
                    chunk += 1;
                    (chunk < chunks.len() && !keep_going(pages)).then_some(None)
                }
            };
            if let Some(after) = paused_at {
                let next = ListingCursor {
                    projects: from.projects,
                    chunk,
                    after,
                };
                return Ok(WorkbookStretch {
                    workbooks,
                    pages,
                    next: Some(next),
                });
            }
        }
        Ok(WorkbookStretch {
            workbooks,
            pages,
            next: None,
        })
    }

    /// Finishes a listing made in stretches: one workbook per LUID, sorted by LUID, each
    /// with the custom SQL queries that read for it (listed now, site-wide).
    pub async fn attach_custom_sql(
        &self,
        workbooks: Vec<Workbook>,
    ) -> Result<Vec<Workbook>, TableauError> {
        let mut by_luid: BTreeMap<String, Workbook> = BTreeMap::new();
        for workbook in workbooks {
            by_luid.entry(workbook.luid.clone()).or_insert(workbook);
        }
        let (_, queries) = self.custom_sql().await?;
        attach_custom_sql(&mut by_luid, queries);
        Ok(by_luid.into_values().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_starts_at_the_first_page_of_its_first_filter_without_repeats() {
        let cursor = ListingCursor::start(&["b".into(), "a".into(), "b".into()]);
        assert_eq!(cursor.projects, ["b", "a"]);
        assert_eq!((cursor.chunk, cursor.after), (0, None));
    }

    #[test]
    fn a_cursor_survives_json() {
        let cursor = ListingCursor {
            projects: vec!["p1".into()],
            chunk: 3,
            after: Some("c-42".into()),
        };
        let text = serde_json::to_string(&cursor).expect("json");
        assert_eq!(
            serde_json::from_str::<ListingCursor>(&text).expect("back"),
            cursor
        );
    }
}
