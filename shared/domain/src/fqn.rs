//! Fully qualified names: `{database}.{schema}.{name}`, compared the way dbt Cloud does.
//!
//! Two names are equal when their parts are equal after removing identifier quoting
//! (`"x"`, `[x]`, `` `x` ``) and folding case (Unicode-aware). Parts are compared whole:
//! `orders` never equals `orders_archive`.

use std::fmt;

/// Removes one layer of identifier quoting and folds case.
///
/// `"Orders"` → `orders`, `[dbo]` → `dbo`, `` `my-proj` `` → `my-proj`, and the doubled
/// quote inside a quoted name (`"a""b"`) becomes one.
pub fn normalize_part(part: &str) -> String {
    let mut out = String::with_capacity(part.len());
    for c in unquote(part.trim()).chars() {
        fold_char(c, &mut out);
    }
    out
}

/// Appends the case fold of one character: lowercase, plus the full foldings that
/// lowercasing alone misses (`ß` → `ss`, final `ς` → `σ`, ligatures), so that `DIM_STORESS`
/// (how an upper-casing tool shows `dim_storeß`) and `dim_storeß` compare equal.
fn fold_char(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    for lower in c.to_lowercase() {
        match lower {
            'ß' => out.push_str("ss"),
            'ς' => out.push('σ'),
            'ﬀ' => out.push_str("ff"),
            'ﬁ' => out.push_str("fi"),
            'ﬂ' => out.push_str("fl"),
            'ﬃ' => out.push_str("ffi"),
            'ﬄ' => out.push_str("ffl"),
            'ﬅ' | 'ﬆ' => out.push_str("st"),
            other => out.push(other),
        }
    }
}

/// Removes one layer of identifier quoting without changing case.
pub fn unquote(part: &str) -> String {
    let quoted = |open: char, close: char| {
        part.len() >= 2 && part.starts_with(open) && part.ends_with(close)
    };
    let (inner, doubled) = if quoted('"', '"') {
        (&part[1..part.len() - 1], "\"\"")
    } else if quoted('[', ']') {
        (&part[1..part.len() - 1], "]]")
    } else if quoted('`', '`') {
        (&part[1..part.len() - 1], "``")
    } else {
        return part.to_string();
    };
    inner.replace(doubled, &doubled[..1])
}

/// Splits a dotted name on the dots outside quotes and brackets:
/// `[db].[sch.ema].[t]` → `["[db]", "[sch.ema]", "[t]"]`. A doubled closing quote inside
/// a quoted part stands for one and does not end it, so `[a]].b]` stays one part.
pub fn split_parts(full_name: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut closing: Option<char> = None;
    let mut start = 0;
    let mut chars = full_name.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match closing {
            Some(close) if c == close => {
                if chars.peek().map(|&(_, next)| next) == Some(close) {
                    chars.next();
                } else {
                    closing = None;
                }
            }
            Some(_) => {}
            None => match c {
                '"' => closing = Some('"'),
                '`' => closing = Some('`'),
                '[' => closing = Some(']'),
                '.' => {
                    parts.push(&full_name[start..i]);
                    start = i + 1;
                }
                _ => {}
            },
        }
    }
    parts.push(&full_name[start..]);
    parts
}

/// The parts of Tableau's `fullName`, unquoted: `[public].[actor]` → `["public", "actor"]`,
/// `[a]]b].[t]` → `["a]b", "t"]`. Empty parts are kept, so positions still count from the end.
pub fn parse_full_name(full_name: &str) -> Vec<String> {
    split_parts(full_name.trim())
        .into_iter()
        .map(|part| unquote(part.trim()))
        .collect()
}

/// Separates the parts of a lookup key; a control character no identifier contains.
pub(crate) const KEY_SEPARATOR: char = '\u{1f}';

/// Appends one part, unquoted and case-folded, to a lookup key without allocating.
///
/// Folds the same way as [`normalize_part`], character by character.
pub(crate) fn push_normalized(key: &mut String, part: &str) {
    let part = part.trim();
    let quoted = |open: char, close: char| {
        part.len() >= 2 && part.starts_with(open) && part.ends_with(close)
    };
    let (inner, doubled) = if quoted('"', '"') {
        (&part[1..part.len() - 1], Some('"'))
    } else if quoted('[', ']') {
        (&part[1..part.len() - 1], Some(']'))
    } else if quoted('`', '`') {
        (&part[1..part.len() - 1], Some('`'))
    } else {
        (part, None)
    };
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        // A doubled quote inside a quoted name stands for one, as in `unquote`.
        if Some(c) == doubled && chars.peek() == Some(&c) {
            chars.next();
        }
        fold_char(c, key);
    }
}

/// Writes the lookup key `database␟schema␟name` into `key` (cleared first). The key's
/// tail after the first separator is the two-part key `schema␟name`.
pub(crate) fn write_key(key: &mut String, database: Option<&str>, schema: &str, name: &str) {
    key.clear();
    if let Some(database) = database {
        push_normalized(key, database);
    }
    key.push(KEY_SEPARATOR);
    push_normalized(key, schema);
    key.push(KEY_SEPARATOR);
    push_normalized(key, name);
}

/// A normalized relation name, ready to compare. `database` is `None` for two-part names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fqn {
    /// Normalized database, if the name has one.
    pub database: Option<String>,
    /// Normalized schema.
    pub schema: String,
    /// Normalized table name.
    pub name: String,
}

impl Fqn {
    /// Builds a normalized name from raw parts; an empty database counts as none.
    pub fn new(database: Option<&str>, schema: &str, name: &str) -> Fqn {
        Fqn {
            database: database.map(normalize_part).filter(|d| !d.is_empty()),
            schema: normalize_part(schema),
            name: normalize_part(name),
        }
    }

    /// The key of the schema and name alone, for two-part matching.
    pub fn schema_and_name(&self) -> (String, String) {
        (self.schema.clone(), self.name.clone())
    }
}

impl fmt::Display for Fqn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts = [
            self.database.as_deref(),
            Some(self.schema.as_str()),
            Some(&self.name),
        ];
        let shown: Vec<&str> = parts
            .into_iter()
            .flatten()
            .filter(|p| !p.is_empty())
            .collect();
        f.write_str(&shown.join("."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_styles_are_removed() {
        assert_eq!(normalize_part("\"Orders\""), "orders");
        assert_eq!(normalize_part("[dbo]"), "dbo");
        assert_eq!(normalize_part("`my-project`"), "my-project");
        assert_eq!(normalize_part("  ANALYTICS "), "analytics");
    }

    #[test]
    fn doubled_quotes_inside_quoted_names_become_one() {
        assert_eq!(unquote("\"a\"\"b\""), "a\"b");
        assert_eq!(unquote("[a]]b]"), "a]b");
    }

    #[test]
    fn lone_or_mismatched_quotes_are_kept() {
        assert_eq!(unquote("\""), "\"");
        assert_eq!(unquote("\"abc]"), "\"abc]");
    }

    #[test]
    fn full_case_folding_equates_sharp_s_and_its_upper_case() {
        assert_eq!(normalize_part("DIM_STORESS"), normalize_part("dim_storeß"));
        assert_eq!(normalize_part("STRASSE"), normalize_part("Straße"));
        assert_eq!(normalize_part("ΟΔΟΣ"), normalize_part("οδος"));
        let mut key = String::new();
        write_key(&mut key, None, "s", "dim_storeß");
        assert!(key.ends_with("dim_storess"));
    }

    #[test]
    fn case_folding_is_unicode_aware() {
        assert_eq!(normalize_part("ÜMSATZ"), "ümsatz");
        assert_eq!(
            Fqn::new(Some("Straße"), "ΣΧΗΜΑ", "T"),
            Fqn::new(Some("straße"), "σχημα", "t")
        );
    }

    #[test]
    fn split_respects_brackets_and_quotes() {
        assert_eq!(
            split_parts("[db].[sch.ema].[t]"),
            vec!["[db]", "[sch.ema]", "[t]"]
        );
        assert_eq!(split_parts("\"a.b\".c"), vec!["\"a.b\"", "c"]);
        assert_eq!(split_parts("`p-1`.`d`.`t`"), vec!["`p-1`", "`d`", "`t`"]);
        assert_eq!(split_parts("[People$]"), vec!["[People$]"]);
    }

    #[test]
    fn doubled_brackets_inside_a_full_name_part_neither_end_nor_split_it() {
        assert_eq!(split_parts("[a]].b].[t]"), vec!["[a]].b]", "[t]"]);
        assert_eq!(parse_full_name("[a]].b].[t]"), vec!["a].b", "t"]);
        assert_eq!(
            parse_full_name("[reporting_prod].[finance].[rpt]"),
            vec!["reporting_prod", "finance", "rpt"]
        );
        assert_eq!(parse_full_name("public.actor"), vec!["public", "actor"]);
        assert_eq!(parse_full_name("[activity6]"), vec!["activity6"]);
    }

    #[test]
    fn parts_are_compared_whole() {
        assert_ne!(
            Fqn::new(Some("a"), "b", "orders"),
            Fqn::new(Some("a"), "b", "orders_archive")
        );
    }

    #[test]
    fn lookup_keys_fold_like_normalized_parts() {
        let mut key = String::new();
        write_key(
            &mut key,
            Some("\"An\"\"Alytics\""),
            "[DBT]]PROD]",
            "`ÜMSATZ`",
        );
        let expected = format!(
            "{}\u{1f}{}\u{1f}{}",
            normalize_part("\"An\"\"Alytics\""),
            normalize_part("[DBT]]PROD]"),
            normalize_part("`ÜMSATZ`")
        );
        assert_eq!(key, expected);
        assert_eq!(key, "an\"alytics\u{1f}dbt]prod\u{1f}ümsatz");
    }

    #[test]
    fn empty_database_is_a_two_part_name() {
        let fqn = Fqn::new(Some(""), "dbt_prod", "orders");
        assert_eq!(fqn.database, None);
        assert_eq!(fqn.to_string(), "dbt_prod.orders");
    }
}
