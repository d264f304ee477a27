//! The msgpack wire encoding of values, driven by the schema's type.
//!
//! Unknown values are msgpack extensions: we read any extension as unknown
//! (newer Terraform attaches refinements with other extension codes) and write
//! extension 0. Numbers go out as integers or exact floats when they fit and as
//! decimal strings otherwise, so no precision is lost.

use std::collections::BTreeMap;

use super::value::{canonicalize_set, Number, Type, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "msgpack: {}", self.0)
    }
}
impl std::error::Error for DecodeError {}

fn err<T>(msg: impl Into<String>) -> Result<T, DecodeError> {
    Err(DecodeError(msg.into()))
}

/// Decodes a whole msgpack document as a value of type `ty`.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, DecodeError> {
    let mut r = Reader { buf: bytes, pos: 0 };
    let v = r.value(ty, 0)?;
    if r.pos != bytes.len() {
        return err(format!("{} trailing bytes", bytes.len() - r.pos));
    }
    Ok(v)
}

/// Encodes a value of type `ty`. Values that do not conform to the type are
/// encoded by what they are (the decoder on the other side reports mismatches).
pub fn encode(v: &Value, ty: &Type) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    write_value(&mut out, v, ty);
    out
}

const MAX_DEPTH: usize = 64;

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, DecodeError> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or_else(|| DecodeError("unexpected end of input".into()))?;
        self.pos += 1;
        Ok(b)
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.buf.len());
        match end {
            Some(e) => {
                let s = &self.buf[self.pos..e];
                self.pos = e;
                Ok(s)
            }
            None => err("unexpected end of input"),
        }
    }
    fn be(&mut self, n: usize) -> Result<u64, DecodeError> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Reads one msgpack item without type information.
    fn item(&mut self) -> Result<Item<'a>, DecodeError> {
        let m = self.byte()?;
        Ok(match m {
            0x00..=0x7f => Item::Int(i128::from(m)),
            0xe0..=0xff => Item::Int(i128::from(m as i8)),
            0x80..=0x8f => Item::Map(usize::from(m & 0x0f)),
            0x90..=0x9f => Item::Array(usize::from(m & 0x0f)),
            0xa0..=0xbf => Item::Str(self.take(usize::from(m & 0x1f))?),
            0xc0 => Item::Nil,
            0xc2 => Item::Bool(false),
            0xc3 => Item::Bool(true),
            0xc4 => {
                let n = self.be(1)? as usize;
                Item::Bin(self.take(n)?)
            }
            0xc5 => {
                let n = self.be(2)? as usize;
                Item::Bin(self.take(n)?)
            }
            0xc6 => {
                let n = self.be(4)? as usize;
                Item::Bin(self.take(n)?)
            }
            0xc7 => {
                let n = self.be(1)? as usize;
                self.take(n + 1)?;
                Item::Ext
            }
            0xc8 => {
                let n = self.be(2)? as usize;
                self.take(n + 1)?;
                Item::Ext
            }
            0xc9 => {
                let n = self.be(4)? as usize;
                self.take(n.saturating_add(1))?;
                Item::Ext
            }
            0xca => Item::Float(f64::from(f32::from_bits(self.be(4)? as u32))),
            0xcb => Item::Float(f64::from_bits(self.be(8)?)),
            0xcc => Item::Int(i128::from(self.be(1)?)),
            0xcd => Item::Int(i128::from(self.be(2)?)),
            0xce => Item::Int(i128::from(self.be(4)?)),
            0xcf => Item::Int(i128::from(self.be(8)?)),
            0xd0 => Item::Int(i128::from(self.be(1)? as u8 as i8)),
            0xd1 => Item::Int(i128::from(self.be(2)? as u16 as i16)),
            0xd2 => Item::Int(i128::from(self.be(4)? as u32 as i32)),
            0xd3 => Item::Int(i128::from(self.be(8)? as i64)),
            0xd4 => {
                self.take(2)?;
                Item::Ext
            }
            0xd5 => {
                self.take(3)?;
                Item::Ext
            }
            0xd6 => {
                self.take(5)?;
                Item::Ext
            }
            0xd7 => {
                self.take(9)?;
                Item::Ext
            }
            0xd8 => {
                self.take(17)?;
                Item::Ext
            }
            0xd9 => {
                let n = self.be(1)? as usize;
                Item::Str(self.take(n)?)
            }
            0xda => {
                let n = self.be(2)? as usize;
                Item::Str(self.take(n)?)
            }
            0xdb => {
                let n = self.be(4)? as usize;
                Item::Str(self.take(n)?)
            }
            0xdc => Item::Array(self.be(2)? as usize),
            0xdd => Item::Array(self.be(4)? as usize),
            0xde => Item::Map(self.be(2)? as usize),
            0xdf => Item::Map(self.be(4)? as usize),
            0xc1 => return err("reserved marker 0xc1"),
        })
    }

    fn value(&mut self, ty: &Type, depth: usize) -> Result<Value, DecodeError> {
        if depth > MAX_DEPTH {
            return err("value nested too deeply");
        }
        let item = self.item()?;
        match item {
            Item::Nil => return Ok(Value::Null),
            Item::Ext => return Ok(Value::Unknown),
            _ => {}
        }
        match ty {
            Type::Bool => match item {
                Item::Bool(b) => Ok(Value::Bool(b)),
                other => err(format!("expected bool, got {}", other.name())),
            },
            Type::Number => match item {
                Item::Int(i) => Ok(Value::Number(
                    Number::parse(&i.to_string()).map_err(DecodeError)?,
                )),
                Item::Float(f) => Ok(Value::Number(Number::from_f64(f).map_err(DecodeError)?)),
                Item::Str(s) => {
                    let s = std::str::from_utf8(s)
                        .map_err(|_| DecodeError("number text is not UTF-8".into()))?;
                    Ok(Value::Number(Number::parse(s).map_err(DecodeError)?))
                }
                other => err(format!("expected number, got {}", other.name())),
            },
            Type::String => match item {
                Item::Str(s) | Item::Bin(s) => Ok(Value::String(
                    String::from_utf8(s.to_vec())
                        .map_err(|_| DecodeError("string is not UTF-8".into()))?,
                )),
                other => err(format!("expected string, got {}", other.name())),
            },
            Type::List(et) | Type::Set(et) => {
                let Item::Array(n) = item else {
                    return err(format!("expected array, got {}", item.name()));
                };
                let mut elems = Vec::with_capacity(n.min(self.remaining()));
                for _ in 0..n {
                    elems.push(self.value(et, depth + 1)?);
                }
                if matches!(ty, Type::Set(_)) {
                    canonicalize_set(&mut elems);
                    Ok(Value::Set(elems))
                } else {
                    Ok(Value::List(elems))
                }
            }
            Type::Tuple(ets) => {
                let Item::Array(n) = item else {
                    return err(format!("expected array, got {}", item.name()));
                };
                if n != ets.len() {
                    return err(format!("tuple needs {} elements, got {n}", ets.len()));
                }
                let mut elems = Vec::with_capacity(n);
                for et in ets {
                    elems.push(self.value(et, depth + 1)?);
                }
                Ok(Value::Tuple(elems))
            }
            Type::Map(et) => {
                let Item::Map(n) = item else {
                    return err(format!("expected map, got {}", item.name()));
                };
                let mut m = BTreeMap::new();
                for _ in 0..n {
                    let k = self.key()?;
                    let v = self.value(et, depth + 1)?;
                    m.insert(k, v);
                }
                Ok(Value::Map(m))
            }
            Type::Object(attrs) => {
                let Item::Map(n) = item else {
                    return err(format!("expected object, got {}", item.name()));
                };
                let mut m = BTreeMap::new();
                for _ in 0..n {
                    let k = self.key()?;
                    let Some(at) = attrs.get(&k) else {
                        return err(format!("unsupported attribute {k:?}"));
                    };
                    let v = self.value(at, depth + 1)?;
                    m.insert(k, v);
                }
                for name in attrs.keys() {
                    m.entry(name.clone()).or_insert(Value::Null);
                }
                Ok(Value::Object(m))
            }
            Type::Dynamic => {
                // [type JSON, value]
                let Item::Array(2) = item else {
                    return err(format!("expected dynamic value pair, got {}", item.name()));
                };
                let tj = match self.item()? {
                    Item::Str(b) | Item::Bin(b) => b,
                    other => {
                        return err(format!("expected dynamic type JSON, got {}", other.name()))
                    }
                };
                let tj: serde_json::Value = serde_json::from_slice(tj)
                    .map_err(|e| DecodeError(format!("dynamic type JSON: {e}")))?;
                let t = Type::from_json(&tj).map_err(DecodeError)?;
                if t == Type::Dynamic {
                    return err("dynamic value cannot have dynamic type");
                }
                let v = self.value(&t, depth + 1)?;
                Ok(Value::Dynamic(t, Box::new(v)))
            }
        }
    }

    fn key(&mut self) -> Result<String, DecodeError> {
        match self.item()? {
            Item::Str(s) => {
                String::from_utf8(s.to_vec()).map_err(|_| DecodeError("key is not UTF-8".into()))
            }
            other => err(format!("expected string key, got {}", other.name())),
        }
    }
}

enum Item<'a> {
    Nil,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(&'a [u8]),
    Bin(&'a [u8]),
    Array(usize),
    Map(usize),
    Ext,
}

impl Item<'_> {
    fn name(&self) -> &'static str {
        match self {
            Item::Nil => "nil",
            Item::Bool(_) => "bool",
            Item::Int(_) => "integer",
            Item::Float(_) => "float",
            Item::Str(_) => "string",
            Item::Bin(_) => "binary",
            Item::Array(_) => "array",
            Item::Map(_) => "map",
            Item::Ext => "extension",
        }
    }
}

fn write_value(out: &mut Vec<u8>, v: &Value, ty: &Type) {
    match v {
        Value::Null => out.push(0xc0),
        Value::Unknown => out.extend_from_slice(&[0xd4, 0x00, 0x00]),
        Value::Dynamic(t, inner) if *ty == Type::Dynamic => {
            write_array_len(out, 2);
            write_bin(out, &t.to_json_bytes());
            write_value(out, inner, t);
        }
        Value::Dynamic(_, inner) => write_value(out, inner, ty),
        _ if *ty == Type::Dynamic => {
            let t = v.implied_type();
            write_array_len(out, 2);
            write_bin(out, &t.to_json_bytes());
            write_value(out, v, &t);
        }
        Value::Bool(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_str(out, s),
        Value::List(e) | Value::Set(e) | Value::Tuple(e) => {
            write_array_len(out, e.len());
            for (i, x) in e.iter().enumerate() {
                let et = match ty {
                    Type::List(t) | Type::Set(t) => (**t).clone(),
                    Type::Tuple(ts) => ts.get(i).cloned().unwrap_or(Type::Dynamic),
                    _ => x.implied_type(),
                };
                write_value(out, x, &et);
            }
        }
        Value::Map(m) => {
            write_map_len(out, m.len());
            for (k, x) in m {
                write_str(out, k);
                let et = match ty {
                    Type::Map(t) => (**t).clone(),
                    _ => x.implied_type(),
                };
                write_value(out, x, &et);
            }
        }
        Value::Object(m) => match ty {
            Type::Object(attrs) => {
                write_map_len(out, attrs.len());
                for (k, at) in attrs {
                    write_str(out, k);
                    write_value(out, m.get(k).unwrap_or(&Value::Null), at);
                }
            }
            _ => {
                write_map_len(out, m.len());
                for (k, x) in m {
                    write_str(out, k);
                    write_value(out, x, &x.implied_type());
                }
            }
        },
    }
}

fn write_number(out: &mut Vec<u8>, n: &Number) {
    if let Some(i) = n.to_i64() {
        write_int(out, i);
    } else if let Some(u) = n.to_u64() {
        write_uint(out, u);
    } else if let Some(f) = n.to_f64_exact() {
        out.push(0xcb);
        out.extend_from_slice(&f.to_bits().to_be_bytes());
    } else {
        write_str(out, n.as_str());
    }
}

/// The smallest form, as Terraform writes it (cty's compact encoding):
/// unsigned for a non-negative number, signed for a negative one.
fn write_int(out: &mut Vec<u8>, i: i64) {
    if let Ok(u) = u64::try_from(i) {
        write_uint(out, u);
    } else if (-32..0).contains(&i) {
        out.push(i as i8 as u8);
    } else if let Ok(x) = i8::try_from(i) {
        out.push(0xd0);
        out.push(x as u8);
    } else if let Ok(x) = i16::try_from(i) {
        out.push(0xd1);
        out.extend_from_slice(&x.to_be_bytes());
    } else if let Ok(x) = i32::try_from(i) {
        out.push(0xd2);
        out.extend_from_slice(&x.to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&i.to_be_bytes());
    }
}

fn write_uint(out: &mut Vec<u8>, u: u64) {
    if u <= 0x7f {
        out.push(u as u8);
    } else if let Ok(x) = u8::try_from(u) {
        out.push(0xcc);
        out.push(x);
    } else if let Ok(x) = u16::try_from(u) {
        out.push(0xcd);
        out.extend_from_slice(&x.to_be_bytes());
    } else if let Ok(x) = u32::try_from(u) {
        out.push(0xce);
        out.extend_from_slice(&x.to_be_bytes());
    } else {
        out.push(0xcf);
        out.extend_from_slice(&u.to_be_bytes());
    }
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    let n = s.len();
    if n < 32 {
        out.push(0xa0 | n as u8);
    } else if n <= 0xff {
        out.push(0xd9);
        out.push(n as u8);
    } else if n <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
    out.extend_from_slice(s.as_bytes());
}

fn write_bin(out: &mut Vec<u8>, b: &[u8]) {
    let n = b.len();
    if n <= 0xff {
        out.push(0xc4);
        out.push(n as u8);
    } else if n <= 0xffff {
        out.push(0xc5);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xc6);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
    out.extend_from_slice(b);
}

fn write_array_len(out: &mut Vec<u8>, n: usize) {
    if n < 16 {
        out.push(0x90 | n as u8);
    } else if n <= 0xffff {
        out.push(0xdc);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xdd);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

fn write_map_len(out: &mut Vec<u8>, n: usize) {
    if n < 16 {
        out.push(0x80 | n as u8);
    } else if n <= 0xffff {
        out.push(0xde);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(0xdf);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_order_is_byte_order_at_every_encoding_boundary() {
        let n = |s: &str| Value::Number(Number::parse(s).unwrap());
        let strs = [0, 1, 31, 32, 255, 256, 65_535, 65_536].map(|k| Value::string("s".repeat(k)));
        let list = |k: usize| Value::List(vec![Value::Bool(true); k]);
        let map =
            |k: usize| Value::Map((0..k).map(|i| (i.to_string(), Value::number(1))).collect());
        let mut values: Vec<Value> = [
            "0",
            "1",
            "127",
            "128",
            "255",
            "256",
            "-1",
            "-32",
            "-33",
            "-128",
            "-129",
            "32767",
            "32768",
            "-32768",
            "-32769",
            "2147483647",
            "2147483648",
            "-2147483649",
            "9223372036854775807",
            "9223372036854775808",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775809",
            "0.5",
            "-0.5",
            "1e300",
            "0.1",
            "0.30000000000000000001",
        ]
        .map(n)
        .to_vec();
        values.extend(strs);
        values.extend([0, 1, 15, 16].map(list));
        values.extend([0, 15, 16].map(map));
        values.extend([
            Value::Null,
            Value::Unknown,
            Value::Bool(false),
            Value::Dynamic(Type::String, Box::new(Value::string("s"))),
            Value::List(vec![Value::Null, Value::string("x")]),
            Value::List(vec![Value::Null, Value::number(1)]),
            Value::Tuple(vec![Value::Unknown, Value::Bool(true)]),
            Value::Set(vec![Value::string("b"), Value::number(2)]),
            Value::object([("a", Value::Null), ("b", Value::string("x"))]),
            Value::object([("a", Value::List(vec![]))]),
        ]);
        let key = |v: &Value| encode(v, &v.implied_type());
        for a in &values {
            for b in &values {
                assert_eq!(
                    crate::tfplugin::value::set_order(a, b),
                    key(a).cmp(&key(b)),
                    "{a:?} vs {b:?}"
                );
            }
        }
    }

    #[test]
    fn unknown_is_extension_zero_and_any_extension_reads_unknown() {
        assert_eq!(encode(&Value::Unknown, &Type::String), vec![0xd4, 0, 0]);
        // fixext1 with another type code (refined unknown) and ext8 with payload
        assert_eq!(
            decode(&[0xd4, 0x0c, 0x01], &Type::String),
            Ok(Value::Unknown)
        );
        assert_eq!(
            decode(&[0xc7, 0x02, 0x0c, 0x81, 0x01], &Type::Number),
            Ok(Value::Unknown)
        );
    }

    #[test]
    fn numbers_keep_precision() {
        let big = Value::Number(Number::parse("123456789012345678901234567890.5").unwrap());
        let bytes = encode(&big, &Type::Number);
        assert!(
            matches!(bytes[0], 0xa0..=0xbf | 0xd9),
            "a number too big for f64 travels as text"
        );
        assert_eq!(decode(&bytes, &Type::Number), Ok(big));
        assert_eq!(encode(&Value::number(-1), &Type::Number), vec![0xff]);
        // As Terraform writes them: unsigned when not negative.
        assert_eq!(
            encode(&Value::number(300), &Type::Number),
            vec![0xcd, 0x01, 0x2c]
        );
        assert_eq!(encode(&Value::number(200), &Type::Number), vec![0xcc, 200]);
        assert_eq!(
            encode(&Value::number(-300), &Type::Number),
            vec![0xd1, 0xfe, 0xd4]
        );
        let half = Value::Number(Number::parse("0.5").unwrap());
        assert_eq!(encode(&half, &Type::Number)[0], 0xcb);
    }

    #[test]
    fn dynamic_values_carry_their_type() {
        let v = Value::Dynamic(
            Type::list(Type::String),
            Box::new(Value::List(vec![Value::string("a")])),
        );
        let bytes = encode(&v, &Type::Dynamic);
        assert_eq!(decode(&bytes, &Type::Dynamic), Ok(v));
    }

    #[test]
    fn objects_fill_missing_attributes_with_null_and_reject_unknown_ones() {
        let ty = Type::object([("a", Type::String), ("b", Type::Bool)]);
        // {"a": "x"}
        let got = decode(&[0x81, 0xa1, b'a', 0xa1, b'x'], &ty);
        assert_eq!(
            got,
            Ok(Value::object([
                ("a", Value::string("x")),
                ("b", Value::Null)
            ]))
        );
        assert!(decode(&[0x81, 0xa1, b'z', 0xc0], &ty).is_err());
    }

    #[test]
    fn truncated_input_is_an_error_not_a_panic() {
        let ty = Type::list(Type::String);
        let full = encode(&Value::List(vec![Value::string("hello")]), &ty);
        for n in 0..full.len() {
            assert!(decode(&full[..n], &ty).is_err());
        }
        assert!(decode(&[0xdd, 0xff, 0xff, 0xff, 0xff], &ty).is_err());
    }
}
