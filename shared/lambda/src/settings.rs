//! The settings a function reads from its environment.

use std::time::Duration;

use autoexpose_aws::SQS_MAX_DELAY;
use autoexpose_pipeline::Orchestration;
use autoexpose_tableau::ClientOptions;

/// The environment whose manifests count when `PRODUCTION_ENVIRONMENT` is not set.
pub const DEFAULT_PRODUCTION_ENVIRONMENT: &str = "prod";
/// How many integrations the daily sync works on at once when `SYNC_CONCURRENCY` is not set.
pub const DEFAULT_SYNC_CONCURRENCY: usize = 4;

/// What a function needs to know besides its AWS credentials.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The DynamoDB table of the store (`TABLE_NAME`, required).
    pub table_name: String,
    /// The bucket dbt artifacts are uploaded to (`ARTIFACTS_BUCKET`); when set, the
    /// manifest-uploaded function ignores events from other buckets.
    pub artifacts_bucket: Option<String>,
    /// Only manifests under `dbt/<project>/<this>/` are applied (`PRODUCTION_ENVIRONMENT`,
    /// default `prod`).
    pub production_environment: String,
    /// Integrations synced at once by the daily sync (`SYNC_CONCURRENCY`, default 4, at
    /// least 1).
    pub sync_concurrency: usize,
    /// Retries, timeouts and page size of the Tableau client.
    pub tableau: ClientOptions,
    /// Defaults for integrations that do not set active exposures themselves:
    /// `DBT_ACTIVE_EXPOSURES` (`1` on, else off) and `DBT_ACTIVE_EXPOSURES_BUILD_AFTER`
    /// (minutes, default 1440). An integration's own setting wins.
    pub orchestration: Orchestration,
    /// The SQS queue refresh jobs wait on between polls (`REFRESH_QUEUE_URL`); required
    /// by the run-results-uploaded and refresh-watcher functions only.
    pub refresh_queue_url: Option<String>,
    /// The longest delay put on a queued job: SQS's maximum, 900 s. Tests set it to zero
    /// so the next poll's message is visible at once.
    pub refresh_max_delay: Duration,
}

/// A setting is missing or cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A required environment variable is not set.
    #[error("environment variable {0} is not set; the SAM template sets it on every function")]
    Missing(&'static str),
    /// An environment variable has a value that cannot be used.
    #[error("environment variable {name} is '{value}', but {expected}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// Its value.
        value: String,
        /// What it should be.
        expected: &'static str,
    },
}

impl Settings {
    /// Settings for a table, with the defaults for everything else.
    pub fn new(table_name: impl Into<String>) -> Settings {
        Settings {
            table_name: table_name.into(),
            artifacts_bucket: None,
            production_environment: DEFAULT_PRODUCTION_ENVIRONMENT.to_string(),
            sync_concurrency: DEFAULT_SYNC_CONCURRENCY,
            tableau: ClientOptions::default(),
            orchestration: Orchestration::default(),
            refresh_queue_url: None,
            refresh_max_delay: SQS_MAX_DELAY,
        }
    }

    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Settings, ConfigError> {
        Settings::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `lookup` (a variable's value, `None` when unset), so
    /// tests need not change the process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        let read = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let table_name = read("TABLE_NAME").ok_or(ConfigError::Missing("TABLE_NAME"))?;
        let mut settings = Settings::new(table_name);
        settings.artifacts_bucket = read("ARTIFACTS_BUCKET");
        settings.refresh_queue_url = read("REFRESH_QUEUE_URL");
        if let Some(environment) = read("PRODUCTION_ENVIRONMENT") {
            settings.production_environment = environment;
        }
        if let Some(value) = read("SYNC_CONCURRENCY") {
            settings.sync_concurrency = at_least_one(
                "SYNC_CONCURRENCY",
                value,
                "it must be a whole number of at least 1",
            )?;
        }
        if let Some(value) = read("TABLEAU_MAX_RESPONSE_MB") {
            let mb = at_least_one(
                "TABLEAU_MAX_RESPONSE_MB",
                value,
                "it must be a whole number of MiB, at least 1",
            )?;
            settings.tableau.max_response_bytes = mb.saturating_mul(1024 * 1024);
        }
        if let Some(value) = read("DBT_ACTIVE_EXPOSURES") {
            settings.orchestration.active_exposures = value == "1";
        }
        if let Some(value) = read("DBT_ACTIVE_EXPOSURES_BUILD_AFTER") {
            settings.orchestration.build_after_minutes =
                value.parse::<u32>().map_err(|_| ConfigError::Invalid {
                    name: "DBT_ACTIVE_EXPOSURES_BUILD_AFTER",
                    value,
                    expected: "it must be a whole number of minutes",
                })?;
        }
        Ok(settings)
    }
}

/// A whole number of at least 1, or an error naming the variable.
pub(crate) fn at_least_one(
    name: &'static str,
    value: String,
    expected: &'static str,
) -> Result<usize, ConfigError> {
    match value.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(ConfigError::Invalid {
            name,
            value,
            expected,
        }),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn the_tableau_reply_limit_is_read_in_mib_and_a_bad_one_is_named() {
        let vars = [("TABLE_NAME", "t"), ("TABLEAU_MAX_RESPONSE_MB", "128")];
        let settings = Settings::from_lookup(lookup(&vars)).expect("settings");
        assert_eq!(settings.tableau.max_response_bytes, 128 * 1024 * 1024);
        let vars = [("TABLE_NAME", "t"), ("TABLEAU_MAX_RESPONSE_MB", "lots")];
        let err = Settings::from_lookup(lookup(&vars)).expect_err("refused");
        assert!(err.to_string().contains("TABLEAU_MAX_RESPONSE_MB"), "{err}");
    }

    /// Looks variables up in `vars`, as the process environment would give them.
    pub(crate) fn lookup<'a>(
        vars: &'a [(&'a str, &'a str)],
    ) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn defaults_apply_when_only_the_table_is_set() {
        let settings = Settings::from_lookup(lookup(&[("TABLE_NAME", "autoexpose")])).expect("ok");
        assert_eq!(settings.table_name, "autoexpose");
        assert_eq!(settings.artifacts_bucket, None);
        assert_eq!(settings.production_environment, "prod");
        assert_eq!(settings.sync_concurrency, 4);
        assert_eq!(settings.refresh_queue_url, None);
        assert_eq!(settings.refresh_max_delay, SQS_MAX_DELAY);
    }

    #[test]
    fn every_variable_is_read() {
        let settings = Settings::from_lookup(lookup(&[
            ("TABLE_NAME", "t"),
            ("ARTIFACTS_BUCKET", "dbt-artifacts"),
            ("PRODUCTION_ENVIRONMENT", "production"),
            ("SYNC_CONCURRENCY", "2"),
            (
                "REFRESH_QUEUE_URL",
                "https://sqs.eu-west-1.amazonaws.com/123456789012/refresh",
            ),
        ]))
        .expect("ok");
        assert_eq!(
            settings.refresh_queue_url.as_deref(),
            Some("https://sqs.eu-west-1.amazonaws.com/123456789012/refresh")
        );
        assert_eq!(settings.artifacts_bucket.as_deref(), Some("dbt-artifacts"));
        assert_eq!(settings.production_environment, "production");
        assert_eq!(settings.sync_concurrency, 2);
    }

    #[test]
    fn active_exposures_defaults_follow_dbt_clouds_names() {
        let settings = Settings::from_lookup(lookup(&[("TABLE_NAME", "t")])).expect("ok");
        assert!(!settings.orchestration.active_exposures);
        assert_eq!(settings.orchestration.build_after_minutes, 1440);
        let settings = Settings::from_lookup(lookup(&[
            ("TABLE_NAME", "t"),
            ("DBT_ACTIVE_EXPOSURES", "1"),
            ("DBT_ACTIVE_EXPOSURES_BUILD_AFTER", "90"),
        ]))
        .expect("ok");
        assert!(settings.orchestration.active_exposures);
        assert_eq!(settings.orchestration.build_after_minutes, 90);
    }

    #[test]
    fn a_missing_table_is_named() {
        let err = Settings::from_lookup(lookup(&[("TABLE_NAME", " ")])).expect_err("missing");
        assert_eq!(err, ConfigError::Missing("TABLE_NAME"));
        assert!(err.to_string().contains("TABLE_NAME"), "{err}");
    }

    #[test]
    fn zero_or_garbage_concurrency_is_refused() {
        for value in ["0", "four", "-1"] {
            let err =
                Settings::from_lookup(lookup(&[("TABLE_NAME", "t"), ("SYNC_CONCURRENCY", value)]))
                    .expect_err("invalid");
            assert!(err.to_string().contains("SYNC_CONCURRENCY"), "{err}");
        }
    }
}
