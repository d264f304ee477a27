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

/// One of the ways a fuzzer damages an input: flip a byte, cut the tail,
/// insert or repeat bytes.
#[derive(Clone, Debug)]
enum Damage {
    Set(usize, u8),
    Truncate(usize),
    Insert(usize, Vec<u8>),
    Repeat(usize, usize),
}

fn damage(mut bytes: Vec<u8>, damages: &[Damage]) -> Vec<u8> {
    for d in damages {
        let len = bytes.len().max(1);
        match d {
            Damage::Set(i, b) => {
                if let Some(x) = bytes.get_mut(i % len) {
                    *x = *b;
                }
            }
            Damage::Truncate(i) => bytes.truncate(i % len),
            Damage::Insert(i, more) => {
                let at = (i % len).min(bytes.len());
                bytes.splice(at..at, more.iter().copied());
            }
            Damage::Repeat(i, n) => {
                let at = (i % len).min(bytes.len());
                let tail = bytes[at..].to_vec();
                for _ in 0..(n % 3) {
                    bytes.extend_from_slice(&tail);
                }
            }
        }
    }
    bytes
}

fn arb_damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        4 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Damage::Set(i, b)),
        1 => any::<usize>().prop_map(Damage::Truncate),
        2 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..6))
            .prop_map(|(i, v)| Damage::Insert(i, v)),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(i, n)| Damage::Repeat(i, n)),
    ]
}

/// The decoder's fuzzing in `make test` (issue #14, item 6), bounded in time
/// (`EMR_FUZZ_SECONDS`, default 20; `make fuzz` runs the libFuzzer target).
/// Inputs are valid encodings of random typed values, damaged: unlike random
/// bytes they reach deep into the decoder. A damaged input must never panic
/// the decoder, and whatever it accepts must encode and decode back to
/// itself (it conforms to the type).
#[test]
fn damaged_encodings_never_panic_and_what_decodes_is_well_formed() {
    use proptest::test_runner::{Config, RngSeed, TestRunner};
    let seconds: u64 = std::env::var("EMR_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let clock = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1);
    let seed: u64 = std::env::var("EMR_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(clock);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    let strategy = (typed_value(true), prop::collection::vec(arb_damage(), 1..4));
    let (mut rounds, accepted) = (0u64, std::cell::Cell::new(0u64));
    while std::time::Instant::now() < deadline {
        // A runner per round, each with its own seed.
        let mut runner = TestRunner::new(Config {
            cases: 500,
            failure_persistence: None,
            rng_seed: RngSeed::Fixed(seed.wrapping_add(rounds)),
            ..Config::default()
        });
        let result = runner.run(&strategy, |((ty, v), damages)| {
            let bytes = damage(msgpack::encode(&v, &ty), &damages);
            if let Ok(decoded) = msgpack::decode(&bytes, &ty) {
                let again = msgpack::decode(&msgpack::encode(&decoded, &ty), &ty);
                prop_assert_eq!(again.ok(), Some(decoded));
                accepted.set(accepted.get() + 1);
            }
            Ok(())
        });
        if let Err(e) = result {
            panic!("{e} (repeat with EMR_FUZZ_SEED={seed})");
        }
        rounds += 1;
    }
    eprintln!(
        "decoder fuzzing: {} damaged inputs in {seconds}s, {} of them still decoded (EMR_FUZZ_SEED={seed})",
        rounds * 500,
        accepted.get()
    );
    assert!(rounds > 0, "no round ran");
}
