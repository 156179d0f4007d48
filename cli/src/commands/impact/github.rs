//! `autoexpose impact --comment`: the report as one comment on the pull request, created
//! the first time and updated on every later run, found again by its hidden marker
//! ([`IMPACT_MARKER`]) so re-runs do not pile up comments.
//!
//! Three GitHub REST calls: list the pull request's comments
//! (`GET /repos/{owner}/{repo}/issues/{number}/comments`, page by page), then create one
//! (`POST` to the same path) or update the marked one
//! (`PATCH /repos/{owner}/{repo}/issues/comments/{id}`). The token is sent only as the
//! `Authorization` header and never appears in a message.

use std::time::Duration;

use anyhow::{Context, bail};
use autoexpose_domain::printable::printable;
use autoexpose_output::IMPACT_MARKER;
use serde::Deserialize;

/// Comments listed per page (GitHub's maximum).
const PER_PAGE: usize = 100;
/// Pages listed at most: 10,000 comments.
const MAX_PAGES: usize = 100;
/// GitHub refuses a comment body longer than this many characters.
const MAX_BODY_CHARS: usize = 65_536;
/// A reply body is not read past this many bytes.
const MAX_REPLY_BYTES: usize = 8 * 1024 * 1024;

/// Where and as whom the comment is posted.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct GithubArgs {
    /// Post the Markdown report as the pull request's comment (created once, then updated).
    #[arg(long)]
    pub(crate) comment: bool,
    /// `owner/repo` of the pull request.
    #[arg(long, env = "GITHUB_REPOSITORY")]
    github_repository: Option<String>,
    /// The pull request's number.
    #[arg(long, env = "AUTOEXPOSE_PULL_REQUEST")]
    pull_request: Option<u64>,
    /// GitHub's REST API (GitHub Enterprise Server: `https://HOST/api/v3`).
    #[arg(long, env = "GITHUB_API_URL", default_value = "https://api.github.com")]
    github_api_url: String,
    /// A token that may write pull request comments (the workflow's `GITHUB_TOKEN`).
    #[arg(long, env = "GITHUB_TOKEN", hide_env_values = true)]
    github_token: Option<String>,
}

#[derive(Deserialize)]
struct Comment {
    id: u64,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    html_url: Option<String>,
}

/// Creates or updates the pull request's impact comment; returns a line saying which.
pub(crate) async fn upsert_comment(args: &GithubArgs, markdown: &str) -> anyhow::Result<String> {
    let repository = args.github_repository.as_deref().unwrap_or_default();
    let Some((owner, repo)) = repository.split_once('/') else {
        bail!(
            "--github-repository '{}' is not OWNER/REPO",
            printable(repository)
        );
    };
    let number = args
        .pull_request
        .context("--pull-request is needed with --comment")?;
    let token = args
        .github_token
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .context("--comment needs a GitHub token in GITHUB_TOKEN")?;
    let github = Github {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .context("cannot build the HTTP client")?,
        api: args.github_api_url.trim_end_matches('/').to_string(),
        token: token.to_string(),
    };
    let body = fitted(markdown);
    let issue_comments = format!(
        "{}/repos/{owner}/{repo}/issues/{number}/comments",
        github.api
    );
    let existing = github.find_marked(&issue_comments).await?;
    let posted: Comment = match existing {
        Some(id) => {
            let url = format!("{}/repos/{owner}/{repo}/issues/comments/{id}", github.api);
            github.send(github.http.patch(&url), &body).await?
        }
        None => {
            github
                .send(github.http.post(&issue_comments), &body)
                .await?
        }
    };
    let verb = if existing.is_some() {
        "updated"
    } else {
        "created"
    };
    Ok(format!(
        "{verb} the impact comment on {owner}/{repo}#{number}: {}",
        posted.html_url.unwrap_or_else(|| posted.id.to_string())
    ))
}

/// `markdown`, cut to what GitHub accepts, with a line saying it was cut.
fn fitted(markdown: &str) -> String {
    const NOTE: &str =
        "\n\n_The report is cut here: run `autoexpose impact --format json` for all of it._\n";
    if markdown.chars().count() <= MAX_BODY_CHARS {
        return markdown.to_string();
    }
    let keep = MAX_BODY_CHARS - NOTE.chars().count();
    let mut body: String = markdown.chars().take(keep).collect();
    body.push_str(NOTE);
    body
}

struct Github {
    http: reqwest::Client,
    api: String,
    token: String,
}

impl Github {
    fn authorized(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        request
            .bearer_auth(&self.token)
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .header(
                "User-Agent",
                concat!("autoexpose/", env!("CARGO_PKG_VERSION")),
            )
    }

    /// The id of the first comment that carries the marker, looking through every page.
    async fn find_marked(&self, comments_url: &str) -> anyhow::Result<Option<u64>> {
        for page in 1..=MAX_PAGES {
            let request = self
                .http
                .get(comments_url)
                .query(&[("per_page", PER_PAGE), ("page", page)]);
            let comments: Vec<Comment> = self.exchange(self.authorized(request)).await?;
            if let Some(marked) = comments
                .iter()
                .find(|c| c.body.as_deref().is_some_and(|b| b.contains(IMPACT_MARKER)))
            {
                return Ok(Some(marked.id));
            }
            if comments.len() < PER_PAGE {
                return Ok(None);
            }
        }
        bail!(
            "the pull request has more than {} comments; autoexpose looked no further",
            PER_PAGE * MAX_PAGES
        )
    }

    async fn send(&self, request: reqwest::RequestBuilder, body: &str) -> anyhow::Result<Comment> {
        let request = self
            .authorized(request)
            .json(&serde_json::json!({ "body": body }));
        self.exchange(request).await
    }

    /// Sends `request` and reads its JSON reply, with an error a person can act on.
    async fn exchange<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> anyhow::Result<T> {
        let request = request.build().context("cannot build the GitHub request")?;
        let (method, path) = (request.method().clone(), request.url().path().to_string());
        let mut reply =
            self.http.execute(request).await.map_err(|e| {
                anyhow::anyhow!("GitHub {method} {path} failed: {}", e.without_url())
            })?;
        let status = reply.status();
        let mut bytes = Vec::new();
        while let Some(chunk) = reply
            .chunk()
            .await
            .with_context(|| format!("cannot read GitHub's reply to {method} {path}"))?
        {
            if bytes.len() + chunk.len() > MAX_REPLY_BYTES {
                bail!("GitHub's reply to {method} {path} is larger than {MAX_REPLY_BYTES} bytes");
            }
            bytes.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            let message = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v.get("message")?.as_str().map(str::to_string))
                .unwrap_or_default();
            bail!(
                "GitHub refused {method} {path} ({status}{}){}",
                if message.is_empty() {
                    String::new()
                } else {
                    format!(": {}", printable(&message))
                },
                advice(status.as_u16())
            );
        }
        serde_json::from_slice(&bytes)
            .with_context(|| format!("GitHub's reply to {method} {path} is not the JSON expected"))
    }
}

/// What to do about a refusal.
fn advice(status: u16) -> &'static str {
    match status {
        401 => "; the token is missing, expired or revoked",
        403 => {
            "; give the workflow `permissions: pull-requests: write` (a pull request from a fork gets a read-only token)"
        }
        404 => {
            "; check --github-repository and --pull-request, and that the token may see the repository"
        }
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overlong_report_is_cut_to_what_github_takes() {
        let long = "x".repeat(MAX_BODY_CHARS + 10);
        let body = fitted(&long);
        assert_eq!(body.chars().count(), MAX_BODY_CHARS);
        assert!(body.ends_with("for all of it._\n"));
        assert_eq!(fitted("short"), "short");
    }
}
