//! Direct-invocation payloads: a good one is read, bad ones are refused naming the field.

use collections_updated::CollectionsRequest;
use serde_json::{Value, json};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("read fixture");
    serde_json::from_str(&text).expect("the fixture is JSON")
}

#[test]
fn a_good_payload_is_read() {
    let request = CollectionsRequest::from_payload(&fixture("collections-updated.json"))
        .expect("valid payload");
    assert_eq!(request.integration_id, "acme-prod");
    assert_eq!(
        request.collections.as_deref(),
        Some(&["Finance", "1f0e1a6c-0004-4000-8000-00000000f004"].map(String::from)[..])
    );
    assert_eq!(request.tableau_collections, None);
}

#[test]
fn a_missing_integration_id_is_named() {
    let error = CollectionsRequest::from_payload(&fixture("missing-integration-id.json"))
        .expect_err("missing id");
    assert!(error.contains("\"integration_id\" is missing"), "{error}");
}

#[test]
fn collections_as_one_string_are_refused() {
    let error = CollectionsRequest::from_payload(&fixture("collections-not-a-list.json"))
        .expect_err("not a list");
    assert!(
        error.contains("\"collections\" must be a list of strings, not a string"),
        "{error}"
    );
}

#[test]
fn a_misspelled_field_is_named() {
    let error = CollectionsRequest::from_payload(&fixture("misspelled-field.json"))
        .expect_err("misspelled");
    assert!(error.contains("\"collection\""), "{error}");
}

#[test]
fn odd_shapes_are_refused_with_what_was_given() {
    let cases = [
        (json!(null), "not null"),
        (json!(["Finance"]), "not a list"),
        (
            json!({"integration_id": 7, "collections": []}),
            "must be a string, not a number",
        ),
        (
            json!({"integration_id": " ", "collections": []}),
            "is empty",
        ),
        (
            json!({"integration_id": "a", "collections": ["ok", 3]}),
            "item 1 is a number",
        ),
        (
            json!({"integration_id": "a", "collections": ["ok", ""]}),
            "item 1 is empty",
        ),
    ];
    for (payload, expected) in cases {
        let error = CollectionsRequest::from_payload(&payload).expect_err("refused");
        assert!(error.contains(expected), "{payload}: {error}");
    }
}

#[test]
fn repeated_collections_are_kept_once() {
    let request = CollectionsRequest::from_payload(
        &json!({"integration_id": "a", "collections": ["Finance", " Finance ", "Sandbox"]}),
    )
    .expect("valid");
    assert_eq!(
        request.collections,
        Some(vec!["Finance".to_string(), "Sandbox".to_string()])
    );
}

#[test]
fn tableau_collections_alone_keep_the_projects() {
    let request = CollectionsRequest::from_payload(
        &json!({"integration_id": "a", "tableau_collections": ["Board pack", "Board pack"]}),
    )
    .expect("valid");
    assert_eq!(request.collections, None);
    assert_eq!(
        request.tableau_collections,
        Some(vec!["Board pack".to_string()])
    );
}

#[test]
fn a_payload_with_neither_list_is_refused() {
    let error = CollectionsRequest::from_payload(&json!({"integration_id": "a"}))
        .expect_err("nothing to set");
    assert!(error.contains("\"collections\" is missing"), "{error}");
    let error = CollectionsRequest::from_payload(
        &json!({"integration_id": "a", "tableau_collections": "Board pack"}),
    )
    .expect_err("not a list");
    assert!(
        error.contains("\"tableau_collections\" must be a list of strings"),
        "{error}"
    );
}
