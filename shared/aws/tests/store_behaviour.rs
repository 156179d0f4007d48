//! The pipeline's shared behavioural suite, run against `DynamoStore` on moto.

mod common;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamo_store_behaves_like_every_store() {
    autoexpose_pipeline::testsuite::run_all(common::fresh_store).await;
}
