//! Tableau's rule for the browser URL of a workbook, which becomes its exposure's `url`.

use autoexpose_domain::Workbook;
use autoexpose_tableau::TableauSite;

#[test]
fn workbook_urls_follow_tableau_rules_for_sites() {
    let wb = Workbook {
        luid: "wb-1".into(),
        name: "W".into(),
        vizportal_url_id: Some("42".into()),
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
        vizportal_url_id: None,
        uri: Some("sites/4989/workbooks/15995".into()),
        ..wb.clone()
    };
    assert_eq!(
        cloud.workbook_url(&from_uri).as_deref(),
        Some("https://10az.online.tableau.com/#/site/acme/workbooks/15995/views")
    );
    let no_id = Workbook {
        vizportal_url_id: None,
        ..wb
    };
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
        vizportal_url_id: Some("42".into()),
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
