//! Classifying AWS errors: codes, not-found, and messages users can grep.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// The service's error code ("ResourceNotFoundException"), if it sent one.
pub fn error_code<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> Option<&str> {
    match e {
        SdkError::ServiceError(se) => se.err().code(),
        _ => None,
    }
}

pub fn error_message<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> Option<&str> {
    match e {
        SdkError::ServiceError(se) => se.err().message(),
        _ => None,
    }
}

/// "code: message" for service errors, the source chain for transport ones.
pub fn describe<E, R>(e: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    match (error_code(e), error_message(e)) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.to_string(),
        _ => source_chain(e),
    }
}

/// An error with all its causes, one after another.
pub fn source_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

/// True when the error says the thing does not exist. EMR reports a missing
/// security configuration as InvalidRequestException with a message.
pub fn is_not_found<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    let code = error_code(e).unwrap_or_default();
    if matches!(
        code,
        "NoSuchEntity"
            | "NoSuchEntityException"
            | "ResourceNotFoundException"
            | "ParameterNotFound"
            | "NotFoundException"
            | "StateMachineDoesNotExist"
    ) {
        return true;
    }
    let msg = error_message(e).unwrap_or_default().to_ascii_lowercase();
    code == "InvalidRequestException"
        && (msg.contains("does not exist") || msg.contains("not found"))
}
