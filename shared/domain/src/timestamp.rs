//! The `metadata.generated_at` of dbt's artifacts, read as a time and written back in one
//! canonical form, so that comparing two stored values as strings orders them in time.
//!
//! dbt Core writes UTC with microseconds and a `Z` (`2024-05-01T12:00:00.123456Z`), which is
//! the canonical form, so what dbt Core writes is kept as it is. dbt Fusion writes
//! nanoseconds (`2025-08-01T13:24:08.738968065Z`), cut to microseconds. An offset (`+00:00`,
//! `+02:00`), no fraction, or no zone at all (read as UTC, as dbt's naive times are) is
//! accepted too.
//!
//! ```
//! use autoexpose_domain::timestamp::{canonical_generated_at, parse_generated_at};
//!
//! assert_eq!(
//!     canonical_generated_at("2024-05-01T14:00:00+02:00").as_deref(),
//!     Some("2024-05-01T12:00:00.000000Z")
//! );
//! assert!(parse_generated_at("2024-05-01T12:00:00.5Z") < parse_generated_at("2024-05-01T12:00:01Z"));
//! assert_eq!(parse_generated_at("not a date"), None);
//! ```

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// What dbt writes, for messages that refuse something else.
pub const GENERATED_AT_EXAMPLE: &str = "2024-05-01T12:00:00.123456Z";

/// The time a `generated_at` names, or `None` when it is not a timestamp dbt could have
/// written (RFC 3339, or RFC 3339 without its zone, read as UTC; years 0000 to 9999).
///
/// Use it to order values stored before autoexpose made them canonical.
pub fn parse_generated_at(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    let time = match OffsetDateTime::parse(text, &Rfc3339) {
        Ok(time) => time,
        Err(_) => {
            let naive = format_description!(
                "[year repr:full sign:automatic]-[month]-[day][first [T][t][ ]][hour]:[minute]:[second][optional [.[subsecond]]]"
            );
            PrimitiveDateTime::parse(text, naive).ok()?.assume_utc()
        }
    };
    let utc = time.to_offset(UtcOffset::UTC);
    (0..=9999).contains(&utc.year()).then_some(utc)
}

/// `text` as dbt Core writes it: UTC with six digits of fraction (more are cut, never
/// rounded up) and a `Z` (`2024-05-01T12:00:00.123456Z`), so that string order is time
/// order; `None` when it is not a timestamp ([`parse_generated_at`]).
pub fn canonical_generated_at(text: &str) -> Option<String> {
    let canonical =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");
    parse_generated_at(text)?.format(canonical).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(text: &str) -> Option<String> {
        canonical_generated_at(text)
    }

    #[test]
    fn what_dbt_core_writes_is_kept_and_fusion_nanoseconds_are_cut() {
        assert_eq!(
            canonical("2024-05-01T12:00:00.123456Z").as_deref(),
            Some("2024-05-01T12:00:00.123456Z")
        );
        assert_eq!(
            canonical("2025-08-01T13:24:08.738968965Z").as_deref(),
            Some("2025-08-01T13:24:08.738968Z")
        );
    }

    #[test]
    fn offsets_missing_fractions_and_missing_zones_are_read_as_utc() {
        let noon = Some("2024-05-01T12:00:00.000000Z".to_string());
        assert_eq!(canonical("2024-05-01T12:00:00Z"), noon);
        assert_eq!(canonical("2024-05-01T12:00:00+00:00"), noon);
        assert_eq!(canonical("2024-05-01T14:00:00.000+02:00"), noon);
        assert_eq!(canonical("2024-05-01T12:00:00"), noon);
        assert_eq!(canonical("2024-05-01 12:00:00.000000"), noon);
    }

    #[test]
    fn canonical_strings_sort_in_time_order() {
        let mut written = [
            "2024-05-01T12:00:01Z",
            "2024-05-01T12:00:00.5Z",
            "2024-05-01T13:00:00+02:00",
            "2024-05-01T12:00:00.123456Z",
        ]
        .map(|t| canonical(t).unwrap_or_default());
        written.sort();
        assert_eq!(
            written,
            [
                "2024-05-01T11:00:00.000000Z",
                "2024-05-01T12:00:00.123456Z",
                "2024-05-01T12:00:00.500000Z",
                "2024-05-01T12:00:01.000000Z",
            ]
        );
    }

    #[test]
    fn text_that_is_no_timestamp_is_refused() {
        for text in [
            "not a date",
            "zzz",
            "",
            "2024-13-01T00:00:00Z",
            "2024-05-01",
            "2024-05-01T12:00:00Zjunk",
            "1714564800",
        ] {
            assert_eq!(parse_generated_at(text), None, "{text:?}");
        }
    }
}
