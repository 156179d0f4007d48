//! What the lineage tests share: the projects they draw (the bundled jaffle-shop example,
//! and a generated project of any size) and a reader for the drawn SVG (boxes and edge
//! paths) that finds edges running behind nodes.
#![allow(dead_code)] // each test crate uses part of it

pub(crate) mod projects;
pub(crate) mod svg;
