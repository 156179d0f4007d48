//! The payloads of the functions that are not fed by S3 or SQS, under hostile input:
//! collections-updated's direct invocation (`CollectionsRequest::from_payload`) and
//! daily-sync's EventBridge schedule event (`EventBridgeEvent`, of which the handler
//! reads only the id and source), each from the same JSON bytes as Lambda hands over.
//!
//! Neither panics; an accepted collections request names an integration, trimmed, asks
//! for projects or Tableau Collections (or both), and lists each once, trimmed and
//! non-empty.
#![no_main]

use aws_lambda_events::eventbridge::EventBridgeEvent;
use collections_updated::CollectionsRequest;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = serde_json::from_slice::<EventBridgeEvent>(data) {
        let _ = (event.id.as_deref(), event.source.len());
    }
    let Ok(payload) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let Ok(request) = CollectionsRequest::from_payload(&payload) else {
        return;
    };
    let id = &request.integration_id;
    assert!(!id.is_empty() && id.trim() == id, "{id:?}");
    assert!(request.collections.is_some() || request.tableau_collections.is_some());
    for collections in [&request.collections, &request.tableau_collections]
        .into_iter()
        .flatten()
    {
        for (i, collection) in collections.iter().enumerate() {
            assert!(!collection.is_empty() && collection.trim() == collection);
            assert!(
                !collections[..i].contains(collection),
                "{collection:?} twice"
            );
        }
    }
});
