//! The Tableau project tree under hostile data: the REST project list may come back with
//! cycles, parents the user cannot see, or one LUID twice. `ProjectTree` never panics or
//! loops; a LUID finds its project; resolving collections returns projects of the tree,
//! each once; and when LUIDs are unique, a project's descendants come after their parent.
#![no_main]

use autoexpose_tableau::{Project, ProjectTree};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

/// Few LUIDs, so that parents, cycles and duplicates are common.
const LUIDS: u8 = 8;

#[derive(Arbitrary, Debug)]
struct Input {
    projects: Vec<RawProject>,
    collections: Vec<Collection>,
}

#[derive(Arbitrary, Debug)]
struct RawProject {
    luid: u8,
    parent: Option<u8>,
    name: String,
}

#[derive(Arbitrary, Debug)]
enum Collection {
    Luid(u8),
    /// A path of project names, by their index in the input.
    Path(Vec<u8>),
    Text(String),
}

fn luid(n: u8) -> String {
    format!("p{}", n % LUIDS)
}

fuzz_target!(|input: Input| {
    let projects: Vec<Project> = input
        .projects
        .iter()
        .map(|p| Project {
            luid: luid(p.luid),
            name: p.name.clone(),
            parent_luid: p.parent.map(luid),
            description: None,
        })
        .collect();
    let names: Vec<&str> = projects.iter().map(|p| p.name.as_str()).collect();
    let collections: Vec<String> = input
        .collections
        .iter()
        .map(|c| match c {
            Collection::Luid(n) => luid(*n),
            Collection::Path(parts) if !names.is_empty() => parts
                .iter()
                .map(|&i| names[usize::from(i) % names.len()])
                .collect::<Vec<_>>()
                .join("/"),
            Collection::Path(_) => String::new(),
            Collection::Text(text) => text.clone(),
        })
        .collect();
    let unique_luids = {
        let mut luids: Vec<&str> = projects.iter().map(|p| p.luid.as_str()).collect();
        luids.sort_unstable();
        luids.windows(2).all(|w| w[0] != w[1])
    };
    let tree = ProjectTree::new(projects);

    for project in tree.projects() {
        let found = tree
            .find(&project.luid)
            .expect("a LUID of the tree is found");
        assert_eq!(found.luid, project.luid);
        assert!(tree.path(&project.luid).is_some());
        let family = tree.with_descendants(&project.luid);
        assert_eq!(
            family.first().map(|p| p.luid.as_str()),
            Some(project.luid.as_str())
        );
        for (i, member) in family.iter().enumerate() {
            assert!(!family[..i].iter().any(|p| p.luid == member.luid));
            if unique_luids && i > 0 {
                let parent = member.parent_luid.as_deref();
                assert!(family[..i].iter().any(|p| Some(p.luid.as_str()) == parent));
            }
        }
    }
    for root in tree.roots() {
        let parent = root.parent_luid.as_deref();
        assert!(parent.is_none_or(|p| tree.get(p).is_none()));
    }
    if let Ok(selected) = tree.resolve(&collections) {
        for (i, project) in selected.iter().enumerate() {
            assert!(tree.get(&project.luid).is_some());
            assert!(!selected[..i].iter().any(|p| p.luid == project.luid));
        }
    }
});
