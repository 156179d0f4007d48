//! Tableau's own Collections (REST API 3.28+): curated lists of content across projects,
//! and the selection of projects and Collections that an integration imports.
//!
//! In autoexpose's words a "collection" is a selected Tableau project (as in dbt Cloud);
//! a [`TableauCollection`] is Tableau's newer, separate object. Tableau's reference
//! ("Collections Methods", `rest_api_ref_collections.htm`) documents List Collections,
//! Get Collection and List Collection Items as version-less endpoints (`/api/-/...`) that
//! act for the signed-in user on the token's site. The sub-paths and bodies used here
//! (`/api/-/collections`, `/api/-/collections/{luid}/items`, classic `pagination`) are the
//! closest documented shape, corroborated by a third-party Tableau client's specification
//! but not confirmed against a real 3.28 site. The bodies are read in either shape seen:
//! the classic one (`collections.collection[]`, `items.item[]` of `id, name, contentType`)
//! and the newer one (bare arrays, a collection's `luid`, an item's `content { luid, name,
//! contentType }`). The simulator serves both.
//!
//! A Collection's items carry no project, and the Metadata API listing is scoped by
//! project, so a Collection's workbooks are found by asking REST for each workbook's
//! project (Query Workbook) and listing those projects' workbooks through the one complete
//! listing path, then keeping the Collection's own: the listing's paging, limits and
//! custom SQL stay as they are, and Collections are short curated lists.

use std::collections::BTreeSet;

use autoexpose_domain::Workbook;
use reqwest::StatusCode;
use serde_json::Value;

use crate::client::Session;
use crate::error::TableauError;
use crate::projects::Project;
use crate::rest::{self, Pagination};

/// The first REST API version with Collections.
pub const TABLEAU_COLLECTIONS_SINCE: (u32, u32) = (3, 28);

/// Largest REST page asked for.
const PAGE_SIZE: u64 = 1000;

/// One of Tableau's own Collections, as the token's user sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableauCollection {
    /// Collection LUID.
    pub luid: String,
    /// Name (not unique: two owners may each have one called the same).
    pub name: String,
    /// `public` (shared) or `private`, when Tableau says.
    pub visibility: Option<String>,
    /// How many items it holds (`totalItemCount`), when Tableau says.
    pub item_count: Option<u64>,
    /// How many of them the token's user may see (`permissionedItemCount`), when Tableau
    /// says. Fewer than `item_count` means some items are not imported.
    pub visible_item_count: Option<u64>,
}

impl TableauCollection {
    /// How many items the token's user cannot see, when Tableau says and there are some.
    pub fn hidden_item_count(&self) -> Option<u64> {
        let hidden = self.item_count?.checked_sub(self.visible_item_count?)?;
        (hidden > 0).then_some(hidden)
    }
}

/// One item of a Tableau Collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableauCollectionItem {
    /// The item's LUID.
    pub luid: String,
    /// Its name.
    pub name: String,
    /// `workbook`, `datasource`, `view`, ... (`contentType`).
    pub content_type: String,
}

/// What an integration imports: projects (their nested projects included) and Tableau
/// Collections, each by LUID (or path / name, resolved first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Project LUIDs or paths.
    pub projects: Vec<String>,
    /// Tableau Collection LUIDs (as stored after resolution).
    pub tableau_collections: Vec<String>,
}

/// A [`Selection`] made concrete: which projects to list and which workbooks to keep.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolvedSelection {
    /// The selected projects with everything nested below them.
    pub projects: Vec<Project>,
    /// LUIDs of the workbooks the selected Tableau Collections hold.
    pub collection_workbooks: BTreeSet<String>,
    /// Every project to list: the selected ones and those holding a Collection's workbook.
    pub projects_to_list: Vec<String>,
}

impl ResolvedSelection {
    /// Whether a listed workbook belongs to the selection: its project is selected, or a
    /// selected Tableau Collection holds it.
    pub fn keeps(&self, workbook: &Workbook) -> bool {
        if self.collection_workbooks.contains(&workbook.luid) {
            return true;
        }
        let Some(project) = workbook.project.luid.as_deref() else {
            return false;
        };
        self.projects.iter().any(|p| p.luid == project)
    }

    /// Drops the listed workbooks that only share a project with a Collection's workbook.
    pub fn retain(&self, workbooks: &mut Vec<Workbook>) {
        workbooks.retain(|w| self.keeps(w));
    }
}

/// `3.28` → `(3, 28)`.
fn version(text: &str) -> Option<(u32, u32)> {
    let (major, minor) = text.trim().split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// Whether a REST API version has Tableau Collections.
pub fn has_tableau_collections(api_version: &str) -> bool {
    version(api_version).is_some_and(|v| v >= TABLEAU_COLLECTIONS_SINCE)
}

impl Session {
    /// An error unless the server speaks REST 3.28 or newer.
    pub fn check_tableau_collections(&self) -> Result<(), TableauError> {
        if has_tableau_collections(self.api_version()) {
            return Ok(());
        }
        Err(TableauError::TableauCollectionsUnavailable {
            host: self.transport().host().to_string(),
            version: self.api_version().to_string(),
        })
    }

    /// Every Tableau Collection the token's user can see (all pages).
    pub async fn tableau_collections(&self) -> Result<Vec<TableauCollection>, TableauError> {
        self.check_tableau_collections()?;
        let url = format!("{}/api/-/collections", self.transport().base());
        let mut out = Vec::new();
        for item in self
            .rest_pages(
                "listing Tableau Collections",
                &url,
                "collections",
                "collection",
            )
            .await?
        {
            out.push(read_collection(&item).ok_or_else(|| {
                self.odd_reply(
                    "listing Tableau Collections",
                    "a Collection has no `id` or `name`",
                )
            })?);
        }
        Ok(out)
    }

    /// The items of one Tableau Collection; [`TableauError::TableauCollectionGone`] when
    /// it no longer exists for the token's user.
    pub async fn tableau_collection_items(
        &self,
        luid: &str,
    ) -> Result<Vec<TableauCollectionItem>, TableauError> {
        self.check_tableau_collections()?;
        let url = format!(
            "{}/api/-/collections/{}/items",
            self.transport().base(),
            urlencoding(luid)
        );
        let items = match self
            .rest_pages(
                "listing a Tableau Collection's items",
                &url,
                "items",
                "item",
            )
            .await
        {
            Err(TableauError::Api { status: 404, .. }) => {
                return Err(TableauError::TableauCollectionGone {
                    luid: luid.to_string(),
                    site: self.client().settings().site.clone(),
                });
            }
            other => other?,
        };
        let mut out = Vec::new();
        for item in items {
            out.push(read_item(&item).ok_or_else(|| {
                self.odd_reply(
                    "listing a Tableau Collection's items",
                    "an item has no `id` or `contentType`",
                )
            })?);
        }
        Ok(out)
    }

    /// The LUID of the project that holds a workbook (REST Query Workbook); `None` when
    /// the workbook is gone (404006).
    pub async fn workbook_project(&self, luid: &str) -> Result<Option<String>, TableauError> {
        let url = format!("{}/workbooks/{}", self.site_url(), urlencoding(luid));
        let reply = self
            .call("reading a workbook's project", |http| {
                http.get(&url).header("Accept", "application/json")
            })
            .await?;
        if reply.status == StatusCode::NOT_FOUND
            && rest::error_body(&reply.body).is_some_and(|e| e.code == "404006")
        {
            return Ok(None);
        }
        if !reply.status.is_success() {
            return Err(self.site_refusal("reading a workbook's project", &reply));
        }
        let body: Value = serde_json::from_slice(&reply.body)
            .map_err(|e| self.odd_reply("reading a workbook's project", &e.to_string()))?;
        let project = rest::text(body.pointer("/workbook/project/id")).ok_or_else(|| {
            self.odd_reply("reading a workbook's project", "it has no `project.id`")
        })?;
        Ok(Some(project))
    }

    /// Resolves a [`Selection`]: its projects (with nested ones) and the workbooks of its
    /// Tableau Collections, with the projects that hold them.
    pub async fn resolve_selection(
        &self,
        selection: &Selection,
    ) -> Result<ResolvedSelection, TableauError> {
        let projects = if selection.projects.is_empty() {
            Vec::new()
        } else {
            self.resolve_collections(&selection.projects).await?
        };
        let mut projects_to_list: Vec<String> = projects.iter().map(|p| p.luid.clone()).collect();
        let mut collection_workbooks = BTreeSet::new();
        for luid in &selection.tableau_collections {
            for item in self.tableau_collection_items(luid).await? {
                // Only workbooks become exposures; views, data sources, flows do not.
                if item.content_type.eq_ignore_ascii_case("workbook") {
                    collection_workbooks.insert(item.luid);
                }
            }
        }
        for workbook in &collection_workbooks {
            match self.workbook_project(workbook).await? {
                Some(project) if !projects_to_list.contains(&project) => {
                    projects_to_list.push(project)
                }
                Some(_) => {}
                None => tracing::debug!(workbook, "a Collection's workbook is gone"),
            }
        }
        Ok(ResolvedSelection {
            projects,
            collection_workbooks,
            projects_to_list,
        })
    }

    /// Every item of a paged REST list (`{wrapper: {singular: [...]}}` + `pagination`).
    async fn rest_pages(
        &self,
        operation: &'static str,
        url: &str,
        wrapper: &str,
        singular: &str,
    ) -> Result<Vec<Value>, TableauError> {
        let mut out = Vec::new();
        let mut page_number: u64 = 1;
        loop {
            let query = [
                ("pageSize", PAGE_SIZE.to_string()),
                ("pageNumber", page_number.to_string()),
            ];
            let reply = self
                .call(operation, |http| {
                    http.get(url)
                        .query(&query)
                        .header("Accept", "application/json")
                })
                .await?;
            if !reply.status.is_success() {
                return Err(self.client().refusal(operation, &reply));
            }
            let body: Value = serde_json::from_slice(&reply.body)
                .map_err(|e| self.odd_reply(operation, &e.to_string()))?;
            let page = listed(&body, wrapper, singular);
            let page_len = page.len();
            out.extend(page.into_iter().cloned());
            let pagination = Pagination::read(&body)
                .ok_or_else(|| self.odd_reply(operation, "it has no `pagination`"))?;
            if pagination.is_last() || page_len == 0 {
                return Ok(out);
            }
            page_number += 1;
        }
    }

    fn odd_reply(&self, operation: &'static str, detail: &str) -> TableauError {
        TableauError::UnexpectedResponse {
            host: self.transport().host().to_string(),
            operation,
            detail: detail.to_string(),
        }
    }
}

/// Finds one Collection by LUID or by name; a name shared by several is ambiguous.
pub fn find_tableau_collection<'a>(
    collections: &'a [TableauCollection],
    entry: &str,
) -> Result<&'a TableauCollection, TableauError> {
    let wanted = entry.trim();
    if let Some(found) = collections.iter().find(|c| c.luid == wanted) {
        return Ok(found);
    }
    let named: Vec<&TableauCollection> = collections.iter().filter(|c| c.name == wanted).collect();
    match named.as_slice() {
        [] => Err(TableauError::UnknownTableauCollection(entry.to_string())),
        [one] => Ok(one),
        many => Err(TableauError::AmbiguousTableauCollection {
            name: entry.to_string(),
            luids: many.iter().map(|c| c.luid.clone()).collect(),
        }),
    }
}

/// A path segment made safe: LUIDs are `[0-9a-f-]`, anything else is escaped.
fn urlencoding(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The first of `keys` that `value` has as non-empty text.
fn first_text(value: &Value, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|key| rest::text(value.get(*key)).filter(|t| !t.trim().is_empty()))
}

fn read_collection(item: &Value) -> Option<TableauCollection> {
    Some(TableauCollection {
        luid: first_text(item, &["luid", "id"])?,
        name: rest::text(item.get("name"))?,
        visibility: rest::text(item.get("visibility")).filter(|v| !v.is_empty()),
        item_count: rest::number(item.get("totalItemCount")),
        visible_item_count: rest::number(item.get("permissionedItemCount")),
    })
}

/// An item in either shape: its own `id, name, contentType`, or those of its `content`
/// (`luid, name, contentType`), with `contentLuid`/`contentName` as flat variants.
fn read_item(item: &Value) -> Option<TableauCollectionItem> {
    let content = item.get("content").filter(|c| c.is_object());
    let from_content = |keys: &[&str]| content.and_then(|c| first_text(c, keys));
    Some(TableauCollectionItem {
        luid: from_content(&["luid", "id"])
            .or_else(|| first_text(item, &["contentLuid", "luid", "id"]))?,
        name: from_content(&["name"])
            .or_else(|| first_text(item, &["contentName", "name"]))
            .unwrap_or_default(),
        content_type: from_content(&["contentType", "type"])
            .or_else(|| first_text(item, &["contentType"]))?,
    })
}

/// The entries of a list body: `{wrapper: {singular: [...]}}` (classic REST) or
/// `{wrapper: [...]}` (the newer version-less endpoints).
fn listed<'a>(body: &'a Value, wrapper: &str, singular: &str) -> Vec<&'a Value> {
    match body.get(wrapper) {
        Some(Value::Array(list)) => list.iter().collect(),
        other => rest::items(other, singular),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collection(luid: &str, name: &str) -> TableauCollection {
        TableauCollection {
            luid: luid.into(),
            name: name.into(),
            visibility: None,
            item_count: None,
            visible_item_count: None,
        }
    }

    #[test]
    fn collections_arrive_with_rest_api_3_28() {
        assert!(!has_tableau_collections("3.25"));
        assert!(!has_tableau_collections("3.27"));
        assert!(has_tableau_collections("3.28"));
        assert!(has_tableau_collections("4.0"));
        assert!(!has_tableau_collections("garbage"));
    }

    #[test]
    fn a_collection_is_found_by_luid_or_by_a_unique_name() {
        let all = [
            collection("c-1", "Board pack"),
            collection("c-2", "Ops"),
            collection("c-3", "Ops"),
        ];
        assert_eq!(find_tableau_collection(&all, "c-3").unwrap().name, "Ops");
        assert_eq!(
            find_tableau_collection(&all, " Board pack ").unwrap().luid,
            "c-1"
        );
        let ambiguous = find_tableau_collection(&all, "Ops").unwrap_err();
        assert!(ambiguous.to_string().contains("c-2, c-3"), "{ambiguous}");
        let unknown = find_tableau_collection(&all, "Nope").unwrap_err();
        assert!(matches!(unknown, TableauError::UnknownTableauCollection(ref e) if e == "Nope"));
    }

    #[test]
    fn reads_an_item_nested_in_its_content_as_the_newer_endpoints_send_it() {
        let item: Value = serde_json::from_str(
            r#"{"collectionLuid": "c-1", "addedDate": "2026-02-10T09:00:00Z",
                "content": {"luid": "wb-1", "name": "Revenue", "contentType": "workbook"}}"#,
        )
        .unwrap();
        let read = read_item(&item).unwrap();
        assert_eq!(
            (
                read.luid.as_str(),
                read.name.as_str(),
                read.content_type.as_str()
            ),
            ("wb-1", "Revenue", "workbook")
        );
        let flat: Value = serde_json::from_str(
            r#"{"contentLuid": "wb-2", "contentName": "Ops", "contentType": "workbook"}"#,
        )
        .unwrap();
        assert_eq!(read_item(&flat).unwrap().luid, "wb-2");
        let bare: Value =
            serde_json::from_str(r#"{"items": [{"id": "wb-3", "contentType": "view"}]}"#).unwrap();
        assert_eq!(listed(&bare, "items", "item").len(), 1);
    }

    #[test]
    fn a_collection_with_items_its_reader_cannot_see_says_how_many() {
        let item: Value = serde_json::from_str(
            r#"{"luid": "c-1", "name": "Board pack", "totalItemCount": 5,
                "permissionedItemCount": 3}"#,
        )
        .unwrap();
        let read = read_collection(&item).unwrap();
        assert_eq!(read.luid, "c-1");
        assert_eq!(read.hidden_item_count(), Some(2));
        let all_seen = TableauCollection {
            visible_item_count: Some(5),
            ..read
        };
        assert_eq!(all_seen.hidden_item_count(), None);
    }

    #[test]
    fn reads_a_collection_with_string_numbers() {
        let item: Value = serde_json::from_str(
            r#"{"id": "c-1", "name": "Board pack", "visibility": "public",
                "totalItemCount": "3", "owner": {"id": "u-1"}}"#,
        )
        .unwrap();
        let read = read_collection(&item).unwrap();
        assert_eq!(read.item_count, Some(3));
        assert_eq!(read.visibility.as_deref(), Some("public"));
    }

    #[test]
    fn a_workbook_is_kept_by_its_project_or_its_collection() {
        let selection = ResolvedSelection {
            projects: vec![Project {
                luid: "p-fin".into(),
                name: "Finance".into(),
                parent_luid: None,
                description: None,
            }],
            collection_workbooks: ["wb-board".to_string()].into(),
            projects_to_list: vec!["p-fin".into(), "p-ops".into()],
        };
        let workbook = |luid: &str, project: &str| Workbook {
            luid: luid.into(),
            project: autoexpose_domain::ProjectRef {
                name: String::new(),
                luid: Some(project.into()),
            },
            ..Workbook::default()
        };
        let mut listed = vec![
            workbook("wb-fin", "p-fin"),
            workbook("wb-board", "p-ops"),
            workbook("wb-other", "p-ops"),
        ];
        selection.retain(&mut listed);
        let kept: Vec<&str> = listed.iter().map(|w| w.luid.as_str()).collect();
        assert_eq!(kept, ["wb-fin", "wb-board"]);
    }
}
