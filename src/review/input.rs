//! The JSON of `terraform show -json`: a saved plan or the state, as
//! Terraform 1.0 to 1.11 print them, reduced to this provider's resources
//! with their values before and after.

use serde_json::Value as J;

/// What the document is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Plan,
    State,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Plan => "plan",
            Kind::State => "state",
        }
    }
}

/// One of our resources. `before` / `after` are None where the resource
/// does not exist on that side (a create has no before, a delete no after).
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub address: String,
    pub resource_type: String,
    pub before: Option<J>,
    pub after: Option<J>,
    /// Terraform's mirror of `after` whose `true` leaves are the values
    /// known only after apply (Null when nothing is unknown).
    pub after_unknown: J,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Input {
    pub kind: Kind,
    pub terraform_version: Option<String>,
    pub changes: Vec<Change>,
}

/// Resource types of this provider.
pub fn is_ours(resource_type: &str) -> bool {
    resource_type.starts_with("emr_")
}

/// Reads the text of `terraform show -json` (of a saved plan or of the state).
pub fn parse(text: &str) -> Result<Input, String> {
    let doc: J = serde_json::from_str(text).map_err(|e| {
        format!("the input is not JSON ({e}); give it the output of `terraform show -json PLANFILE` or `terraform show -json`")
    })?;
    let Some(o) = doc.as_object() else {
        return Err(
            "the input is JSON but not an object: not the output of `terraform show -json`".into(),
        );
    };
    let terraform_version = o
        .get("terraform_version")
        .and_then(J::as_str)
        .map(str::to_string);
    let is_plan = ["resource_changes", "planned_values", "prior_state"]
        .iter()
        .any(|k| o.contains_key(*k));
    let (kind, changes) = if is_plan {
        (Kind::Plan, plan_changes(&doc)?)
    } else if o.contains_key("values") {
        (Kind::State, state_changes(&doc["values"])?)
    } else if o.contains_key("format_version") {
        // `terraform show -json` of an empty state: only the versions.
        (Kind::State, Vec::new())
    } else {
        return Err("the input is JSON but neither a plan (no resource_changes, planned_values) nor a state (no values): give it the output of `terraform show -json`".into());
    };
    Ok(Input {
        kind,
        terraform_version,
        changes,
    })
}

fn plan_changes(doc: &J) -> Result<Vec<Change>, String> {
    let list = match doc.get("resource_changes") {
        Some(J::Array(a)) => a,
        Some(J::Null) | None => {
            // A plan without changes may leave resource_changes out: what
            // exists is the prior state, all unchanged.
            return match doc.get("prior_state") {
                Some(prior) if !prior.is_null() => state_changes(&prior["values"]),
                _ => Ok(Vec::new()),
            };
        }
        Some(_) => return Err("resource_changes is not a list: not a Terraform plan".into()),
    };
    let mut out = Vec::new();
    for (i, rc) in list.iter().enumerate() {
        if let Some(c) = resource_change(rc).map_err(|e| format!("resource_changes[{i}]: {e}"))? {
            out.push(c);
        }
    }
    Ok(out)
}

/// One entry of resource_changes; None when it is not one of our managed resources.
fn resource_change(rc: &J) -> Result<Option<Change>, String> {
    let resource_type = rc["type"].as_str().ok_or("it has no type")?;
    let managed = rc.get("mode").and_then(J::as_str).unwrap_or("managed") == "managed";
    if !managed || !is_ours(resource_type) {
        return Ok(None);
    }
    let address = rc["address"].as_str().ok_or("it has no address")?;
    let change = rc.get("change").ok_or("it has no change")?;
    let actions: Vec<&str> = change["actions"]
        .as_array()
        .ok_or("change.actions is not a list")?
        .iter()
        .filter_map(J::as_str)
        .collect();
    let present = |v: &J| (!v.is_null()).then(|| v.clone());
    let before = present(&change["before"]);
    let mut after = present(&change["after"]);
    let mut after_unknown = change.get("after_unknown").cloned().unwrap_or(J::Null);
    if actions == ["forget"] {
        // Terraform lets go of the resource; the role and its grants stay.
        after.clone_from(&before);
        after_unknown = J::Null;
    }
    if actions.contains(&"delete") && !actions.contains(&"create") {
        after = None;
    }
    Ok(Some(Change {
        address: address.to_string(),
        resource_type: resource_type.to_string(),
        before,
        after,
        after_unknown,
    }))
}

/// `values` of a state (or a plan's prior_state): every resource unchanged.
fn state_changes(values: &J) -> Result<Vec<Change>, String> {
    let mut out = Vec::new();
    if let Some(root) = values.get("root_module") {
        module_resources(root, &mut out)?;
    }
    Ok(out)
}

fn module_resources(module: &J, out: &mut Vec<Change>) -> Result<(), String> {
    for r in module["resources"].as_array().into_iter().flatten() {
        let resource_type = r["type"]
            .as_str()
            .ok_or("a resource in state has no type")?;
        let managed = r.get("mode").and_then(J::as_str).unwrap_or("managed") == "managed";
        if !managed || !is_ours(resource_type) {
            continue;
        }
        let address = r["address"]
            .as_str()
            .ok_or("a resource in state has no address")?;
        let values = r.get("values").cloned().unwrap_or(J::Null);
        out.push(Change {
            address: address.to_string(),
            resource_type: resource_type.to_string(),
            before: Some(values.clone()),
            after: Some(values),
            after_unknown: J::Null,
        });
    }
    for child in module["child_modules"].as_array().into_iter().flatten() {
        module_resources(child, out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn not_json_and_not_terraform_are_refused() {
        assert!(parse("nope").unwrap_err().contains("not JSON"));
        assert!(parse("[1]").unwrap_err().contains("not an object"));
        assert!(parse(r#"{"a":1}"#).unwrap_err().contains("neither a plan"));
        assert!(parse(r#"{"resource_changes":{}}"#)
            .unwrap_err()
            .contains("not a list"));
    }

    #[test]
    fn plan_keeps_only_our_managed_resources() {
        let doc = json!({"format_version":"0.2","terraform_version":"1.0.3","resource_changes":[
            {"address":"aws_iam_role.x","mode":"managed","type":"aws_iam_role","change":{"actions":["create"],"before":null,"after":{}}},
            {"address":"data.emr_launch_function.f","mode":"data","type":"emr_launch_function","change":{"actions":["read"],"before":null,"after":{}}},
            {"address":"emr_runtime_role.a","mode":"managed","type":"emr_runtime_role","change":{"actions":["delete"],"before":{"name":"a"},"after":null}}
        ]});
        let input = parse(&doc.to_string()).unwrap();
        assert_eq!(input.kind, Kind::Plan);
        assert_eq!(input.terraform_version.as_deref(), Some("1.0.3"));
        assert_eq!(input.changes.len(), 1);
        assert_eq!(input.changes[0].address, "emr_runtime_role.a");
        assert_eq!(input.changes[0].after, None);
    }

    #[test]
    fn forget_keeps_the_grants_and_an_empty_state_has_none() {
        let doc = json!({"resource_changes":[
            {"address":"emr_runtime_role.a","type":"emr_runtime_role","change":{"actions":["forget"],"before":{"name":"a"},"after":null}}
        ]});
        let c = &parse(&doc.to_string()).unwrap().changes[0];
        assert_eq!(c.before, c.after);
        let empty = parse(r#"{"format_version":"1.0"}"#).unwrap();
        assert_eq!((empty.kind, empty.changes.len()), (Kind::State, 0));
    }

    #[test]
    fn a_plan_without_resource_changes_is_its_prior_state() {
        let doc = json!({"planned_values":{},"prior_state":{"values":{"root_module":{"resources":[
            {"address":"emr_runtime_role.a","mode":"managed","type":"emr_runtime_role","values":{"name":"a"}}
        ]}}}});
        let input = parse(&doc.to_string()).unwrap();
        assert_eq!(input.kind, Kind::Plan);
        assert_eq!(input.changes.len(), 1);
        assert_eq!(input.changes[0].before, input.changes[0].after);
    }

    #[test]
    fn a_replacement_keeps_both_sides() {
        let doc = json!({"resource_changes":[
            {"address":"emr_runtime_role.a","mode":"managed","type":"emr_runtime_role","change":{"actions":["delete","create"],"before":{"name":"a"},"after":{"name":"b"},"after_unknown":{"arn":true}}}
        ]});
        let c = &parse(&doc.to_string()).unwrap().changes[0];
        assert_eq!(c.before, Some(json!({"name":"a"})));
        assert_eq!(c.after, Some(json!({"name":"b"})));
        assert_eq!(c.after_unknown, json!({"arn":true}));
    }

    #[test]
    fn state_walks_child_modules() {
        let doc = json!({"values":{"root_module":{
            "resources":[{"address":"emr_runtime_role.a","mode":"managed","type":"emr_runtime_role","values":{"name":"a"}}],
            "child_modules":[{"address":"module.m","resources":[
                {"address":"module.m.emr_serverless_dataplane.d","mode":"managed","type":"emr_serverless_dataplane","values":{"name":"d"}}
            ]}]
        }}});
        let input = parse(&doc.to_string()).unwrap();
        assert_eq!(input.kind, Kind::State);
        let addrs: Vec<_> = input.changes.iter().map(|c| c.address.as_str()).collect();
        assert_eq!(
            addrs,
            ["emr_runtime_role.a", "module.m.emr_serverless_dataplane.d"]
        );
        assert!(input.changes.iter().all(|c| c.before == c.after));
    }
}
