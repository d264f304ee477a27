//! One file per resource; adding one is a new file plus a line in
//! [`crate::registry`].

pub mod cluster_configuration;
pub mod job_function;
pub mod launch_function;
pub mod launch_profile;
pub mod runtime_role;
pub mod security_configuration;
pub mod serverless_application;
pub mod serverless_dataplane;
pub mod shared;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::configured::Configured;
pub use crate::configured::{env_of, ArnScope};
use crate::metadata;
pub use crate::metadata::check_namespace_and_name;
use crate::tfplugin::{Diagnostic, Diagnostics, Value};

/// "namespace/name" → (namespace, name).
pub fn split_id(id: &str) -> Result<(&str, &str), Diagnostics> {
    match id.split_once('/') {
        Some((ns, n))
            if metadata::check_segment("namespace", ns).is_ok()
                && metadata::check_segment("name", n).is_ok() =>
        {
            Ok((ns, n))
        }
        _ => Err(Diagnostic::error(
            "Invalid import id",
            format!("expected \"namespace/name\", got {id:?}"),
        )
        .into()),
    }
}

/// 32-bit FNV-1a: a stable hash for shortening names.
fn fnv(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// `<namespace>-<name><suffix>`, shortened deterministically to `max`
/// characters by cutting the base and inserting a hash of the full name.
pub fn derived_name(namespace: &str, name: &str, suffix: &str, max: usize) -> String {
    let base = format!("{namespace}-{name}");
    let full = format!("{base}{suffix}");
    if full.len() <= max {
        return full;
    }
    let hash = format!("-{:08x}", fnv(&full));
    let keep = max.saturating_sub(hash.len() + suffix.len());
    let cut: String = base.chars().take(keep).collect();
    format!("{}{hash}{suffix}", cut.trim_end_matches('-'))
}

/// Sets `id` (`namespace/name`), `parameter_name` and `parameter_arn` of an
/// SSM-backed resource; no effect while namespace or name is unknown.
pub fn set_parameter_identity(c: &Configured, kind: metadata::Kind, st: &mut Value) {
    let (Some(ns), Some(nm)) = (st.str_attr("namespace"), st.str_attr("name")) else {
        return;
    };
    let (ns, nm) = (ns.to_string(), nm.to_string());
    let env = env_of(c);
    let pname = metadata::parameter_name(&c.metadata_prefix, kind, &ns, &nm);
    let arn = metadata::parameter_arn(&env.partition, &env.region, &env.account, &pname);
    st.set_attr("id", Value::String(format!("{ns}/{nm}")));
    st.set_attr("parameter_arn", Value::String(arn));
    st.set_attr("parameter_name", Value::String(pname));
}

/// The import stub of an SSM-backed resource from its `namespace/name` id.
pub fn import_parameter_stub(
    c: &Configured,
    kind: metadata::Kind,
    mut st: Value,
    id: &str,
) -> Result<Value, Diagnostics> {
    let (ns, n) = split_id(id)?;
    st.set_attr("namespace", Value::string(ns));
    st.set_attr("name", Value::string(n));
    set_parameter_identity(c, kind, &mut st);
    Ok(st)
}

/// The tags of a metadata parameter that are the resource's own (the
/// provider's default tags left out), as the `tags` attribute; None when
/// they cannot be read.
pub async fn own_parameter_tags(c: &Configured, parameter: &str) -> Option<Value> {
    let tags = c
        .aws
        .ssm
        .list_tags_for_resource()
        .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
        .resource_id(parameter)
        .send()
        .await
        .ok()?;
    let own: BTreeMap<String, Value> = tags
        .tag_list()
        .iter()
        .filter(|t| c.default_tags.get(t.key()).map(String::as_str) != Some(t.value()))
        .map(|t| (t.key().to_string(), Value::string(t.value())))
        .collect();
    Some(if own.is_empty() {
        Value::Null
    } else {
        Value::Map(own)
    })
}

/// N bytes from the system CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], String> {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; N];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| "the system random generator failed".to_string())?;
    Ok(bytes)
}

/// A fresh external id: 32 characters from a CSPRNG (about 190 bits).
pub fn random_external_id() -> Result<String, String> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let bytes: [u8; 32] = random_bytes()?;
    // 256 is not a multiple of the alphabet size; the bias is negligible for an external id.
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect())
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

/// The strings of a list or set value: Some(empty) for null, None while
/// anything is unknown.
pub fn strings(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::Null => Some(Vec::new()),
        Value::List(e) | Value::Set(e) => {
            e.iter().map(|x| x.as_str().map(str::to_string)).collect()
        }
        _ => None,
    }
}

/// A known map of strings as a BTreeMap (empty for null/unknown).
pub fn tags_map(v: &Value) -> BTreeMap<String, String> {
    v.as_attrs()
        .map(|m| {
            m.iter()
                .filter_map(|(k, x)| x.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// `tags_all`: the provider's default tags overlaid by the resource's own
/// (unknown while the resource's tags are).
pub fn merged_tags(defaults: &BTreeMap<String, String>, tags: &Value) -> Value {
    if !tags.is_wholly_known() {
        return Value::Unknown;
    }
    let mut all: BTreeMap<String, Value> = defaults
        .iter()
        .map(|(k, v)| (k.clone(), Value::string(v)))
        .collect();
    if let Some(m) = tags.as_attrs() {
        for (k, v) in m {
            all.insert(k.clone(), v.clone());
        }
    }
    Value::Map(all)
}

/// Length of what `unique_name` appends to a prefix.
pub const UNIQUE_SUFFIX_LEN: usize = 26;

/// Parses a JSON document and writes it canonically (object keys sorted,
/// no whitespace).
pub fn canonical_json(s: &str) -> Result<String, String> {
    let v: serde_json::Value = serde_json::from_str(s).map_err(|e| e.to_string())?;
    Ok(crate::canonical::text(&v))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shortened names are resource names in AWS: a change renames (replaces)
    /// roles, functions and state machines, so the outputs are pinned.
    #[test]
    fn derived_names_are_pinned() {
        #[rustfmt::skip]
        let cases: [(&str, &str, &str, usize, &str); 13] = [
            ("analytics", "default", "-emr-instance", 64, "analytics-default-emr-instance"),
            (&"a".repeat(20), &"b".repeat(31), "-emr-service", 64, "aaaaaaaaaaaaaaaaaaaa-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-emr-service"),
            (&"a".repeat(20), &"b".repeat(32), "-emr-service", 64, "aaaaaaaaaaaaaaaaaaaa-bbbbbbbbbbbbbbbbbbbbbb-42487723-emr-service"),
            (&"n".repeat(40), &"m".repeat(40), "-emr-autoscaling", 64, "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn-fd11f964-emr-autoscaling"),
            (&"p".repeat(42), &"q".repeat(30), "-emr-service", 64, "pppppppppppppppppppppppppppppppppppppppppp-6a9b2dbd-emr-service"),
            ("analytics", &"x".repeat(80), "-emr-launch", 80, "analytics-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx-50ff9b59-emr-launch"),
            ("analytics", &"y".repeat(60), "-emr-launch-fn", 64, "analytics-yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy-77f87414-emr-launch-fn"),
            ("team.data", "nightly_batch-launcher-with-a-long-name", "-emr-launcher", 64, "team.data-nightly_batch-launcher-with-a-long-name-emr-launcher"),
            ("team.data", "nightly_batch-launcher-with-a-very-long-name", "-emr-launcher", 64, "team.data-nightly_batch-launcher-with-a-ve-346f79c5-emr-launcher"),
            ("prod-analytics-workloads-serverless", "emr-serverless", "-job-runtime", 64, "prod-analytics-workloads-serverless-emr-serverless-job-runtime"),
            ("data-plane-for-the-analytics-department-production", "emr-serverless", "-launch", 64, "data-plane-for-the-analytics-department-producti-caabb396-launch"),
            ("ns", "名前", "-emr-instance", 64, "ns-名前-emr-instance"),
            (&"ü".repeat(30), &"名".repeat(5), "-emr-service", 64, "üüüüüüüüüüüüüüüüüüüüüüüüüüüüüü-名名名名名-ac406a77-emr-service"),
        ];
        for (namespace, name, suffix, max, want) in cases {
            assert_eq!(
                derived_name(namespace, name, suffix, max),
                want,
                "{namespace}/{name}{suffix} (max {max})"
            );
        }
        // Within the limit, counted in characters: the non-ASCII rows are
        // over it in bytes, but namespace/name validation admits only ASCII.
        for (namespace, name, suffix, max, want) in cases {
            assert!(want.chars().count() <= max, "{namespace}/{name}{suffix}");
        }
    }

    #[test]
    fn external_ids_are_random_and_valid() {
        let a = random_external_id().unwrap();
        let b = random_external_id().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(crate::validate::external_id(&a).is_ok());
    }

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
