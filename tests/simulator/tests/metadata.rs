//! Metadata API behaviour: schema names, lineage, cursor paging, limits and warnings.

mod common;

use std::collections::HashSet;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tableau_sim::{GENERATED_PAT, Simulator, generate_site};

const PAGE_QUERY: &str = "query Workbooks($first: Int, $after: String, $projectLuids: [String]) {
  workbooksConnection(first: $first, after: $after, filter: {projectLuidWithin: $projectLuids},
                      orderBy: {field: ID, direction: ASC}) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id luid name uri vizportalUrlId projectName projectLuid createdAt updatedAt
            owner { luid name username email }
            upstreamTables { id luid name fullName schema isEmbedded connectionType database { id name connectionType } } }
  }
}";

fn names(nodes: &Value, key: &str) -> Vec<String> {
    nodes
        .as_array()
        .expect("array")
        .iter()
        .map(|n| n[key].as_str().expect("string").to_string())
        .collect()
}

async fn workbook_named(sim: &Simulator, token: &str, name: &str) -> Value {
    let query = "query($name: String) { workbooks(filter: {name: $name}) {
        name upstreamTables { name schema database { name } }
        upstreamDatasources { luid name hasExtracts }
        embeddedDatasources { __typename name hasExtracts upstreamDatasources { name } upstreamTables { name } } } }";
    let (status, body) = graphql(sim, token, query, json!({"name": name})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"]["workbooks"][0].clone()
}

#[tokio::test]
async fn workbooks_connection_pages_with_cursors_across_many_pages() {
    let sim = Simulator::start(generate_site(250, 3, 42))
        .await
        .expect("start");
    let (status, body) = sign_in(&sim, GENERATED_PAT.0, GENERATED_PAT.1, "bench").await;
    assert_eq!(status, StatusCode::OK);
    let token = body["credentials"]["token"]
        .as_str()
        .expect("token")
        .to_string();
    let mut seen = HashSet::new();
    let mut after = Value::Null;
    let mut pages = 0;
    loop {
        let (status, body) = graphql(
            &sim,
            &token,
            PAGE_QUERY,
            json!({"first": 20, "after": after}),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.get("errors").is_none(), "{body}");
        let connection = &body["data"]["workbooksConnection"];
        assert_eq!(connection["totalCount"], 250);
        for luid in names(&connection["nodes"], "luid") {
            assert!(seen.insert(luid), "a workbook came twice");
        }
        pages += 1;
        if connection["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = connection["pageInfo"]["endCursor"].clone();
        assert!(after.is_string());
        assert!(pages < 50, "paging does not end");
    }
    assert_eq!(pages, 13);
    assert_eq!(seen.len(), 250);
    assert_eq!(sim.stats().metadata_queries, 13);
}

#[tokio::test]
async fn workbook_fields_use_tableau_names_and_shapes() {
    let sim = start().await;
    let token = token(&sim).await;
    let luids = json!(["1f0e1a6c-0002-4000-8000-00000000f002"]);
    let (_, body) = graphql(
        &sim,
        &token,
        PAGE_QUERY,
        json!({"first": 10, "projectLuids": luids}),
    )
    .await;
    let connection = &body["data"]["workbooksConnection"];
    assert_eq!(connection["totalCount"], 1);
    let wb = &connection["nodes"][0];
    assert_eq!(wb["name"], "Daily Orders");
    assert_eq!(wb["uri"], "sites/4989/workbooks/15996");
    assert_eq!(wb["vizportalUrlId"], "15996");
    assert_eq!(wb["projectName"], "Reporting");
    assert_eq!(wb["owner"]["email"], "bob@acme.example");
    let table = &wb["upstreamTables"][0];
    assert_eq!(table["fullName"], "[analytics].[dbt_prod].[Orders_Daily]");
    assert_eq!(table["database"]["name"], "analytics");
    assert_eq!(table["connectionType"], "snowflake");
    assert_eq!(connection["pageInfo"]["hasNextPage"], false);
}

#[tokio::test]
async fn upstream_tables_include_tables_behind_published_datasources() {
    let sim = start().await;
    let token = token(&sim).await;
    let wb = workbook_named(&sim, &token, "Revenue Overview").await;
    let mut tables = names(&wb["upstreamTables"], "name");
    tables.sort();
    assert_eq!(tables, ["ORDERS", "PAYMENTS", "customers"]);
    assert_eq!(wb["upstreamDatasources"][0]["name"], "Orders (certified)");
    assert_eq!(wb["upstreamDatasources"][0]["hasExtracts"], true);
    let embedded = wb["embeddedDatasources"].as_array().expect("array");
    assert_eq!(embedded.len(), 2);
    assert_eq!(embedded[0]["__typename"], "EmbeddedDatasource");
    assert_eq!(
        embedded[1]["upstreamDatasources"][0]["name"],
        "Orders (certified)"
    );
    assert_eq!(embedded[1]["hasExtracts"], false);
}

#[tokio::test]
async fn custom_sql_tables_list_their_query_tables_and_workbook() {
    let sim = start().await;
    let token = token(&sim).await;
    let query = "query($first: Int, $after: String) { customSQLTablesConnection(first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor }
        nodes { __typename id name query isUnsupportedCustomSql connectionType database { name connectionType }
                tables { name schema database { name } } downstreamWorkbooks { luid name } } } }";
    let (_, body) = graphql(&sim, &token, query, json!({"first": 10})).await;
    let connection = &body["data"]["customSQLTablesConnection"];
    assert_eq!(connection["totalCount"], 1, "{body}");
    let sql = &connection["nodes"][0];
    assert_eq!(sql["__typename"], "CustomSQLTable");
    assert_eq!(sql["name"], "Custom SQL Query");
    assert!(
        sql["query"]
            .as_str()
            .expect("query")
            .contains("analytics.dbt_prod.customers")
    );
    assert_eq!(names(&sql["tables"], "name"), ["customers", "SESSIONS"]);
    assert_eq!(sql["downstreamWorkbooks"][0]["name"], "Cohort Analysis");
}

#[tokio::test]
async fn published_datasources_connection_lists_downstream_workbooks() {
    let sim = start().await;
    let token = token(&sim).await;
    let query = "{ publishedDatasourcesConnection(first: 5) { totalCount nodes { luid name hasExtracts projectName
        upstreamTables { name } downstreamWorkbooks { name } } } }";
    let (_, body) = graphql(&sim, &token, query, json!({})).await;
    let ds = &body["data"]["publishedDatasourcesConnection"]["nodes"][0];
    assert_eq!(ds["projectName"], "Finance");
    assert_eq!(
        names(&ds["downstreamWorkbooks"], "name"),
        ["Revenue Overview", "Customer 360"]
    );
}

#[tokio::test]
async fn offset_paging_and_name_ordering_work() {
    let sim = start().await;
    let token = token(&sim).await;
    let query = "query($offset: Int) { workbooksConnection(first: 3, offset: $offset, orderBy: {field: NAME, direction: DESC}) {
        nodes { name } pageInfo { hasNextPage } } }";
    let (_, body) = graphql(&sim, &token, query, json!({"offset": 0})).await;
    assert_eq!(
        names(&body["data"]["workbooksConnection"]["nodes"], "name"),
        ["Sales Targets", "Revenue Overview", "GL Reconciliation"]
    );
    let (_, body) = graphql(&sim, &token, query, json!({"offset": 6})).await;
    assert_eq!(
        names(&body["data"]["workbooksConnection"]["nodes"], "name"),
        ["Campaign Performance"]
    );
    assert_eq!(
        body["data"]["workbooksConnection"]["pageInfo"]["hasNextPage"],
        false
    );
}

#[tokio::test]
async fn bad_cursor_and_after_with_offset_are_invalid_arguments() {
    let sim = start().await;
    let token = token(&sim).await;
    let (_, body) = graphql(
        &sim,
        &token,
        PAGE_QUERY,
        json!({"first": 2, "after": "bm90IGEgY3Vyc29y"}),
    )
    .await;
    assert_eq!(first_error_code(&body), Some("INVALID_ARGUMENT"), "{body}");
    let query = "{ workbooksConnection(first: 2, after: \"x\", offset: 1) { nodes { name } } }";
    let (_, body) = graphql(&sim, &token, query, json!({})).await;
    assert_eq!(first_error_code(&body), Some("INVALID_ARGUMENT"), "{body}");
}

#[tokio::test]
async fn unknown_field_is_a_validation_error() {
    let sim = start().await;
    let token = token(&sim).await;
    let (status, body) = graphql(&sim, &token, "{ workbooks { nosuchfield } }", json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("nosuchfield")
    );
}

#[tokio::test]
async fn node_limit_returns_partial_data_with_warning() {
    let sim = start().await;
    let token = token(&sim).await;
    sim.faults().set_node_limit(12);
    let (status, body) = graphql(&sim, &token, PAGE_QUERY, json!({"first": 100})).await;
    assert_eq!(status, StatusCode::OK);
    let nodes = body["data"]["workbooksConnection"]["nodes"]
        .as_array()
        .expect("nodes");
    assert!(
        !nodes.is_empty() && nodes.len() < 7,
        "{} nodes",
        nodes.len()
    );
    let warning = &body["errors"][0];
    assert_eq!(warning["extensions"]["code"], "NODE_LIMIT_EXCEEDED");
    assert_eq!(warning["extensions"]["severity"], "WARNING");
    assert_eq!(warning["extensions"]["properties"]["nodeLimit"], 12);
    assert_eq!(
        warning["message"],
        "Showing partial results. The request exceeded the 12 node limit. Use pagination, additional filtering, or both in the query to adjust results."
    );
    sim.faults().set_node_limit(20_000);
    let (_, body) = graphql(&sim, &token, PAGE_QUERY, json!({"first": 100})).await;
    assert!(body.get("errors").is_none(), "{body}");
}

#[tokio::test]
async fn first_above_1000_is_clamped_with_warning() {
    let sim = Simulator::start(generate_site(1100, 1, 3))
        .await
        .expect("start");
    let (_, body) = sign_in(&sim, GENERATED_PAT.0, GENERATED_PAT.1, "bench").await;
    let token = body["credentials"]["token"]
        .as_str()
        .expect("token")
        .to_string();
    let query =
        "{ workbooksConnection(first: 5000) { totalCount nodes { id } pageInfo { hasNextPage } } }";
    let (_, body) = graphql(&sim, &token, query, json!({})).await;
    let connection = &body["data"]["workbooksConnection"];
    assert_eq!(connection["nodes"].as_array().map(Vec::len), Some(1000));
    assert_eq!(connection["pageInfo"]["hasNextPage"], true);
    assert_eq!(first_error_code(&body), Some("MAX_PAGE_SIZE_EXCEEDED"));
}

#[tokio::test]
async fn metadata_without_valid_token_gets_spring_401() {
    let sim = start().await;
    for token in [None, Some("bogus")] {
        let mut request = client().post(format!("{}/api/metadata/graphql", sim.base_url()));
        if let Some(token) = token {
            request = request.header("X-Tableau-Auth", token);
        }
        let response = request
            .json(&json!({"query": "{ workbooks { name } }"}))
            .send()
            .await
            .expect("POST");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(body["status"], 401);
        assert_eq!(body["error"], "Unauthorized");
        assert_eq!(body["path"], "/relationship-service-war/graphql");
        assert!(body["timestamp"].is_string());
    }
}

#[tokio::test]
async fn raw_graphql_body_is_accepted() {
    let sim = start().await;
    let token = token(&sim).await;
    let response = client()
        .post(format!("{}/api/metadata/graphql", sim.base_url()))
        .header("X-Tableau-Auth", &token)
        .header("Content-Type", "application/graphql")
        .body("{ workbooks { name } }")
        .send()
        .await
        .expect("POST");
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["data"]["workbooks"].as_array().map(Vec::len), Some(7));
}

#[tokio::test]
async fn metadata_faults_answer_tableau_errors() {
    let sim = start().await;
    let token = token(&sim).await;
    let query = "{ workbooksConnection(first: 5) { nodes { name } } }";

    sim.faults().set_metadata_disabled(true);
    let (_, body) = graphql(&sim, &token, query, json!({})).await;
    assert_eq!(body["data"], Value::Null);
    assert_eq!(first_error_code(&body), Some("FEATURE_DISABLED"));
    sim.faults().set_metadata_disabled(false);

    sim.faults().rate_limit_next_metadata(2);
    for _ in 0..2 {
        let (_, body) = graphql(&sim, &token, query, json!({})).await;
        assert_eq!(first_error_code(&body), Some("RATE_EXCEEDED"));
        assert_eq!(body["data"], Value::Null);
    }
    let (_, body) = graphql(&sim, &token, query, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");

    sim.faults().set_metadata_timeout_above(Some(3));
    let (_, body) = graphql(&sim, &token, query, json!({})).await;
    assert_eq!(
        body["errors"][0]["message"],
        "Reached time limit of PT5S for query execution."
    );
    assert_eq!(body["errors"][0]["extensions"], Value::Null);
    assert_eq!(
        body["data"]["workbooksConnection"]["nodes"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    let small = "{ workbooksConnection(first: 2) { nodes { name } } }";
    let (_, body) = graphql(&sim, &token, small, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
}

#[tokio::test]
async fn edits_while_running_show_up_in_the_next_query() {
    let sim = start().await;
    let token = token(&sim).await;
    sim.edit_site("acme", |site| {
        let mut copy = site.workbooks[0].clone();
        copy.luid = "e1e1e1e1-0099-4000-8000-000000000099".into();
        copy.name = "Added Later".into();
        site.workbooks.push(copy);
        site.workbooks.retain(|w| w.name != "Sales Targets");
    })
    .expect("site exists");
    let (_, body) = graphql(&sim, &token, "{ workbooks { name } }", json!({})).await;
    let all = names(&body["data"]["workbooks"], "name");
    assert!(all.contains(&"Added Later".to_string()));
    assert!(!all.contains(&"Sales Targets".to_string()));
    assert!(sim.edit_site("nope", |_| ()).is_err());
}

#[tokio::test]
async fn a_running_backfill_answers_its_data_with_a_warning() {
    let sim = start().await;
    let token = token(&sim).await;
    let query = "{ workbooksConnection(first: 5) { nodes { name } } }";
    sim.faults().set_metadata_backfill_running(true);
    let (_, body) = graphql(&sim, &token, query, json!({})).await;
    assert_eq!(first_error_code(&body), Some("BACKFILL_RUNNING"));
    assert_eq!(body["errors"][0]["extensions"]["severity"], "WARNING");
    assert!(
        body["data"]["workbooksConnection"]["nodes"].is_array(),
        "{body}"
    );
}

#[tokio::test]
async fn virtual_connection_tables_lead_to_their_database_tables() {
    let sim = start().await;
    sim.edit_site("acme", |site| {
        site.virtual_connections
            .push(tableau_sim::VirtualConnectionSpec {
                luid: "vc-1".into(),
                name: "Governed".into(),
                tables: vec![tableau_sim::VirtualTableSpec {
                    luid: "vct-1".into(),
                    name: "SESSIONS".into(),
                    table_ids: vec!["tbl-sessions".into()],
                }],
            });
        site.workbooks[0].virtual_table_luids = vec!["vct-1".into()];
    })
    .unwrap();
    let token = token(&sim).await;
    let query = "query($name: String) { workbooks(filter: {name: $name}) {
        name upstreamVirtualConnectionTables { luid name
        upstreamTables { id name } virtualConnection { luid name tables { luid } } } } }";
    let (_, body) = graphql(&sim, &token, query, json!({"name": "Revenue Overview"})).await;
    let reached = &body["data"]["workbooks"][0]["upstreamVirtualConnectionTables"][0];
    assert_eq!(reached["luid"], "vct-1", "{body}");
    assert_eq!(reached["upstreamTables"][0]["id"], "tbl-sessions");
    assert_eq!(reached["virtualConnection"]["tables"][0]["luid"], "vct-1");
}

/// One page's luids, `totalCount` and `pageInfo`, under `filter` and `direction`.
async fn id_order_page(
    sim: &Simulator,
    token: &str,
    filter: &Value,
    direction: &str,
    paging: Value,
) -> (Vec<String>, Value) {
    let query = format!(
        "query($first: Int, $after: String, $offset: Int, $filter: Workbook_Filter) {{
          workbooksConnection(first: $first, after: $after, offset: $offset, filter: $filter,
                              orderBy: {{field: ID, direction: {direction}}}) {{
            totalCount pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
            nodes {{ luid }} }} }}"
    );
    let mut variables = paging;
    variables["filter"] = filter.clone();
    let (status, body) = graphql(sim, token, &query, variables).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let connection = &body["data"]["workbooksConnection"];
    let luids = names(&connection["nodes"], "luid");
    let meta = json!({"total": connection["totalCount"], "pageInfo": connection["pageInfo"]});
    (luids, meta)
}

#[tokio::test]
async fn indexed_id_order_pages_answer_as_the_full_sort_does() {
    let data = generate_site(300, 2, 9);
    let site = &data.sites[0];
    let projects: Vec<String> = site.projects.iter().take(7).map(|p| p.id.clone()).collect();
    let every_luid: Vec<String> = site.workbooks.iter().map(|w| w.luid.clone()).collect();
    let sim = Simulator::start(data.clone()).await.expect("start");
    let (status, body) = sign_in(&sim, GENERATED_PAT.0, GENERATED_PAT.1, "bench").await;
    assert_eq!(status, StatusCode::OK);
    let token = body["credentials"]["token"]
        .as_str()
        .expect("token")
        .to_string();
    // The first filter takes the indexed path; the second, saying the same with one more
    // (always true) condition, takes the full sort.
    let indexed = json!({"projectLuidWithin": projects});
    let sorted = json!({"projectLuidWithin": projects, "luidWithin": every_luid});
    for direction in ["ASC", "DESC"] {
        let mut after = Value::Null;
        let mut pages = 0;
        loop {
            let paging = json!({"first": 4, "after": after});
            let (fast, fast_meta) =
                id_order_page(&sim, &token, &indexed, direction, paging.clone()).await;
            let (slow, slow_meta) = id_order_page(&sim, &token, &sorted, direction, paging).await;
            assert_eq!(
                (&fast, &fast_meta),
                (&slow, &slow_meta),
                "{direction} page {pages}"
            );
            pages += 1;
            if fast_meta["pageInfo"]["hasNextPage"] != json!(true) {
                break;
            }
            after = fast_meta["pageInfo"]["endCursor"].clone();
        }
        assert!(pages > 2, "{direction}: {pages} pages");
        for offset in [0, 3, 10_000] {
            let paging = json!({"first": 5, "offset": offset});
            let fast = id_order_page(&sim, &token, &indexed, direction, paging.clone()).await;
            let slow = id_order_page(&sim, &token, &sorted, direction, paging).await;
            assert_eq!(fast, slow, "{direction} offset {offset}");
        }
    }
    let unfiltered = id_order_page(&sim, &token, &Value::Null, "ASC", json!({"first": 1000})).await;
    assert_eq!(unfiltered.0.len(), 300);
    assert_eq!(unfiltered.1["total"], json!(300));
}
