//! IAM policy documents: builders, canonical JSON, semantic equality, the
//! least-privilege check, and IAM eventual-consistency retries.

pub mod consistency;
pub mod dataplane;
pub mod job_function;
pub mod launch_function;
pub mod launch_profile;
pub mod least_privilege;
pub mod policy;
pub mod principals;
pub mod runtime_role;

pub use policy::{canonicalize, equivalent, Effect, PolicyDocument, Principal, Statement};

/// Where a document's ARNs point: a partition, account and region.
#[derive(Clone, Copy, Debug)]
pub struct Scope<'a> {
    pub partition: &'a str,
    pub account: &'a str,
    pub region: &'a str,
}
