//! The custom SQL reader under hostile input. The input is a Tableau connection class on
//! the first line and the query text, as Tableau returns it, after it.
//!
//! `tables_in_query` never panics or overflows the stack; every table it returns has a
//! name, no empty part and no SQL Server temporary name, and none twice. `qualify` fills
//! exactly the missing parts, never adds a table, and changes nothing a second time.
//! `unescape_tableau_sql` only ever shortens text, and leaves text without `&`, `<` or
//! `>` as it is.
#![no_main]

use autoexpose_domain::custom_sql::{QueryTable, qualify, tables_in_query, unescape_tableau_sql};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (connection_type, query) = text.split_once('\n').unwrap_or(("", text));

    let unescaped = unescape_tableau_sql(query);
    assert!(unescaped.len() <= query.len());
    if !query.contains(['&', '<', '>']) {
        assert_eq!(unescaped, query);
    }

    let connection_type = Some(connection_type).filter(|c| !c.is_empty());
    let Ok(tables) = tables_in_query(query, connection_type) else {
        return;
    };
    for (i, table) in tables.iter().enumerate() {
        assert!(!table.name.is_empty(), "{tables:?}");
        assert!(!table.name.starts_with('#'), "{table:?}");
        assert_ne!(table.schema.as_deref(), Some(""));
        assert_ne!(table.database.as_deref(), Some(""));
        assert!(!tables[..i].contains(table), "{table:?} twice");
    }
    check_qualify(&tables);
});

fn check_qualify(tables: &[QueryTable]) {
    // Without defaults there is nothing to fill in, and the tables are already unique.
    assert_eq!(qualify(tables.to_vec(), None, None), tables);
    assert_eq!(qualify(tables.to_vec(), Some(""), Some("")), tables);

    let qualified = qualify(tables.to_vec(), Some("db"), Some("sch"));
    assert!(qualified.len() <= tables.len());
    for (i, table) in qualified.iter().enumerate() {
        assert!(
            table.database.is_some() && table.schema.is_some(),
            "{table:?}"
        );
        assert!(!qualified[..i].contains(table), "{table:?} twice");
        let from_input = tables.iter().any(|t| {
            t.name == table.name
                && t.schema.as_deref().unwrap_or("sch") == table.schema.as_deref().unwrap_or("")
                && t.database.as_deref().unwrap_or("db") == table.database.as_deref().unwrap_or("")
        });
        assert!(from_input, "{table:?} is not one of {tables:?}");
    }
    assert_eq!(
        qualify(qualified.clone(), Some("db"), Some("sch")),
        qualified
    );
}
