//! A deployed stack's integration managed with the same commands: `--dynamodb-table` puts
//! the CLI on DynamoDB, S3 and Secrets Manager (moto on loopback) instead of the local file.

use autoexpose_pipeline::prelude::*;
use std::path::PathBuf;
use std::process::{Command, Output};

use autoexpose_aws::DynamoStore;
use autoexpose_aws::aws_sdk_dynamodb;
use autoexpose_aws::aws_sdk_s3;
use autoexpose_aws::aws_sdk_secretsmanager;
use autoexpose_testkit::{MotoServer, example_site, unique_name};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

struct Cli {
    endpoint: String,
    table: String,
}

impl Cli {
    fn run(&self, args: &[&str]) -> Output {
        let out = Command::new(env!("CARGO_BIN_EXE_autoexpose"))
            .args(args)
            .env("AWS_ENDPOINT_URL", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AUTOEXPOSE_DYNAMODB_TABLE", &self.table)
            .env_remove("AUTOEXPOSE_TABLEAU_TOKEN_SECRET")
            .env_remove("AUTOEXPOSE_STORE")
            .output()
            .expect("autoexpose runs");
        assert!(
            out.status.success(),
            "autoexpose {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployed_integration_is_managed_with_the_same_commands() {
    let moto = MotoServer::shared().expect("moto starts (run `bash infra/setup-venv.sh`)");
    let config = moto.sdk_config().await;
    let table = unique_name("cli-state");
    let bucket = unique_name("cli-artifacts");
    let secret = format!("autoexpose/{}", unique_name("acme"));
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    DynamoStore::create_table(&dynamodb, &table)
        .await
        .expect("create table");
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("bucket");
    let manifest = std::fs::read(workspace().join("examples/jaffle-shop/manifest.json"))
        .expect("example manifest");
    let key = "dbt/jaffle_shop/prod/manifest.json";
    s3.put_object()
        .bucket(&bucket)
        .key(key)
        .body(manifest.into())
        .send()
        .await
        .expect("upload manifest");
    aws_sdk_secretsmanager::Client::new(&config)
        .create_secret()
        .name(&secret)
        .secret_string(r#"{"token_name": "autoexpose-ci", "token_secret": "ci-secret-0123456789"}"#)
        .send()
        .await
        .expect("create secret");
    let sim = example_site().await;

    let cli = Cli {
        endpoint: moto.endpoint(),
        table: table.clone(),
    };
    let added = cli.run(&[
        "integrations",
        "add",
        "--id",
        "acme",
        "--dbt-project",
        "jaffle_shop",
        "--server-url",
        &sim.base_url(),
        "--site",
        "acme",
        "--token-name",
        "autoexpose-ci",
        "--secret-id",
        &secret,
    ]);
    assert!(String::from_utf8_lossy(&added.stdout).contains(&secret));
    cli.run(&["collections", "set", "acme", "Finance,Marketing"]);
    let uri = format!("s3://{bucket}/{key}");
    cli.run(&["apply-manifest", &uri, "--dbt-project", "jaffle_shop"]);
    let listed = cli.run(&["exposures", "list", "--format", "json"]);
    let catalog: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("json");
    let names: Vec<(&str, &str)> = catalog
        .as_array()
        .expect("array")
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap_or(""),
                e["mode"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("campaign_performance", "auto"),
            ("cohort_analysis", "auto"),
            ("customer_360", "auto"),
            ("revenue_overview", "auto"),
            ("weekly_jaffle_metrics", "manual"),
        ]
    );

    // The state really lives in DynamoDB, where the functions read it; no secret in it.
    let store = DynamoStore::new(dynamodb, table);
    let integration = store
        .get_integration("acme")
        .await
        .expect("read")
        .expect("stored in DynamoDB");
    assert_eq!(integration.secret_ref, secret);
    assert_eq!(
        store.list_exposures("acme").await.expect("exposures").len(),
        4
    );
    let applied = store
        .get_applied_manifest("jaffle_shop")
        .await
        .expect("read")
        .expect("applied");
    assert_eq!(applied.location.container.as_deref(), Some(bucket.as_str()));
    sim.shutdown().await;
}
