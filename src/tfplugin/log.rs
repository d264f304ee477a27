//! Structured logs on stderr as JSON lines (`@level`, `@message`,
//! `@timestamp`, `@module`). go-plugin parses these and Terraform shows them
//! under TF_LOG / TF_LOG_PROVIDER. Nothing is ever written to stdout.

use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    Trace = 1,
    Debug = 2,
    Info = 3,
    Warn = 4,
    Error = 5,
    Off = 6,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error | Level::Off => "error",
        }
    }
    /// TF_LOG values: TRACE DEBUG INFO WARN ERROR OFF, and JSON (= trace).
    pub fn parse(s: &str) -> Option<Level> {
        match s.trim().to_ascii_lowercase().as_str() {
            "trace" | "json" | "1" => Some(Level::Trace),
            "debug" => Some(Level::Debug),
            "info" => Some(Level::Info),
            "warn" => Some(Level::Warn),
            "error" => Some(Level::Error),
            "off" => Some(Level::Off),
            _ => None,
        }
    }
}

static THRESHOLD: AtomicU8 = AtomicU8::new(Level::Warn as u8);

/// Reads TF_LOG_PROVIDER, then TF_LOG (Terraform passes its environment on).
pub fn init_from_env() {
    let lvl = ["TF_LOG_PROVIDER", "TF_LOG"]
        .iter()
        .find_map(|k| std::env::var(k).ok().and_then(|v| Level::parse(&v)))
        .unwrap_or(Level::Warn);
    THRESHOLD.store(lvl as u8, Ordering::Relaxed);
}

pub fn enabled(level: Level) -> bool {
    level as u8 >= THRESHOLD.load(Ordering::Relaxed)
}

/// Writes one log line with extra key/value fields.
pub fn log(level: Level, message: &str, fields: &[(&str, &str)]) {
    if !enabled(level) {
        return;
    }
    let mut m = serde_json::Map::new();
    m.insert("@level".into(), level.name().into());
    m.insert("@message".into(), message.into());
    m.insert("@module".into(), "provider.terraform-provider-emr".into());
    // go-plugin parses exactly microsecond precision; anything else makes it
    // print the raw line instead of a leveled log entry.
    let ts = timestamp(time::OffsetDateTime::now_utc());
    m.insert("@timestamp".into(), ts.into());
    for (k, v) in fields {
        m.insert((*k).to_string(), (*v).into());
    }
    let line = serde_json::Value::Object(m).to_string();
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// `2006-01-02T15:04:05.000000Z`: the layout go-plugin parses.
fn timestamp(now: time::OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.microsecond()
    )
}

#[macro_export]
macro_rules! log_at {
    ($lvl:expr, $msg:expr $(, $k:expr => $v:expr)* $(,)?) => {
        if $crate::tfplugin::log::enabled($lvl) {
            $crate::tfplugin::log::log($lvl, &$msg, &[$(($k, $v.to_string().as_str())),*]);
        }
    };
}
pub use crate::log_at;

#[macro_export]
macro_rules! info {
    ($($t:tt)*) => { $crate::log_at!($crate::tfplugin::log::Level::Info, $($t)*) };
}
#[macro_export]
macro_rules! debug {
    ($($t:tt)*) => { $crate::log_at!($crate::tfplugin::log::Level::Debug, $($t)*) };
}
#[macro_export]
macro_rules! warn {
    ($($t:tt)*) => { $crate::log_at!($crate::tfplugin::log::Level::Warn, $($t)*) };
}
#[macro_export]
macro_rules! trace {
    ($($t:tt)*) => { $crate::log_at!($crate::tfplugin::log::Level::Trace, $($t)*) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_have_microseconds_and_utc_zone() {
        let t = time::OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789).unwrap();
        assert_eq!(timestamp(t), "2023-11-14T22:13:20.123456Z");
    }

    #[test]
    fn tf_log_levels() {
        assert_eq!(Level::parse("JSON"), Some(Level::Trace));
        assert_eq!(Level::parse("info"), Some(Level::Info));
        assert_eq!(Level::parse("verbose"), None);
    }
}
