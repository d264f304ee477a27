//! The JSON encoding of values: raw state in UpgradeResourceState, and the
//! rare DynamicValue sent as JSON. Decoding drops object attributes that the
//! current schema no longer has, so an older state still loads.

use std::collections::BTreeMap;

use serde_json::Value as J;

use super::value::{canonicalize_set, Number, Type, Value};

pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, String> {
    let j: J = serde_json::from_slice(bytes).map_err(|e| format!("invalid JSON: {e}"))?;
    from_json(&j, ty)
}

pub fn from_json(j: &J, ty: &Type) -> Result<Value, String> {
    if j.is_null() {
        return Ok(Value::Null);
    }
    match ty {
        Type::Bool => match j {
            J::Bool(b) => Ok(Value::Bool(*b)),
            // cty converts "true"/"false" strings to bool
            J::String(s) if s == "true" || s == "false" => Ok(Value::Bool(s == "true")),
            other => Err(format!("expected bool, got {other}")),
        },
        Type::Number => match j {
            J::Number(n) => Number::parse(&n.to_string()).map(Value::Number),
            J::String(s) => Number::parse(s).map(Value::Number),
            other => Err(format!("expected number, got {other}")),
        },
        Type::String => match j {
            J::String(s) => Ok(Value::String(s.clone())),
            J::Number(n) => Ok(Value::String(n.to_string())),
            J::Bool(b) => Ok(Value::String(b.to_string())),
            other => Err(format!("expected string, got {other}")),
        },
        Type::List(et) | Type::Set(et) => {
            let a = j
                .as_array()
                .ok_or_else(|| format!("expected array, got {j}"))?;
            let mut elems = a
                .iter()
                .map(|x| from_json(x, et))
                .collect::<Result<Vec<_>, _>>()?;
            if matches!(ty, Type::Set(_)) {
                canonicalize_set(&mut elems);
                Ok(Value::Set(elems))
            } else {
                Ok(Value::List(elems))
            }
        }
        Type::Tuple(ets) => {
            let a = j
                .as_array()
                .ok_or_else(|| format!("expected array, got {j}"))?;
            if a.len() != ets.len() {
                return Err(format!(
                    "tuple needs {} elements, got {}",
                    ets.len(),
                    a.len()
                ));
            }
            Ok(Value::Tuple(
                a.iter()
                    .zip(ets)
                    .map(|(x, t)| from_json(x, t))
                    .collect::<Result<_, _>>()?,
            ))
        }
        Type::Map(et) => {
            let o = j
                .as_object()
                .ok_or_else(|| format!("expected object, got {j}"))?;
            let mut m = BTreeMap::new();
            for (k, x) in o {
                m.insert(k.clone(), from_json(x, et)?);
            }
            Ok(Value::Map(m))
        }
        Type::Object(attrs) => {
            let o = j
                .as_object()
                .ok_or_else(|| format!("expected object, got {j}"))?;
            let mut m = BTreeMap::new();
            for (name, at) in attrs {
                let v = match o.get(name) {
                    Some(x) => from_json(x, at).map_err(|e| format!("{name}: {e}"))?,
                    None => Value::Null,
                };
                m.insert(name.clone(), v);
            }
            Ok(Value::Object(m))
        }
        Type::Dynamic => {
            let o = j
                .as_object()
                .ok_or_else(|| format!("expected dynamic value object, got {j}"))?;
            let t = Type::from_json(o.get("type").ok_or("dynamic value without type")?)?;
            let v = from_json(o.get("value").unwrap_or(&J::Null), &t)?;
            Ok(Value::Dynamic(t, Box::new(v)))
        }
    }
}

/// Known values only: unknown becomes null (JSON cannot carry unknown).
pub fn to_json(v: &Value) -> J {
    match v {
        Value::Null | Value::Unknown => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Number(n) => serde_json::from_str::<serde_json::Number>(n.as_str())
            .map(J::Number)
            .unwrap_or_else(|_| J::String(n.to_string())),
        Value::String(s) => J::String(s.clone()),
        Value::List(e) | Value::Set(e) | Value::Tuple(e) => {
            J::Array(e.iter().map(to_json).collect())
        }
        Value::Map(m) | Value::Object(m) => {
            J::Object(m.iter().map(|(k, x)| (k.clone(), to_json(x))).collect())
        }
        Value::Dynamic(t, x) => serde_json::json!({"value": to_json(x), "type": t.to_json()}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_attributes_the_schema_no_longer_has() {
        let ty = Type::object([("name", Type::String), ("tags", Type::map(Type::String))]);
        let v = decode(br#"{"name":"x","removed_attr":true,"tags":{"a":"b"}}"#, &ty);
        let want = Value::object([
            ("name", Value::string("x")),
            (
                "tags",
                Value::Map([("a".to_string(), Value::string("b"))].into()),
            ),
        ]);
        assert_eq!(v, Ok(want));
    }

    #[test]
    fn missing_attributes_are_null_and_numbers_keep_precision() {
        let ty = Type::object([("n", Type::Number), ("s", Type::set(Type::String))]);
        let v = decode(br#"{"n": 12345678901234567890123}"#, &ty);
        assert_eq!(
            v,
            Ok(Value::object([
                (
                    "n",
                    Value::Number(Number::parse("12345678901234567890123").unwrap())
                ),
                ("s", Value::Null)
            ]))
        );
    }
}
