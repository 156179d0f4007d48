//! The files the commands read and write: a manifest and a saved Tableau response read
//! with the file named in any error and within a size limit, and output written to a file
//! or stdout.

use std::path::Path;

use anyhow::Context;
use autoexpose_domain::{Manifest, Workbook};
use autoexpose_pipeline::INPUT_WARNINGS;
use autoexpose_store_local::{max_input_bytes, read_bounded};
use autoexpose_tableau::parse_workbooks_response;

/// Writes `text` to `out`, or to stdout when no file is given.
pub(crate) fn emit(text: &str, out: Option<&Path>) -> anyhow::Result<()> {
    match out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write '{}'", path.display()))
        }
        None => {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(terminal_safe(text).as_bytes())
                .and_then(|()| stdout.flush())
                .context("cannot write to stdout")
        }
    }
}

/// `text` without the control characters (escape sequences, bells, carriage returns)
/// that a workbook or model name could carry to repaint a terminal; newlines and tabs
/// stay. JSON and YAML output never hold such characters raw, so this changes only what
/// should not have reached the terminal.
pub(crate) fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\n' && c != '\t';
    if text.chars().any(unsafe_char) {
        text.chars().filter(|&c| !unsafe_char(c)).collect()
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Reads a whole input file (`what` names it in errors: "manifest"), refusing one past the
/// size limit (`AUTOEXPOSE_MAX_INPUT_MB`) before it costs that much memory: a device such
/// as `/dev/zero` or a wrong file gets a clear error instead of eating the machine.
pub(crate) fn read_input(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    let limit = max_input_bytes().map_err(anyhow::Error::msg)?;
    read_bounded(path, limit).with_context(|| format!("cannot read {what} '{}'", path.display()))
}

/// Reads and parses a manifest, naming the file in any error.
pub(crate) fn read_manifest(path: &Path) -> anyhow::Result<Manifest> {
    let bytes = read_input(path, "manifest")?;
    let manifest =
        Manifest::from_slice(&bytes).with_context(|| format!("manifest '{}'", path.display()))?;
    for warning in manifest.warnings() {
        tracing::warn!(target: INPUT_WARNINGS, "manifest '{}': {warning}", path.display());
    }
    Ok(manifest)
}

/// Reads a saved Metadata API response, naming the file in any error.
pub(crate) fn read_tableau_response(path: &Path) -> anyhow::Result<Vec<Workbook>> {
    let bytes = read_input(path, "Tableau response")?;
    parse_workbooks_response(&bytes)
        .with_context(|| format!("Tableau response '{}'", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_terminal_escape_in_a_name_is_dropped_but_lines_stay() {
        assert_eq!(
            terminal_safe("Sales\u{1b}[2J\nnext\tcol"),
            "Sales[2J\nnext\tcol"
        );
        assert!(matches!(
            terminal_safe("plain"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
