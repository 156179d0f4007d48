//! The time, and the one form every stored timestamp takes.

use std::time::Duration;

use time::OffsetDateTime;

/// The time, so tests control it (lease expiry, run timestamps).
pub trait Clock: Send + Sync {
    /// Now, in UTC.
    fn now(&self) -> OffsetDateTime;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// Formats a time as the fixed-width RFC 3339 UTC form every stored timestamp uses,
/// `YYYY-MM-DDTHH:MM:SS.mmmZ`, which sorts as text in time order.
pub fn format_timestamp(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

/// `at` plus a duration, formatted with [`format_timestamp`].
pub fn timestamp_after(at: OffsetDateTime, duration: Duration) -> String {
    format_timestamp(at + duration)
}
