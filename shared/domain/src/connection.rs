//! Tableau connection types that are not warehouses: files, web data connectors and SaaS
//! connectors. Nothing dbt builds can be one of their tables, so they are counted and
//! listed apart from the unmatched ones, and diagnostics stay about what a person can fix.

/// What kind of source a connection that is not a warehouse reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A file: a spreadsheet, a text or CSV file, a Hyper extract uploaded as a file,
    /// a statistical, spatial, JSON or PDF file.
    File,
    /// A web data connector (`webdata-direct:…`).
    WebDataConnector,
    /// A SaaS application's connector (Salesforce, Google Analytics, ServiceNow, …).
    Saas,
}

impl SourceKind {
    /// The words shown to a person, e.g. "a file".
    pub fn describe(self) -> &'static str {
        match self {
            SourceKind::File => "a file",
            SourceKind::WebDataConnector => "a web data connector",
            SourceKind::Saas => "a SaaS application",
        }
    }
}

/// Tableau connection classes of files (lower case).
const FILE_CLASSES: &[&str] = &[
    "excel-direct",
    "excel",
    "textscan",
    "csv",
    "hyper",
    "stat-direct",
    "ogrdirect",
    "semistructpassivestore-direct",
    "pdf",
    "google-sheets",
    "box",
    "dropbox",
    "onedrive",
];

/// Tableau connection classes of SaaS applications (lower case); a class that starts with
/// one of these and a `-` or `_` counts too (`salesforce-cdp`, `salesforce_jdbc`).
const SAAS_CLASSES: &[&str] = &[
    "salesforce",
    "google-analytics",
    "googleanalytics",
    "servicenowitsm",
    "marketo",
    "quickbooks",
    "intuit-quickbooks",
    "eloqua",
    "anaplan",
    "odata",
    "sharepoint",
    "sharepoint-lists",
    "linkedin-sales-navigator",
];

/// The kind of source a connection type reads, or `None` for a warehouse (or a
/// connection type this list does not know, which is treated as one).
pub fn non_warehouse_kind(connection_type: &str) -> Option<SourceKind> {
    let class = connection_type.trim().to_ascii_lowercase();
    if class.starts_with("webdata-direct") || class == "webdata" {
        return Some(SourceKind::WebDataConnector);
    }
    if FILE_CLASSES.contains(&class.as_str()) {
        return Some(SourceKind::File);
    }
    let saas = SAAS_CLASSES.iter().any(|known| {
        class == *known
            || class
                .strip_prefix(known)
                .is_some_and(|rest| rest.starts_with('-') || rest.starts_with('_'))
    });
    saas.then_some(SourceKind::Saas)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_connectors_and_saas_are_not_warehouses() {
        assert_eq!(non_warehouse_kind("excel-direct"), Some(SourceKind::File));
        assert_eq!(non_warehouse_kind("textscan"), Some(SourceKind::File));
        assert_eq!(non_warehouse_kind("hyper"), Some(SourceKind::File));
        assert_eq!(
            non_warehouse_kind("webdata-direct:marketo-marketo"),
            Some(SourceKind::WebDataConnector)
        );
        assert_eq!(non_warehouse_kind("salesforce"), Some(SourceKind::Saas));
        assert_eq!(non_warehouse_kind("Salesforce-CDP"), Some(SourceKind::Saas));
    }

    #[test]
    fn warehouses_and_unknown_classes_are_matched_as_usual() {
        for class in [
            "snowflake",
            "postgres",
            "sqlserver",
            "bigquery",
            "databricks",
            "trino_jdbc",
            "",
        ] {
            assert_eq!(non_warehouse_kind(class), None, "{class}");
        }
        assert_eq!(non_warehouse_kind("salesforcex"), None);
    }
}
