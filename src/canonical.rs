//! Canonical JSON text: object keys sorted at every level, no whitespace.
//! Written out explicitly so it never depends on how `serde_json::Map` is
//! ordered (a dependency enabling serde_json's `preserve_order` would
//! otherwise change every document the provider writes).

use serde_json::{Map, Value};

/// The value with every object's keys in sorted order.
pub fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let out: Map<String, Value> = keys
                .into_iter()
                .map(|k| (k.clone(), sorted(&m[k.as_str()])))
                .collect();
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Canonical text of a JSON value.
pub fn text(v: &Value) -> String {
    sorted(v).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_sorted_at_every_level_whatever_the_insertion_order() {
        let mut inner = Map::new();
        inner.insert("z".into(), Value::from(1));
        inner.insert("a".into(), Value::from(2));
        let mut outer = Map::new();
        outer.insert("b".into(), Value::Array(vec![Value::Object(inner)]));
        outer.insert("a".into(), Value::Null);
        assert_eq!(
            text(&Value::Object(outer)),
            r#"{"a":null,"b":[{"a":2,"z":1}]}"#
        );
    }
}
