//! The sync-worker Lambda function: set up logging, build the clients and the sync queue
//! once, serve the sync queue's SQS events.

use autoexpose_lambda::{FanoutDeps, init_tracing};
use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let deps = FanoutDeps::from_env()
        .await
        .inspect_err(|error| tracing::error!(%error, "the function cannot start"))?;
    let deps = &deps;
    run(service_fn(move |event: LambdaEvent<_>| {
        // Each invocation stops its runs before the function's timeout.
        let deps = deps.for_invocation(&event.context);
        async move { sync_worker::handler(event, &deps).await }
    }))
    .await
}
