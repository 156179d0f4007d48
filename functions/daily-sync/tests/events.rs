//! The schedule events EventBridge delivers are read by the handler's event type.

use aws_lambda_events::eventbridge::EventBridgeEvent;

fn fixture(name: &str) -> EventBridgeEvent {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("read fixture");
    serde_json::from_str(&text).expect("the fixture is an EventBridge event")
}

#[test]
fn an_eventbridge_rule_schedule_is_read() {
    let event = fixture("scheduled-event.json");
    assert_eq!(event.detail_type, "Scheduled Event");
    assert_eq!(event.source, "aws.events");
}

#[test]
fn an_eventbridge_scheduler_event_is_read() {
    let event = fixture("scheduler-event.json");
    assert_eq!(event.source, "aws.scheduler");
}
