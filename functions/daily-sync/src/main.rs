//! The daily-sync Lambda function: set up logging, build the clients and the sync queue
//! once, serve the EventBridge schedule.

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
        let deps = deps.for_invocation(&event.context);
        async move { daily_sync::handler(event, &deps).await }
    }))
    .await
}
