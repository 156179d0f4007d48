//! Exposure names: valid dbt identifiers derived from workbook names, unique and stable.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The name a workbook's exposure gets before collisions are resolved:
/// lowercase ASCII snake_case (`[a-z0-9_]+`), other characters transliterated or dropped.
///
/// "Sales – EMEA (Q3)" → `sales_emea_q3`, "Café Umsätze" → `cafe_umsatze`.
pub fn base_name(workbook_name: &str) -> String {
    let ascii = deunicode::deunicode(workbook_name);
    let mut out = String::with_capacity(ascii.len());
    let mut pending_underscore = false;
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_underscore && !out.is_empty() {
                out.push('_');
            }
            pending_underscore = false;
            out.push(c.to_ascii_lowercase());
        } else {
            pending_underscore = true;
        }
    }
    if out.is_empty() {
        out.push_str("workbook");
    }
    out
}

/// A short, stable suffix from a workbook LUID: its first eight alphanumerics.
fn luid_suffix(luid: &str, len: usize) -> String {
    luid.chars()
        .filter(char::is_ascii_alphanumeric)
        .take(len)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Assigns every workbook a unique exposure name.
///
/// `workbooks` are `(luid, workbook name)` pairs; `taken` holds names already used in the
/// dbt project (manual exposures); `previous` holds the names given in earlier syncs, which
/// a workbook keeps while its name still derives from the same base. Other collisions are
/// resolved deterministically: the smallest LUID keeps the bare name, the rest get a
/// suffix from their LUID. Returns LUID → name.
pub fn assign_names(
    workbooks: &[(&str, &str)],
    taken: &BTreeSet<String>,
    previous: &HashMap<String, String>,
) -> BTreeMap<String, String> {
    let mut used: BTreeSet<String> = taken.clone();
    let mut assigned: BTreeMap<String, String> = BTreeMap::new();
    let mut ordered: Vec<(&str, String)> = workbooks
        .iter()
        .map(|(luid, name)| (*luid, base_name(name)))
        .collect();
    ordered.sort();
    ordered.dedup_by(|a, b| a.0 == b.0);

    // Earlier names first, so a sync never renames an exposure that people already use.
    for (luid, base) in &ordered {
        if let Some(old) = previous.get(*luid)
            && derives_from(old, base)
            && !used.contains(old)
        {
            used.insert(old.clone());
            assigned.insert(luid.to_string(), old.clone());
        }
    }
    for (luid, base) in &ordered {
        if assigned.contains_key(*luid) {
            continue;
        }
        let name = first_free(base, luid, &used);
        used.insert(name.clone());
        assigned.insert(luid.to_string(), name);
    }
    assigned
}

fn derives_from(name: &str, base: &str) -> bool {
    name == base
        || name
            .strip_prefix(base)
            .and_then(|rest| rest.strip_prefix('_'))
            .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric()))
}

fn first_free(base: &str, luid: &str, used: &BTreeSet<String>) -> String {
    if !used.contains(base) {
        return base.to_string();
    }
    for len in [8, 12, 32] {
        let suffix = luid_suffix(luid, len);
        if suffix.is_empty() {
            break;
        }
        let candidate = format!("{base}_{suffix}");
        if !used.contains(&candidate) {
            return candidate;
        }
    }
    (2..)
        .map(|n| format!("{base}_{n}"))
        .find(|c| !used.contains(c))
        .unwrap_or_else(|| base.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lowercase_snake_case() {
        assert_eq!(base_name("Sales - EMEA"), "sales_emea");
        assert_eq!(base_name("Sales / EMEA"), "sales_emea");
        assert_eq!(base_name("  Weekly KPIs (v2)!  "), "weekly_kpis_v2");
        assert_eq!(base_name("Café Umsätze"), "cafe_umsatze");
        assert_eq!(base_name("2024 Revenue"), "2024_revenue");
    }

    #[test]
    fn names_with_no_usable_characters_fall_back() {
        assert_eq!(base_name("!!!"), "workbook");
        assert_eq!(base_name(""), "workbook");
    }

    #[test]
    fn every_name_matches_the_dbt_identifier_pattern() {
        for raw in [
            "日本語のレポート",
            "Ünïcödé 📊 board",
            "a__b",
            "_x_",
            "Ωmega",
        ] {
            let name = base_name(raw);
            assert!(!name.is_empty());
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{raw} -> {name}"
            );
            assert!(
                !name.starts_with('_') && !name.ends_with('_'),
                "{raw} -> {name}"
            );
        }
    }

    #[test]
    fn collisions_are_resolved_by_luid_order() {
        let wbs = [("b-222", "Sales / EMEA"), ("a-111", "Sales - EMEA")];
        let names = assign_names(&wbs, &BTreeSet::new(), &HashMap::new());
        assert_eq!(names["a-111"], "sales_emea");
        assert_eq!(names["b-222"], "sales_emea_b222");
        // Same input in another order: same result.
        let reversed = [wbs[1], wbs[0]];
        assert_eq!(
            assign_names(&reversed, &BTreeSet::new(), &HashMap::new()),
            names
        );
    }

    #[test]
    fn manual_exposure_names_are_never_reused() {
        let taken = BTreeSet::from(["sales".to_string()]);
        let names = assign_names(&[("c0ffee-1", "Sales")], &taken, &HashMap::new());
        assert_eq!(names["c0ffee-1"], "sales_c0ffee1");
    }

    #[test]
    fn previous_names_are_kept_when_a_collision_appears() {
        let previous = HashMap::from([("b-222".to_string(), "sales_emea".to_string())]);
        let wbs = [("a-111", "Sales - EMEA"), ("b-222", "Sales / EMEA")];
        let names = assign_names(&wbs, &BTreeSet::new(), &previous);
        assert_eq!(names["b-222"], "sales_emea");
        assert_eq!(names["a-111"], "sales_emea_a111");
    }

    #[test]
    fn a_renamed_workbook_gets_its_new_name() {
        let previous = HashMap::from([("a-111".to_string(), "old_name".to_string())]);
        let names = assign_names(&[("a-111", "New Name")], &BTreeSet::new(), &previous);
        assert_eq!(names["a-111"], "new_name");
    }
}
