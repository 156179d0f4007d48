//! A server URL with a user name and password in it is refused, and never printed whole.

use autoexpose_tableau::{
    ClientOptions, ConnectionSettings, TableauClient, TableauError, TokenSecret, check_server_url,
    redact_server_url,
};

fn settings(server_url: &str) -> ConnectionSettings {
    ConnectionSettings {
        server_url: server_url.into(),
        site: "acme".into(),
        token_name: "autoexpose-ci".into(),
        token_secret: TokenSecret::new("ci-secret"),
    }
}

#[test]
fn server_url_with_user_and_password_is_refused_without_echoing_the_password() {
    for url in [
        "http://admin:hunter2@tableau.local:8080/",
        "https://admin:hunter2@10az.online.tableau.com",
        "admin:hunter2@10az.online.tableau.com",
        "https://admin@10az.online.tableau.com",
    ] {
        let err = TableauClient::new(settings(url), ClientOptions::default()).unwrap_err();
        assert!(
            matches!(err, TableauError::InvalidServerUrl { .. }),
            "{url}: {err:?}"
        );
        let message = err.to_string();
        assert!(
            message.contains("carries a user name and password; remove them"),
            "{message}"
        );
        for shown in [message, format!("{err:?}")] {
            assert!(!shown.contains("hunter2"), "{url}: {shown}");
            assert!(!shown.contains("admin"), "{url}: {shown}");
        }
        assert!(check_server_url(url).is_err());
    }
    assert!(check_server_url("10az.online.tableau.com").is_ok());
    assert!(check_server_url("http://127.0.0.1:8080").is_ok());
}

#[test]
fn settings_debug_redacts_user_info_in_the_server_url() {
    let debug = format!("{:?}", settings("http://admin:hunter2@tableau.local:8080/"));
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("tableau.local:8080"), "{debug}");
}

#[test]
fn redacting_keeps_the_host_and_drops_everything_before_the_at_sign() {
    assert_eq!(
        redact_server_url("http://admin:hunter2@tableau.local:8080/x"),
        "http://***@tableau.local:8080/x"
    );
    assert_eq!(
        redact_server_url("admin:hunter2@tableau.local"),
        "***@tableau.local"
    );
    // A password holding '/' still does not show.
    assert_eq!(
        redact_server_url("https://admin:hun/ter2@tableau.local"),
        "https://***@tableau.local"
    );
    assert_eq!(
        redact_server_url("https://tableau.local/#/site/a@b"),
        "https://tableau.local/#/site/a@b"
    );
    assert_eq!(
        redact_server_url("10az.online.tableau.com"),
        "10az.online.tableau.com"
    );
}
