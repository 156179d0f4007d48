//! Where dbt artifacts live in the artifacts bucket, `dbt/<project>/<environment>/<file>`,
//! and where published files go beside them. The S3 adapter, the functions and the stages
//! all read the layout from here.

use std::fmt;

use autoexpose_output::YamlFile;

use crate::ArtifactLocation;

/// Which dbt artifact a key names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArtifactKind {
    /// `manifest.json`: the project's nodes; triggers a rematch.
    Manifest,
    /// `run_results.json`: the results of a dbt invocation.
    RunResults,
    /// `sources.json`: source freshness.
    Sources,
}

impl ArtifactKind {
    /// The file name dbt writes for it.
    pub fn file_name(self) -> &'static str {
        match self {
            ArtifactKind::Manifest => "manifest.json",
            ArtifactKind::RunResults => "run_results.json",
            ArtifactKind::Sources => "sources.json",
        }
    }

    fn from_file_name(name: &str) -> Option<ArtifactKind> {
        [
            ArtifactKind::Manifest,
            ArtifactKind::RunResults,
            ArtifactKind::Sources,
        ]
        .into_iter()
        .find(|kind| kind.file_name() == name)
    }
}

/// A key of the layout `dbt/<project>/<environment>/<file>`, taken apart.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ArtifactKey {
    /// The dbt project name.
    pub project: String,
    /// The environment, e.g. `prod`.
    pub environment: String,
    /// Which artifact.
    pub kind: ArtifactKind,
}

/// A key that is not `dbt/<project>/<environment>/<file>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "key '{key}' is not of the form dbt/<project>/<environment>/<file>: {problem}; \
     upload dbt artifacts as e.g. dbt/jaffle_shop/prod/manifest.json"
)]
pub struct LayoutError {
    /// The (decoded) key.
    pub key: String,
    /// What is wrong with it.
    pub problem: String,
}

impl ArtifactKey {
    /// Reads project, environment and artifact kind from an (already decoded) key.
    pub fn parse(key: &str) -> Result<ArtifactKey, LayoutError> {
        let layout = |problem: &str| LayoutError {
            key: key.to_string(),
            problem: problem.to_string(),
        };
        let parts: Vec<&str> = key.split('/').collect();
        let [prefix, project, environment, file] = parts.as_slice() else {
            return Err(layout(&format!(
                "it has {} parts separated by '/', not 4",
                parts.len()
            )));
        };
        if *prefix != "dbt" {
            return Err(layout("it does not start with 'dbt/'"));
        }
        if project.is_empty() || environment.is_empty() {
            return Err(layout("the project or environment is empty"));
        }
        let kind = ArtifactKind::from_file_name(file).ok_or_else(|| {
            layout(&format!(
                "'{file}' is not manifest.json, run_results.json or sources.json"
            ))
        })?;
        Ok(ArtifactKey {
            project: project.to_string(),
            environment: environment.to_string(),
            kind,
        })
    }
}

impl fmt::Display for ArtifactKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "dbt/{}/{}/{}",
            self.project,
            self.environment,
            self.kind.file_name()
        )
    }
}

/// Where the published YAML of a dbt project goes: `exposures/` beside its applied manifest.
pub fn exposures_location(manifest: &ArtifactLocation, file: &YamlFile) -> ArtifactLocation {
    let dir = manifest
        .key
        .rsplit_once('/')
        .map_or("", |(dir, _)| dir)
        .to_string();
    let key = if dir.is_empty() {
        format!("exposures/{}", file.path)
    } else {
        format!("{dir}/exposures/{}", file.path)
    };
    ArtifactLocation {
        container: manifest.container.clone(),
        key,
        version: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_key_gives_project_and_environment() {
        let key = ArtifactKey::parse("dbt/jaffle_shop/prod/manifest.json").expect("valid");
        assert_eq!(key.project, "jaffle_shop");
        assert_eq!(key.environment, "prod");
        assert_eq!(key.kind, ArtifactKind::Manifest);
        assert_eq!(key.to_string(), "dbt/jaffle_shop/prod/manifest.json");
    }

    #[test]
    fn run_results_and_sources_keys_are_recognised() {
        let run = ArtifactKey::parse("dbt/p/staging/run_results.json").expect("valid");
        assert_eq!(run.kind, ArtifactKind::RunResults);
        assert_eq!(run.environment, "staging");
        let sources = ArtifactKey::parse("dbt/p/prod/sources.json").expect("valid");
        assert_eq!(sources.kind, ArtifactKind::Sources);
    }

    #[test]
    fn keys_of_another_shape_are_refused_with_a_reason() {
        for bad in [
            "manifest.json",
            "dbt/p/manifest.json",
            "dbt/p/prod/extra/manifest.json",
            "other/p/prod/manifest.json",
            "dbt//prod/manifest.json",
            "dbt/p/prod/catalog.json",
        ] {
            let err = ArtifactKey::parse(bad).expect_err(bad);
            assert!(err.to_string().contains(bad), "{err}");
        }
    }
}
