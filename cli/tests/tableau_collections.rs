//! `collections list` and `collections set --tableau-collection` from the command line,
//! on a local store against the simulator as a REST 3.28 site and as an older one.

mod common;

use autoexpose_testkit::{
    BOARD_PACK, FINANCE_PICKS, example_site, example_site_data, with_tableau_collections,
};
use common::{SECRET, add_integration, autoexpose, ok, scratch};
use tableau_sim::Simulator;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collections_list_shows_tableau_collections_beside_the_projects_and_what_is_selected() {
    let mut data = example_site_data();
    with_tableau_collections(&mut data);
    let sim = Simulator::start(data).await.expect("the simulator starts");
    let store = scratch("tableau-collections").join("state.db");
    let run = |args: &[&str]| ok(autoexpose(&store, SECRET, args));
    add_integration(&store, &sim);

    let set = run(&[
        "collections",
        "set",
        "acme",
        "--tableau-collection",
        "Board pack",
    ]);
    assert!(
        set.contains("Tableau Collections of 'acme' set to Board pack"),
        "{set}"
    );
    let listed = run(&["collections", "list", "acme"]);
    assert!(listed.contains("Finance/Reporting/Archive"), "{listed}");
    assert!(
        listed.contains(&format!("[x] Board pack  ({BOARD_PACK}, public, 3 items)")),
        "{listed}"
    );
    assert!(
        listed.contains(&format!(
            "[ ] Finance picks  ({FINANCE_PICKS}, private, 1 items)"
        )),
        "{listed}"
    );
    let shown = run(&["integrations", "show", "acme"]);
    assert!(
        shown.contains(&format!("Tableau Collections: {BOARD_PACK}")),
        "{shown}"
    );

    // Deleted in Tableau: the list says so, and a sync fails naming it.
    sim.edit_site("acme", |site| site.tableau_collections.clear())
        .expect("edit site");
    let listed = run(&["collections", "list", "acme"]);
    assert!(
        listed.contains(&format!(
            "warning: selected Tableau Collection {BOARD_PACK} no longer exists"
        )),
        "{listed}"
    );
    let sync = autoexpose(&store, SECRET, &["sync", "acme"]);
    assert!(!sync.status.success());
    let stderr = String::from_utf8_lossy(&sync.stderr);
    assert!(
        stderr.contains("no longer exists on site 'acme'"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_site_says_tableau_collections_are_not_available() {
    let sim = example_site().await;
    let store = scratch("tableau-collections-old").join("state.db");
    add_integration(&store, &sim);
    let listed = ok(autoexpose(&store, SECRET, &["collections", "list", "acme"]));
    assert!(
        listed.contains("not available: Tableau Collections are not available"),
        "{listed}"
    );
    assert!(listed.contains("its REST API is 3.25"), "{listed}");
    let set = autoexpose(
        &store,
        SECRET,
        &[
            "collections",
            "set",
            "acme",
            "--tableau-collection",
            "Board pack",
        ],
    );
    assert!(!set.status.success());
    let stderr = String::from_utf8_lossy(&set.stderr);
    assert!(stderr.contains("need 3.28 or newer"), "{stderr}");
}
