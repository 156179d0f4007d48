//! Lambda: a stage run by a deployed function instead of in this process. The CLI's
//! `collections set` on a deployed stack asks the stack's collections-updated function
//! to store the selection and sync (PRODUCT.md S1), so the sync runs where the stack's
//! network, secret and timeout are, through the Invoke API.

use aws_config::SdkConfig;
use aws_sdk_lambda::Client;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use serde_json::Value;

use crate::sdk_error::describe;

/// The longest answer read from a function: Lambda's own limit on a synchronous
/// response payload is 6 MB.
const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024;

/// One deployed Lambda function, invoked synchronously.
#[derive(Debug, Clone)]
pub struct DeployedFunction {
    client: Client,
    name: String,
}

/// What a function invocation gave back.
#[derive(Debug, Clone, PartialEq)]
pub enum Invocation {
    /// The function returned this JSON.
    Answered(Value),
    /// The function failed (it returned an error, timed out or ran out of memory).
    Failed {
        /// Lambda's error type, e.g. `Unhandled` or the function's own.
        error_type: String,
        /// The function's error message.
        message: String,
    },
}

/// An invocation that did not reach the function or whose answer could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// Lambda refused the call or could not be reached.
    #[error(
        "could not invoke Lambda function '{function}': {detail} (check the function name, \
         the region and that your credentials may call lambda:InvokeFunction on it)"
    )]
    Call {
        /// The function name or ARN.
        function: String,
        /// What AWS said.
        detail: String,
    },
    /// The function answered with something that is not JSON, or too much of it.
    #[error("Lambda function '{function}' answered with {detail}")]
    Answer {
        /// The function name or ARN.
        function: String,
        /// What was wrong with the answer.
        detail: String,
    },
}

impl DeployedFunction {
    /// The function `name` (a name or ARN) called through `client`.
    pub fn new(client: Client, name: impl Into<String>) -> DeployedFunction {
        DeployedFunction {
            client,
            name: name.into(),
        }
    }

    /// The function `name` called through a client built from `config`.
    pub fn from_sdk_config(config: &SdkConfig, name: impl Into<String>) -> DeployedFunction {
        DeployedFunction::new(Client::new(config), name)
    }

    /// The function's name or ARN.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Invokes the function with `payload` and waits for its answer.
    pub async fn invoke(&self, payload: &Value) -> Result<Invocation, InvokeError> {
        let body = serde_json::to_vec(payload).map_err(|e| InvokeError::Answer {
            function: self.name.clone(),
            detail: format!("a payload that cannot be written: {e}"),
        })?;
        let output = self
            .client
            .invoke()
            .function_name(&self.name)
            .invocation_type(InvocationType::RequestResponse)
            .payload(Blob::new(body))
            .send()
            .await
            .map_err(|e| InvokeError::Call {
                function: self.name.clone(),
                detail: describe(&e),
            })?;
        let bytes = output.payload().map(Blob::as_ref).unwrap_or_default();
        if bytes.len() > MAX_RESPONSE_BYTES {
            return Err(self.bad_answer(format!(
                "{} bytes, more than Lambda's {MAX_RESPONSE_BYTES}",
                bytes.len()
            )));
        }
        let answer: Value = serde_json::from_slice(bytes)
            .map_err(|e| self.bad_answer(format!("something that is not JSON ({e})")))?;
        Ok(match output.function_error() {
            Some(kind) => Invocation::Failed {
                error_type: answer["errorType"].as_str().unwrap_or(kind).to_string(),
                message: answer["errorMessage"]
                    .as_str()
                    .unwrap_or("no message")
                    .to_string(),
            },
            None => Invocation::Answered(answer),
        })
    }

    fn bad_answer(&self, detail: String) -> InvokeError {
        InvokeError::Answer {
            function: self.name.clone(),
            detail,
        }
    }
}
