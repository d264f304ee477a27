//! Classifying AWS errors: codes, not-found, and messages users can grep.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
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
/// A service answer the SDK could not parse (a proxy's page, an emulator's
/// error in another protocol's format) is shown with its status and body, so
/// an AccessDenied in it stays readable.
pub fn describe<E, R>(e: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    match (error_code(e), error_message(e)) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.to_string(),
        _ => match unparsed_answer(e) {
            Some(raw) => format!(
                "{} (HTTP {}: {})",
                source_chain(e),
                raw.status().as_u16(),
                body_excerpt(raw.body().bytes().unwrap_or_default())
            ),
            None => source_chain(e),
        },
    }
}

/// The HTTP response of an answer without a parsed error code: a service
/// error the SDK could not classify, or a body it could not parse at all.
fn unparsed_answer<E, R: 'static>(e: &SdkError<E, R>) -> Option<&HttpResponse> {
    let raw: &dyn std::any::Any = match e {
        SdkError::ServiceError(se) => se.raw(),
        SdkError::ResponseError(re) => re.raw(),
        _ => return None,
    };
    raw.downcast_ref()
}

/// The start of a response body on one line.
fn body_excerpt(body: &[u8]) -> String {
    const MAX: usize = 400;
    let text = String::from_utf8_lossy(body);
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line,
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
            // Step Functions' ListTagsForResource of a missing state machine.
            | "ResourceNotFound"
    ) {
        return true;
    }
    let msg = error_message(e).unwrap_or_default().to_ascii_lowercase();
    code == "InvalidRequestException"
        && (msg.contains("does not exist") || msg.contains("not found"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ssm::operation::get_parameter::GetParameterError;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    fn answered(status: u16, body: &str, err: GetParameterError) -> String {
        let raw = HttpResponse::new(
            status.try_into().expect("a status code"),
            SdkBody::from(body.to_owned()),
        );
        describe(&SdkError::service_error(err, raw))
    }

    #[test]
    fn an_unparsed_denial_shows_the_body() {
        let body =
            "<?xml version=\"1.0\"?>\n<ErrorResponse><Errors><Error><Code>AccessDenied</Code>\
            <Message>User: arn:aws:iam::123456789012:user/terraform is not authorized to perform: \
            ssm:PutParameter</Message></Error></Errors></ErrorResponse>";
        let text = answered(
            403,
            body,
            GetParameterError::generic(ErrorMetadata::builder().build()),
        );
        assert!(text.contains("HTTP 403"), "{text}");
        assert!(text.contains("<Code>AccessDenied</Code>"), "{text}");
        assert!(
            text.contains("not authorized to perform: ssm:PutParameter"),
            "{text}"
        );
    }

    #[test]
    fn a_parsed_error_is_code_and_message() {
        let meta = ErrorMetadata::builder()
            .code("AccessDeniedException")
            .message("no")
            .build();
        let text = answered(400, "{}", GetParameterError::generic(meta));
        assert_eq!(text, "AccessDeniedException: no");
    }

    #[test]
    fn an_unparsable_body_is_shown() {
        let raw = HttpResponse::new(
            403u16.try_into().expect("a status code"),
            SdkBody::from("<ErrorResponse><Code>AccessDenied</Code></ErrorResponse>"),
        );
        let e: SdkError<GetParameterError, HttpResponse> =
            SdkError::response_error("malformed JSON error body", raw);
        let text = describe(&e);
        assert!(
            text.contains("HTTP 403: <ErrorResponse><Code>AccessDenied"),
            "{text}"
        );
    }

    #[test]
    fn long_bodies_are_cut() {
        let text = answered(
            500,
            &"x ".repeat(1000),
            GetParameterError::generic(ErrorMetadata::builder().build()),
        );
        assert!(text.ends_with("…)") && text.len() < 600, "{text}");
    }
}
