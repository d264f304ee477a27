//! The plan pipeline shared by every resource: defaults, "(known after
//! apply)" only where something changed, use-state-for-unknown, and the
//! requires-replace paths derived from the schema.

use super::diag::AttrPath;
use super::schema::{Block, Nesting, Schema};
use super::value::Value;

/// The planned new state before the resource's own plan logic runs.
/// `prior` is Null for a create.
pub fn initial_plan(schema: &Schema, prior: &Value, proposed: &Value, config: &Value) -> Value {
    if proposed.is_null() {
        return Value::Null;
    }
    let with_defaults = apply_defaults(&schema.block, proposed, config);
    let changed = prior.is_null() || with_defaults != *prior;
    mark_unknown(&schema.block, prior, &with_defaults, config, changed)
}

fn apply_defaults(block: &Block, proposed: &Value, config: &Value) -> Value {
    let Value::Object(attrs) = proposed else {
        return proposed.clone();
    };
    let mut out = attrs.clone();
    for a in &block.attributes {
        if let Some(d) = &a.default {
            if config.get(&a.name).is_null() {
                out.insert(a.name.clone(), d.clone());
            }
        }
    }
    for b in &block.blocks {
        let prop = proposed.get(&b.name);
        let cfg = config.get(&b.name);
        let v = match (b.nesting, prop) {
            (Nesting::Single, Value::Object(_)) => apply_defaults(&b.block, prop, cfg),
            (Nesting::List, Value::List(elems)) => Value::List(
                elems
                    .iter()
                    .enumerate()
                    .map(|(i, e)| {
                        apply_defaults(
                            &b.block,
                            e,
                            cfg.as_elems()
                                .and_then(|c| c.get(i))
                                .unwrap_or(&Value::Null),
                        )
                    })
                    .collect(),
            ),
            (Nesting::Set, Value::Set(elems)) => {
                // Config and proposed set elements correspond one to one, but
                // not by position after canonical ordering; defaults apply
                // where the element itself leaves the attribute null.
                Value::set(
                    elems
                        .iter()
                        .map(|e| apply_defaults(&b.block, e, e))
                        .collect(),
                )
            }
            _ => prop.clone(),
        };
        out.insert(b.name.clone(), v);
    }
    Value::Object(out)
}

fn mark_unknown(
    block: &Block,
    prior: &Value,
    planned: &Value,
    config: &Value,
    changed: bool,
) -> Value {
    let Value::Object(attrs) = planned else {
        return planned.clone();
    };
    let mut out = attrs.clone();
    for a in &block.attributes {
        if !a.computed || !config.get(&a.name).is_null() || a.default.is_some() {
            continue;
        }
        let prior_v = prior.get(&a.name);
        // Unknown on create, and on a change unless the prior value is kept.
        let keep =
            !prior.is_null() && (!changed || (a.use_state_for_unknown && !prior_v.is_null()));
        let v = if keep {
            prior_v.clone()
        } else {
            Value::Unknown
        };
        out.insert(a.name.clone(), v);
    }
    for b in &block.blocks {
        let p = planned.get(&b.name);
        let pr = prior.get(&b.name);
        let cfg = config.get(&b.name);
        let v = match (b.nesting, p) {
            (Nesting::Single, Value::Object(_)) => mark_unknown(&b.block, pr, p, cfg, changed),
            (Nesting::List, Value::List(elems)) => Value::List(
                elems
                    .iter()
                    .enumerate()
                    .map(|(i, e)| {
                        let pe = pr.as_elems().and_then(|x| x.get(i)).unwrap_or(&Value::Null);
                        let ce = cfg
                            .as_elems()
                            .and_then(|x| x.get(i))
                            .unwrap_or(&Value::Null);
                        mark_unknown(&b.block, pe, e, ce, changed)
                    })
                    .collect(),
            ),
            (Nesting::Set, Value::Set(elems)) => Value::set(
                elems
                    .iter()
                    .map(|e| {
                        let pe = matching_prior_element(&b.block, pr, e);
                        mark_unknown(&b.block, pe, e, e, changed)
                    })
                    .collect(),
            ),
            _ => p.clone(),
        };
        out.insert(b.name.clone(), v);
    }
    Value::Object(out)
}

/// The prior element of a set block whose user-set attributes equal `e`'s.
fn matching_prior_element<'a>(block: &Block, prior: &'a Value, e: &Value) -> &'a Value {
    let user_attrs: Vec<&str> = block
        .attributes
        .iter()
        .filter(|a| !a.computed || a.optional)
        .map(|a| a.name.as_str())
        .collect();
    prior
        .as_elems()
        .and_then(|elems| {
            elems
                .iter()
                .find(|pe| user_attrs.iter().all(|n| pe.get(n) == e.get(n)))
        })
        .unwrap_or(&Value::Null)
}

/// Paths whose change forces a replacement, as Terraform shows them
/// ("# forces replacement"). Empty for creates and deletes.
pub fn replace_paths(schema: &Schema, prior: &Value, planned: &Value) -> Vec<AttrPath> {
    let mut out = Vec::new();
    if prior.is_null() || planned.is_null() {
        return out;
    }
    block_replace_paths(&schema.block, prior, planned, &AttrPath::root(), &mut out);
    out
}

fn block_replace_paths(
    block: &Block,
    prior: &Value,
    planned: &Value,
    at: &AttrPath,
    out: &mut Vec<AttrPath>,
) {
    for a in &block.attributes {
        if a.requires_replace && prior.get(&a.name) != planned.get(&a.name) {
            out.push(at.push_attr(&a.name));
        }
    }
    for b in &block.blocks {
        let pr = prior.get(&b.name);
        let pl = planned.get(&b.name);
        let path = at.push_attr(&b.name);
        if pr == pl {
            continue;
        }
        if b.requires_replace {
            diff_paths(pr, pl, &path, out);
            continue;
        }
        match b.nesting {
            Nesting::Single => block_replace_paths(&b.block, pr, pl, &path, out),
            Nesting::List => {
                if let (Some(x), Some(y)) = (pr.as_elems(), pl.as_elems()) {
                    for (i, (e1, e2)) in x.iter().zip(y).enumerate() {
                        block_replace_paths(&b.block, e1, e2, &path.push_index(i), out);
                    }
                }
            }
            Nesting::Set => {}
        }
    }
}

/// The deepest paths where two values differ.
pub fn diff_paths(a: &Value, b: &Value, at: &AttrPath, out: &mut Vec<AttrPath>) {
    if a == b {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                diff_paths(v, y.get(k).unwrap_or(&Value::Null), &at.push_attr(k), out);
            }
        }
        (Value::Map(x), Value::Map(y)) if x.len() == y.len() && x.keys().eq(y.keys()) => {
            for (k, v) in x {
                diff_paths(v, &y[k], &at.push_key(k), out);
            }
        }
        (Value::List(x), Value::List(y)) if x.len() == y.len() => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                diff_paths(v, w, &at.push_index(i), out);
            }
        }
        _ => out.push(at.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::schema::{Attribute, NestedBlock};
    use crate::tfplugin::value::Type;

    fn schema() -> Schema {
        Schema::new(
            Block::new()
                .attr(Attribute::optional("name", Type::String).replace())
                .attr(Attribute::optional("description", Type::String))
                .attr(Attribute::computed("id", Type::String).keep_state())
                .attr(Attribute::computed("etag", Type::String))
                .attr(Attribute::optional("flag", Type::Bool).default(Value::Bool(false)))
                .block(
                    NestedBlock::single(
                        "inner",
                        Block::new().attr(Attribute::optional("mode", Type::String)),
                    )
                    .replace(),
                ),
        )
    }

    fn obj(name: &str, desc: Value, id: Value, etag: Value, flag: Value, inner: Value) -> Value {
        Value::object([
            ("name", Value::string(name)),
            ("description", desc),
            ("id", id),
            ("etag", etag),
            ("flag", flag),
            ("inner", inner),
        ])
    }

    #[test]
    fn create_marks_computed_unknown_and_applies_defaults() {
        let s = schema();
        let cfg = obj(
            "a",
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        );
        let planned = initial_plan(&s, &Value::Null, &cfg, &cfg);
        assert_eq!(planned.get("id"), &Value::Unknown);
        assert_eq!(planned.get("etag"), &Value::Unknown);
        assert_eq!(planned.get("flag"), &Value::Bool(false));
        assert!(replace_paths(&s, &Value::Null, &planned).is_empty());
    }

    #[test]
    fn no_change_keeps_every_computed_value() {
        let s = schema();
        let prior = obj(
            "a",
            Value::Null,
            Value::string("i"),
            Value::string("e"),
            Value::Bool(false),
            Value::Null,
        );
        let cfg = obj(
            "a",
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        );
        let planned = initial_plan(&s, &prior, &prior, &cfg);
        assert_eq!(planned, prior);
    }

    #[test]
    fn change_unknowns_computed_except_keep_state_and_names_replacing_paths() {
        let s = schema();
        let inner = |m: &str| Value::object([("mode", Value::string(m))]);
        let prior = obj(
            "a",
            Value::Null,
            Value::string("i"),
            Value::string("e"),
            Value::Bool(false),
            inner("x"),
        );
        let proposed = obj(
            "a",
            Value::string("d"),
            Value::string("i"),
            Value::string("e"),
            Value::Null,
            inner("y"),
        );
        let cfg = obj(
            "a",
            Value::string("d"),
            Value::Null,
            Value::Null,
            Value::Null,
            inner("y"),
        );
        let planned = initial_plan(&s, &prior, &proposed, &cfg);
        assert_eq!(planned.get("id"), &Value::string("i"));
        assert_eq!(planned.get("etag"), &Value::Unknown);
        assert_eq!(
            replace_paths(&s, &prior, &planned),
            vec![AttrPath::parse_dotted("inner.mode")]
        );
    }
}
