//! The refresh-watcher Lambda function: set up logging, build the clients and the
//! refresh queue once, serve SQS events.

use autoexpose_lambda::{Deps, init_tracing};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let deps = Deps::from_env()
        .await
        .inspect_err(|error| tracing::error!(%error, "the function cannot start"))?;
    // Jobs still running go back to the queue; without it they could not be followed.
    deps.job_queue()
        .inspect_err(|error| tracing::error!(%error, "the function cannot start"))?;
    let deps = &deps;
    run(service_fn(move |event: LambdaEvent<_>| {
        // Each invocation stops its runs before the function's timeout.
        let deps = deps.for_invocation(&event.context);
        async move { refresh_watcher::handler(event, &deps).await }
    }))
    .await
}
