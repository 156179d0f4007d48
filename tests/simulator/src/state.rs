//! The simulator's shared state: site snapshots, sessions, jobs, faults, stats.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, Instant, SystemTime};

use crate::data::{ServerSpec, SiteSpec};
use crate::faults::Faults;
use crate::stats::StatsCell;
use crate::util::derived_luid;
use crate::{SimConfig, metadata};

/// One site with lookup tables; replaced whole when a test edits the site, so a
/// request always works on one consistent snapshot.
#[derive(Debug)]
pub(crate) struct Site {
    pub(crate) spec: SiteSpec,
    tables: HashMap<String, usize>,
    projects: HashMap<String, usize>,
    users: HashMap<String, usize>,
    datasources: HashMap<String, usize>,
    workbooks: HashMap<String, usize>,
    /// Each workbook's Metadata API id, by workbook index.
    workbook_ids: Vec<String>,
    /// Workbook indices in Metadata API id order: the order `workbooksConnection`
    /// pages in by default, so a page is cut out of it without sorting the site.
    workbooks_by_id: Vec<usize>,
    /// How many workbooks each project (by LUID) holds directly.
    workbooks_per_project: HashMap<String, usize>,
}

fn index_by<T>(items: &[T], key: impl Fn(&T) -> &str) -> HashMap<String, usize> {
    let mut map = HashMap::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        map.insert(key(item).to_string(), i);
    }
    map
}

/// The Metadata API id of every workbook: the one given, else one derived from its LUID.
fn workbook_metadata_ids(spec: &SiteSpec) -> Vec<String> {
    spec.workbooks
        .iter()
        .map(|w| {
            w.id.clone()
                .unwrap_or_else(|| derived_luid(&format!("workbook:{}", w.luid)))
        })
        .collect()
}

impl Site {
    pub(crate) fn new(spec: SiteSpec) -> Site {
        let workbook_ids = workbook_metadata_ids(&spec);
        let mut workbooks_by_id: Vec<usize> = (0..workbook_ids.len()).collect();
        workbooks_by_id.sort_by(|&a, &b| workbook_ids[a].cmp(&workbook_ids[b]));
        let mut workbooks_per_project: HashMap<String, usize> = HashMap::new();
        for workbook in &spec.workbooks {
            *workbooks_per_project
                .entry(workbook.project_id.clone())
                .or_default() += 1;
        }
        Site {
            workbook_ids,
            workbooks_by_id,
            workbooks_per_project,
            tables: index_by(&spec.tables, |t| &t.id),
            projects: index_by(&spec.projects, |p| &p.id),
            users: index_by(&spec.users, |u| &u.id),
            datasources: index_by(&spec.datasources, |d| &d.luid),
            workbooks: index_by(&spec.workbooks, |w| &w.luid),
            spec,
        }
    }

    pub(crate) fn table(&self, id: &str) -> Option<usize> {
        self.tables.get(id).copied()
    }
    pub(crate) fn project(&self, id: &str) -> Option<usize> {
        self.projects.get(id).copied()
    }
    pub(crate) fn user(&self, id: &str) -> Option<usize> {
        self.users.get(id).copied()
    }
    pub(crate) fn datasource(&self, luid: &str) -> Option<usize> {
        self.datasources.get(luid).copied()
    }
    pub(crate) fn workbook(&self, luid: &str) -> Option<usize> {
        self.workbooks.get(luid).copied()
    }
    /// The Metadata API id of the workbook at `index`.
    pub(crate) fn workbook_id(&self, index: usize) -> &str {
        &self.workbook_ids[index]
    }
    /// Every workbook index, in Metadata API id order.
    pub(crate) fn workbooks_by_id(&self) -> &[usize] {
        &self.workbooks_by_id
    }
    /// How many workbooks the project with this LUID holds (not counting sub-projects).
    pub(crate) fn workbooks_in_project(&self, luid: &str) -> usize {
        self.workbooks_per_project.get(luid).copied().unwrap_or(0)
    }
}

/// A signed-in session.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub(crate) site_id: String,
    pub(crate) pat_name: String,
    pub(crate) issued: Instant,
    pub(crate) expires: Instant,
    /// When the last call with this token was accepted (or when it was issued).
    pub(crate) last_used: Instant,
}

/// What a refresh job refreshes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JobTargetKind {
    Workbook,
    Datasource,
}

/// An extract refresh job.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub(crate) id: String,
    pub(crate) site_id: String,
    pub(crate) kind: JobTargetKind,
    pub(crate) target_id: String,
    pub(crate) target_name: String,
    pub(crate) created: Instant,
    pub(crate) created_wall: SystemTime,
    pub(crate) error: Option<String>,
}

impl Job {
    pub(crate) fn finished(&self, duration: Duration) -> bool {
        self.created.elapsed() >= duration
    }
}

/// Everything the request handlers share.
pub(crate) struct AppState {
    pub(crate) server: ServerSpec,
    pub(crate) sites: RwLock<Vec<Arc<Site>>>,
    pub(crate) sessions: Mutex<HashMap<String, Session>>,
    pub(crate) jobs: Mutex<HashMap<String, Job>>,
    pub(crate) faults: Faults,
    pub(crate) stats: StatsCell,
    pub(crate) config: SimConfig,
    pub(crate) schema: metadata::SimSchema,
    /// Set at shutdown: requests held by [`crate::HttpFailure::Silent`] are let go.
    pub(crate) released: tokio::sync::watch::Sender<bool>,
}

/// Locks a mutex, ignoring poisoning: a panicked test thread must not wedge the server.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl AppState {
    pub(crate) fn site_by_url(&self, content_url: &str) -> Option<Arc<Site>> {
        let sites = self.sites.read().unwrap_or_else(|p| p.into_inner());
        sites
            .iter()
            .find(|s| s.spec.content_url.eq_ignore_ascii_case(content_url))
            .cloned()
    }

    pub(crate) fn site_by_id(&self, id: &str) -> Option<Arc<Site>> {
        let sites = self.sites.read().unwrap_or_else(|p| p.into_inner());
        sites.iter().find(|s| s.spec.id == id).cloned()
    }
}
