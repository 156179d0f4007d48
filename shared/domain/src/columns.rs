//! What a BI workbook reads below the table level: the columns of each dbt node it reads,
//! and how often people open it.
//!
//! The BI adapter fills these in on the workbook; matching carries them onto the
//! [`Exposure`](crate::Exposure), where the YAML writer puts them under `meta` in the shape
//! Elementary's `exposure_schema_validity` test reads, and `autoexpose impact` reads them to
//! tell which dashboards a dropped or retyped column breaks.

use serde::{Deserialize, Serialize};

use crate::workbook::UpstreamTable;

/// One column of a dbt node that a workbook reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ReferencedColumn {
    /// The dbt unique id of the node the column belongs to, e.g. `model.shop.orders`.
    pub node: String,
    /// The column's name, as dbt spells it where dbt has the column, else as the BI tool does.
    pub column_name: String,
    /// The column's data type, where dbt knows it (the manifest's declared type, else
    /// `catalog.json`'s). Never the BI tool's own type name (Tableau's `WSTR`, `I8`):
    /// Elementary compares this with the warehouse's type, and a BI type would never equal it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_type: Option<String>,
}

/// A database column that a workbook's fields read, as the BI tool names it: the
/// column's own name and the table it belongs to (which the matcher looks up like any
/// upstream table).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FieldColumn {
    /// The table the column belongs to.
    pub table: UpstreamTable,
    /// The column name; `None` where the BI tool hid it from the signed-in user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The BI tool's type for it (Tableau's `remoteType`, e.g. `WSTR`), for people only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_type: Option<String>,
}

/// A column dbt knows on a node: documented in the manifest or found in `catalog.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbtColumn {
    /// The column name as dbt spells it.
    pub name: String,
    /// Its type, where dbt has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_type: Option<String>,
}

/// How often a workbook was opened, over the windows Tableau's usage statistics count.
/// A window the site did not report is `None`, not zero.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Hits in the last two weeks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hits_last_two_weeks: Option<u64>,
    /// Hits in the last month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hits_last_month: Option<u64>,
    /// Hits in the last three months.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hits_last_three_months: Option<u64>,
    /// Hits in the last year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hits_last_year: Option<u64>,
    /// Views over the workbook's whole life (the views' `totalViewCount`), where that is
    /// all the site reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_views: Option<u64>,
}
