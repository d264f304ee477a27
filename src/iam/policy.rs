//! Typed IAM policy documents, rendered to one canonical JSON form.
//!
//! Canonical form: keys sorted, no whitespace, statements sorted, every
//! Action / Resource / principal / condition value a sorted, de-duplicated
//! list. Two documents are semantically equal when their canonical forms are.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as J};

pub const VERSION: &str = "2012-10-17";

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Effect {
    Allow,
    Deny,
}

/// `"*"`, or principals by type ("AWS", "Service", "Federated", ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    Any,
    Typed(BTreeMap<String, BTreeSet<String>>),
}

impl Principal {
    pub fn aws(arn: impl Into<String>) -> Principal {
        Principal::Typed(BTreeMap::from([(
            "AWS".to_string(),
            BTreeSet::from([arn.into()]),
        )]))
    }
    pub fn service(name: impl Into<String>) -> Principal {
        Principal::Typed(BTreeMap::from([(
            "Service".to_string(),
            BTreeSet::from([name.into()]),
        )]))
    }
    pub fn services(&self) -> Vec<&str> {
        match self {
            Principal::Typed(m) => m
                .get("Service")
                .map(|s| s.iter().map(String::as_str).collect())
                .unwrap_or_default(),
            Principal::Any => vec![],
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    pub principal: Option<Principal>,
    pub not_principal: Option<Principal>,
    pub actions: BTreeSet<String>,
    pub not_actions: BTreeSet<String>,
    pub resources: BTreeSet<String>,
    pub not_resources: BTreeSet<String>,
    /// operator → key → values
    pub conditions: BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
}

impl Statement {
    /// An Allow statement with these actions.
    pub fn allow<S: Into<String>>(actions: impl IntoIterator<Item = S>) -> Statement {
        Statement {
            sid: None,
            effect: Effect::Allow,
            principal: None,
            not_principal: None,
            actions: actions.into_iter().map(Into::into).collect(),
            not_actions: BTreeSet::new(),
            resources: BTreeSet::new(),
            not_resources: BTreeSet::new(),
            conditions: BTreeMap::new(),
        }
    }
    pub fn sid(mut self, sid: &str) -> Statement {
        self.sid = Some(sid.to_string());
        self
    }
    pub fn principal(mut self, p: Principal) -> Statement {
        self.principal = Some(p);
        self
    }
    pub fn resources<S: Into<String>>(mut self, r: impl IntoIterator<Item = S>) -> Statement {
        self.resources.extend(r.into_iter().map(Into::into));
        self
    }
    pub fn resource(self, r: impl Into<String>) -> Statement {
        self.resources([r.into()])
    }
    pub fn condition<S: Into<String>>(
        mut self,
        op: &str,
        key: &str,
        values: impl IntoIterator<Item = S>,
    ) -> Statement {
        self.conditions
            .entry(op.to_string())
            .or_default()
            .entry(key.to_string())
            .or_default()
            .extend(values.into_iter().map(Into::into));
        self
    }

    /// Condition keys present under any operator (case-insensitive keys).
    pub fn has_condition_key(&self, key: &str) -> bool {
        self.conditions
            .values()
            .any(|m| m.keys().any(|k| k.eq_ignore_ascii_case(key)))
    }

    fn to_json(&self) -> J {
        let mut m = Map::new();
        let list = |s: &BTreeSet<String>| J::Array(s.iter().cloned().map(J::String).collect());
        if let Some(sid) = &self.sid {
            m.insert("Sid".into(), J::String(sid.clone()));
        }
        m.insert(
            "Effect".into(),
            J::String(
                if self.effect == Effect::Allow {
                    "Allow"
                } else {
                    "Deny"
                }
                .into(),
            ),
        );
        for (k, p) in [
            ("Principal", &self.principal),
            ("NotPrincipal", &self.not_principal),
        ] {
            match p {
                Some(Principal::Any) => {
                    m.insert(k.into(), J::String("*".into()));
                }
                Some(Principal::Typed(t)) => {
                    m.insert(
                        k.into(),
                        J::Object(t.iter().map(|(ty, v)| (ty.clone(), list(v))).collect()),
                    );
                }
                None => {}
            }
        }
        for (k, s) in [
            ("Action", &self.actions),
            ("NotAction", &self.not_actions),
            ("Resource", &self.resources),
            ("NotResource", &self.not_resources),
        ] {
            if !s.is_empty() {
                m.insert(k.into(), list(s));
            }
        }
        if !self.conditions.is_empty() {
            m.insert(
                "Condition".into(),
                J::Object(
                    self.conditions
                        .iter()
                        .map(|(op, kv)| {
                            (
                                op.clone(),
                                J::Object(kv.iter().map(|(k, v)| (k.clone(), list(v))).collect()),
                            )
                        })
                        .collect(),
                ),
            );
        }
        J::Object(m)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyDocument {
    pub version: String,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
}

impl PolicyDocument {
    pub fn new(statements: Vec<Statement>) -> PolicyDocument {
        PolicyDocument {
            version: VERSION.to_string(),
            id: None,
            statements,
        }
    }

    pub fn to_value(&self) -> J {
        let mut stmts: Vec<J> = self.statements.iter().map(Statement::to_json).collect();
        stmts.sort_by_key(crate::canonical::text);
        let mut m = Map::new();
        m.insert("Version".into(), J::String(self.version.clone()));
        if let Some(id) = &self.id {
            m.insert("Id".into(), J::String(id.clone()));
        }
        m.insert("Statement".into(), J::Array(stmts));
        J::Object(m)
    }

    /// The canonical JSON text.
    pub fn canonical(&self) -> String {
        crate::canonical::text(&self.to_value())
    }

    /// Parses any valid IAM JSON form (single statement object or list;
    /// strings or lists for actions, resources, principals, values).
    pub fn parse(text: &str) -> Result<PolicyDocument, String> {
        let j: J = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
        let o = j
            .as_object()
            .ok_or("a policy document must be a JSON object")?;
        for k in o.keys() {
            if !matches!(k.as_str(), "Version" | "Id" | "Statement") {
                return Err(format!(
                    "unexpected top-level key {k:?}; a policy has Version, Id and Statement"
                ));
            }
        }
        let version = match o.get("Version") {
            None => VERSION.to_string(),
            Some(J::String(v)) if v == "2012-10-17" || v == "2008-10-17" => v.clone(),
            Some(other) => return Err(format!("Version must be \"2012-10-17\", got {other}")),
        };
        let id = o.get("Id").and_then(J::as_str).map(str::to_string);
        let raw = match o.get("Statement") {
            Some(J::Array(a)) => a.clone(),
            Some(s @ J::Object(_)) => vec![s.clone()],
            _ => return Err("Statement must be an object or a list of objects".into()),
        };
        if raw.is_empty() {
            return Err("the policy has no statements".into());
        }
        let statements = raw
            .iter()
            .enumerate()
            .map(|(i, s)| parse_statement(s).map_err(|e| format!("statement {i}: {e}")))
            .collect::<Result<_, _>>()?;
        Ok(PolicyDocument {
            version,
            id,
            statements,
        })
    }

    pub fn all_actions(&self) -> impl Iterator<Item = &str> {
        self.statements
            .iter()
            .flat_map(|s| s.actions.iter().map(String::as_str))
    }
}

fn string_set(v: &J, what: &str) -> Result<BTreeSet<String>, String> {
    let one = |x: &J| match x {
        J::String(s) => Ok(s.clone()),
        J::Bool(b) => Ok(b.to_string()),
        J::Number(n) => Ok(n.to_string()),
        other => Err(format!("{what} values must be strings, got {other}")),
    };
    match v {
        J::Array(a) => a.iter().map(one).collect(),
        other => Ok(BTreeSet::from([one(other)?])),
    }
}

fn parse_principal(v: &J) -> Result<Principal, String> {
    match v {
        J::String(s) if s == "*" => Ok(Principal::Any),
        J::Object(m) => {
            let mut t = BTreeMap::new();
            for (k, x) in m {
                if !matches!(
                    k.as_str(),
                    "AWS" | "Service" | "Federated" | "CanonicalUser"
                ) {
                    return Err(format!("unknown principal type {k:?}"));
                }
                t.insert(k.clone(), string_set(x, "Principal")?);
            }
            Ok(Principal::Typed(t))
        }
        other => Err(format!("Principal must be \"*\" or an object, got {other}")),
    }
}

fn parse_statement(s: &J) -> Result<Statement, String> {
    let o = s.as_object().ok_or("a statement must be an object")?;
    let mut st = Statement::allow(Vec::<String>::new());
    for (k, v) in o {
        match k.as_str() {
            "Sid" => st.sid = Some(v.as_str().ok_or("Sid must be a string")?.to_string()),
            "Effect" => {
                st.effect = match v.as_str() {
                    Some("Allow") => Effect::Allow,
                    Some("Deny") => Effect::Deny,
                    _ => return Err(format!("Effect must be \"Allow\" or \"Deny\", got {v}")),
                }
            }
            "Principal" => st.principal = Some(parse_principal(v)?),
            "NotPrincipal" => st.not_principal = Some(parse_principal(v)?),
            "Action" => st.actions = string_set(v, "Action")?,
            "NotAction" => st.not_actions = string_set(v, "NotAction")?,
            "Resource" => st.resources = string_set(v, "Resource")?,
            "NotResource" => st.not_resources = string_set(v, "NotResource")?,
            "Condition" => {
                let ops = v.as_object().ok_or("Condition must be an object")?;
                for (op, kv) in ops {
                    let kv = kv
                        .as_object()
                        .ok_or_else(|| format!("Condition {op} must be an object"))?;
                    for (key, vals) in kv {
                        st.conditions
                            .entry(op.clone())
                            .or_default()
                            .insert(key.clone(), string_set(vals, "Condition")?);
                    }
                }
            }
            other => return Err(format!("unexpected statement key {other:?}")),
        }
    }
    if !o.contains_key("Effect") {
        return Err("Effect is required".into());
    }
    if st.actions.is_empty() && st.not_actions.is_empty() {
        return Err("Action or NotAction is required".into());
    }
    Ok(st)
}

/// Semantic equality of two policy texts (false if either does not parse).
pub fn equivalent(a: &str, b: &str) -> bool {
    match (PolicyDocument::parse(a), PolicyDocument::parse(b)) {
        (Ok(x), Ok(y)) => x.canonical() == y.canonical(),
        _ => false,
    }
}

/// Canonical text of a policy, or the parse error.
pub fn canonicalize(text: &str) -> Result<String, String> {
    PolicyDocument::parse(text).map(|d| d.canonical())
}

/// IAM returns documents URL-encoded (RFC 3986 percent-encoding); decode
/// them. `+` is a literal plus (IAM names may contain it), not a space as in
/// form encoding; a `%` not followed by two hex digits stays as it is. Bytes
/// that do not decode to UTF-8 become U+FFFD, so a corrupt document shows
/// as drift instead of failing the read.
pub fn url_decode(s: &str) -> String {
    let bytes = percent_encoding::percent_decode_str(s);
    match bytes.clone().decode_utf8() {
        Ok(text) => text.into_owned(),
        Err(_) => bytes.decode_utf8_lossy().into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_ignores_order_shape_and_whitespace() {
        let a = r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::b/*"]},
            {"Effect":"Allow","Action":["sts:TagSession","sts:AssumeRole"],"Resource":"arn:aws:iam::123456789012:role/x"}]}"#;
        let b = r#"{"Statement":[{"Resource":"arn:aws:iam::123456789012:role/x","Action":["sts:AssumeRole","sts:TagSession"],"Effect":"Allow"},
            {"Resource":"arn:aws:s3:::b/*","Effect":"Allow","Action":["s3:GetObject"]}],"Version":"2012-10-17"}"#;
        assert!(equivalent(a, b));
        let c = b.replace("s3:GetObject", "s3:PutObject");
        assert!(!equivalent(a, &c));
    }

    #[test]
    fn single_statement_object_and_condition_scalars() {
        let a = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"emr-serverless.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}}"#;
        let d = PolicyDocument::parse(a).unwrap();
        assert_eq!(
            d.canonical(),
            r#"{"Statement":[{"Action":["sts:AssumeRole"],"Condition":{"StringEquals":{"aws:SourceAccount":["123456789012"]}},"Effect":"Allow","Principal":{"Service":["emr-serverless.amazonaws.com"]}}],"Version":"2012-10-17"}"#
        );
        assert_eq!(
            d.statements[0].principal.as_ref().unwrap().services(),
            ["emr-serverless.amazonaws.com"]
        );
    }

    #[test]
    fn invalid_documents_say_why() {
        assert!(PolicyDocument::parse("nope").unwrap_err().contains("JSON"));
        assert!(PolicyDocument::parse("[]").unwrap_err().contains("object"));
        assert!(PolicyDocument::parse(r#"{"Statement":[]}"#)
            .unwrap_err()
            .contains("no statements"));
        assert!(
            PolicyDocument::parse(r#"{"Statement":[{"Effect":"Maybe","Action":"s3:*"}]}"#)
                .unwrap_err()
                .contains("Effect")
        );
        assert!(
            PolicyDocument::parse(r#"{"Statement":[{"Effect":"Allow"}]}"#)
                .unwrap_err()
                .contains("Action")
        );
        assert!(PolicyDocument::parse(
            r#"{"Version":"2020-01-01","Statement":[{"Effect":"Allow","Action":"s3:*"}]}"#
        )
        .is_err());
    }

    #[test]
    fn url_decoding_of_iam_documents() {
        assert_eq!(url_decode("%7B%22a%22%3A%22b%20c%22%7D"), r#"{"a":"b c"}"#);
        assert_eq!(url_decode("100%"), "100%");
        assert_eq!(url_decode("%zz%4"), "%zz%4");
        assert_eq!(url_decode("%E2%9C%93"), "\u{2713}");
    }

    #[test]
    fn url_decoding_keeps_plus_signs_of_iam_names() {
        // A role named a+b@c, once literal and once as %2B: both are '+'.
        let encoded = "%7B%22Statement%22%3A%5B%7B%22Principal%22%3A%7B%22AWS%22%3A%5B%22arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fa+b%40c%22%2C%22arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fx%2By%22%5D%7D%7D%5D%7D";
        assert_eq!(
            url_decode(encoded),
            r#"{"Statement":[{"Principal":{"AWS":["arn:aws:iam::123456789012:role/a+b@c","arn:aws:iam::123456789012:role/x+y"]}}]}"#
        );
        assert_eq!(url_decode("a+b%20c%2Bd"), "a+b c+d");
    }

    #[test]
    fn url_decoding_of_invalid_utf8_does_not_panic() {
        assert_eq!(
            url_decode("%7B%22a%22%3A%22%FF%FE%22%7D"),
            "{\"a\":\"\u{fffd}\u{fffd}\"}"
        );
        assert_eq!(url_decode("%C3"), "\u{fffd}");
    }
}
