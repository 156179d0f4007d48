//! Short, readable descriptions of AWS SDK errors for error messages.

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// `Code: message` for an error AWS answered, the full error chain otherwise
/// (timeouts, connection failures). Never includes request or response bodies.
pub(crate) fn describe<E, R>(err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match err {
        SdkError::ServiceError(service) => {
            let inner = service.err();
            format!(
                "{}: {}",
                inner.code().unwrap_or("unknown error"),
                inner.message().unwrap_or("no message")
            )
        }
        other => DisplayErrorContext(other).to_string(),
    }
}

/// Whether an AWS error may pass if the call is made again: throttling, server faults,
/// timeouts and connection failures may; access denied, a missing resource or a request
/// AWS rejects as invalid will not.
pub(crate) fn is_transient<E, R>(err: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match err {
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("");
            TRANSIENT_CODES.contains(&code) || code.ends_with("InternalServerError")
        }
        SdkError::ConstructionFailure(_) => false,
        _ => true,
    }
}

/// AWS error codes that mean "not now" rather than "never".
const TRANSIENT_CODES: [&str; 9] = [
    "ThrottlingException",
    "Throttling",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "TransactionConflictException",
    "InternalServerError",
    "InternalFailure",
    "ServiceUnavailable",
    "SlowDown",
];
