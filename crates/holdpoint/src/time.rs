//! Times and durations as people read them.

use std::time::{Duration, UNIX_EPOCH};

/// `2026-11-25T15:03:01Z` for milliseconds since the epoch.
pub(crate) fn datetime(at_ms: i64) -> String {
    let secs = u64::try_from(at_ms.max(0) / 1000).unwrap_or(0);
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs)).to_string()
}

/// A duration in milliseconds, rounded to seconds: `59m 58s`.
pub(crate) fn remaining(ms: i64) -> String {
    if ms <= 0 {
        return "expired".to_owned();
    }
    let secs = u64::try_from(ms / 1000).unwrap_or(0);
    humantime::format_duration(Duration::from_secs(secs)).to_string()
}

/// `3m 2s ago`.
pub(crate) fn ago(ms: i64) -> String {
    let secs = u64::try_from(ms.max(0) / 1000).unwrap_or(0);
    format!(
        "{} ago",
        humantime::format_duration(Duration::from_secs(secs))
    )
}

/// Parses an RFC 3339 time (`2026-11-26T18:00:00Z`) into seconds since the epoch.
pub(crate) fn parse_datetime(text: &str) -> Result<i64, String> {
    let at = humantime::parse_rfc3339_weak(text)
        .map_err(|e| format!("`{text}` is not a time ({e}); write e.g. 2026-11-26T18:00:00Z"))?;
    let secs = at
        .duration_since(UNIX_EPOCH)
        .map_err(|_| format!("`{text}` is before 1970"))?
        .as_secs();
    i64::try_from(secs).map_err(|_| format!("`{text}` is too far in the future"))
}
