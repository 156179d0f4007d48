//! Large synthetic sites for benchmarks, the same for the same seed.

use std::time::{Duration, UNIX_EPOCH};

use crate::data::{
    ColumnSpec, CustomSqlSpec, DatasourceSpec, FieldSpec, PatSpec, ProjectSpec, ServerSpec,
    SiteData, SiteSpec, TableSpec, UsageSpec, UserSpec, WorkbookSpec,
};
use crate::util::{derived_luid, iso8601};

/// SplitMix64: small, fast and deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const SCHEMAS: [&str; 4] = ["dbt_prod", "DBT_PROD", "marts", "staging"];
const SUBJECTS: [&str; 8] = [
    "orders",
    "customers",
    "payments",
    "sessions",
    "products",
    "invoices",
    "refunds",
    "events",
];

/// The columns of every generated table (`remoteType` as Tableau reports Snowflake's).
const COLUMNS: [(&str, &str); 5] = [
    ("ID", "I8"),
    ("CREATED_AT", "DBTIMESTAMP"),
    ("AMOUNT", "R8"),
    ("STATUS", "WSTR"),
    ("REGION", "WSTR"),
];

fn generated_columns() -> Vec<ColumnSpec> {
    COLUMNS
        .iter()
        .map(|(name, remote_type)| ColumnSpec {
            name: name.to_string(),
            remote_type: remote_type.to_string(),
            obfuscated: false,
        })
        .collect()
}

/// A workbook's fields over its tables: three column fields per table and one
/// calculated field over the first table's, drawn without the random stream so that
/// adding fields changed no other part of a generated site.
fn generated_fields(table_ids: &[String]) -> Vec<FieldSpec> {
    let mut fields = Vec::new();
    for (t, table_id) in table_ids.iter().enumerate() {
        for (column, _) in &COLUMNS[..3] {
            fields.push(FieldSpec {
                name: format!("{column} ({t})"),
                table_id: Some(table_id.clone()),
                column: Some(column.to_string()),
                ..FieldSpec::default()
            });
        }
    }
    if !table_ids.is_empty() {
        fields.push(FieldSpec {
            name: "Average amount".to_string(),
            formula: Some("SUM([AMOUNT (0)]) / COUNTD([ID (0)])".to_string()),
            references: vec!["AMOUNT (0)".to_string(), "ID (0)".to_string()],
            data_type: Some("REAL".to_string()),
            ..FieldSpec::default()
        });
    }
    fields
}

/// The PAT a generated site accepts: name `bench-pat`, secret `bench-secret`, site `bench`.
pub const GENERATED_PAT: (&str, &str) = ("bench-pat", "bench-secret");

/// Makes one site (`content_url` `bench`) with `workbooks` workbooks, each reading about
/// `tables_per_workbook` tables from a shared pool, spread over a nested project tree with
/// several owners, shared published data sources, custom SQL and extracts.
pub fn generate_site(workbooks: usize, tables_per_workbook: usize, seed: u64) -> SiteData {
    let mut rng = Rng(seed);
    // Usage draws from its own stream, so the rest of a site is what it was before usage.
    let mut usage_rng = Rng(seed ^ 0x7573_6167_6500_0000);
    let key = |kind: &str, i: usize| derived_luid(&format!("{seed}:{kind}:{i}"));

    let user_count = (workbooks / 50).max(3);
    let users: Vec<UserSpec> = (0..user_count)
        .map(|i| UserSpec {
            id: key("user", i),
            name: format!("User {i}"),
            email: format!("user{i}@example.com"),
            username: format!("user{i}"),
        })
        .collect();

    let project_count = (workbooks / 20).max(6);
    let mut projects: Vec<ProjectSpec> = Vec::with_capacity(project_count);
    for i in 0..project_count {
        // The first five are top level; the rest hang below an earlier project.
        let parent_id = (i >= 5).then(|| projects[rng.below(i)].id.clone());
        projects.push(ProjectSpec {
            id: key("project", i),
            name: format!("Project {i}"),
            description: String::new(),
            parent_id,
            owner_id: Some(users[rng.below(user_count)].id.clone()),
        });
    }

    let table_count = (workbooks * tables_per_workbook / 3)
        .max(tables_per_workbook * 2)
        .max(1);
    let tables: Vec<TableSpec> = (0..table_count)
        .map(|i| {
            let other_database = rng.chance(10);
            let schema = SCHEMAS[rng.below(SCHEMAS.len())].to_string();
            let name = format!("{}_{i}", SUBJECTS[rng.below(SUBJECTS.len())]);
            TableSpec {
                id: key("table", i),
                name: if rng.chance(30) {
                    name.to_uppercase()
                } else {
                    name
                },
                schema,
                database: if other_database {
                    "LEGACY_DW"
                } else {
                    "ANALYTICS"
                }
                .to_string(),
                connection_type: "snowflake".to_string(),
                full_name: None,
                is_embedded: false,
                database_null: false,
                obfuscated: false,
                columns: generated_columns(),
            }
        })
        .collect();

    let pick_tables = |rng: &mut Rng, count: usize| -> Vec<String> {
        let mut ids: Vec<String> = Vec::with_capacity(count);
        for _ in 0..count * 2 {
            if ids.len() == count {
                break;
            }
            let id = &tables[rng.below(table_count)].id;
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        ids
    };

    let datasource_count = (workbooks / 10).max(1);
    let datasources: Vec<DatasourceSpec> = (0..datasource_count)
        .map(|i| DatasourceSpec {
            luid: key("datasource", i),
            id: None,
            name: format!("Shared Source {i}"),
            project_id: projects[rng.below(project_count)].id.clone(),
            owner_id: Some(users[rng.below(user_count)].id.clone()),
            has_extracts: rng.chance(50),
            table_ids: pick_tables(&mut rng, tables_per_workbook.clamp(1, 5)),
            custom_sql: Vec::new(),
            refresh_error: None,
            datasource_luids: Vec::new(),
            virtual_table_luids: Vec::new(),
            fields: Vec::new(),
        })
        .collect();

    let start = UNIX_EPOCH + Duration::from_secs(1_704_067_200);
    let mut workbook_specs = Vec::with_capacity(workbooks);
    for i in 0..workbooks {
        let mut datasource_luids = Vec::new();
        if rng.chance(20) {
            datasource_luids.push(datasources[rng.below(datasource_count)].luid.clone());
        }
        let mut custom_sql = Vec::new();
        if rng.chance(10) {
            let table_ids = pick_tables(&mut rng, 2);
            custom_sql.push(CustomSqlSpec {
                id: key("custom-sql", i),
                query: format!("select * from analytics.dbt_prod.orders_{i} o join analytics.dbt_prod.customers c on o.customer_id = c.id"),
                connection_type: "snowflake".to_string(),
                database: "ANALYTICS".to_string(),
                table_ids,
                is_unsupported: false,
            });
        }
        let created = start + Duration::from_secs(i as u64 * 3600);
        // Drawn in the order the fields below were drawn before workbooks had fields, so
        // that a seed still gives the same site.
        let project_id = projects[rng.below(project_count)].id.clone();
        let owner_id = users[rng.below(user_count)].id.clone();
        let table_ids = pick_tables(&mut rng, tables_per_workbook);
        workbook_specs.push(WorkbookSpec {
            luid: key("workbook", i),
            id: None,
            name: format!("Workbook {i}"),
            project_id,
            owner_id,
            description: String::new(),
            vizportal_url_id: (10_000 + i).to_string(),
            created_at: iso8601(created),
            updated_at: iso8601(created + Duration::from_secs(86_400)),
            fields: generated_fields(&table_ids),
            table_ids,
            embedded_extract: rng.chance(30),
            datasource_luids,
            custom_sql,
            refresh_error: None,
            virtual_table_luids: Vec::new(),
            usage: Some(usage_of(&mut usage_rng)),
            views: Vec::new(),
        });
    }

    SiteData {
        server: ServerSpec::default(),
        sites: vec![SiteSpec {
            content_url: "bench".to_string(),
            name: "Benchmark".to_string(),
            id: key("site", 0),
            site_number: 1,
            projects,
            pats: vec![PatSpec {
                name: GENERATED_PAT.0.to_string(),
                secret: GENERATED_PAT.1.to_string(),
                user_id: users[0].id.clone(),
                expired: false,
            }],
            users,
            tables,
            datasources,
            workbooks: workbook_specs,
            ..SiteSpec::default()
        }],
    }
}

/// Usage like a real site's: a fifth of workbooks unopened for a quarter, a few busy ones.
fn usage_of(rng: &mut Rng) -> UsageSpec {
    if rng.chance(20) {
        let year = rng.below(40) as u64;
        return UsageSpec {
            hits_total: year + rng.below(200) as u64,
            hits_last_twelve_months: year,
            ..UsageSpec::default()
        };
    }
    let busy = rng.chance(10);
    let two_weeks = rng.below(if busy { 400 } else { 30 }) as u64;
    let month = two_weeks * 2 + rng.below(20) as u64;
    let three_months = month * 3 + rng.below(50) as u64;
    let year = three_months * 4 + rng.below(100) as u64;
    UsageSpec {
        hits_total: year + rng.below(500) as u64,
        hits_last_two_weeks: two_weeks,
        hits_last_one_month: month,
        hits_last_three_months: three_months,
        hits_last_twelve_months: year,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_gives_same_site_and_other_seed_differs() {
        assert_eq!(generate_site(50, 4, 7), generate_site(50, 4, 7));
        assert_ne!(generate_site(50, 4, 7), generate_site(50, 4, 8));
    }

    #[test]
    fn generated_site_is_consistent_and_sized() {
        let data = generate_site(200, 5, 1);
        data.validate().expect("generated data is valid");
        let site = &data.sites[0];
        assert_eq!(site.workbooks.len(), 200);
        assert!(site.projects.iter().any(|p| p.parent_id.is_some()));
        assert!(site.workbooks.iter().all(|w| w.table_ids.len() <= 5));
    }
}
