//! What a launch function runs: its state machine definition and the code
//! of its launcher function. Pure (no AWS calls), so both are known at plan.

pub mod definition;
pub mod job_definition;
pub mod launcher;
pub mod secret_grant;
