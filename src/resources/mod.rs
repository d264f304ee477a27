//! One file per resource; adding one is a new file plus a line in `all`.

pub mod security_configuration;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use crate::provider::ProviderData;
use crate::tfplugin::Resource;

pub fn all(data: &Arc<ProviderData>) -> Vec<Arc<dyn Resource>> {
    vec![Arc::new(
        security_configuration::SecurityConfiguration::new(Arc::clone(data)),
    )]
}

/// A unique name from a prefix, as Terraform providers do for `name_prefix`:
/// the prefix, a UTC timestamp to the 1/10000 s, and a per-process counter.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(1);
    let now = time::OffsetDateTime::now_utc();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "{prefix}{:04}{:02}{:02}{:02}{:02}{:02}{:04}{:08}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.nanosecond() / 100_000,
        n
    )
}

/// Length of what `unique_name` appends to a prefix.
pub const UNIQUE_SUFFIX_LEN: usize = 26;

/// Parses a JSON document and writes it canonically (object keys sorted,
/// no whitespace).
pub fn canonical_json(s: &str) -> Result<String, String> {
    let v: serde_json::Value = serde_json::from_str(s).map_err(|e| e.to_string())?;
    Ok(v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_names_have_the_prefix_and_differ() {
        let a = unique_name("rt-");
        let b = unique_name("rt-");
        assert!(a.starts_with("rt-"));
        assert_eq!(a.len(), 3 + UNIQUE_SUFFIX_LEN);
        assert_ne!(a, b);
    }

    #[test]
    fn canonical_json_sorts_keys_and_drops_whitespace() {
        assert_eq!(
            canonical_json("{ \"b\": 1,\n \"a\": [true] }"),
            Ok(r#"{"a":[true],"b":1}"#.to_string())
        );
        assert!(canonical_json("{").is_err());
    }
}
