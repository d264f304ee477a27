//! The SSM metadata store of EMR Launch (seeds 000/001): profiles, cluster
//! configurations and launch functions as canonical JSON parameters under
//! `<metadata_prefix>/<kind>/<namespace>/<name>`, with a read-and-compare that
//! reports an out-of-band edit as drift (seed 001, threat 2).

use std::collections::BTreeMap;

use aws_sdk_ssm::types::{ParameterTier, ParameterType, Tag};
use serde_json::Value as J;

use crate::aws::errors::{describe, is_not_found};
use crate::configured::{env_of, Configured};
use crate::tfplugin::{AttrPath, Diagnostic, Diagnostics, Value};

/// Standard-tier parameters hold up to 4 KB; Advanced up to 8 KB.
pub const STANDARD_LIMIT: usize = 4096;
pub const ADVANCED_LIMIT: usize = 8192;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Profile,
    ClusterConfiguration,
    LaunchFunction,
    ServerlessJobFunction,
}

impl Kind {
    pub fn segment(self) -> &'static str {
        match self {
            Kind::Profile => "emr_profiles",
            Kind::ClusterConfiguration => "cluster_configurations",
            Kind::LaunchFunction => "emr_launch_functions",
            Kind::ServerlessJobFunction => "emr_serverless_job_functions",
        }
    }

    /// What diagnostics call a record of this kind.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Profile => "launch profile",
            Kind::ClusterConfiguration => "cluster configuration",
            Kind::LaunchFunction => "launch function",
            Kind::ServerlessJobFunction => "Serverless job function",
        }
    }
}

pub fn parameter_name(prefix: &str, kind: Kind, namespace: &str, name: &str) -> String {
    format!(
        "{}/{}/{namespace}/{name}",
        prefix.trim_end_matches('/'),
        kind.segment()
    )
}

pub fn parameter_arn(partition: &str, region: &str, account: &str, parameter_name: &str) -> String {
    format!("arn:{partition}:ssm:{region}:{account}:parameter{parameter_name}")
}

/// Namespaces and names: path segments of letters, digits, `_`, `.`, `-`.
pub fn check_segment(what: &str, s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
        && !s.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(format!("{what} {s:?} must be 1 to 128 characters of letters, digits, '_', '.' and '-' (it is a segment of an SSM parameter path)."))
    }
}

/// Namespace and name of an SSM-backed resource or data source must be path
/// segments; diagnostics point at the attribute.
pub fn check_namespace_and_name(config: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    for k in ["namespace", "name"] {
        if let Some(s) = config.str_attr(k) {
            if let Err(m) = check_segment(k, s) {
                d.attr_error(AttrPath::attr(k), format!("Invalid {k}"), m);
            }
        }
    }
    d
}

/// The tier a document needs, or an error when it is too large for SSM.
pub fn tier_for(doc: &str) -> Result<ParameterTier, String> {
    match doc.len() {
        n if n <= STANDARD_LIMIT => Ok(ParameterTier::Standard),
        n if n <= ADVANCED_LIMIT => Ok(ParameterTier::Advanced),
        n => Err(format!(
            "the metadata document is {n} bytes; SSM parameters hold at most {ADVANCED_LIMIT}"
        )),
    }
}

/// Writes (creates or overwrites) a metadata document and its tags.
pub async fn put(
    ssm: &aws_sdk_ssm::Client,
    name: &str,
    doc: &str,
    description: &str,
    tags: &BTreeMap<String, String>,
) -> Result<(), String> {
    let tier = tier_for(doc)?;
    ssm.put_parameter()
        .name(name)
        .value(doc)
        .r#type(ParameterType::String)
        .tier(tier)
        .description(description)
        .overwrite(true)
        .send()
        .await
        .map_err(|e| describe(&e))?;
    // Tags removed from the configuration come off the parameter too.
    let have = ssm
        .list_tags_for_resource()
        .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
        .resource_id(name)
        .send()
        .await
        .map_err(|e| format!("tagging: {}", describe(&e)))?;
    let stale: Vec<String> = have
        .tag_list()
        .iter()
        .map(|t| t.key().to_string())
        .filter(|k| !tags.contains_key(k))
        .collect();
    if !stale.is_empty() {
        ssm.remove_tags_from_resource()
            .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
            .resource_id(name)
            .set_tag_keys(Some(stale))
            .send()
            .await
            .map_err(|e| format!("tagging: {}", describe(&e)))?;
    }
    if !tags.is_empty() {
        let t: Vec<Tag> = tags
            .iter()
            .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
            .collect();
        ssm.add_tags_to_resource()
            .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
            .resource_id(name)
            .set_tags(Some(t))
            .send()
            .await
            .map_err(|e| format!("tagging: {}", describe(&e)))?;
    }
    Ok(())
}

/// The stored document, None when the parameter does not exist.
pub async fn get(ssm: &aws_sdk_ssm::Client, name: &str) -> Result<Option<String>, String> {
    match ssm.get_parameter().name(name).send().await {
        Ok(o) => Ok(o.parameter().and_then(|p| p.value()).map(str::to_string)),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(describe(&e)),
    }
}

/// A stored record, read by kind, namespace and name (what the data sources
/// show).
#[derive(Debug)]
pub struct Record {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
    /// `namespace/name`.
    pub id: String,
    pub parameter_name: String,
    pub parameter_arn: String,
    /// The document as stored.
    pub doc: String,
    pub json: J,
}

impl Record {
    /// A read error about this record: "reading EMR <kind> (<id>)".
    pub fn error(&self, msg: impl Into<String>) -> Diagnostics {
        read_error(self.kind, &self.id, msg)
    }

    /// Sets `id`, `namespace`, `name`, `parameter_name`, `parameter_arn` and
    /// `metadata_json` of a data source's state.
    pub fn set_identity(&self, st: &mut Value) {
        st.set_attr("id", Value::string(&self.id));
        st.set_attr("namespace", Value::string(&self.namespace));
        st.set_attr("name", Value::string(&self.name));
        st.set_attr("parameter_name", Value::string(&self.parameter_name));
        st.set_attr("parameter_arn", Value::string(&self.parameter_arn));
        st.set_attr("metadata_json", Value::string(&self.doc));
    }
}

fn read_error(kind: Kind, id: &str, msg: impl Into<String>) -> Diagnostics {
    Diagnostic::error(format!("reading EMR {} ({id})", kind.noun()), msg.into()).into()
}

/// Reads and parses the record of a namespace and name; its absence is an
/// error too (a data source has nothing to show).
pub async fn read_record(
    c: &Configured,
    kind: Kind,
    namespace: &str,
    name: &str,
) -> Result<Record, Diagnostics> {
    let id = format!("{namespace}/{name}");
    let pname = parameter_name(&c.metadata_prefix, kind, namespace, name);
    let doc = get(&c.aws.ssm, &pname)
        .await
        .map_err(|e| read_error(kind, &id, e))?
        .ok_or_else(|| read_error(kind, &id, format!("no {} at {pname}", kind.noun())))?;
    let json: J = serde_json::from_str(&doc)
        .map_err(|e| read_error(kind, &id, format!("stored metadata is not JSON: {e}")))?;
    let env = env_of(c);
    Ok(Record {
        kind,
        namespace: namespace.to_string(),
        name: name.to_string(),
        parameter_arn: parameter_arn(&env.partition, &env.region, &env.account, &pname),
        id,
        parameter_name: pname,
        doc,
        json,
    })
}

/// Deletes a parameter; absent is fine.
pub async fn delete(ssm: &aws_sdk_ssm::Client, name: &str) -> Result<(), String> {
    match ssm.delete_parameter().name(name).send().await {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(describe(&e)),
    }
}

/// What state records for a stored document: the expected text when the
/// stored one means the same, else the stored text as found (so the plan
/// shows the tampering and apply restores the expected document).
pub fn reconcile(expected: Option<&str>, stored: &str) -> String {
    match expected {
        Some(e) if same(e, stored) => e.to_string(),
        _ => stored.to_string(),
    }
}

/// Semantic equality of two JSON documents.
pub fn same(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    ) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_arns() {
        let n = parameter_name("/emr_launch", Kind::Profile, "analytics", "default");
        assert_eq!(n, "/emr_launch/emr_profiles/analytics/default");
        assert_eq!(
            parameter_name("/acme/", Kind::ClusterConfiguration, "a", "small-spark"),
            "/acme/cluster_configurations/a/small-spark"
        );
        assert_eq!(
            parameter_arn("aws", "us-east-1", "123456789012", &n),
            "arn:aws:ssm:us-east-1:123456789012:parameter/emr_launch/emr_profiles/analytics/default"
        );
    }

    #[test]
    fn segments_and_tiers() {
        assert!(check_segment("namespace", "analytics").is_ok());
        assert!(check_segment("namespace", "ana lytics").is_err());
        assert!(check_segment("namespace", "a/b").is_err());
        assert!(check_segment("name", "").is_err());
        assert_eq!(tier_for("{}"), Ok(ParameterTier::Standard));
        assert_eq!(tier_for(&"x".repeat(5000)), Ok(ParameterTier::Advanced));
        assert!(tier_for(&"x".repeat(9000)).is_err());
    }

    #[test]
    fn tampering_is_kept_verbatim() {
        let expected = r#"{"InstanceProfile":"arn:a","Name":"p"}"#;
        assert_eq!(
            reconcile(
                Some(expected),
                r#"{ "Name": "p", "InstanceProfile": "arn:a" }"#
            ),
            expected
        );
        let tampered = r#"{"InstanceProfile":"arn:evil","Name":"p"}"#;
        assert_eq!(reconcile(Some(expected), tampered), tampered);
    }

    #[test]
    fn records_name_their_kind_and_fill_identity() {
        let rec = Record {
            kind: Kind::LaunchFunction,
            namespace: "analytics".into(),
            name: "nightly".into(),
            id: "analytics/nightly".into(),
            parameter_name: "/emr_launch/emr_launch_functions/analytics/nightly".into(),
            parameter_arn: "arn:aws:ssm:us-east-1:123456789012:parameter/emr_launch/emr_launch_functions/analytics/nightly".into(),
            doc: r#"{"Name":"nightly"}"#.into(),
            json: serde_json::json!({"Name": "nightly"}),
        };
        let d = rec.error("boom");
        let e = d.iter().next().unwrap();
        assert_eq!(e.summary, "reading EMR launch function (analytics/nightly)");
        assert_eq!(e.detail, "boom");
        for (kind, noun) in [
            (Kind::Profile, "launch profile"),
            (Kind::ClusterConfiguration, "cluster configuration"),
            (Kind::LaunchFunction, "launch function"),
        ] {
            assert_eq!(kind.noun(), noun);
        }
        let mut st = Value::object([("id", Value::Null), ("other", Value::Bool(true))]);
        rec.set_identity(&mut st);
        assert_eq!(st.str_attr("id"), Some("analytics/nightly"));
        assert_eq!(st.str_attr("namespace"), Some("analytics"));
        assert_eq!(st.str_attr("name"), Some("nightly"));
        assert_eq!(
            st.str_attr("parameter_name"),
            Some(rec.parameter_name.as_str())
        );
        assert_eq!(
            st.str_attr("parameter_arn"),
            Some(rec.parameter_arn.as_str())
        );
        assert_eq!(st.str_attr("metadata_json"), Some(rec.doc.as_str()));
        assert_eq!(st.get("other"), &Value::Bool(true));
    }

    #[test]
    fn namespace_and_name_errors_point_at_the_attribute() {
        let cfg = Value::object([
            ("namespace", Value::string("a/b")),
            ("name", Value::string("ok")),
        ]);
        let d = check_namespace_and_name(&cfg);
        let paths: Vec<String> = d
            .iter()
            .filter_map(|x| x.path.as_ref().map(|p| p.to_string()))
            .collect();
        assert_eq!(paths, ["namespace"]);
        assert!(!check_namespace_and_name(&Value::object([("name", Value::Unknown)])).has_errors());
    }
}
