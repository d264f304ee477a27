//! An EMR Serverless application's `runtimeConfiguration` as Terraform
//! writes it: a JSON list of `{classification, properties, configurations}`
//! (lower-case keys, as the EMR Serverless API spells them). Checked at plan,
//! compared semantically, and turned into the SDK's types. Property values
//! are passed as written: an `EMR.secret@<name>` reference is resolved by
//! EMR Serverless, never by the provider.

use std::collections::HashMap;

use aws_sdk_emrserverless::types::Configuration;
use serde_json::{Map, Value as Json};

const KEYS: [&str; 3] = ["classification", "properties", "configurations"];

/// Checks the document; the message names the first problem.
pub fn check(text: &str) -> Result<(), String> {
    let doc: Json = serde_json::from_str(text)
        .map_err(|e| format!("runtime_configuration is not JSON: {e}."))?;
    let Json::Array(list) = &doc else {
        return Err("runtime_configuration must be a JSON list of classifications.".into());
    };
    check_list(list, "runtime_configuration")
}

fn check_list(list: &[Json], at: &str) -> Result<(), String> {
    for (i, item) in list.iter().enumerate() {
        let here = format!("{at}[{i}]");
        let Json::Object(o) = item else {
            return Err(format!("{here} must be an object with a classification."));
        };
        if let Some(k) = o.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(format!(
                "{here} has {k:?}; the keys are classification, properties and configurations."
            ));
        }
        match o.get("classification") {
            Some(Json::String(c)) if !c.trim().is_empty() => {}
            _ => return Err(format!("{here} needs a non-empty classification string.")),
        }
        match o.get("properties") {
            None => {}
            Some(Json::Object(p)) => {
                if let Some((k, _)) = p.iter().find(|(_, v)| !v.is_string()) {
                    return Err(format!("{here}.properties.{k} must be a string."));
                }
            }
            Some(_) => return Err(format!("{here}.properties must be an object of strings.")),
        }
        match o.get("configurations") {
            None => {}
            Some(Json::Array(nested)) => check_list(nested, &format!("{here}.configurations"))?,
            Some(_) => return Err(format!("{here}.configurations must be a list.")),
        }
    }
    Ok(())
}

/// The same document, whatever the key order, whitespace, or empty
/// `properties` / `configurations` written out or left out.
pub fn same(a: &str, b: &str) -> bool {
    match (normal(a), normal(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

fn normal(text: &str) -> Option<Json> {
    let doc: Json = serde_json::from_str(text).ok()?;
    Some(strip_empty(doc))
}

fn strip_empty(v: Json) -> Json {
    match v {
        Json::Array(a) => Json::Array(a.into_iter().map(strip_empty).collect()),
        Json::Object(o) => Json::Object(
            o.into_iter()
                .filter(|(_, v)| !matches!(v, Json::Array(a) if a.is_empty()))
                .filter(|(_, v)| !matches!(v, Json::Object(m) if m.is_empty()))
                .map(|(k, v)| (k, strip_empty(v)))
                .collect(),
        ),
        other => other,
    }
}

/// The SDK's list for a checked document.
pub fn to_sdk(text: &str) -> Result<Vec<Configuration>, String> {
    let doc: Json = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let list = doc.as_array().map(Vec::as_slice).unwrap_or_default();
    list.iter().map(configuration).collect()
}

fn configuration(v: &Json) -> Result<Configuration, String> {
    let text = |k: &str| v.get(k).and_then(Json::as_str).map(str::to_string);
    let properties: Option<HashMap<String, String>> =
        v.get("properties").and_then(Json::as_object).map(|p| {
            p.iter()
                .filter_map(|(k, x)| Some((k.clone(), x.as_str()?.to_string())))
                .collect()
        });
    let nested = v.get("configurations").and_then(Json::as_array);
    let nested = nested.map(|n| n.iter().map(configuration).collect::<Result<Vec<_>, _>>());
    Configuration::builder()
        .set_classification(text("classification"))
        .set_properties(properties.filter(|p| !p.is_empty()))
        .set_configurations(nested.transpose()?.filter(|n| !n.is_empty()))
        .build()
        .map_err(|e| e.to_string())
}

/// What EMR Serverless returned, as canonical JSON text.
pub fn from_sdk(list: &[Configuration]) -> String {
    crate::canonical::text(&Json::Array(list.iter().map(json_of).collect()))
}

fn json_of(c: &Configuration) -> Json {
    let mut o = Map::new();
    o.insert(
        "classification".into(),
        Json::String(c.classification().into()),
    );
    if let Some(p) = c.properties().filter(|p| !p.is_empty()) {
        let p = p.iter().map(|(k, v)| (k.clone(), Json::String(v.clone())));
        o.insert("properties".into(), Json::Object(p.collect()));
    }
    if !c.configurations().is_empty() {
        let nested = c.configurations().iter().map(json_of).collect();
        o.insert("configurations".into(), Json::Array(nested));
    }
    Json::Object(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"[{"classification":"spark-defaults","properties":{"spark.executor.cores":"4","spark.hadoop.secret":"EMR.secret@db-password"}},{"classification":"spark-env","configurations":[{"classification":"export","properties":{"JAVA_HOME":"/usr/lib/jvm"}}]}]"#;

    #[test]
    fn a_document_round_trips_through_the_sdk_types() {
        assert_eq!(check(DOC), Ok(()));
        let sdk = to_sdk(DOC).expect("converts");
        assert_eq!(sdk.len(), 2);
        // The secret reference is passed as written, never resolved.
        let props = sdk[0].properties().expect("properties");
        assert_eq!(props["spark.hadoop.secret"], "EMR.secret@db-password");
        assert_eq!(sdk[1].configurations()[0].classification(), "export");
        assert!(same(&from_sdk(&sdk), DOC));
    }

    #[test]
    fn semantic_equality_ignores_order_whitespace_and_empty_parts() {
        let reordered = r#"[ {"properties": {"spark.hadoop.secret":"EMR.secret@db-password", "spark.executor.cores":"4"}, "classification":"spark-defaults", "configurations": []},
            {"configurations":[{"properties":{"JAVA_HOME":"/usr/lib/jvm"},"classification":"export"}],"classification":"spark-env","properties":{}}]"#;
        assert!(same(DOC, reordered));
        let changed = DOC.replace("\"4\"", "\"8\"");
        assert!(!same(DOC, &changed));
        // The list's order matters to EMR: a different order is a change.
        let swapped = r#"[{"classification":"spark-env","configurations":[{"classification":"export","properties":{"JAVA_HOME":"/usr/lib/jvm"}}]},{"classification":"spark-defaults","properties":{"spark.executor.cores":"4","spark.hadoop.secret":"EMR.secret@db-password"}}]"#;
        assert!(!same(DOC, swapped));
    }

    #[test]
    fn bad_documents_say_where() {
        let cases = [
            ("{}", "must be a JSON list"),
            ("[1]", "runtime_configuration[0] must be an object"),
            (r#"[{"properties":{}}]"#, "needs a non-empty classification"),
            (r#"[{"Classification":"x"}]"#, "has \"Classification\""),
            (
                r#"[{"classification":"x","properties":{"a":1}}]"#,
                "runtime_configuration[0].properties.a must be a string",
            ),
            (
                r#"[{"classification":"x","configurations":[{"classification":""}]}]"#,
                "runtime_configuration[0].configurations[0] needs",
            ),
            ("[", "is not JSON"),
        ];
        for (doc, want) in cases {
            let e = check(doc).expect_err(doc);
            assert!(e.contains(want), "{doc}: {e}");
        }
    }
}
