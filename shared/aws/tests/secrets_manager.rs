//! `SecretsManagerSecrets` against moto through the real AWS SDK.

mod common;

use std::time::Duration;

use autoexpose_aws::SecretsManagerSecrets;
use autoexpose_pipeline::{SecretError, Secrets};
use autoexpose_testkit::unique_name;

async fn client() -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(&common::moto_config().await)
}

async fn create_secret(value: &str) -> String {
    let name = format!("autoexpose/{}", unique_name("pat"));
    client()
        .await
        .create_secret()
        .name(&name)
        .secret_string(value)
        .send()
        .await
        .expect("create secret");
    name
}

async fn change_secret(name: &str, value: &str) {
    client()
        .await
        .put_secret_value()
        .secret_id(name)
        .secret_string(value)
        .send()
        .await
        .expect("put secret value");
}

#[tokio::test]
async fn json_secret_gives_the_token_secret() {
    let name = create_secret(r#"{"token_name": "ci", "token_secret": "s3cr3t=="}"#).await;
    let secrets = SecretsManagerSecrets::new(client().await);
    let secret = secrets.tableau_secret(&name).await.expect("read");
    assert_eq!(secret.expose(), "s3cr3t==");
    assert_eq!(format!("{secret:?}"), "***");
}

#[tokio::test]
async fn bare_secret_is_the_token_secret() {
    let name = create_secret("bare-secret-value").await;
    let secrets = SecretsManagerSecrets::new(client().await);
    let secret = secrets.tableau_secret(&name).await.expect("read");
    assert_eq!(secret.expose(), "bare-secret-value");
}

#[tokio::test]
async fn second_read_within_the_ttl_asks_secrets_manager_nothing() {
    let name = create_secret("first-value").await;
    let secrets = SecretsManagerSecrets::new(client().await);
    assert_eq!(
        secrets.tableau_secret(&name).await.expect("read").expose(),
        "first-value"
    );
    change_secret(&name, "second-value").await;
    let again = secrets.tableau_secret(&name).await.expect("cached");
    assert_eq!(again.expose(), "first-value", "served from the cache");
    assert_eq!(secrets.fetch_count(), 1);
}

#[tokio::test]
async fn read_after_the_ttl_fetches_the_new_value() {
    let name = create_secret("first-value").await;
    let secrets = SecretsManagerSecrets::with_ttl(client().await, Duration::from_millis(50));
    assert_eq!(
        secrets.tableau_secret(&name).await.expect("read").expose(),
        "first-value"
    );
    change_secret(&name, "rotated-value").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let again = secrets.tableau_secret(&name).await.expect("fresh");
    assert_eq!(again.expose(), "rotated-value");
    assert_eq!(secrets.fetch_count(), 2);
}

#[tokio::test]
async fn missing_secret_is_not_found_by_name() {
    let secrets = SecretsManagerSecrets::new(client().await);
    let name = format!("autoexpose/{}", unique_name("missing"));
    let err = secrets.tableau_secret(&name).await.expect_err("missing");
    assert!(
        matches!(err, SecretError::NotFound(ref n) if *n == name),
        "got {err:?}"
    );
}

#[tokio::test]
async fn json_without_token_secret_names_the_secret_not_the_value() {
    let name = create_secret(r#"{"token_name": "ci", "secret": "hunter2-value"}"#).await;
    let secrets = SecretsManagerSecrets::new(client().await);
    let err = secrets
        .tableau_secret(&name)
        .await
        .expect_err("no token_secret");
    let message = format!("{err} {err:?} {secrets:?}");
    assert!(message.contains(&name), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
}
