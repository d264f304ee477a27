//! Typed models of values: a resource declares `#[derive(Deserialize,
//! Serialize)]` structs whose field names are its schema's attribute and
//! block names, decodes a `Value` into one once at the edge of each
//! operation, and encodes the struct back into a `Value` of the schema.
//!
//! * `T` — known and non-null; null or unknown is an error at the field's path.
//! * `Option<T>` — null or known; unknown is an error.
//! * [`Planned<T>`] — null, unknown or known: configuration and plans;
//!   [`PlannedList`] and [`PlannedMap`] for collections whose elements may
//!   each be unknown.
//! * [`Number`] — a number of any precision; integer fields (`i64`, ...)
//!   reject fractions.
//!
//! Every field a model requests is looked up (absent attributes read as
//! null); [`model_paths`] lists them for a test that compares them with
//! [`schema_paths`], so a misspelt field fails a test instead of reading null.
//! [`known`] turns a plan model into an apply-time spec of plain types (an
//! error names what is still unknown); [`wholly_known`] asks the same
//! without converting.
//!
//! ```ignore
//! #[derive(Default, Deserialize, Serialize)]
//! struct Model { id: Planned<String>, name: Planned<String>, tags: PlannedMap<String> }
//!
//! let cfg: Model = model::decode(config)?;         // Diagnostics at the path
//! if let Some(n) = cfg.name.as_str() { /* check it */ }
//! let st = Model { id: "x".into(), ..cfg };
//! let state = model::encode_block(&st, &schema().block)?;
//!
//! #[test]
//! fn model_is_the_schema() {
//!     assert_eq!(model::model_paths::<Model>(), model::schema_paths(&schema().block));
//! }
//! ```

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::rc::Rc;

use serde::de::value::{BorrowedStrDeserializer, MapDeserializer, StrDeserializer};
use serde::de::{self, DeserializeOwned, Error as _, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value as J;

use super::diag::{AttrPath, Diagnostic, Diagnostics};
use super::schema::{Block, Nesting};
use super::value::{canonicalize_set, Number, Type, Value};

/// The newtype name by which [`Planned`] asks a deserializer for
/// null / unknown / known (as serde_json's RawValue asks for raw text).
const PLANNED: &str = "$tfplugin::Planned";
/// The newtype name by which [`Number`] asks for a number's decimal text.
const NUMBER: &str = "$tfplugin::Number";
/// How an unknown travels through serde_json on the way to a `Value`.
const UNKNOWN_JSON: &str = "\u{0}$tfplugin::unknown\u{0}";

// ---------- Planned ----------

/// A value that may be null, unknown (at validate and plan) or known.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Planned<T> {
    #[default]
    Null,
    Unknown,
    Known(T),
}

impl<T> Planned<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Planned::Known(t) => Some(t),
            _ => None,
        }
    }
    pub fn into_known(self) -> Option<T> {
        match self {
            Planned::Known(t) => Some(t),
            _ => None,
        }
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Planned::Null)
    }
    pub fn is_unknown(&self) -> bool {
        matches!(self, Planned::Unknown)
    }
    pub fn is_known(&self) -> bool {
        matches!(self, Planned::Known(_))
    }
    pub fn as_ref(&self) -> Planned<&T> {
        match self {
            Planned::Null => Planned::Null,
            Planned::Unknown => Planned::Unknown,
            Planned::Known(t) => Planned::Known(t),
        }
    }
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Planned<U> {
        match self {
            Planned::Null => Planned::Null,
            Planned::Unknown => Planned::Unknown,
            Planned::Known(t) => Planned::Known(f(t)),
        }
    }
}

impl<T: Clone> Planned<T> {
    /// The value when known, else `default`.
    pub fn get_or(&self, default: T) -> T {
        self.known().cloned().unwrap_or(default)
    }
}

impl Planned<String> {
    /// The string when known.
    pub fn as_str(&self) -> Option<&str> {
        self.known().map(String::as_str)
    }
}

/// A list or set whose elements may each be null or unknown.
pub type PlannedList<T> = Planned<Vec<Planned<T>>>;
/// A map whose values may each be null or unknown.
pub type PlannedMap<T> = Planned<BTreeMap<String, Planned<T>>>;

impl<T> Planned<Vec<T>> {
    /// The elements when known; none when null or unknown.
    pub fn elems(&self) -> &[T] {
        self.known().map(Vec::as_slice).unwrap_or_default()
    }
}

impl<T: Clone> PlannedList<T> {
    /// The known elements (unknown and null ones skipped).
    pub fn known_elems(&self) -> impl Iterator<Item = &T> {
        self.elems().iter().filter_map(Planned::known)
    }
    /// All elements when every one is known (empty for null); None while
    /// any is unknown.
    pub fn all_known(&self) -> Option<Vec<T>> {
        match self {
            Planned::Null => Some(Vec::new()),
            Planned::Unknown => None,
            Planned::Known(v) => v.iter().map(|x| x.known().cloned()).collect(),
        }
    }
    pub fn of(items: impl IntoIterator<Item = T>) -> Self {
        Planned::Known(items.into_iter().map(Planned::Known).collect())
    }
}

impl<T: Clone> PlannedMap<T> {
    /// The entries whose values are known (none for null or unknown).
    pub fn known_entries(&self) -> BTreeMap<String, T> {
        let entries = self.known().into_iter().flatten();
        entries
            .filter_map(|(k, v)| Some((k.clone(), v.known()?.clone())))
            .collect()
    }
    /// `base` overlaid by these entries; unknown while any of them is.
    pub fn overlaid_on(&self, base: &BTreeMap<String, T>) -> Self {
        if self.is_unknown()
            || self
                .known()
                .is_some_and(|m| m.values().any(Planned::is_unknown))
        {
            return Planned::Unknown;
        }
        let mut all: BTreeMap<String, Planned<T>> = base
            .iter()
            .map(|(k, v)| (k.clone(), Planned::Known(v.clone())))
            .collect();
        all.extend(self.known().cloned().unwrap_or_default());
        Planned::Known(all)
    }
    pub fn of(entries: impl IntoIterator<Item = (String, T)>) -> Self {
        let m = entries.into_iter().map(|(k, v)| (k, Planned::Known(v)));
        Planned::Known(m.collect())
    }
}

impl<T> From<Option<T>> for Planned<T> {
    fn from(o: Option<T>) -> Self {
        o.map_or(Planned::Null, Planned::Known)
    }
}

impl From<&str> for Planned<String> {
    fn from(s: &str) -> Self {
        Planned::Known(s.to_string())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Planned<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Planned<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a null, unknown or known value")
            }
            fn visit_none<E>(self) -> Result<Planned<T>, E> {
                Ok(Planned::Null)
            }
            fn visit_unit<E>(self) -> Result<Planned<T>, E> {
                Ok(Planned::Unknown)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Planned<T>, D::Error> {
                T::deserialize(d).map(Planned::Known)
            }
            // Deserializers that know nothing of unknowns: null or known.
            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<Planned<T>, D::Error> {
                Option::<T>::deserialize(d).map(Planned::from)
            }
        }
        d.deserialize_newtype_struct(PLANNED, V(std::marker::PhantomData))
    }
}

impl<T: Serialize> Serialize for Planned<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Planned::Null => s.serialize_none(),
            Planned::Unknown => s.serialize_str(UNKNOWN_JSON),
            Planned::Known(t) => s.serialize_some(t),
        }
    }
}

// ---------- Number ----------

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Number;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Number, E> {
                Number::parse(s).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, i: i64) -> Result<Number, E> {
                Ok(Number::from_i64(i))
            }
            fn visit_u64<E: de::Error>(self, u: u64) -> Result<Number, E> {
                Ok(Number::from_u64(u))
            }
            fn visit_f64<E: de::Error>(self, f: f64) -> Result<Number, E> {
                Number::from_f64(f).map_err(E::custom)
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Number, D::Error> {
                d.deserialize_any(self)
            }
        }
        d.deserialize_newtype_struct(NUMBER, V)
    }
}

impl Serialize for Number {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // serde_json (arbitrary_precision) keeps every digit.
        let n: serde_json::Number = self.as_str().parse().map_err(serde::ser::Error::custom)?;
        n.serialize(s)
    }
}

// ---------- errors ----------

/// A decoding error at a path of the value.
#[derive(Debug)]
pub struct Error {
    path: Option<AttrPath>,
    unknown: bool,
    msg: String,
}

impl Error {
    fn at(mut self, path: &AttrPath) -> Error {
        if self.path.is_none() {
            self.path = Some(path.clone());
        }
        self
    }
    fn unknown(path: &AttrPath) -> Error {
        Error {
            path: Some(path.clone()),
            unknown: true,
            msg: "the value is not known yet".into(),
        }
    }
    pub fn to_diagnostic(&self) -> Diagnostic {
        let summary = if self.unknown {
            "Value unknown"
        } else {
            "Unexpected value"
        };
        let d = Diagnostic::error(summary, self.msg.clone());
        match &self.path {
            Some(p) if !p.is_empty() => d.at(p.clone()),
            _ => d,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(p) if !p.is_empty() => write!(f, "{p}: {}", self.msg),
            _ => f.write_str(&self.msg),
        }
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<M: fmt::Display>(msg: M) -> Error {
        Error {
            path: None,
            unknown: false,
            msg: msg.to_string(),
        }
    }
}

impl From<Error> for Diagnostics {
    fn from(e: Error) -> Diagnostics {
        e.to_diagnostic().into()
    }
}

// ---------- decoding ----------

/// Decodes a value into a model; errors name the offending attribute.
pub fn decode<T: DeserializeOwned>(v: &Value) -> Result<T, Diagnostics> {
    T::deserialize(de(v, AttrPath::root())).map_err(Diagnostics::from)
}

/// Converts a plan model (with [`Planned`] fields) into an apply-time spec
/// of plain types; an error names whatever is still unknown.
pub fn known<S: DeserializeOwned>(plan: &impl Serialize) -> Result<S, Diagnostics> {
    let j = serde_json::to_value(plan)
        .map_err(|e| Diagnostic::error("Unexpected value", e.to_string()))?;
    decode(&untyped(&j))
}

/// Known all the way down: no unknown anywhere inside.
pub fn wholly_known<T: Serialize>(t: &T) -> bool {
    fn walk(j: &J) -> bool {
        match j {
            J::String(s) => s != UNKNOWN_JSON,
            J::Array(a) => a.iter().all(walk),
            J::Object(o) => o.values().all(walk),
            _ => true,
        }
    }
    serde_json::to_value(t).is_ok_and(|j| walk(&j))
}

/// A JSON value as a `Value` without a schema (objects stay objects).
fn untyped(j: &J) -> Value {
    match j {
        J::Null => Value::Null,
        J::String(s) if s == UNKNOWN_JSON => Value::Unknown,
        J::String(s) => Value::String(s.clone()),
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => Number::parse(&n.to_string()).map_or(Value::Null, Value::Number),
        J::Array(a) => Value::List(a.iter().map(untyped).collect()),
        J::Object(o) => Value::Object(o.iter().map(|(k, x)| (k.clone(), untyped(x))).collect()),
    }
}

/// The deserializer of a `Value` at a path.
struct De<'a> {
    v: &'a Value,
    path: AttrPath,
}

static NULL: Value = Value::Null;

/// The deserializer of `v` (a dynamic value's own value) at `path`.
fn de(v: &Value, path: AttrPath) -> De<'_> {
    match v {
        Value::Dynamic(_, inner) => de(inner, path),
        v => De { v, path },
    }
}

impl<'a> De<'a> {
    /// Self when neither null nor unknown: what plain fields require.
    fn present(self) -> Result<De<'a>, Error> {
        match self.v {
            Value::Null => Err(Error::custom("the value is null").at(&self.path)),
            Value::Unknown => Err(Error::unknown(&self.path)),
            _ => Ok(self),
        }
    }
    fn mismatch(&self, want: &str) -> Error {
        let got = match self.v {
            Value::Null => "null",
            Value::Unknown => return Error::unknown(&self.path),
            Value::Bool(_) => "a bool",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::List(_) | Value::Tuple(_) => "a list",
            Value::Set(_) => "a set",
            Value::Map(_) => "a map",
            Value::Object(_) => "an object",
            Value::Dynamic(..) => "a dynamic value",
        };
        Error::custom(format!("expected {want}, got {got}")).at(&self.path)
    }
}

struct Seq<'a> {
    elems: std::slice::Iter<'a, Value>,
    path: AttrPath,
    i: usize,
}

impl<'de> de::SeqAccess<'de> for Seq<'de> {
    type Error = Error;
    fn next_element_seed<S: de::DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        let Some(v) = self.elems.next() else {
            return Ok(None);
        };
        let path = self.path.push_index(self.i);
        self.i += 1;
        seed.deserialize(de(v, path)).map(Some)
    }
}

/// An object's attributes (struct fields: every requested name, absent ones
/// null) or a map's entries.
struct Entries<'a> {
    items: Vec<(&'a str, &'a Value)>,
    next: usize,
    path: AttrPath,
    is_map: bool,
}

impl<'de> de::MapAccess<'de> for Entries<'de> {
    type Error = Error;
    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((k, _)) = self.items.get(self.next) else {
            return Ok(None);
        };
        seed.deserialize(BorrowedStrDeserializer::new(k)).map(Some)
    }
    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let (k, v) = self.items[self.next];
        self.next += 1;
        let path = if self.is_map {
            self.path.push_key(k)
        } else {
            self.path.push_attr(k)
        };
        seed.deserialize(de(v, path))
    }
}

/// Primitive requests: null and unknown are errors, the rest as it is.
macro_rules! plain {
    ($($m:ident)*) => {$(
        fn $m<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.present()?.deserialize_any(visitor)
        }
    )*};
}

impl<'de> Deserializer<'de> for De<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let r = match self.v {
            Value::Null => visitor.visit_none::<Error>(),
            Value::Unknown => return Err(Error::unknown(&self.path)),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => {
                if let Some(i) = n.to_i64() {
                    visitor.visit_i64(i)
                } else if let Some(u) = n.to_u64() {
                    visitor.visit_u64(u)
                } else {
                    match n.as_str().parse::<f64>() {
                        Ok(f) => visitor.visit_f64(f),
                        Err(_) => visitor.visit_str(n.as_str()),
                    }
                }
            }
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::List(_) | Value::Set(_) | Value::Tuple(_) => {
                return self.deserialize_seq(visitor)
            }
            Value::Map(_) | Value::Object(_) => return self.deserialize_map(visitor),
            Value::Dynamic(_, inner) => return de(inner, self.path).deserialize_any(visitor),
        };
        r.map_err(|e| e.at(&self.path))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.v {
            Value::Null => visitor.visit_none().map_err(|e: Error| e.at(&self.path)),
            Value::Unknown => Err(Error::unknown(&self.path)),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let path = self.path.clone();
        let r = match (name, self.v) {
            (PLANNED, Value::Null) => visitor.visit_none::<Error>(),
            (PLANNED, Value::Unknown) => visitor.visit_unit(),
            (PLANNED, _) => return visitor.visit_some(self),
            (NUMBER, Value::Number(n)) => visitor.visit_str(n.as_str()),
            (NUMBER, _) => return Err(self.mismatch("a number")),
            _ => return visitor.visit_newtype_struct(self),
        };
        r.map_err(|e| e.at(&path))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.v {
            Value::List(e) | Value::Set(e) | Value::Tuple(e) => {
                let path = self.path.clone();
                visitor
                    .visit_seq(Seq {
                        elems: e.iter(),
                        path: path.clone(),
                        i: 0,
                    })
                    .map_err(|e| e.at(&path))
            }
            _ => Err(self.mismatch("a list or set")),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.v {
            Value::Map(m) | Value::Object(m) => {
                let path = self.path.clone();
                visitor
                    .visit_map(Entries {
                        items: m.iter().map(|(k, v)| (k.as_str(), v)).collect(),
                        next: 0,
                        path: path.clone(),
                        is_map: matches!(self.v, Value::Map(_)),
                    })
                    .map_err(|e| e.at(&path))
            }
            _ => Err(self.mismatch("a map")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.v {
            Value::Object(m) | Value::Map(m) => {
                let path = self.path.clone();
                visitor
                    .visit_map(Entries {
                        items: fields
                            .iter()
                            .map(|f| (*f, m.get(*f).unwrap_or(&NULL)))
                            .collect(),
                        next: 0,
                        path: path.clone(),
                        is_map: false,
                    })
                    .map_err(|e| e.at(&path))
            }
            _ => Err(self.mismatch("an object")),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.v {
            Value::String(s) => visitor
                .visit_enum(BorrowedStrDeserializer::<Error>::new(s))
                .map_err(|e| e.at(&self.path)),
            _ => Err(self.mismatch("a string")),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    plain! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char deserialize_str
        deserialize_string deserialize_bytes deserialize_byte_buf deserialize_identifier
    }

    serde::forward_to_deserialize_any! { unit unit_struct tuple tuple_struct }
}

// ---------- encoding ----------

/// Encodes a model as a value of type `ty`: absent attributes are null,
/// sets are canonical, numbers keep their precision. A field the type does
/// not have is an error.
pub fn encode<T: Serialize>(t: &T, ty: &Type) -> Result<Value, Diagnostics> {
    let j = serde_json::to_value(t)
        .map_err(|e| Diagnostic::error("Unexpected value", e.to_string()))?;
    typed(&j, ty, &AttrPath::root()).map_err(|(p, m)| {
        let d = Diagnostic::error("Unexpected value", m);
        (if p.is_empty() { d } else { d.at(p) }).into()
    })
}

/// Encodes a model as a value of a block: as [`encode`], with list and set
/// blocks the model leaves null empty, as Terraform has them.
pub fn encode_block<T: Serialize>(t: &T, block: &Block) -> Result<Value, Diagnostics> {
    encode(t, &block.ty()).map(|v| fill_blocks(block, v))
}

fn fill_blocks(block: &Block, v: Value) -> Value {
    let Value::Object(mut m) = v else { return v };
    for b in &block.blocks {
        let fill = |e: Vec<Value>| e.into_iter().map(|e| fill_blocks(&b.block, e)).collect();
        let x = match (b.nesting, m.remove(&b.name).unwrap_or(Value::Null)) {
            (Nesting::List, Value::Null) => Value::List(vec![]),
            (Nesting::Set, Value::Null) => Value::Set(vec![]),
            (Nesting::List, Value::List(e)) => Value::List(fill(e)),
            (Nesting::Set, Value::Set(e)) => Value::set(fill(e)),
            (Nesting::Single, x) => fill_blocks(&b.block, x),
            (_, x) => x,
        };
        m.insert(b.name.clone(), x);
    }
    Value::Object(m)
}

fn typed(j: &J, ty: &Type, at: &AttrPath) -> Result<Value, (AttrPath, String)> {
    let fail = |m: String| Err((at.clone(), m));
    match (j, ty) {
        (J::String(s), _) if s == UNKNOWN_JSON => Ok(Value::Unknown),
        (J::Null, _) => Ok(Value::Null),
        (J::Object(o), Type::Object(attrs)) => {
            if let Some(k) = o.keys().find(|k| !attrs.contains_key(*k)) {
                return fail(format!("{k:?} is not an attribute of the schema"));
            }
            let mut m = BTreeMap::new();
            for (name, t) in attrs {
                let x = o.get(name).unwrap_or(&J::Null);
                m.insert(name.clone(), typed(x, t, &at.push_attr(name))?);
            }
            Ok(Value::Object(m))
        }
        (J::Object(o), Type::Map(et)) => Ok(Value::Map(
            o.iter()
                .map(|(k, x)| Ok((k.clone(), typed(x, et, &at.push_key(k))?)))
                .collect::<Result<_, _>>()?,
        )),
        (J::Array(a), Type::List(et) | Type::Set(et)) => {
            let mut elems = a
                .iter()
                .enumerate()
                .map(|(i, x)| typed(x, et, &at.push_index(i)))
                .collect::<Result<Vec<_>, _>>()?;
            if matches!(ty, Type::Set(_)) {
                canonicalize_set(&mut elems);
                Ok(Value::Set(elems))
            } else {
                Ok(Value::List(elems))
            }
        }
        (J::Array(a), Type::Tuple(ets)) if a.len() == ets.len() => Ok(Value::Tuple(
            a.iter()
                .zip(ets)
                .enumerate()
                .map(|(i, (x, t))| typed(x, t, &at.push_index(i)))
                .collect::<Result<_, _>>()?,
        )),
        _ => super::json::from_json(j, ty).or_else(fail),
    }
}

// ---------- the 1:1 check ----------

/// The attribute paths a model requests, nested ones dotted
/// (`encryption.at_rest_s3.mode`). For a test against [`schema_paths`].
pub fn model_paths<T: DeserializeOwned>() -> BTreeSet<String> {
    let out = Rc::new(RefCell::new(BTreeSet::new()));
    let probe = Probe {
        prefix: String::new(),
        out: Rc::clone(&out),
    };
    if let Err(e) = T::deserialize(probe) {
        out.borrow_mut().insert(format!("<probe failed: {e}>"));
    }
    let r = out.borrow().clone();
    r
}

/// The attribute and nested block paths of a schema block, dotted.
pub fn schema_paths(block: &Block) -> BTreeSet<String> {
    fn walk(b: &Block, prefix: &str, out: &mut BTreeSet<String>) {
        for a in &b.attributes {
            out.insert(format!("{prefix}{}", a.name));
        }
        for nb in &b.blocks {
            out.insert(format!("{prefix}{}", nb.name));
            walk(&nb.block, &format!("{prefix}{}.", nb.name), out);
        }
    }
    let mut out = BTreeSet::new();
    walk(block, "", &mut out);
    out
}

/// A deserializer that feeds every struct a placeholder for each field it
/// requests, recording the field paths.
struct Probe {
    prefix: String,
    out: Rc<RefCell<BTreeSet<String>>>,
}

struct ProbeFields {
    prefix: String,
    out: Rc<RefCell<BTreeSet<String>>>,
    fields: std::slice::Iter<'static, &'static str>,
    current: &'static str,
}

impl<'de> de::MapAccess<'de> for ProbeFields {
    type Error = Error;
    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some(f) = self.fields.next() else {
            return Ok(None);
        };
        self.current = f;
        self.out.borrow_mut().insert(format!("{}{f}", self.prefix));
        seed.deserialize(BorrowedStrDeserializer::new(f)).map(Some)
    }
    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(Probe {
            prefix: format!("{}{}.", self.prefix, self.current),
            out: Rc::clone(&self.out),
        })
    }
}

struct ProbeOne(Option<Probe>);

impl<'de> de::SeqAccess<'de> for ProbeOne {
    type Error = Error;
    fn next_element_seed<S: de::DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, Error> {
        self.0.take().map(|p| seed.deserialize(p)).transpose()
    }
}

macro_rules! placeholder {
    ($($m:ident => $visit:ident($x:expr)),* $(,)?) => {$(
        fn $m<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            visitor.$visit($x)
        }
    )*};
}

impl<'de> Deserializer<'de> for Probe {
    type Error = Error;
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
    placeholder! {
        deserialize_bool => visit_bool(false),
        deserialize_i8 => visit_i64(0), deserialize_i16 => visit_i64(0),
        deserialize_i32 => visit_i64(0), deserialize_i64 => visit_i64(0),
        deserialize_u8 => visit_u64(0), deserialize_u16 => visit_u64(0),
        deserialize_u32 => visit_u64(0), deserialize_u64 => visit_u64(0),
        deserialize_f32 => visit_f64(0.0), deserialize_f64 => visit_f64(0.0),
        deserialize_str => visit_str(""), deserialize_string => visit_str(""),
        deserialize_char => visit_char(' '),
    }
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        match name {
            PLANNED => visitor.visit_some(self),
            NUMBER => visitor.visit_str("0"),
            _ => visitor.visit_newtype_struct(self),
        }
    }
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_seq(ProbeOne(Some(self)))
    }
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_map(MapDeserializer::<_, Error>::new(std::iter::empty::<(
            &str,
            &str,
        )>()))
    }
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_map(ProbeFields {
            prefix: self.prefix,
            out: self.out,
            fields: fields.iter(),
            current: "",
        })
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_enum(StrDeserializer::<Error>::new(
            variants.first().copied().unwrap_or(""),
        ))
    }
    serde::forward_to_deserialize_any! {
        i128 u128 bytes byte_buf unit unit_struct tuple tuple_struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    use super::*;
    use crate::tfplugin::schema::{Attribute, NestedBlock};

    #[derive(Debug, Default, Deserialize, Serialize, PartialEq)]
    struct Inner {
        mode: Planned<String>,
        size: Option<i64>,
    }

    #[derive(Debug, Default, Deserialize, Serialize, PartialEq)]
    struct Plan {
        name: Planned<String>,
        count: Planned<i64>,
        ratio: Planned<Number>,
        flag: Planned<bool>,
        ids: Planned<Vec<Planned<String>>>,
        tags: Option<BTreeMap<String, String>>,
        single: Option<Inner>,
        list: Vec<Inner>,
        set: Planned<Vec<Inner>>,
    }

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    struct SpecInner {
        mode: String,
        size: Option<i64>,
    }

    #[derive(Debug, Deserialize, Serialize, PartialEq)]
    struct Spec {
        name: String,
        count: i64,
        ratio: Number,
        flag: bool,
        ids: Vec<String>,
        tags: Option<BTreeMap<String, String>>,
        single: Option<SpecInner>,
        list: Vec<SpecInner>,
        set: Vec<SpecInner>,
    }

    fn block() -> Block {
        let inner = || {
            Block::new()
                .attr(Attribute::optional("mode", Type::String))
                .attr(Attribute::optional("size", Type::Number))
        };
        Block::new()
            .attr(Attribute::optional("name", Type::String))
            .attr(Attribute::optional("count", Type::Number))
            .attr(Attribute::optional("ratio", Type::Number))
            .attr(Attribute::optional("flag", Type::Bool))
            .attr(Attribute::optional("ids", Type::list(Type::String)))
            .attr(Attribute::optional("tags", Type::map(Type::String)))
            .block(NestedBlock::single("single", inner()))
            .block(NestedBlock::list("list", inner()))
            .block(NestedBlock::set("set", inner()))
    }

    fn inner(mode: Value, size: Value) -> Value {
        Value::object([("mode", mode), ("size", size)])
    }

    fn full() -> Value {
        Value::object([
            ("name", Value::string("n")),
            ("count", Value::number(3)),
            ("ratio", Value::Number(Number::parse("0.125").unwrap())),
            ("flag", Value::Bool(true)),
            (
                "ids",
                Value::List(vec![Value::string("a"), Value::string("b")]),
            ),
            (
                "tags",
                Value::Map([("k".to_string(), Value::string("v"))].into()),
            ),
            ("single", inner(Value::string("s"), Value::Null)),
            (
                "list",
                Value::List(vec![
                    inner(Value::string("l0"), Value::number(1)),
                    inner(Value::string("l1"), Value::Null),
                ]),
            ),
            (
                "set",
                Value::set(vec![inner(Value::string("x"), Value::number(2))]),
            ),
        ])
    }

    fn path_of(d: &Diagnostics) -> String {
        d.iter()
            .filter_map(|x| x.path.as_ref())
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join(",")
    }

    #[test]
    fn null_unknown_and_known_of_each_kind() {
        let mut v = block().empty_value();
        let p: Plan = decode(&v).unwrap();
        let empty_set = Plan {
            set: Planned::Known(vec![]),
            ..Plan::default()
        };
        assert_eq!(p, empty_set);

        for k in ["name", "count", "ratio", "flag", "ids", "set"] {
            v.set_attr(k, Value::Unknown);
        }
        let p: Plan = decode(&v).unwrap();
        assert!(p.name.is_unknown() && p.count.is_unknown() && p.ratio.is_unknown());
        assert!(p.flag.is_unknown() && p.ids.is_unknown() && p.set.is_unknown());
        assert_eq!(p.ids.elems(), &[] as &[Planned<String>]);

        let p: Plan = decode(&full()).unwrap();
        assert_eq!(p.name.as_str(), Some("n"));
        assert_eq!(p.count, Planned::Known(3));
        assert_eq!(p.ratio.known().map(Number::as_str), Some("0.125"));
        assert_eq!(p.flag, Planned::Known(true));
        assert_eq!(p.ids.known_elems().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(p.tags.unwrap()["k"], "v");
        assert_eq!(p.single.unwrap().mode.as_str(), Some("s"));
        assert_eq!(p.list[0].size, Some(1));
        assert_eq!(p.list[1].size, None);
        assert_eq!(p.set.elems()[0].mode.as_str(), Some("x"));

        // Unknown elements of a known list stay unknown, one by one.
        let mut v = full();
        v.set_attr("ids", Value::List(vec![Value::Unknown, Value::string("b")]));
        let p: Plan = decode(&v).unwrap();
        assert_eq!(p.ids.elems()[0], Planned::Unknown);
        assert_eq!(p.ids.known_elems().collect::<Vec<_>>(), ["b"]);
    }

    #[test]
    fn plain_fields_refuse_null_unknown_and_mistyped_values_at_their_path() {
        let case = |k: &str, x: Value| {
            let mut v = full();
            v.set_attr(k, x);
            decode::<Spec>(&v).map(|_| ()).unwrap_err()
        };
        let d = case("name", Value::Null);
        assert_eq!(path_of(&d), "name");
        assert!(d.to_string().contains("null"), "{d}");
        let d = case("count", Value::Unknown);
        assert_eq!(path_of(&d), "count");
        assert_eq!(d.0[0].summary, "Value unknown");
        assert_eq!(
            path_of(&case("count", Value::Number(Number::parse("2.5").unwrap()))),
            "count"
        );
        assert_eq!(path_of(&case("flag", Value::string("yes"))), "flag");
        assert_eq!(
            path_of(&case(
                "ids",
                Value::List(vec![Value::string("a"), Value::Unknown])
            )),
            "ids[1]"
        );
        assert_eq!(
            path_of(&case(
                "tags",
                Value::Map([("k".to_string(), Value::Unknown)].into())
            )),
            "tags[\"k\"]"
        );
        assert_eq!(
            path_of(&case(
                "list",
                Value::List(vec![
                    inner(Value::string("a"), Value::Null),
                    inner(Value::Null, Value::Null)
                ])
            )),
            "list[1].mode"
        );
        assert_eq!(
            path_of(&case("single", inner(Value::string("a"), Value::Unknown))),
            "single.size"
        );
        // Option is null or known, not unknown.
        assert_eq!(path_of(&case("tags", Value::Unknown)), "tags");
    }

    #[test]
    fn numbers_keep_their_precision() {
        let big = "123456789012345678901234567890.5";
        let mut v = full();
        v.set_attr("ratio", Value::Number(Number::parse(big).unwrap()));
        let s: Spec = decode(&v).unwrap();
        assert_eq!(s.ratio.as_str(), big);
        assert_eq!(encode(&s, &block().ty()).unwrap(), v);
    }

    #[test]
    fn encode_of_decode_is_the_value() {
        let ty = block().ty();
        for v in [full(), block().empty_value()] {
            let p: Plan = decode(&v).unwrap();
            assert_eq!(encode(&p, &ty).unwrap(), v);
        }
        let s: Spec = decode(&full()).unwrap();
        assert_eq!(encode(&s, &ty).unwrap(), full());
        // Unknowns survive, nested too.
        let mut v = full();
        v.set_attr("name", Value::Unknown);
        v.set_attr("single", inner(Value::Unknown, Value::Null));
        let p: Plan = decode(&v).unwrap();
        assert_eq!(encode(&p, &ty).unwrap(), v);
    }

    #[test]
    fn encode_fills_absent_attributes_and_rejects_strangers() {
        #[derive(Serialize)]
        struct Part {
            name: &'static str,
            set: Vec<BTreeMap<&'static str, &'static str>>,
        }
        let v = encode(
            &Part {
                name: "n",
                set: vec![[("mode", "b")].into(), [("mode", "a")].into()],
            },
            &block().ty(),
        )
        .unwrap();
        let mut want = block().empty_value();
        want.set_attr("name", Value::string("n"));
        want.set_attr("list", Value::Null);
        want.set_attr(
            "set",
            Value::set(vec![
                inner(Value::string("a"), Value::Null),
                inner(Value::string("b"), Value::Null),
            ]),
        );
        assert_eq!(v, want);

        let v = encode_block(
            &Part {
                name: "n",
                set: vec![],
            },
            &block(),
        )
        .unwrap();
        assert_eq!(v.get("list"), &Value::List(vec![]));
        assert_eq!(v.get("single"), &Value::Null);

        #[derive(Serialize)]
        struct Typo {
            nmae: &'static str,
        }
        let d = encode(&Typo { nmae: "n" }, &block().ty()).unwrap_err();
        assert!(d.to_string().contains("nmae"), "{d}");
    }

    #[test]
    fn known_turns_a_plan_into_a_spec_or_names_what_is_unknown() {
        let p: Plan = decode(&full()).unwrap();
        let s: Spec = known(&p).unwrap();
        assert_eq!(s, decode::<Spec>(&full()).unwrap());
        let mut v = full();
        v.set_attr(
            "list",
            Value::List(vec![
                inner(Value::string("a"), Value::Null),
                inner(Value::Unknown, Value::Null),
            ]),
        );
        let p: Plan = decode(&v).unwrap();
        let d = known::<Spec>(&p).unwrap_err();
        assert_eq!(path_of(&d), "list[1].mode");
        assert_eq!(d.0[0].summary, "Value unknown");
        assert!(wholly_known(&decode::<Plan>(&full()).unwrap()));
        assert!(!wholly_known(&p));
    }

    #[test]
    fn model_paths_list_every_field_to_compare_with_the_schema() {
        let want = schema_paths(&block());
        assert!(want.contains("single.mode") && want.contains("set.size"));
        assert_eq!(model_paths::<Plan>(), want);
        assert_eq!(model_paths::<Spec>(), want);

        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Typo {
            nmae: Planned<String>,
            single: Option<SpecInner>,
        }
        let got = model_paths::<Typo>();
        assert_eq!(
            got.difference(&want).collect::<Vec<_>>(),
            [&"nmae".to_string()]
        );
    }
}
