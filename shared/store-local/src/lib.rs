//! The embedded local store (SQLite) for the CLI.
