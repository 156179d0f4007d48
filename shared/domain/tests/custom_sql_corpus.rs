//! A corpus of custom SQL as analysts paste it into Tableau, one dialect at a time.
//!
//! Each case names the Tableau connection class, the query text as Tableau returns it
//! (escaping included) and the exact tables it reads, written `database.schema.name`
//! with the parts the query gave (`db..name` when only the schema is missing). To add a
//! case, append a row to `CORPUS`.

use std::collections::BTreeSet;

use autoexpose_domain::custom_sql::{CustomSqlError, qualify, tables_in_query};

/// One query and the tables it reads.
struct Case {
    /// What the query is, for failure messages.
    name: &'static str,
    /// Tableau's connection class.
    connection: &'static str,
    query: &'static str,
    /// Tables read, as `database.schema.name` with the parts the query wrote.
    tables: &'static [&'static str],
}

const CORPUS: &[Case] = &[
    // ---------------------------------------------------------------- Snowflake
    Case {
        name: "snowflake finance rollup with chained CTEs",
        connection: "snowflake",
        query: r#"
WITH invoices AS (
    SELECT invoice_id, customer_id, amount_usd, DATE_TRUNC('month', issued_at) AS month
    FROM ANALYTICS.FINANCE.FCT_INVOICES
    WHERE status <> 'void'
), payments AS (
    SELECT invoice_id, SUM(amount_usd) AS paid_usd
    FROM ANALYTICS.FINANCE.FCT_PAYMENTS
    GROUP BY 1
), monthly AS (
    SELECT i.month, i.customer_id, SUM(i.amount_usd) AS billed, SUM(p.paid_usd) AS paid
    FROM invoices i
    LEFT JOIN payments p ON p.invoice_id = i.invoice_id
    GROUP BY 1, 2
)
SELECT m.*, c.segment
FROM monthly m
JOIN ANALYTICS.CORE.DIM_CUSTOMERS c ON c.customer_id = m.customer_id
ORDER BY m.month DESC;
"#,
        tables: &[
            "ANALYTICS.FINANCE.FCT_INVOICES",
            "ANALYTICS.FINANCE.FCT_PAYMENTS",
            "ANALYTICS.CORE.DIM_CUSTOMERS",
        ],
    },
    Case {
        name: "snowflake QUALIFY keeps latest row per key",
        connection: "snowflake",
        query: r#"SELECT *
FROM raw.salesforce.opportunity
QUALIFY ROW_NUMBER() OVER (PARTITION BY id ORDER BY systemmodstamp DESC) = 1"#,
        tables: &["raw.salesforce.opportunity"],
    },
    Case {
        name: "snowflake LATERAL FLATTEN over a variant column",
        connection: "snowflake",
        query: r#"SELECT e.event_id, f.value:sku::string AS sku, f.value:qty::int AS qty
FROM "RAW"."SEGMENT"."TRACKS" e,
     LATERAL FLATTEN(input => e.properties:products) f
WHERE e.event = 'Order Completed'"#,
        tables: &["RAW.SEGMENT.TRACKS"],
    },
    Case {
        name: "snowflake TABLE(FLATTEN()) and a schema-qualified UDF",
        connection: "snowflake",
        query: r#"SELECT u.id, analytics.utils.clean_email(u.email) AS email, t.value AS tag
FROM analytics.core.users u, TABLE(FLATTEN(u.tags)) t"#,
        tables: &["analytics.core.users"],
    },
    Case {
        name: "snowflake PIVOT on a two-part name",
        connection: "snowflake",
        query: r#"SELECT *
FROM finance.monthly_revenue
    PIVOT (SUM(amount) FOR quarter IN ('Q1', 'Q2', 'Q3', 'Q4')) AS p
ORDER BY region"#,
        tables: &["finance.monthly_revenue"],
    },
    Case {
        name: "snowflake leading USE and ALTER SESSION statements",
        connection: "snowflake",
        query: r#"USE WAREHOUSE reporting_wh;
ALTER SESSION SET TIMEZONE = 'UTC';
SELECT order_date, SUM(total) FROM PROD.MARTS.ORDERS GROUP BY 1;"#,
        tables: &["PROD.MARTS.ORDERS"],
    },
    Case {
        name: "snowflake NOT EXISTS anti-join with comments",
        connection: "snowflake",
        query: r#"-- customers without an order in 90 days
SELECT c.customer_id, c.email /* PII: ok for CS */
FROM analytics.core.dim_customers c
WHERE NOT EXISTS (
    SELECT 1 FROM analytics.core.fct_orders o
    WHERE o.customer_id = c.customer_id
      AND o.ordered_at >= DATEADD(day, -90, CURRENT_DATE())
)"#,
        tables: &["analytics.core.dim_customers", "analytics.core.fct_orders"],
    },
    Case {
        name: "snowflake one-part names with a Tableau parameter",
        connection: "snowflake",
        query: r#"SELECT region, SUM(revenue) AS revenue
FROM fct_sales
WHERE region = <Parameters.Region>
  AND fiscal_year = <[Parameters].[Fiscal Year]>
GROUP BY region"#,
        tables: &["fct_sales"],
    },
    Case {
        name: "snowflake time travel with AT",
        connection: "snowflake",
        query: r#"SELECT * FROM analytics.core.dim_products AT(OFFSET => -60*60*24)"#,
        tables: &["analytics.core.dim_products"],
    },
    Case {
        name: "snowflake window functions and scalar subquery in SELECT",
        connection: "snowflake",
        query: r#"SELECT
    o.order_id,
    o.amount,
    SUM(o.amount) OVER (PARTITION BY o.customer_id ORDER BY o.ordered_at
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running_total,
    (SELECT MAX(fx.rate) FROM reference.fx_rates fx WHERE fx.currency = o.currency) AS rate
FROM sales.orders o"#,
        tables: &["reference.fx_rates", "sales.orders"],
    },
    // ---------------------------------------------------------------- BigQuery
    Case {
        name: "bigquery backticked project.dataset.table with UNNEST",
        connection: "bigquery",
        query: r#"SELECT event_date, param.key, COUNT(*) AS n
FROM `acme-analytics.analytics_123456.events_*`,
     UNNEST(event_params) AS param
WHERE _TABLE_SUFFIX BETWEEN '20240101' AND '20240131'
GROUP BY 1, 2"#,
        tables: &["acme-analytics.analytics_123456.events_*"],
    },
    Case {
        name: "bigquery each part backticked separately",
        connection: "bigquery",
        query: r#"SELECT o.order_id, c.country
FROM `acme-prod`.`dbt_marts`.`fct_orders` AS o
JOIN `acme-prod.dbt_marts.dim_customers` AS c USING (customer_id)"#,
        tables: &[
            "acme-prod.dbt_marts.fct_orders",
            "acme-prod.dbt_marts.dim_customers",
        ],
    },
    Case {
        name: "bigquery unquoted hyphenated project",
        connection: "bigquery",
        query: r#"SELECT * FROM acme-prod.dbt_marts.fct_sessions WHERE session_date > '2024-01-01'"#,
        tables: &["acme-prod.dbt_marts.fct_sessions"],
    },
    Case {
        name: "bigquery dataset.table with STRUCT, ARRAY_AGG and QUALIFY",
        connection: "bigquery",
        query: r#"SELECT
  user_id,
  ARRAY_AGG(STRUCT(sku, price) ORDER BY price DESC LIMIT 3) AS top_items
FROM dbt_marts.fct_order_items
WHERE TRUE
GROUP BY user_id
QUALIFY COUNT(*) OVER () > 10"#,
        tables: &["dbt_marts.fct_order_items"],
    },
    Case {
        name: "bigquery legacy googlebigquery class and EXCEPT DISTINCT",
        connection: "googlebigquery",
        query: r#"SELECT user_id FROM `p.crm.signups`
EXCEPT DISTINCT
SELECT user_id FROM `p.crm.churned`"#,
        tables: &["p.crm.signups", "p.crm.churned"],
    },
    Case {
        name: "bigquery CTE over UNNEST of a generated array",
        connection: "bigquery",
        query: r#"WITH days AS (
  SELECT day FROM UNNEST(GENERATE_DATE_ARRAY('2024-01-01', CURRENT_DATE())) AS day
)
SELECT d.day, COUNT(s.session_id) AS sessions
FROM days d
LEFT JOIN `acme.web.sessions` s ON DATE(s.started_at) = d.day
GROUP BY 1"#,
        tables: &["acme.web.sessions"],
    },
    Case {
        name: "bigquery Tableau-escaped comparison operators",
        connection: "bigquery",
        query: "SELECT * FROM `acme.billing.invoices` WHERE amount &gt;&gt;= 100 AND status &lt;&lt;&gt;&gt; &#39;void&#39;",
        tables: &["acme.billing.invoices"],
    },
    // ------------------------------------------------------- Postgres / Redshift
    Case {
        name: "postgres DISTINCT ON with :: casts",
        connection: "postgres",
        query: r#"SELECT DISTINCT ON (s.account_id)
    s.account_id, s.plan::text AS plan, s.started_at::date AS started
FROM billing.subscriptions s
ORDER BY s.account_id, s.started_at DESC"#,
        tables: &["billing.subscriptions"],
    },
    Case {
        name: "postgres quoted mixed-case identifiers",
        connection: "postgres",
        query: r#"SELECT "Order ID", "Customer Name" FROM "public"."Superstore Orders" WHERE "Region" = 'West'"#,
        tables: &["public.Superstore Orders"],
    },
    Case {
        name: "postgres IN subquery and LATERAL join",
        connection: "postgres",
        query: r#"SELECT a.id, last_login.at
FROM app.accounts a
CROSS JOIN LATERAL (
    SELECT l.created_at AS at FROM app.logins l WHERE l.account_id = a.id
    ORDER BY l.created_at DESC LIMIT 1
) last_login
WHERE a.id IN (SELECT account_id FROM app.subscriptions WHERE active)"#,
        tables: &["app.accounts", "app.logins", "app.subscriptions"],
    },
    Case {
        name: "postgres recursive CTE over an org chart",
        connection: "postgres",
        query: r#"WITH RECURSIVE chain AS (
    SELECT id, manager_id, name, 1 AS depth FROM hr.employees WHERE manager_id IS NULL
    UNION ALL
    SELECT e.id, e.manager_id, e.name, c.depth + 1
    FROM hr.employees e JOIN chain c ON e.manager_id = c.id
)
SELECT * FROM chain"#,
        tables: &["hr.employees"],
    },
    Case {
        name: "postgres generate_series calendar spine",
        connection: "postgres",
        query: r#"SELECT d::date AS day, COUNT(o.id)
FROM generate_series('2024-01-01'::date, now(), interval '1 day') AS d
LEFT JOIN shop.orders o ON o.created_at::date = d::date
GROUP BY 1"#,
        tables: &["shop.orders"],
    },
    Case {
        name: "redshift comma joins and NVL",
        connection: "redshift",
        query: r#"select o.order_id, nvl(p.name, 'unknown') as product, r.region_name
from dw.orders o, dw.products p, dw.regions r
where o.product_id = p.product_id and o.region_id = r.region_id"#,
        tables: &["dw.orders", "dw.products", "dw.regions"],
    },
    Case {
        name: "redshift UNION ALL of yearly tables with a trailing semicolon",
        connection: "redshift",
        query: r#"SELECT * FROM archive.events_2022
UNION ALL
SELECT * FROM archive.events_2023
UNION ALL
SELECT * FROM public.events;"#,
        tables: &[
            "archive.events_2022",
            "archive.events_2023",
            "public.events",
        ],
    },
    Case {
        name: "redshift three-part names and DATEADD",
        connection: "redshift",
        query: r#"SELECT user_id, COUNT(*) FROM dev.analytics.page_views
WHERE viewed_at > DATEADD(day, -30, GETDATE()) GROUP BY user_id"#,
        tables: &["dev.analytics.page_views"],
    },
    Case {
        name: "postgres CTE shadowing a real table in another scope",
        connection: "postgres",
        query: r#"SELECT * FROM (
    WITH orders AS (SELECT * FROM staging.orders WHERE NOT is_test)
    SELECT customer_id, COUNT(*) AS n FROM orders GROUP BY 1
) per_customer
JOIN orders o ON o.customer_id = per_customer.customer_id"#,
        tables: &["staging.orders", "orders"],
    },
    // ---------------------------------------------------------------- Databricks
    Case {
        name: "databricks three-part catalog names in backticks",
        connection: "databricks",
        query: r#"SELECT c.customer_id, SUM(o.amount) AS ltv
FROM `main`.`gold`.`fct_orders` o
JOIN main.gold.dim_customers c ON c.customer_id = o.customer_id
GROUP BY c.customer_id"#,
        tables: &["main.gold.fct_orders", "main.gold.dim_customers"],
    },
    Case {
        name: "databricks LATERAL VIEW explode is not a table",
        connection: "spark",
        query: r#"SELECT e.user_id, tag
FROM hive_metastore.web.events e
LATERAL VIEW explode(e.tags) t AS tag"#,
        tables: &["hive_metastore.web.events"],
    },
    Case {
        name: "databricks window with QUALIFY and INTERVAL",
        connection: "databricks",
        query: r#"SELECT *
FROM prod.silver.device_readings
WHERE reading_ts >= current_timestamp() - INTERVAL 7 DAYS
QUALIFY row_number() OVER (PARTITION BY device_id ORDER BY reading_ts DESC) = 1"#,
        tables: &["prod.silver.device_readings"],
    },
    Case {
        name: "databricks INSERT ... SELECT reads only the source",
        connection: "databricks",
        query: r#"INSERT INTO prod.gold.daily_kpis
SELECT date(event_ts) AS day, count(*) AS events FROM prod.silver.events GROUP BY 1"#,
        tables: &["prod.silver.events"],
    },
    // ---------------------------------------------------------------- SQL Server
    Case {
        name: "sqlserver brackets, TOP and NOLOCK hints",
        connection: "sqlserver",
        query: r#"SELECT TOP 1000 o.[OrderID], c.[Customer Name], o.[Total Due]
FROM [Sales].[dbo].[Orders] o WITH (NOLOCK)
INNER JOIN [Sales].[dbo].[Customers] c WITH (NOLOCK) ON c.[CustomerID] = o.[CustomerID]
ORDER BY o.[OrderDate] DESC"#,
        tables: &["Sales.dbo.Orders", "Sales.dbo.Customers"],
    },
    Case {
        name: "sqlserver SET NOCOUNT then a CTE",
        connection: "sqlserver",
        query: r#"SET NOCOUNT ON;
WITH LatestStatus AS (
    SELECT TicketID, Status,
           ROW_NUMBER() OVER (PARTITION BY TicketID ORDER BY ChangedAt DESC) AS rn
    FROM dbo.TicketHistory
)
SELECT t.TicketID, t.Title, s.Status
FROM dbo.Tickets t
JOIN LatestStatus s ON s.TicketID = t.TicketID AND s.rn = 1"#,
        tables: &["dbo.TicketHistory", "dbo.Tickets"],
    },
    Case {
        name: "sqlserver default schema with database..table",
        connection: "sqlserver",
        query: r#"SELECT COUNT(*) FROM Warehouse..FactInventory"#,
        tables: &["Warehouse..FactInventory"],
    },
    Case {
        name: "sqlserver CROSS APPLY a subquery and ISNULL",
        connection: "azure_sql_db",
        query: r#"SELECT p.ProductID, ISNULL(last_sale.SoldAt, '1900-01-01') AS LastSold
FROM Production.Product p
CROSS APPLY (
    SELECT TOP 1 s.SoldAt FROM Sales.SalesOrderDetail s
    WHERE s.ProductID = p.ProductID ORDER BY s.SoldAt DESC
) last_sale"#,
        tables: &["Production.Product", "Sales.SalesOrderDetail"],
    },
    Case {
        name: "sqlserver SELECT INTO a temp table then read it",
        connection: "sqlserver",
        query: r#"SELECT CustomerID, SUM(TotalDue) AS Total INTO #totals FROM Sales.SalesOrderHeader GROUP BY CustomerID;
SELECT c.AccountNumber, t.Total FROM #totals t JOIN Sales.Customer c ON c.CustomerID = t.CustomerID;"#,
        tables: &["Sales.SalesOrderHeader", "Sales.Customer"],
    },
    Case {
        name: "sqlserver Tableau-escaped not-equal and a parameter in a string",
        connection: "sqlserver",
        query: "SELECT * FROM [dbo].[Shipments] WHERE [Carrier] &lt;&gt; 'N/A' AND [Region] = '&lt;Parameters.Region&gt;'",
        tables: &["dbo.Shipments"],
    },
    // ---------------------------------------------------------------- MySQL
    Case {
        name: "mysql backticks and LIMIT",
        connection: "mysql",
        query: r#"SELECT `o`.`id`, `u`.`email`
FROM `shop`.`orders` AS `o`
LEFT JOIN `shop`.`users` AS `u` ON `u`.`id` = `o`.`user_id`
WHERE `o`.`created_at` >= NOW() - INTERVAL 30 DAY
LIMIT 500"#,
        tables: &["shop.orders", "shop.users"],
    },
    Case {
        name: "mysql derived table with GROUP_CONCAT",
        connection: "mysql",
        query: r#"SELECT t.user_id, t.skus
FROM (
  SELECT user_id, GROUP_CONCAT(sku ORDER BY sku SEPARATOR ',') AS skus
  FROM cart_items GROUP BY user_id
) t
WHERE t.user_id IN (SELECT id FROM users WHERE is_active = 1)"#,
        tables: &["cart_items", "users"],
    },
    Case {
        name: "mysql doubled angle brackets from the workbook XML",
        connection: "mysql",
        query: "SELECT * FROM crm.deals WHERE amount >>= 1000 AND stage <<>> 'lost' AND closed_at << NOW()",
        tables: &["crm.deals"],
    },
    // ---------------------------------------------------------------- generic / others
    Case {
        name: "generic INTERSECT of two schemas",
        connection: "teradata",
        query: r#"SELECT customer_id FROM retail.loyalty_members
INTERSECT
SELECT customer_id FROM retail.active_buyers"#,
        tables: &["retail.loyalty_members", "retail.active_buyers"],
    },
    Case {
        name: "oracle FETCH FIRST and NVL",
        connection: "oracle",
        query: r#"SELECT e.employee_id, NVL(d.department_name, 'None') AS dept
FROM hr.employees e LEFT JOIN hr.departments d ON d.department_id = e.department_id
ORDER BY e.salary DESC FETCH FIRST 10 ROWS ONLY"#,
        tables: &["hr.employees", "hr.departments"],
    },
    Case {
        name: "unknown connection class falls back to generic SQL",
        connection: "excel-direct",
        query: r#"SELECT * FROM "Sheet1$""#,
        tables: &["Sheet1$"],
    },
    Case {
        name: "nested subqueries three deep with CASE",
        connection: "snowflake",
        query: r#"SELECT tier, COUNT(*) FROM (
  SELECT customer_id,
         CASE WHEN ltv > 1000 THEN 'gold' WHEN ltv > 100 THEN 'silver' ELSE 'bronze' END AS tier
  FROM (
    SELECT customer_id, SUM(amount) AS ltv FROM (
      SELECT * FROM marts.fct_orders WHERE amount > 0
    ) paid GROUP BY customer_id
  ) totals
) tiers GROUP BY tier"#,
        tables: &["marts.fct_orders"],
    },
    Case {
        name: "no table at all",
        connection: "postgres",
        query: "SELECT 1 AS one, now() AS at",
        tables: &[],
    },
];

fn tables_of(case: &Case) -> BTreeSet<String> {
    match tables_in_query(case.query, Some(case.connection)) {
        Ok(tables) => tables.iter().map(ToString::to_string).collect(),
        Err(error) => panic!("{}: {error}", case.name),
    }
}

#[test]
fn corpus_has_at_least_forty_queries() {
    assert!(CORPUS.len() >= 40, "only {} queries", CORPUS.len());
}

#[test]
fn every_corpus_query_reads_exactly_its_tables() {
    let mut failures = Vec::new();
    for case in CORPUS {
        let expected: BTreeSet<String> = case.tables.iter().map(|t| t.to_string()).collect();
        let found = tables_of(case);
        if found != expected {
            failures.push(format!(
                "{} ({}):\n  expected {expected:?}\n  found    {found:?}",
                case.name, case.connection
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn tables_come_back_in_first_seen_order_without_duplicates() {
    let tables = tables_in_query(
        "SELECT * FROM a.x JOIN a.y ON true WHERE EXISTS (SELECT 1 FROM a.x) UNION SELECT * FROM a.z",
        Some("postgres"),
    )
    .map(|tables| tables.iter().map(ToString::to_string).collect::<Vec<_>>());
    assert_eq!(tables, Ok(vec!["a.x".into(), "a.y".into(), "a.z".into()]));
}

#[test]
fn query_tables_qualify_with_the_connection_defaults() {
    let tables = tables_in_query(
        "SELECT * FROM orders o JOIN finance.invoices i ON i.order_id = o.id",
        Some("snowflake"),
    )
    .unwrap_or_default();
    let qualified: Vec<String> = qualify(tables, Some("ANALYTICS"), Some("PROD"))
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        qualified,
        ["ANALYTICS.PROD.orders", "ANALYTICS.finance.invoices"]
    );
}

/// Queries that must be reported, not matched and not panicked on.
const UNREADABLE: &[(&str, &str)] = &[
    ("snowflake", "SELEC * FORM orders"),
    ("postgres", "SELECT * FROM orders WHERE (a = 1"),
    ("bigquery", "SELECT * FROM `unterminated.table"),
    ("sqlserver", "EXEC dbo.usp_MonthlySales @Year = 2024"),
    ("mysql", "CALL refresh_report();"),
    ("redshift", "SELECT 'unterminated string FROM t"),
    ("generic", ""),
    ("snowflake", "-- only a comment"),
];

#[test]
fn unreadable_queries_are_errors_not_panics() {
    for (connection, query) in UNREADABLE {
        let result = tables_in_query(query, Some(connection));
        assert!(result.is_err(), "{connection}: {query:?} gave {result:?}");
    }
}

#[test]
fn parse_errors_say_which_dialect_failed() {
    let result = tables_in_query("SELECT FROM WHERE", Some("redshift"));
    match result {
        Err(CustomSqlError::Parse { dialect, message }) => {
            assert_eq!(dialect, "redshift");
            assert!(!message.is_empty());
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
}

/// A tiny deterministic generator, so the garbage is the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
}

#[test]
fn garbage_never_panics() {
    const PIECES: &[&str] = &[
        "SELECT",
        "FROM",
        "WITH",
        "AS",
        "(",
        ")",
        ",",
        ".",
        "*",
        "a",
        "b.c",
        "`x.y`",
        "[z]",
        "\"q\"",
        "'s'",
        "UNION",
        "JOIN",
        "ON",
        "WHERE",
        "EXISTS",
        "IN",
        "<",
        ">",
        "<<",
        ">>",
        "&lt;",
        "&#",
        "&#x110000;",
        ";",
        "--",
        "/*",
        "*/",
        "LATERAL",
        "FLATTEN",
        "UNNEST",
        "PIVOT",
        "QUALIFY",
        "<Parameters.",
        "<[Parameters].[P]>",
        "::",
        "@",
        "$",
        "é",
        "\u{0}",
        "\n",
        " ",
        "RECURSIVE",
        "TABLE",
        "INSERT",
        "INTO",
        "VALUES",
        "1",
        "=",
        "OVER",
    ];
    const CONNECTIONS: &[&str] = &[
        "snowflake",
        "bigquery",
        "postgres",
        "redshift",
        "databricks",
        "sqlserver",
        "mysql",
        "oracle",
        "other",
    ];
    let mut rng = Lcg(42);
    for _ in 0..3000 {
        let len = rng.next() % 40;
        let mut query = String::new();
        for _ in 0..len {
            query.push_str(PIECES[rng.next() % PIECES.len()]);
            if rng.next().is_multiple_of(3) {
                query.push(' ');
            }
        }
        let connection = CONNECTIONS[rng.next() % CONNECTIONS.len()];
        let _ = tables_in_query(&query, Some(connection));
    }
}

#[test]
fn pathological_nesting_and_length_are_errors_or_answers_not_crashes() {
    let deep_parens = format!("SELECT {}1{}", "(".repeat(5000), ")".repeat(5000));
    assert!(tables_in_query(&deep_parens, Some("postgres")).is_err());

    let deep_subqueries = format!(
        "{}SELECT * FROM t{}",
        "SELECT * FROM (".repeat(500),
        ") x".repeat(500)
    );
    assert!(tables_in_query(&deep_subqueries, Some("snowflake")).is_err());

    // As deep as the token budget allows (two tokens a level).
    let long_chain = format!("SELECT 1{} FROM s.t", " + 1".repeat(19_000));
    let tables = tables_in_query(&long_chain, Some("generic"))
        .map(|tables| tables.iter().map(ToString::to_string).collect::<Vec<_>>());
    assert_eq!(tables, Ok(vec!["s.t".into()]));

    let brackets = "<".repeat(100_001);
    assert!(tables_in_query(&brackets, None).is_err());

    // Unterminated entities and parameter openings must not make unescaping quadratic.
    let ampersands = format!("SELECT '{}' FROM s.t", "&é<Parameters.é".repeat(14_000));
    let tables = tables_in_query(&ampersands, Some("postgres"))
        .map(|tables| tables.iter().map(ToString::to_string).collect::<Vec<_>>());
    assert_eq!(tables, Ok(vec!["s.t".into()]));

    let huge = format!(
        "SELECT 1 FROM s.t WHERE a = '{}'",
        "x".repeat(2 * 1024 * 1024)
    );
    assert!(matches!(
        tables_in_query(&huge, None),
        Err(CustomSqlError::TooLong { .. })
    ));
}
