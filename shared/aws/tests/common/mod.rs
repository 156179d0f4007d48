//! Shared setup for the moto-backed tests: clients aimed at this binary's moto server.

#![allow(dead_code)]

use autoexpose_aws::DynamoStore;
use autoexpose_testkit::{MotoServer, unique_name};
use aws_config::SdkConfig;

/// The SDK config for this test binary's moto server.
pub(crate) async fn moto_config() -> SdkConfig {
    MotoServer::shared()
        .expect("moto starts (run `bash infra/setup-venv.sh`)")
        .sdk_config()
        .await
}

/// A DynamoDB client on moto.
pub(crate) async fn dynamodb() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&moto_config().await)
}

/// A store on a new, empty table of its own.
pub(crate) async fn fresh_store() -> DynamoStore {
    let client = dynamodb().await;
    let table = unique_name("autoexpose");
    DynamoStore::create_table(&client, &table)
        .await
        .expect("create table");
    DynamoStore::new(client, table)
}
