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
