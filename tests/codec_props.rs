//! Property tests of the value codecs: any value of any type, with unknowns
//! and nulls nested anywhere (lists, maps, sets, objects, tuples, dynamic),
//! survives msgpack encode → decode unchanged; known values survive JSON.

use std::collections::BTreeMap;

use proptest::prelude::*;
use terraform_provider_emr::tfplugin::{json, msgpack, value, Number, Type, Value};

fn arb_type() -> impl Strategy<Value = Type> {
    let leaf = prop_oneof![
        Just(Type::Bool),
        Just(Type::Number),
        Just(Type::String),
        Just(Type::Dynamic)
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(Type::list),
            inner.clone().prop_map(Type::set),
            inner.clone().prop_map(Type::map),
            prop::collection::btree_map("[a-z_]{1,6}", inner.clone(), 0..4).prop_map(Type::Object),
            prop::collection::vec(inner, 0..3).prop_map(Type::Tuple),
        ]
    })
}

fn arb_number() -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from_i64),
        any::<u64>().prop_map(Number::from_u64),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| Number::from_f64(f).unwrap()),
        "-?[1-9][0-9]{18,40}(\\.[0-9]{1,20})?".prop_map(|s| Number::parse(&s).unwrap()),
    ]
}

/// A value conforming to `ty`; `unknowns` allows unknown anywhere.
fn arb_value(ty: Type, unknowns: bool) -> BoxedStrategy<Value> {
    let known: BoxedStrategy<Value> = match ty.clone() {
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::Number => arb_number().prop_map(Value::Number).boxed(),
        Type::String => any::<String>().prop_map(Value::String).boxed(),
        Type::Dynamic => {
            // a concrete type travels with the value
            prop_oneof![
                Just(Type::String),
                Just(Type::Number),
                Just(Type::list(Type::Bool))
            ]
            .prop_flat_map(move |t| {
                arb_value(t.clone(), unknowns)
                    .prop_map(move |v| Value::Dynamic(t.clone(), Box::new(v)))
            })
            .boxed()
        }
        Type::List(et) => prop::collection::vec(arb_value(*et, unknowns), 0..4)
            .prop_map(Value::List)
            .boxed(),
        Type::Set(et) => prop::collection::vec(arb_value(*et, unknowns), 0..4)
            .prop_map(Value::set)
            .boxed(),
        Type::Map(et) => {
            prop::collection::btree_map("[a-zA-Z0-9 ._-]{0,8}", arb_value(*et, unknowns), 0..4)
                .prop_map(Value::Map)
                .boxed()
        }
        Type::Object(attrs) => {
            let parts: Vec<_> = attrs
                .iter()
                .map(|(k, t)| (Just(k.clone()), arb_value(t.clone(), unknowns)))
                .collect();
            parts
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<BTreeMap<_, _>>()))
                .boxed()
        }
        Type::Tuple(ets) => {
            let parts: Vec<_> = ets.into_iter().map(|t| arb_value(t, unknowns)).collect();
            parts.prop_map(Value::Tuple).boxed()
        }
    };
    if unknowns {
        prop_oneof![1 => Just(Value::Null), 1 => Just(Value::Unknown), 6 => known].boxed()
    } else {
        prop_oneof![1 => Just(Value::Null), 6 => known].boxed()
    }
}

fn typed_value(unknowns: bool) -> impl Strategy<Value = (Type, Value)> {
    arb_type()
        .prop_flat_map(move |t| arb_value(t.clone(), unknowns).prop_map(move |v| (t.clone(), v)))
}

/// Two values of one type (sets hold elements of one type).
fn same_typed_pair() -> impl Strategy<Value = (Value, Value)> {
    arb_type().prop_flat_map(|t| (arb_value(t.clone(), true), arb_value(t, true)))
}

/// The order sets had when they were sorted by their elements' encodings.
fn wire_order(a: &Value, b: &Value) -> std::cmp::Ordering {
    let key = |v: &Value| msgpack::encode(v, &v.implied_type());
    key(a).cmp(&key(b))
}

fn contains_unknown(v: &Value) -> bool {
    !v.is_wholly_known()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn msgpack_round_trips_with_nested_unknowns((ty, v) in typed_value(true)) {
        let bytes = msgpack::encode(&v, &ty);
        prop_assert_eq!(msgpack::decode(&bytes, &ty), Ok(v));
    }

    #[test]
    fn msgpack_encoding_is_deterministic((ty, v) in typed_value(true)) {
        prop_assert_eq!(msgpack::encode(&v, &ty), msgpack::encode(&v.clone(), &ty));
    }

    #[test]
    fn json_round_trips_known_values((ty, v) in typed_value(false)) {
        // JSON has no unknown; dynamic values carry {"value","type"}.
        let j = json::to_json(&v);
        let back = json::from_json(&j, &ty);
        prop_assert_eq!(back, Ok(v));
    }

    #[test]
    fn an_unknown_anywhere_is_detected((ty, v) in typed_value(true)) {
        let decoded = msgpack::decode(&msgpack::encode(&v, &ty), &ty).unwrap();
        prop_assert_eq!(contains_unknown(&decoded), contains_unknown(&v));
    }

    #[test]
    fn set_order_is_the_wire_order_of_same_typed_values((a, b) in same_typed_pair()) {
        prop_assert_eq!(value::set_order(&a, &b), wire_order(&a, &b));
        prop_assert_eq!(value::set_order(&b, &a), wire_order(&b, &a));
    }

    #[test]
    fn set_order_is_the_wire_order_of_any_values((_, a) in typed_value(true), (_, b) in typed_value(true)) {
        prop_assert_eq!(value::set_order(&a, &b), wire_order(&a, &b));
    }

    #[test]
    fn sets_sort_and_dedup_as_by_their_encodings(elems in arb_type().prop_flat_map(|t| prop::collection::vec(arb_value(t, true), 0..8))) {
        let mut keyed: Vec<(Vec<u8>, Value)> = elems
            .iter()
            .map(|v| (msgpack::encode(v, &v.implied_type()), v.clone()))
            .collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0));
        keyed.dedup_by(|a, b| a.0 == b.0);
        let want: Vec<Value> = keyed.into_iter().map(|(_, v)| v).collect();
        prop_assert_eq!(Value::set(elems), Value::Set(want));
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64), ty in arb_type()) {
        let _ = msgpack::decode(&bytes, &ty);
    }
}
