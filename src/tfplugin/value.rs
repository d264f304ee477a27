//! Terraform values: every value is null, unknown, or known, for every type
//! Terraform can send. Types mirror cty's, and encode to its JSON type syntax.

use std::borrow::Cow;
use std::cmp::Ordering;
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

    /// The type this value would have on its own (a collection's element
    /// type is its first element's; null, unknown and empty are dynamic).
    pub fn implied_type(&self) -> Type {
        let first = |v: Option<&Value>| v.map(Value::implied_type).unwrap_or(Type::Dynamic);
        match self {
            Value::Null | Value::Unknown => Type::Dynamic,
            Value::Bool(_) => Type::Bool,
            Value::Number(_) => Type::Number,
            Value::String(_) => Type::String,
            Value::List(e) => Type::list(first(e.first())),
            Value::Set(e) => Type::set(first(e.first())),
            Value::Map(m) => Type::map(first(m.values().next())),
            Value::Object(m) => Type::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), v.implied_type()))
                    .collect(),
            ),
            Value::Tuple(e) => Type::Tuple(e.iter().map(Value::implied_type).collect()),
            Value::Dynamic(t, _) => t.clone(),
        }
    }
}

/// Sorts and deduplicates set elements in [`set_order`].
pub fn canonicalize_set(elems: &mut Vec<Value>) {
    elems.sort_by(set_order);
    elems.dedup_by(|later, kept| set_order(later, kept) == Ordering::Equal);
}

/// The canonical order of set elements, a total order in which equal means
/// the same element.
///
/// It is the order sets have always had here, so sets in state keep theirs:
/// that of the elements' msgpack encodings (each under its own implied type)
/// compared bytewise. It is computed structurally, without the codec: an
/// element is a tree of tokens, each token's bytes are what the encoding
/// writes for it, and trees compare token by token. msgpack is prefix-free,
/// so that is exactly the bytewise order of the whole encodings (a property
/// test in tests/codec_props.rs holds the two together).
pub fn set_order(a: &Value, b: &Value) -> Ordering {
    Node::Val(a, a.implied_type()).cmp_tokens(&Node::Val(b, b.implied_type()))
}

/// Something the encoding writes: a value as a given type, a map key or
/// attribute name, or the type of a dynamic value.
enum Node<'a> {
    Val(&'a Value, Type),
    Key(Cow<'a, str>),
    TypeOf(Type),
}

/// One token: its bytes (header, or all of a scalar) and what follows it as
/// its contents (array elements; map keys and values, alternating).
struct Token<'a> {
    bytes: Vec<u8>,
    contents: Vec<Node<'a>>,
}

impl<'a> Node<'a> {
    fn cmp_tokens(&self, other: &Node<'_>) -> Ordering {
        let (a, b) = (self.token(), other.token());
        // Equal bytes mean the same kind and length, so the same number of
        // contents.
        a.bytes.cmp(&b.bytes).then_with(|| {
            a.contents
                .iter()
                .zip(&b.contents)
                .map(|(x, y)| x.cmp_tokens(y))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        })
    }

    fn token(&self) -> Token<'a> {
        static NULL: Value = Value::Null;
        let scalar = |bytes: Vec<u8>| Token {
            bytes,
            contents: Vec::new(),
        };
        let (v, ty) = match self {
            Node::Key(k) => return scalar(str_bytes(k.as_bytes())),
            Node::TypeOf(t) => return scalar(bin_bytes(&t.to_json_bytes())),
            Node::Val(v, ty) => (*v, ty),
        };
        let dynamic = |t: &Type, inner: &'a Value| Token {
            bytes: len_header(2, 0x90, 0xdc),
            contents: vec![Node::TypeOf(t.clone()), Node::Val(inner, t.clone())],
        };
        match v {
            Value::Null => scalar(vec![0xc0]),
            Value::Unknown => scalar(vec![0xd4, 0x00, 0x00]),
            Value::Dynamic(t, inner) if *ty == Type::Dynamic => dynamic(t, inner),
            Value::Dynamic(_, inner) => Node::Val(inner, ty.clone()).token(),
            _ if *ty == Type::Dynamic => dynamic(&v.implied_type(), v),
            Value::Bool(b) => scalar(vec![if *b { 0xc3 } else { 0xc2 }]),
            Value::Number(n) => scalar(number_bytes(n)),
            Value::String(s) => scalar(str_bytes(s.as_bytes())),
            Value::List(e) | Value::Set(e) | Value::Tuple(e) => Token {
                bytes: len_header(e.len(), 0x90, 0xdc),
                contents: e
                    .iter()
                    .enumerate()
                    .map(|(i, x)| {
                        let et = match ty {
                            Type::List(t) | Type::Set(t) => (**t).clone(),
                            Type::Tuple(ts) => ts.get(i).cloned().unwrap_or(Type::Dynamic),
                            _ => x.implied_type(),
                        };
                        Node::Val(x, et)
                    })
                    .collect(),
            },
            Value::Map(m) => Token {
                bytes: len_header(m.len(), 0x80, 0xde),
                contents: m
                    .iter()
                    .flat_map(|(k, x)| {
                        let et = match ty {
                            Type::Map(t) => (**t).clone(),
                            _ => x.implied_type(),
                        };
                        [Node::Key(Cow::Borrowed(k.as_str())), Node::Val(x, et)]
                    })
                    .collect(),
            },
            // An object is written with the attributes of its type.
            Value::Object(m) => match ty {
                Type::Object(attrs) => Token {
                    bytes: len_header(attrs.len(), 0x80, 0xde),
                    contents: attrs
                        .iter()
                        .flat_map(|(k, at)| {
                            let x = m.get(k).unwrap_or(&NULL);
                            [Node::Key(Cow::Owned(k.clone())), Node::Val(x, at.clone())]
                        })
                        .collect(),
                },
                _ => Token {
                    bytes: len_header(m.len(), 0x80, 0xde),
                    contents: m
                        .iter()
                        .flat_map(|(k, x)| {
                            [
                                Node::Key(Cow::Borrowed(k.as_str())),
                                Node::Val(x, x.implied_type()),
                            ]
                        })
                        .collect(),
                },
            },
        }
    }
}

/// An array (fix 0x90, 16-bit `wide`, 32-bit `wide + 1`) or map header.
fn len_header(n: usize, fix: u8, wide: u8) -> Vec<u8> {
    if n < 16 {
        vec![fix | n as u8]
    } else if n <= 0xffff {
        let mut b = vec![wide];
        b.extend_from_slice(&(n as u16).to_be_bytes());
        b
    } else {
        let mut b = vec![wide + 1];
        b.extend_from_slice(&(n as u32).to_be_bytes());
        b
    }
}

fn str_bytes(s: &[u8]) -> Vec<u8> {
    let n = s.len();
    let mut b = Vec::with_capacity(n + 5);
    if n < 32 {
        b.push(0xa0 | n as u8);
    } else if n <= 0xff {
        b.extend_from_slice(&[0xd9, n as u8]);
    } else if n <= 0xffff {
        b.push(0xda);
        b.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        b.push(0xdb);
        b.extend_from_slice(&(n as u32).to_be_bytes());
    }
    b.extend_from_slice(s);
    b
}

fn bin_bytes(s: &[u8]) -> Vec<u8> {
    let n = s.len();
    let mut b = Vec::with_capacity(n + 5);
    if n <= 0xff {
        b.extend_from_slice(&[0xc4, n as u8]);
    } else if n <= 0xffff {
        b.push(0xc5);
        b.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        b.push(0xc6);
        b.extend_from_slice(&(n as u32).to_be_bytes());
    }
    b.extend_from_slice(s);
    b
}

/// An integer when it fits (unsigned when not negative, as Terraform
/// writes it), else an exact float, else its decimal text.
fn number_bytes(n: &Number) -> Vec<u8> {
    let mut b = Vec::with_capacity(9);
    let unsigned = n
        .to_i64()
        .and_then(|i| u64::try_from(i).ok())
        .or_else(|| n.to_u64());
    if let Some(u) = unsigned {
        if u <= 0x7f {
            b.push(u as u8);
        } else if let Ok(x) = u8::try_from(u) {
            b.extend_from_slice(&[0xcc, x]);
        } else if let Ok(x) = u16::try_from(u) {
            b.push(0xcd);
            b.extend_from_slice(&x.to_be_bytes());
        } else if let Ok(x) = u32::try_from(u) {
            b.push(0xce);
            b.extend_from_slice(&x.to_be_bytes());
        } else {
            b.push(0xcf);
            b.extend_from_slice(&u.to_be_bytes());
        }
        b
    } else if let Some(i) = n.to_i64() {
        if (-32..0).contains(&i) {
            b.push(i as i8 as u8);
        } else if let Ok(x) = i8::try_from(i) {
            b.extend_from_slice(&[0xd0, x as u8]);
        } else if let Ok(x) = i16::try_from(i) {
            b.push(0xd1);
            b.extend_from_slice(&x.to_be_bytes());
        } else if let Ok(x) = i32::try_from(i) {
            b.push(0xd2);
            b.extend_from_slice(&x.to_be_bytes());
        } else {
            b.push(0xd3);
            b.extend_from_slice(&i.to_be_bytes());
        }
        b
    } else if let Some(f) = n.to_f64_exact() {
        b.push(0xcb);
        b.extend_from_slice(&f.to_bits().to_be_bytes());
        b
    } else {
        str_bytes(n.as_str().as_bytes())
    }
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

    #[test]
    fn set_order_is_the_order_sets_have_always_had() {
        // Strings by length, then bytes.
        let strings = Value::set(
            ["bb", "a", "b", "", "aaa", &"z".repeat(31), &"a".repeat(32)]
                .map(Value::string)
                .to_vec(),
        );
        let want: Vec<Value> = ["", "a", "b", "bb", "aaa", &"z".repeat(31), &"a".repeat(32)]
            .map(Value::string)
            .to_vec();
        assert_eq!(strings, Value::Set(want));
        // Numbers as msgpack writes them, in Terraform's compact form: small
        // non-negative integers, floats, then u8/u16/u32/u64, then
        // i8/i16/i32/i64 (negative only), then negative fixints.
        let n = |s: &str| Value::Number(Number::parse(s).unwrap());
        let numbers = Value::set(
            [
                "-1",
                "-32",
                "-33",
                "0",
                "127",
                "128",
                "-129",
                "40000",
                "-40000",
                "0.5",
                "-0.5",
                "18446744073709551615",
                "5000000000",
            ]
            .map(n)
            .to_vec(),
        );
        let want = [
            "0",
            "127",
            "0.5",
            "-0.5",
            "128",
            "40000",
            "5000000000",
            "18446744073709551615",
            "-33",
            "-129",
            "-40000",
            "-32",
            "-1",
        ]
        .map(n)
        .to_vec();
        assert_eq!(numbers, Value::Set(want));
        // Objects attribute by attribute; null before false before true.
        let o = |a: Value| Value::object([("a", a)]);
        let objects = Value::set(vec![
            o(Value::Bool(true)),
            o(Value::Null),
            o(Value::Bool(false)),
            o(Value::Null),
        ]);
        assert_eq!(
            objects,
            Value::Set(vec![
                o(Value::Null),
                o(Value::Bool(false)),
                o(Value::Bool(true))
            ])
        );
    }
}
