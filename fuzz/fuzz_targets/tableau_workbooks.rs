//! The Tableau Metadata API response reader under hostile input:
//! `parse_workbooks_response` never panics; the workbooks it returns hold each table,
//! custom SQL query and published data source once; and a page reads the same alone as
//! inside a list of pages (the saved multi-page form).
#![no_main]

use autoexpose_domain::{UpstreamTable, Workbook};
use autoexpose_tableau::parse_workbooks_response;
use libfuzzer_sys::fuzz_target;

/// Deeper than this, wrapping the page in a list could pass serde_json's nesting limit
/// (128), and the two forms would differ for that reason alone.
const WRAP_MAX_DEPTH: usize = 100;

fuzz_target!(|data: &[u8]| {
    let Ok(workbooks) = parse_workbooks_response(data) else {
        return;
    };
    for workbook in &workbooks {
        check_workbook(workbook);
    }
    let text = std::str::from_utf8(data).expect("accepted input is UTF-8");
    if !text.trim_start().starts_with('[') && nesting_depth(data) < WRAP_MAX_DEPTH {
        let listed = format!("[{text}]");
        assert_eq!(
            parse_workbooks_response(listed.as_bytes()).as_ref(),
            Ok(&workbooks)
        );
    }
});

fn check_workbook(workbook: &Workbook) {
    let tables = &workbook.tables;
    for (i, earlier) in tables.iter().enumerate() {
        for later in &tables[i + 1..] {
            assert!(!same_table(earlier, later), "{earlier:?} twice");
        }
    }
    let sql = &workbook.custom_sql;
    for (i, earlier) in sql.iter().enumerate() {
        for later in &sql[i + 1..] {
            assert!(earlier.id.is_none() || earlier.id != later.id);
        }
    }
    let sources = &workbook.datasources;
    for (i, earlier) in sources.iter().enumerate() {
        for later in &sources[i + 1..] {
            assert_ne!(earlier.luid, later.luid);
        }
    }
    if let Some(description) = &workbook.description {
        assert!(!description.trim().is_empty());
    }
    if let Some(owner) = &workbook.owner {
        assert!(owner.name.is_some() || owner.email.is_some());
    }
}

/// The reader's rule for one table reached twice: by id when both have one, else by name.
fn same_table(a: &UpstreamTable, b: &UpstreamTable) -> bool {
    match (&a.id, &b.id) {
        (Some(x), Some(y)) => x == y,
        _ => a.database == b.database && a.schema == b.schema && a.name == b.name,
    }
}

/// How deeply arrays and objects nest in JSON text (brackets inside strings not counted).
fn nesting_depth(json: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &byte in json {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}
