//! Tableau's rule for the browser URL of a workbook, which becomes its exposure's `url`.

use autoexpose_domain::Workbook;
use autoexpose_tableau::TableauSite;

#[test]
fn workbook_urls_follow_tableau_rules_for_sites() {
    let wb = Workbook {
        luid: "wb-1".into(),
        name: "W".into(),
        url_id: Some("42".into()),
        ..Workbook::default()
    };
    let cloud = TableauSite {
        server_url: "10az.online.tableau.com".into(),
        content_url: "acme".into(),
    };
    assert_eq!(
        cloud.workbook_url(&wb).as_deref(),
        Some("https://10az.online.tableau.com/#/site/acme/workbooks/42/views")
    );
    let default_site = TableauSite {
        server_url: "http://tableau.local:8080/".into(),
        content_url: String::new(),
    };
    assert_eq!(
        default_site.workbook_url(&wb).as_deref(),
        Some("http://tableau.local:8080/#/workbooks/42/views")
    );
    let from_uri = Workbook {
        url_id: Some("sites/4989/workbooks/15995".into()),
        ..wb.clone()
    };
    assert_eq!(
        cloud.workbook_url(&from_uri).as_deref(),
        Some("https://10az.online.tableau.com/#/site/acme/workbooks/15995/views")
    );
    let no_id = Workbook { url_id: None, ..wb };
    assert_eq!(cloud.workbook_url(&no_id), None);
}

#[test]
fn workbook_urls_never_carry_user_info_from_an_old_record() {
    // Records stored by older versions may hold a URL with a user name and password.
    let site = TableauSite {
        server_url: "http://admin:hunter2@tableau.local:8080/".into(),
        content_url: "acme".into(),
    };
    let wb = Workbook {
        luid: "wb-1".into(),
        url_id: Some("42".into()),
        ..Workbook::default()
    };
    assert_eq!(
        site.workbook_url(&wb).as_deref(),
        Some("http://tableau.local:8080/#/site/acme/workbooks/42/views")
    );
    let debug = format!("{site:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(!debug.contains("admin"), "{debug}");
}

/// Snapshots written before `url_id` held Tableau's `vizportal_url_id` and `uri`; their
/// exposures keep the very URLs they had.
#[test]
fn snapshot_workbooks_of_earlier_versions_keep_their_urls() {
    let cloud = TableauSite {
        server_url: "10az.online.tableau.com".into(),
        content_url: "acme".into(),
    };
    let cases = [
        (
            r#"{"luid":"wb-1","name":"W","vizportal_url_id":"42","uri":"sites/4989/workbooks/42"}"#,
            Some("https://10az.online.tableau.com/#/site/acme/workbooks/42/views"),
        ),
        (
            r#"{"luid":"wb-1","name":"W","uri":"sites/4989/workbooks/15995"}"#,
            Some("https://10az.online.tableau.com/#/site/acme/workbooks/15995/views"),
        ),
        (
            r#"{"luid":"wb-1","name":"W","vizportal_url_id":"","uri":"sites/4989/workbooks/15995/"}"#,
            Some("https://10az.online.tableau.com/#/site/acme/workbooks/15995/views"),
        ),
        (
            r#"{"luid":"wb-1","name":"W","uri":"sites/4989/views/7"}"#,
            None,
        ),
        (r#"{"luid":"wb-1","name":"W"}"#, None),
    ];
    for (stored, url) in cases {
        let workbook: Workbook = serde_json::from_str(stored).expect(stored);
        assert_eq!(cloud.workbook_url(&workbook).as_deref(), url, "{stored}");
    }
}
