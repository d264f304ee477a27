//! Terraform values: every value is null, unknown, or known, for every type
//! Terraform can send. Types mirror cty's, and encode to its JSON type syntax.

use std::collections::BTreeMap;
use std::fmt;

use super::diag::AttrPath;

/// A cty type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Type {
    Bool,
    Number,
    String,
    /// Any type; values carry their concrete type with them on the wire.
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
}

impl Type {
    pub fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }
    pub fn set(t: Type) -> Type {
        Type::Set(Box::new(t))
    }
    pub fn map(t: Type) -> Type {
        Type::Map(Box::new(t))
    }
    pub fn object<'a>(attrs: impl IntoIterator<Item = (&'a str, Type)>) -> Type {
        Type::Object(attrs.into_iter().map(|(k, t)| (k.to_string(), t)).collect())
    }

    /// cty's JSON type syntax, as sent in schemas and dynamic values.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::{json, Value as J};
        match self {
            Type::Bool => json!("bool"),
            Type::Number => json!("number"),
            Type::String => json!("string"),
            Type::Dynamic => json!("dynamic"),
            Type::List(t) => json!(["list", t.to_json()]),
            Type::Set(t) => json!(["set", t.to_json()]),
            Type::Map(t) => json!(["map", t.to_json()]),
            Type::Object(attrs) => {
                let m: serde_json::Map<String, J> = attrs
                    .iter()
                    .map(|(k, t)| (k.clone(), t.to_json()))
                    .collect();
                json!(["object", m])
            }
            Type::Tuple(elems) => {
                json!(["tuple", elems.iter().map(Type::to_json).collect::<Vec<_>>()])
            }
        }
    }

    pub fn from_json(v: &serde_json::Value) -> Result<Type, String> {
        use serde_json::Value as J;
        match v {
            J::String(s) => match s.as_str() {
                "bool" => Ok(Type::Bool),
                "number" => Ok(Type::Number),
                "string" => Ok(Type::String),
                "dynamic" => Ok(Type::Dynamic),
                other => Err(format!("unknown primitive type {other:?}")),
            },
            J::Array(a) if a.len() == 2 || (a.len() == 3 && a[0] == "object") => {
                let kind = a[0].as_str().ok_or("type kind must be a string")?;
                match kind {
                    "list" => Ok(Type::list(Type::from_json(&a[1])?)),
                    "set" => Ok(Type::set(Type::from_json(&a[1])?)),
                    "map" => Ok(Type::map(Type::from_json(&a[1])?)),
                    "object" => {
                        let m = a[1]
                            .as_object()
                            .ok_or("object type needs an attribute map")?;
                        let mut attrs = BTreeMap::new();
                        for (k, t) in m {
                            attrs.insert(k.clone(), Type::from_json(t)?);
                        }
                        Ok(Type::Object(attrs))
                    }
                    "tuple" => {
                        let elems = a[1].as_array().ok_or("tuple type needs an element list")?;
                        Ok(Type::Tuple(
                            elems
                                .iter()
                                .map(Type::from_json)
                                .collect::<Result<_, _>>()?,
                        ))
                    }
                    other => Err(format!("unknown type kind {other:?}")),
                }
            }
            other => Err(format!("malformed type {other}")),
        }
    }

    pub fn to_json_bytes(&self) -> Vec<u8> {
        self.to_json().to_string().into_bytes()
    }
}

/// An arbitrary-precision decimal number, kept as its canonical decimal text
/// so nothing is lost between Terraform and us.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Number(String);

impl Number {
    /// Parses decimal text (optionally with exponent) into canonical form.
    pub fn parse(s: &str) -> Result<Number, String> {
        let t = s.trim();
        let bad = || format!("{s:?} is not a number");
        let (neg, body) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        let (mantissa, exp) = match body.find(['e', 'E']) {
            Some(i) => (&body[..i], body[i + 1..].parse::<i64>().map_err(|_| bad())?),
            None => (body, 0),
        };
        let (int_part, frac_part) = match mantissa.find('.') {
            Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
            None => (mantissa, ""),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(bad());
        }
        if !int_part.bytes().all(|b| b.is_ascii_digit())
            || !frac_part.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        // digits * 10^(exp - frac_len)
        let mut digits: String = format!("{int_part}{frac_part}");
        let mut scale: i64 = exp - frac_part.len() as i64;
        let trimmed = digits.trim_start_matches('0');
        digits = if trimmed.is_empty() {
            "0".into()
        } else {
            trimmed.into()
        };
        if digits == "0" {
            return Ok(Number("0".into()));
        }
        while digits.ends_with('0') {
            digits.pop();
            scale += 1;
        }
        if scale.abs() > 100_000 {
            return Err(format!("{s:?} is out of range"));
        }
        let text = if scale >= 0 {
            format!("{digits}{}", "0".repeat(scale as usize))
        } else {
            let point = digits.len() as i64 + scale;
            if point > 0 {
                let p = point as usize;
                format!("{}.{}", &digits[..p], &digits[p..])
            } else {
                format!("0.{}{}", "0".repeat((-point) as usize), digits)
            }
        };
        Ok(Number(if neg { format!("-{text}") } else { text }))
    }

    pub fn from_i64(i: i64) -> Number {
        Number(i.to_string())
    }
    pub fn from_u64(u: u64) -> Number {
        Number(u.to_string())
    }
    pub fn from_f64(f: f64) -> Result<Number, String> {
        if !f.is_finite() {
            return Err(format!("{f} is not a finite number"));
        }
        Number::parse(&format!("{f:e}"))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn to_i64(&self) -> Option<i64> {
        self.0.parse().ok()
    }
    pub fn to_u64(&self) -> Option<u64> {
        self.0.parse().ok()
    }
    /// The f64 only when it represents this number exactly.
    pub fn to_f64_exact(&self) -> Option<f64> {
        let f: f64 = self.0.parse().ok()?;
        match Number::from_f64(f) {
            Ok(n) if n == *self => Some(f),
            _ => None,
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A value. Sets keep their elements in a canonical order (sorted, deduplicated)
/// so structural equality is set equality.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Null,
    Unknown,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    Set(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
    Tuple(Vec<Value>),
    /// A value of a dynamic attribute: its concrete type travels with it.
    Dynamic(Type, Box<Value>),
}

impl Value {
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }
    pub fn number(i: i64) -> Value {
        Value::Number(Number::from_i64(i))
    }
    pub fn set(mut elems: Vec<Value>) -> Value {
        canonicalize_set(&mut elems);
        Value::Set(elems)
    }
    pub fn object<'a>(attrs: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
        Value::Object(attrs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }
    /// Known all the way down (no unknown anywhere inside).
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => {
                v.iter().all(Value::is_wholly_known)
            }
            Value::Map(m) | Value::Object(m) => m.values().all(Value::is_wholly_known),
            Value::Dynamic(_, v) => v.is_wholly_known(),
            _ => true,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            Value::Dynamic(_, v) => v.as_str(),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        self.as_number().and_then(Number::to_i64)
    }
    pub fn as_attrs(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Object(m) | Value::Map(m) => Some(m),
            _ => None,
        }
    }
    pub fn as_elems(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) | Value::Set(v) | Value::Tuple(v) => Some(v),
            _ => None,
        }
    }

    /// An attribute of an object (Null when absent or when self is not an object).
    pub fn get(&self, name: &str) -> &Value {
        static NULL: Value = Value::Null;
        match self {
            Value::Object(m) | Value::Map(m) => m.get(name).unwrap_or(&NULL),
            _ => &NULL,
        }
    }
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        match self {
            Value::Object(m) | Value::Map(m) => m.get_mut(name),
            _ => None,
        }
    }
    /// Sets an attribute of an object; no effect on other values.
    pub fn set_attr(&mut self, name: &str, v: Value) {
        if let Value::Object(m) = self {
            m.insert(name.to_string(), v);
        }
    }

    /// The value at a path, if the path exists.
    pub fn at(&self, path: &AttrPath) -> Option<&Value> {
        let mut cur = self;
        for step in path.steps() {
            cur = match (step, cur) {
                (super::diag::Step::Attr(a), Value::Object(m)) => m.get(a)?,
                (super::diag::Step::Key(k), Value::Map(m)) => m.get(k)?,
                (super::diag::Step::Index(i), Value::List(v) | Value::Tuple(v) | Value::Set(v)) => {
                    v.get(usize::try_from(*i).ok()?)?
                }
                _ => return None,
            };
        }
        Some(cur)
    }

    /// An optional string attribute: Some only when known and non-null.
    pub fn str_attr(&self, name: &str) -> Option<&str> {
        self.get(name).as_str()
    }
}

/// Sorts and deduplicates set elements by their canonical encoding.
pub fn canonicalize_set(elems: &mut Vec<Value>) {
    let mut keyed: Vec<(Vec<u8>, Value)> = elems
        .drain(..)
        .map(|v| (super::msgpack::sort_key(&v), v))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.dedup_by(|a, b| a.0 == b.0);
    elems.extend(keyed.into_iter().map(|(_, v)| v));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_canonical() {
        for (input, want) in [
            ("1", "1"),
            ("1.50", "1.5"),
            ("-0.000", "0"),
            ("1e3", "1000"),
            ("1.25e-2", "0.0125"),
            ("00012", "12"),
            (
                "123456789012345678901234567890",
                "123456789012345678901234567890",
            ),
        ] {
            assert_eq!(
                Number::parse(input).map(|n| n.to_string()),
                Ok(want.to_string()),
                "{input}"
            );
        }
        assert!(Number::parse("abc").is_err());
        assert!(Number::parse("").is_err());
        assert!(Number::parse("1e").is_err());
        assert_eq!(
            Number::from_f64(0.1).map(|n| n.to_string()),
            Ok("0.1".into())
        );
        assert_eq!(
            Number::parse("0.1").ok().and_then(|n| n.to_f64_exact()),
            Some(0.1)
        );
        assert_eq!(
            Number::parse("123456789012345678901234567890")
                .ok()
                .and_then(|n| n.to_f64_exact()),
            None
        );
    }

    #[test]
    fn type_json_round_trips() {
        let t = Type::object([
            ("a", Type::list(Type::String)),
            ("b", Type::map(Type::set(Type::Number))),
            ("c", Type::Tuple(vec![Type::Bool, Type::Dynamic])),
        ]);
        assert_eq!(Type::from_json(&t.to_json()), Ok(t.clone()));
        assert_eq!(
            t.to_json().to_string(),
            r#"["object",{"a":["list","string"],"b":["map",["set","number"]],"c":["tuple",["bool","dynamic"]]}]"#
        );
    }

    #[test]
    fn sets_are_order_independent() {
        let a = Value::set(vec![
            Value::string("b"),
            Value::string("a"),
            Value::string("a"),
        ]);
        let b = Value::set(vec![Value::string("a"), Value::string("b")]);
        assert_eq!(a, b);
    }
}
