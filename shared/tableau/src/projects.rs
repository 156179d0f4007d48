//! Projects (folders): listing them all, their tree, and resolving selected collections.
//!
//! The Metadata API has no project object, so the hierarchy comes from REST's
//! `parentProjectId`. Names are not unique across the tree, so a path can be ambiguous.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use crate::client::Session;
use crate::error::TableauError;
use crate::rest::{self, Pagination};

/// Largest REST page Tableau allows.
const PROJECT_PAGE_SIZE: u64 = 1000;

/// A Tableau project (folder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// Project LUID (the REST id).
    pub luid: String,
    /// Project name (not unique across the tree).
    pub name: String,
    /// LUID of the parent project; `None` for a top-level project.
    pub parent_luid: Option<String>,
    /// Description, when set.
    pub description: Option<String>,
}

/// All projects of a site, as a tree.
#[derive(Debug, Clone, Default)]
pub struct ProjectTree {
    projects: Vec<Project>,
    by_luid: HashMap<String, usize>,
    children: HashMap<String, Vec<usize>>,
}

impl ProjectTree {
    /// Builds the tree from a flat list (the order of `projects` is kept for listing).
    pub fn new(projects: Vec<Project>) -> ProjectTree {
        let mut by_luid = HashMap::new();
        let mut children: HashMap<String, Vec<usize>> = HashMap::new();
        for (index, project) in projects.iter().enumerate() {
            by_luid.insert(project.luid.clone(), index);
            if let Some(parent) = &project.parent_luid {
                children.entry(parent.clone()).or_default().push(index);
            }
        }
        ProjectTree {
            projects,
            by_luid,
            children,
        }
    }

    /// Every project, in the order Tableau listed them.
    pub fn projects(&self) -> &[Project] {
        &self.projects
    }

    /// The project with this LUID.
    pub fn get(&self, luid: &str) -> Option<&Project> {
        self.by_luid.get(luid).map(|&i| &self.projects[i])
    }

    /// The direct children of a project.
    pub fn children(&self, luid: &str) -> Vec<&Project> {
        self.children
            .get(luid)
            .map(|list| list.iter().map(|&i| &self.projects[i]).collect())
            .unwrap_or_default()
    }

    /// Top-level projects, and projects whose parent is not visible to the signed-in user.
    pub fn roots(&self) -> Vec<&Project> {
        self.projects
            .iter()
            .filter(|p| match &p.parent_luid {
                None => true,
                Some(parent) => !self.by_luid.contains_key(parent),
            })
            .collect()
    }

    /// The project's path of names from the top, e.g. `Finance/Reporting`.
    pub fn path(&self, luid: &str) -> Option<String> {
        let mut names = Vec::new();
        let mut current = self.get(luid)?;
        names.push(current.name.as_str());
        // Bounded by the project count, so a cycle in bad data cannot loop forever.
        for _ in 0..self.projects.len() {
            let Some(parent) = current.parent_luid.as_deref().and_then(|p| self.get(p)) else {
                break;
            };
            names.push(parent.name.as_str());
            current = parent;
        }
        names.reverse();
        Some(names.join("/"))
    }

    /// The project and all projects nested below it, parents before children.
    pub fn with_descendants(&self, luid: &str) -> Vec<&Project> {
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        let mut queue = vec![luid.to_string()];
        while let Some(next) = queue.pop() {
            if !seen.insert(next.clone()) {
                continue;
            }
            let Some(project) = self.get(&next) else {
                continue;
            };
            out.push(project);
            for child in self.children(&next).into_iter().rev() {
                queue.push(child.luid.clone());
            }
        }
        out
    }

    /// Resolves selected collections (project LUIDs or paths such as `Finance/Reporting`)
    /// to those projects and everything nested below them, without duplicates.
    pub fn resolve(&self, collections: &[String]) -> Result<Vec<&Project>, TableauError> {
        let mut selected = Vec::new();
        let mut seen = BTreeSet::new();
        for entry in collections {
            let root = self.find(entry)?;
            for project in self.with_descendants(&root.luid) {
                if seen.insert(project.luid.as_str()) {
                    selected.push(project);
                }
            }
        }
        Ok(selected)
    }

    /// One project by LUID or by path.
    pub fn find(&self, entry: &str) -> Result<&Project, TableauError> {
        let wanted = entry.trim();
        if let Some(project) = self.get(wanted) {
            return Ok(project);
        }
        let path = wanted.trim_matches('/');
        let mut matches: Vec<&Project> = self
            .projects
            .iter()
            .filter(|p| self.path(&p.luid).as_deref() == Some(path))
            .collect();
        // People type `finance` for `Finance`: with no exact match, the path compared
        // without case decides (an ambiguous one is refused below, as an exact one is).
        if matches.is_empty() {
            let folded = path.to_lowercase();
            matches = self
                .projects
                .iter()
                .filter(|p| self.path(&p.luid).map(|p| p.to_lowercase()) == Some(folded.clone()))
                .collect();
        }
        match matches.as_slice() {
            [] => Err(TableauError::UnknownProject(entry.to_string())),
            [one] => Ok(one),
            many => Err(TableauError::AmbiguousProject {
                path: entry.to_string(),
                luids: many.iter().map(|p| p.luid.clone()).collect(),
            }),
        }
    }
}

impl ProjectTree {
    /// The project path closest to `entry`, for a "did you mean" when `entry` names no
    /// project: a path whose last name is `entry`'s (`Campaigns` for
    /// `Marketing/Campaigns`), else the one fewest edits away, if close enough to be a
    /// typing slip.
    pub fn suggest(&self, entry: &str) -> Option<String> {
        let wanted = entry.trim().trim_matches('/').to_lowercase();
        let last = |path: &str| path.rsplit('/').next().unwrap_or_default().to_string();
        let mut paths: Vec<String> = self
            .projects
            .iter()
            .filter_map(|p| self.path(&p.luid))
            .collect();
        paths.sort();
        if let Some(same_last) = paths
            .iter()
            .find(|p| last(&p.to_lowercase()) == last(&wanted))
        {
            return Some(same_last.clone());
        }
        let near = (wanted.chars().count() / 3).max(2);
        paths
            .into_iter()
            .map(|p| (edit_distance(&p.to_lowercase(), &wanted), p))
            .filter(|(distance, _)| *distance <= near)
            .min()
            .map(|(_, path)| path)
    }
}

/// The Levenshtein distance between two strings, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

impl Session {
    /// Every project on the site (all pages).
    pub async fn projects(&self) -> Result<ProjectTree, TableauError> {
        let url = format!("{}/projects", self.site_url());
        let mut projects = Vec::new();
        let mut page_number: u64 = 1;
        loop {
            let query = [
                ("pageSize", PROJECT_PAGE_SIZE.to_string()),
                ("pageNumber", page_number.to_string()),
            ];
            let reply = self
                .call("listing projects", |http| {
                    http.get(&url)
                        .query(&query)
                        .header("Accept", "application/json")
                })
                .await?;
            if !reply.status.is_success() {
                return Err(self.site_refusal("listing projects", &reply));
            }
            let body: Value =
                serde_json::from_slice(&reply.body).map_err(|e| self.unexpected(e.to_string()))?;
            let page = rest::items(body.get("projects"), "project");
            let page_len = page.len();
            for item in page {
                projects.push(read_project(item).ok_or_else(|| {
                    self.unexpected("a project has no `id` or `name`".to_string())
                })?);
            }
            let pagination = Pagination::read(&body)
                .ok_or_else(|| self.unexpected("it has no `pagination`".to_string()))?;
            if pagination.is_last() || page_len == 0 {
                break;
            }
            page_number += 1;
        }
        tracing::debug!(projects = projects.len(), "listed Tableau projects");
        Ok(ProjectTree::new(projects))
    }

    /// Lists the projects and resolves `collections` (LUIDs or paths) with
    /// [`ProjectTree::resolve`].
    pub async fn resolve_collections(
        &self,
        collections: &[String],
    ) -> Result<Vec<Project>, TableauError> {
        let tree = self.projects().await?;
        let selected = tree.resolve(collections)?;
        Ok(selected.into_iter().cloned().collect())
    }

    fn unexpected(&self, detail: String) -> TableauError {
        TableauError::UnexpectedResponse {
            host: self.transport().host().to_string(),
            operation: "listing projects",
            detail,
        }
    }

    /// The error for a refused site-scoped REST call; 404000 means the site is gone.
    pub(crate) fn site_refusal(
        &self,
        operation: &'static str,
        reply: &crate::transport::Reply,
    ) -> TableauError {
        let code = rest::error_body(&reply.body).map(|e| e.code);
        if code.as_deref() == Some("404000") {
            return TableauError::SiteNotFound {
                host: self.transport().host().to_string(),
                site: self.client().settings().site.clone(),
                code: "404000".into(),
            };
        }
        self.client().refusal(operation, reply)
    }
}

fn read_project(item: &Value) -> Option<Project> {
    Some(Project {
        luid: rest::text(item.get("id"))?,
        name: rest::text(item.get("name"))?,
        parent_luid: rest::text(item.get("parentProjectId")).filter(|p| !p.is_empty()),
        description: rest::text(item.get("description")).filter(|d| !d.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(luid: &str, name: &str, parent: Option<&str>) -> Project {
        Project {
            luid: luid.into(),
            name: name.into(),
            parent_luid: parent.map(str::to_string),
            description: None,
        }
    }

    fn tree() -> ProjectTree {
        ProjectTree::new(vec![
            project("p-fin", "Finance", None),
            project("p-rep", "Reporting", Some("p-fin")),
            project("p-daily", "Daily", Some("p-rep")),
            project("p-mkt", "Marketing", None),
            project("p-mkt-rep", "Reporting", Some("p-mkt")),
            project("p-dup1", "Shared", None),
            project("p-dup2", "Shared", None),
        ])
    }

    #[test]
    fn path_selects_project_and_descendants() {
        let tree = tree();
        let luids: Vec<&str> = tree
            .resolve(&["Finance/Reporting".into()])
            .unwrap()
            .iter()
            .map(|p| p.luid.as_str())
            .collect();
        assert_eq!(luids, ["p-rep", "p-daily"]);
    }

    #[test]
    fn luid_and_overlapping_paths_are_deduplicated() {
        let tree = tree();
        let luids: Vec<&str> = tree
            .resolve(&["p-fin".into(), "Finance/Reporting/Daily".into()])
            .unwrap()
            .iter()
            .map(|p| p.luid.as_str())
            .collect();
        assert_eq!(luids, ["p-fin", "p-rep", "p-daily"]);
    }

    #[test]
    fn same_name_under_different_parents_is_not_ambiguous() {
        let tree = tree();
        assert_eq!(tree.find("Marketing/Reporting").unwrap().luid, "p-mkt-rep");
        assert_eq!(tree.path("p-daily").unwrap(), "Finance/Reporting/Daily");
    }

    #[test]
    fn duplicate_path_is_ambiguous() {
        let err = tree().resolve(&["Shared".into()]).unwrap_err();
        match err {
            TableauError::AmbiguousProject { luids, .. } => assert_eq!(luids, ["p-dup1", "p-dup2"]),
            other => panic!("expected ambiguity, got {other:?}"),
        }
    }

    #[test]
    fn unknown_entry_is_named_in_the_error() {
        let err = tree().resolve(&["Finance/Nope".into()]).unwrap_err();
        assert!(matches!(err, TableauError::UnknownProject(ref e) if e == "Finance/Nope"));
        assert!(err.to_string().contains("Finance/Nope"));
    }

    #[test]
    fn reads_a_documented_project() {
        let item: Value = serde_json::from_str(
            r#"{"id": "4cc52973-5e3a-4d1f-a4fb-5b5f73796edf", "name": "Child 1", "description": "",
                "contentPermissions": "ManagedByOwner", "parentProjectId": "1d0304cd-3796-429f-b815-7258370b9b74",
                "owner": {"id": "dd2239f6-ddf1-4107-981a-4cf94e415794"}}"#,
        )
        .unwrap();
        let p = read_project(&item).unwrap();
        assert_eq!(
            p.parent_luid.as_deref(),
            Some("1d0304cd-3796-429f-b815-7258370b9b74")
        );
        assert_eq!(p.description, None);
    }
}
