//! Feeds arbitrary bytes to the schema-driven msgpack decoder under several
//! types (including the provider's real resource schema). It must return an
//! error or a value, never panic; a decoded value must re-encode and decode
//! to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use terraform_provider_emr::tfplugin::{msgpack, Type};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else { return };
    let ty = match selector % 6 {
        0 => terraform_provider_emr::resources::security_configuration::schema().ty(),
        1 => terraform_provider_emr::provider::provider_schema().ty(),
        2 => Type::Dynamic,
        3 => Type::list(Type::map(Type::Number)),
        4 => Type::set(Type::object([("a", Type::String), ("b", Type::Dynamic)])),
        _ => Type::Tuple(vec![Type::Bool, Type::String, Type::list(Type::Dynamic)]),
    };
    if let Ok(v) = msgpack::decode(bytes, &ty) {
        let again = msgpack::encode(&v, &ty);
        assert_eq!(msgpack::decode(&again, &ty).ok(), Some(v));
    }
});
