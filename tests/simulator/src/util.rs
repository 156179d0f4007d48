//! Small helpers: LUID-shaped ids, tokens, ISO-8601 times.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// FNV-1a, so derived ids are stable across runs and platforms.
fn fnv1a(seed: u64, text: &str) -> u64 {
    let mut hash = seed;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// Formats 128 bits as a lowercase LUID (`8-4-4-4-12` hex).
pub(crate) fn format_luid(high: u64, low: u64) -> String {
    let hex = format!("{high:016x}{low:016x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A LUID-shaped id derived from `key`, the same every time.
pub(crate) fn derived_luid(key: &str) -> String {
    format_luid(
        fnv1a(0xcbf2_9ce4_8422_2325, key),
        fnv1a(0x8422_2325_cbf2_9ce4, key),
    )
}

/// The REST LUID of a database table (`DatabaseTable.luid`), the id Tableau's REST
/// methods take for a table, e.g. a data quality warning's `contentId`.
pub fn table_luid(table: &crate::data::TableSpec) -> String {
    derived_luid(&format!("table-luid:{}", table.id))
}

fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.finish()
}

/// A duration drawn uniformly from `0..=max` (latency jitter).
pub(crate) fn random_duration_up_to(max: Duration) -> Duration {
    let nanos = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX);
    if nanos == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos(random_u64() % nanos.saturating_add(1))
}

/// A fresh random LUID (jobs).
pub(crate) fn random_luid() -> String {
    format_luid(random_u64(), random_u64())
}

/// A fresh opaque session token, shaped like Tableau Cloud's (`<22 chars>|<32 chars>`).
pub(crate) fn random_token() -> String {
    format!(
        "{:016x}{:06x}|{:016x}{:016x}",
        random_u64(),
        random_u64() >> 40,
        random_u64(),
        random_u64()
    )
}

/// `YYYY-MM-DDTHH:MM:SSZ` for a moment.
pub(crate) fn iso8601(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Howard Hinnant's days-to-civil conversion.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn iso8601_formats_a_known_moment() {
        let moment = UNIX_EPOCH + Duration::from_secs(1_709_251_200 + 3661);
        assert_eq!(iso8601(moment), "2024-03-01T01:01:01Z");
    }

    #[test]
    fn derived_luids_are_stable_and_distinct() {
        assert_eq!(derived_luid("a"), derived_luid("a"));
        assert_ne!(derived_luid("a"), derived_luid("b"));
        assert_eq!(derived_luid("a").len(), 36);
    }
}
