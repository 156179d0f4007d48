//! `autoexpose collections set|list`: which Tableau projects (and which of Tableau's own
//! Collections, REST API 3.28+) an integration imports.

use std::collections::BTreeSet;

use anyhow::{Context, bail};
use autoexpose_aws::{DeployedFunction, Invocation};
use autoexpose_pipeline::{PipelineError, TableauCollections, parse_collection_list};
use serde::Deserialize;

use crate::lookups::stored_integration;
use crate::run_summary::print_run;
use crate::store_choice::{self, CliPipeline, StoreArgs};

/// `autoexpose collections ...`
#[derive(Debug, clap::Subcommand)]
pub(crate) enum CollectionsCommand {
    /// Select collections (comma-separated project LUIDs or paths such as Finance/Reporting)
    /// and sync at once. On a deployed stack (`--dynamodb-table`) with `--function`, the
    /// stack's collections-updated function stores them and syncs, as the stack would.
    Set {
        /// Integration id.
        id: String,
        /// Project LUIDs or paths, comma-separated; nested projects are included. Leave
        /// it out to change only the Tableau Collections.
        #[arg(required_unless_present_any = ["tableau_collection", "clear_tableau_collections"])]
        collections: Option<String>,
        /// A Tableau Collection (Tableau's own curated list, REST API 3.28+) to import, by
        /// name or LUID; repeat for several. Replaces the stored Tableau Collections.
        #[arg(long = "tableau-collection", value_name = "NAME|LUID")]
        tableau_collection: Vec<String>,
        /// Select no Tableau Collections any more.
        #[arg(long, conflicts_with = "tableau_collection")]
        clear_tableau_collections: bool,
        /// The deployed collections-updated function (the stack's
        /// `CollectionsUpdatedFunctionName` output) to run the change in; without it the
        /// change and its sync run in this process.
        #[arg(long, env = "AUTOEXPOSE_COLLECTIONS_FUNCTION")]
        function: Option<String>,
    },
    /// Show the site's project tree with what is selected.
    List {
        /// Integration id.
        id: String,
    },
}

/// Runs `autoexpose collections ...` against the chosen store.
pub(crate) async fn run(cmd: CollectionsCommand, store: &StoreArgs) -> anyhow::Result<()> {
    match cmd {
        CollectionsCommand::Set {
            id,
            collections,
            tableau_collection,
            clear_tableau_collections,
            function: Some(function),
        } => {
            let projects = collections.as_deref().map(selection).transpose()?;
            let tableau = (clear_tableau_collections || !tableau_collection.is_empty())
                .then_some(tableau_collection);
            if !store.is_aws() {
                bail!(
                    "--function runs the change in a deployed stack's function: give the \
                     stack's table with --dynamodb-table too, or leave --function out to \
                     sync here"
                );
            }
            // The function holds the store; this process needs only the Invoke client.
            let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
            let function = DeployedFunction::from_sdk_config(&config, function);
            set_collections_in_function(&function, &id, projects.as_deref(), tableau.as_deref())
                .await
        }
        CollectionsCommand::Set {
            id,
            collections,
            tableau_collection,
            clear_tableau_collections,
            function: None,
        } => {
            if store.is_aws() {
                eprintln!(
                    "note: syncing '{id}' in this process; give --function (the stack's \
                     CollectionsUpdatedFunctionName output) to sync in the deployed function"
                );
            }
            let projects = collections.as_deref().map(selection).transpose()?;
            let tableau = (clear_tableau_collections || !tableau_collection.is_empty())
                .then_some(tableau_collection);
            let pipeline = store_choice::open_existing_pipeline(store).await?;
            match tableau {
                None => set_collections(&pipeline, &id, &projects.unwrap_or_default()).await,
                Some(tableau) => set_selection(&pipeline, &id, projects.as_deref(), &tableau).await,
            }
        }
        CollectionsCommand::List { id } => {
            let pipeline = store_choice::open_existing_pipeline(store).await?;
            list_collections(&pipeline, &id).await
        }
    }
}

/// The collections given on the command line, at least one.
fn selection(text: &str) -> anyhow::Result<Vec<String>> {
    let collections = parse_collection_list(text);
    if collections.is_empty() {
        bail!("give at least one collection (a project LUID or path such as Finance/Reporting)");
    }
    Ok(collections)
}

/// Stores the selection and syncs the integration at once.
async fn set_collections(
    pipeline: &CliPipeline,
    id: &str,
    collections: &[String],
) -> anyhow::Result<()> {
    let run = match pipeline.update_collections(id, collections).await {
        Ok(run) => run,
        Err(e @ PipelineError::StoredNotApplied { .. }) => return Err(e.into()),
        Err(e) => {
            return Err(anyhow::Error::new(e)
                .context(format!("the collections of '{id}' were not changed")));
        }
    };
    println!("collections of '{id}' set to {}", collections.join(", "));
    print_run(&run);
    say_when_no_manifest_is_applied(pipeline, id, run.workbooks).await
}

/// After a sync with no manifest applied yet, says that its workbooks become exposures
/// once one is: "0 added" alone reads as if the collections held nothing.
async fn say_when_no_manifest_is_applied(
    pipeline: &CliPipeline,
    id: &str,
    workbooks: u32,
) -> anyhow::Result<()> {
    let integration = stored_integration(pipeline, id).await?;
    let project = &integration.dbt_project;
    if pipeline
        .store()
        .get_applied_manifest(project)
        .await?
        .is_none()
    {
        let listed = if workbooks == 1 {
            "the 1 workbook listed becomes an exposure".to_string()
        } else {
            format!("the {workbooks} workbooks listed become exposures")
        };
        println!(
            "no manifest applied for dbt project '{project}' yet: {listed} once one is (`autoexpose apply-manifest PATH --dbt-project {project}`)"
        );
    }
    Ok(())
}

/// Stores Tableau Collections (and projects, when given) and syncs at once.
async fn set_selection(
    pipeline: &CliPipeline,
    id: &str,
    projects: Option<&[String]>,
    tableau_collections: &[String],
) -> anyhow::Result<()> {
    let run = match pipeline
        .update_selection(id, projects, Some(tableau_collections))
        .await
    {
        Ok(run) => run,
        Err(e @ PipelineError::StoredNotApplied { .. }) => return Err(e.into()),
        Err(e) => {
            return Err(anyhow::Error::new(e)
                .context(format!("the collections of '{id}' were not changed")));
        }
    };
    if let Some(projects) = projects {
        println!("collections of '{id}' set to {}", projects.join(", "));
    }
    if tableau_collections.is_empty() {
        println!("Tableau Collections of '{id}' cleared");
    } else {
        println!(
            "Tableau Collections of '{id}' set to {}",
            crate::files::terminal_safe(&tableau_collections.join(", "))
        );
    }
    print_run(&run);
    say_when_no_manifest_is_applied(pipeline, id, run.workbooks).await
}

/// What the collections-updated function answers (its `CollectionsResponse`).
#[derive(Debug, Deserialize)]
struct FunctionAnswer {
    #[serde(default)]
    run_id: Option<String>,
    #[serde(default)]
    added: u32,
    #[serde(default)]
    changed: u32,
    #[serde(default)]
    removed: u32,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    kind: Option<String>,
}

/// Asks the deployed collections-updated function to store the selection and sync.
async fn set_collections_in_function(
    function: &DeployedFunction,
    id: &str,
    projects: Option<&[String]>,
    tableau_collections: Option<&[String]>,
) -> anyhow::Result<()> {
    let mut payload = serde_json::json!({"integration_id": id});
    if let Some(projects) = projects {
        payload["collections"] = serde_json::json!(projects);
    }
    if let Some(tableau) = tableau_collections {
        payload["tableau_collections"] = serde_json::json!(tableau);
    }
    let answer = match function.invoke(&payload).await? {
        Invocation::Answered(answer) => answer,
        Invocation::Failed {
            error_type,
            message,
        } => bail!(
            "function '{}' failed ({error_type}): {message}; see `autoexpose integrations \
             show {id}` for what is stored",
            function.name()
        ),
    };
    let answer: FunctionAnswer = serde_json::from_value(answer)
        .with_context(|| format!("the answer of function '{}'", function.name()))?;
    // The function's message says whether anything was stored.
    if let Some(error) = answer.error {
        let kind = answer.kind.unwrap_or_default();
        bail!("function '{}' refused ({kind}): {error}", function.name());
    }
    if let Some(projects) = projects {
        println!("collections of '{id}' set to {}", projects.join(", "));
    }
    match tableau_collections {
        Some([]) => println!("Tableau Collections of '{id}' cleared"),
        Some(tableau) => println!(
            "Tableau Collections of '{id}' set to {}",
            crate::files::terminal_safe(&tableau.join(", "))
        ),
        None => {}
    }
    println!(
        "{id} (collections-updated, in function {}) ok: {} added, {} changed, {} removed (run {})",
        function.name(),
        answer.added,
        answer.changed,
        answer.removed,
        answer.run_id.unwrap_or_default()
    );
    Ok(())
}

async fn list_collections(pipeline: &CliPipeline, id: &str) -> anyhow::Result<()> {
    let i = stored_integration(pipeline, id).await?;
    let secret = pipeline.secrets().tableau_secret(&i.secret_ref).await?;
    let projects = pipeline.bi().list_projects(&i, &secret).await?;
    let selected: BTreeSet<&str> = i.collections.iter().map(String::as_str).collect();
    // A project is included when it or one of its ancestors is selected.
    let parent_of = |luid: &str| {
        projects
            .iter()
            .find(|p| p.luid == luid)
            .and_then(|p| p.parent_luid.as_deref())
    };
    let mut sorted: Vec<_> = projects.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    for p in sorted {
        let mut mark = " ";
        let mut cursor = Some(p.luid.as_str());
        let mut steps = 0;
        while let Some(luid) = cursor {
            if selected.contains(luid) {
                mark = if luid == p.luid { "x" } else { "+" };
                break;
            }
            cursor = parent_of(luid);
            steps += 1;
            if steps > projects.len() {
                break;
            }
        }
        let line = format!("[{mark}] {}  ({})", p.path, p.luid);
        println!("{}", crate::files::terminal_safe(&line));
    }
    println!("[x] selected  [+] included as a nested project");
    let known: BTreeSet<&str> = projects.iter().map(|p| p.luid.as_str()).collect();
    for gone in selected.difference(&known) {
        println!(
            "warning: selected project {gone} no longer exists on the site; set the collections again"
        );
    }
    let collections = pipeline.bi().list_tableau_collections(&i, &secret).await?;
    for line in tableau_collection_lines(&collections, &i.tableau_collections) {
        println!("{}", crate::files::terminal_safe(&line));
    }
    Ok(())
}

/// The "Tableau Collections" block of `collections list`: each Collection the token's user
/// sees, marked when selected, and a warning for a selected one that is gone.
fn tableau_collection_lines(collections: &TableauCollections, selected: &[String]) -> Vec<String> {
    let mut lines = vec![String::new(), "Tableau Collections".to_string()];
    let listed = match collections {
        TableauCollections::NotAvailable(why) => {
            lines.push(format!("  not available: {why}"));
            &[][..]
        }
        TableauCollections::Available(listed) if listed.is_empty() => {
            lines.push("  (none that the token's user can see)".to_string());
            &listed[..]
        }
        TableauCollections::Available(listed) => &listed[..],
    };
    let mut sorted: Vec<_> = listed.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name).then(a.luid.cmp(&b.luid)));
    for c in sorted {
        let mark = if selected.contains(&c.luid) { "x" } else { " " };
        let mut about = Vec::new();
        if let Some(visibility) = &c.visibility {
            about.push(visibility.clone());
        }
        match (c.item_count, c.visible_item_count) {
            (Some(count), Some(visible)) if visible < count => about.push(format!(
                "{count} items, {} hidden from the token's user and not imported",
                count - visible
            )),
            (Some(count), _) => about.push(format!("{count} items")),
            _ => {}
        }
        let about = if about.is_empty() {
            String::new()
        } else {
            format!(", {}", about.join(", "))
        };
        lines.push(format!("[{mark}] {}  ({}{about})", c.name, c.luid));
    }
    for luid in selected {
        if !listed.iter().any(|c| &c.luid == luid) {
            lines.push(format!(
                "warning: selected Tableau Collection {luid} no longer exists on the site (deleted, or no longer shared with the token's user); syncs fail until you set the Tableau Collections again"
            ));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use autoexpose_pipeline::TableauCollectionNode;

    #[test]
    fn the_block_marks_the_selected_collection_and_warns_of_a_gone_one() {
        let listed = TableauCollections::Available(vec![TableauCollectionNode {
            luid: "c-1".into(),
            name: "Board pack".into(),
            visibility: Some("public".into()),
            item_count: Some(3),
            visible_item_count: Some(3),
        }]);
        let lines = tableau_collection_lines(&listed, &["c-1".into(), "c-gone".into()]);
        assert_eq!(lines[2], "[x] Board pack  (c-1, public, 3 items)");
        assert!(lines[3].contains("c-gone no longer exists"), "{lines:?}");
    }

    #[test]
    fn a_collection_with_items_hidden_from_the_token_user_says_so() {
        let listed = TableauCollections::Available(vec![TableauCollectionNode {
            luid: "c-1".into(),
            name: "Board pack".into(),
            visibility: None,
            item_count: Some(5),
            visible_item_count: Some(3),
        }]);
        let lines = tableau_collection_lines(&listed, &["c-1".into()]);
        assert_eq!(
            lines[2],
            "[x] Board pack  (c-1, 5 items, 2 hidden from the token's user and not imported)"
        );
    }

    #[test]
    fn an_old_site_says_collections_are_not_available() {
        let lines = tableau_collection_lines(
            &TableauCollections::NotAvailable("its REST API is 3.25".into()),
            &[],
        );
        assert_eq!(lines[2], "  not available: its REST API is 3.25");
    }
}
