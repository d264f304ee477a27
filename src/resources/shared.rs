//! Small helpers the typed resources share: rule tables for string checks,
//! typed collections, recorded policy text, and statement look-ups by Sid.

use std::collections::BTreeMap;

use crate::iam::{PolicyDocument, Principal, Statement};
use crate::tfplugin::{AttrPath, Diagnostics, Planned, PlannedList, PlannedMap};

/// A string check of the known values at a dotted attribute path.
pub(crate) type Rule = fn(&str) -> Result<(), String>;

pub(crate) fn run_rules(d: &mut Diagnostics, rules: Vec<(&str, Vec<&str>, Rule, &str)>) {
    for (path, values, rule, summary) in rules {
        for msg in values.into_iter().filter_map(|s| rule(s).err()) {
            d.attr_error(AttrPath::parse_dotted(path), summary, msg);
        }
    }
}

/// Ok when `ok`, else the message.
pub(crate) fn ensure(ok: bool, msg: impl FnOnce() -> String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(msg())
    }
}

/// The known value of a string, as a list of at most one.
pub(crate) fn one(p: &Planned<String>) -> Vec<&str> {
    p.as_str().into_iter().collect()
}

/// The known elements of a list or set of strings.
pub(crate) fn each(p: &PlannedList<String>) -> Vec<&str> {
    p.known_elems().map(String::as_str).collect()
}

/// A set attribute: null when empty.
pub(crate) fn set_of(v: Vec<String>) -> PlannedList<String> {
    match v.is_empty() {
        true => Planned::Null,
        false => PlannedList::of(v),
    }
}

/// A map attribute: null when empty.
pub(crate) fn map_of(m: BTreeMap<String, String>) -> PlannedMap<String> {
    match m.is_empty() {
        true => Planned::Null,
        false => PlannedMap::of(m),
    }
}

/// A remote policy text for state: the recorded text when equivalent.
pub(crate) fn recorded_or_remote(
    recorded: &Planned<String>,
    remote: Option<&String>,
) -> Planned<String> {
    match (remote, recorded.as_str()) {
        (None, _) => "".into(),
        (Some(r), Some(p)) if crate::iam::equivalent(p, r) => p.into(),
        (Some(r), _) => Planned::Known(crate::iam::canonicalize(r).unwrap_or_else(|_| r.clone())),
    }
}

/// The statement of a document with this sid.
pub(crate) fn by_sid<'a>(doc: &'a PolicyDocument, sid: &str) -> Option<&'a Statement> {
    doc.statements
        .iter()
        .find(|s| s.sid.as_deref() == Some(sid))
}

/// The values of a condition key under any operator.
pub(crate) fn cond(s: &Statement, key: &str) -> Vec<String> {
    let values = s.conditions.values().filter_map(|m| m.get(key));
    values.flat_map(|v| v.iter().cloned()).collect()
}

/// The first AWS principal a statement names.
pub(crate) fn aws_principal(s: &Statement) -> Option<String> {
    match &s.principal {
        Some(Principal::Typed(m)) => m.get("AWS").and_then(|v| v.iter().next()).cloned(),
        _ => None,
    }
}

/// Known text, or unknown for None (a document whose inputs are not all known).
pub(crate) fn or_unknown(s: Option<String>) -> Planned<String> {
    s.map_or(Planned::Unknown, Planned::Known)
}
