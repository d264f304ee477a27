//! IAM policy documents: builders, canonical JSON, semantic equality, the
//! least-privilege check, and IAM eventual-consistency retries.

pub mod consistency;
pub mod least_privilege;
pub mod policy;
pub mod principals;

pub use policy::{canonicalize, equivalent, Effect, PolicyDocument, Principal, Statement};
