//! The tables a Tableau custom SQL query reads, found with a real SQL parser.
//!
//! Tableau's Metadata API lists the tables of a `CustomSQLTable` when its own parser
//! understood the query; when it did not, the list is empty and we parse the query here
//! with [`sqlparser`], in the dialect of the connection. The result is every table the
//! query *reads*: joins, subqueries anywhere (`FROM`, `WHERE`, `SELECT`, `EXISTS`, `IN`),
//! set operations, `PIVOT`, and the `SELECT` behind `INSERT ... SELECT`. CTE names are not
//! tables (with SQL's scoping: a CTE named like a real table hides it only where the CTE
//! is visible), and neither are table functions (`LATERAL FLATTEN`, `UNNEST`,
//! `generate_series`).
//!
//! ```
//! use autoexpose_domain::custom_sql::tables_in_query;
//!
//! let tables = tables_in_query(
//!     "WITH paid AS (SELECT * FROM raw.stripe.payments WHERE status = 'paid')
//!      SELECT o.id FROM analytics.orders o JOIN paid p ON p.order_id = o.id",
//!     Some("snowflake"),
//! ).unwrap();
//! let names: Vec<String> = tables.iter().map(|t| t.to_string()).collect();
//! assert_eq!(names, ["raw.stripe.payments", "analytics.orders"]);
//! ```

use std::collections::HashMap;
use std::fmt;
use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, Ident, ObjectName, ObjectNamePart, Query, Select,
    Statement, TableFactor, Visit, Visitor,
};
use sqlparser::dialect::{
    BigQueryDialect, ClickHouseDialect, DatabricksDialect, Dialect, DuckDbDialect, GenericDialect,
    HiveDialect, MsSqlDialect, MySqlDialect, OracleDialect, PostgreSqlDialect, RedshiftSqlDialect,
    SQLiteDialect, SnowflakeDialect, TeradataDialect,
};
use sqlparser::parser::Parser;

/// What a Tableau parameter reference (`<Parameters.Region>`) becomes before parsing.
///
/// A number is valid wherever Tableau lets a parameter stand (a comparison, a `LIMIT`,
/// inside a string literal), so the query still parses.
const PARAMETER_PLACEHOLDER: &str = "0";

/// How deep the parser may nest. `sqlparser`'s default (50) rejects some generated
/// queries; deeper input is still refused with an error, never a stack overflow.
const RECURSION_LIMIT: usize = 100;

/// Longer queries are refused: no hand-written custom SQL comes near a megabyte.
const MAX_QUERY_BYTES: usize = 1024 * 1024;

/// Stack for parsing a query: a base, plus enough per byte of SQL for the deepest tree
/// that many bytes can build (one level per two bytes, `1+1+...`), measured in debug
/// builds at under 100 bytes per level.
const STACK_BASE_BYTES: usize = 256 * 1024;
const STACK_BYTES_PER_BYTE: usize = 128;

/// A table a custom SQL query reads, with the parts the query wrote.
///
/// Identifier quoting is removed (`"Orders"` → `Orders`, `[dbo]` → `dbo`) and case is
/// kept as written; the matcher folds case when it compares names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueryTable {
    /// Database (catalog, BigQuery project), when the query names it.
    pub database: Option<String>,
    /// Schema (dataset), when the query names it.
    pub schema: Option<String>,
    /// Table or view name.
    pub name: String,
}

impl QueryTable {
    /// A table from its parts; empty parts count as missing.
    pub fn new(database: Option<&str>, schema: Option<&str>, name: &str) -> Self {
        let part = |p: Option<&str>| p.filter(|p| !p.is_empty()).map(str::to_string);
        QueryTable {
            database: part(database),
            schema: part(schema),
            name: name.to_string(),
        }
    }
}

/// Dotted, with the parts present: `db.schema.name`, `schema.name`, `name`, and
/// `db..name` (SQL Server's spelling) for a database without a schema.
impl fmt::Display for QueryTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(database) = &self.database {
            write!(f, "{database}.")?;
            if self.schema.is_none() {
                f.write_str(".")?;
            }
        }
        if let Some(schema) = &self.schema {
            write!(f, "{schema}.")?;
        }
        f.write_str(&self.name)
    }
}

/// Why the tables of a custom SQL query could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustomSqlError {
    /// The query holds nothing but whitespace and comments.
    #[error("the custom SQL query is empty")]
    Empty,
    /// The SQL parser rejected the query.
    #[error(
        "the custom SQL query could not be parsed as {dialect} SQL: {message}; \
         its tables are not matched (add them to the workbook's data source as tables, \
         or report the query shape to autoexpose)"
    )]
    Parse {
        /// The dialect the query was parsed in, e.g. `snowflake`.
        dialect: &'static str,
        /// The parser's message, with line and column.
        message: String,
    },
    /// The query is longer than autoexpose will parse.
    #[error("the custom SQL query is {bytes} bytes long; queries over 1 MiB are not parsed")]
    TooLong {
        /// Length of the query text.
        bytes: usize,
    },
    /// The query parsed but runs no `SELECT`, e.g. a stored procedure call.
    #[error(
        "the custom SQL query runs no SELECT ({dialect} SQL; e.g. it calls a stored \
         procedure), so the tables it reads cannot be known"
    )]
    NoSelect {
        /// The dialect the query was parsed in.
        dialect: &'static str,
    },
}

/// Undoes Tableau's escaping of custom SQL text.
///
/// First HTML entities are decoded in one pass (`&lt;` `&gt;` `&amp;` `&quot;` `&apos;`
/// `&nbsp;`, and numeric ones such as `&#39;` and `&#x27;`; `&amp;lt;` becomes `&lt;`,
/// not `<`). Then doubled angle brackets are collapsed, left to right: `<<` → `<`,
/// `>>` → `>`. Tableau stores every `<` and `>` of custom SQL doubled (single ones mark
/// parameters such as `<Parameters.Region>`), so `a <<>> b` is `a <> b`, and a real shift
/// operator `<<` arrives as `<<<<`. DataHub's Tableau source collapses the same way.
/// Pass the text exactly as Tableau returned it, and only once.
pub fn unescape_tableau_sql(query: &str) -> String {
    collapse_doubled_angle_brackets(&decode_html_entities(query))
}

/// Every table the query reads, deduplicated, in first-seen order; CTE names excluded.
///
/// `query` is the text as Tableau returned it: this undoes Tableau's escaping
/// ([`unescape_tableau_sql`]) and replaces parameter references (`<Parameters.Region>`,
/// `<[Parameters].[Region]>`) first. `connection_type` is Tableau's connection class
/// (`snowflake`, `bigquery`, `postgres`, `redshift`, `databricks`, `sqlserver`, `mysql`,
/// ...), which picks the dialect; unknown or missing classes use a generic dialect.
/// Names are as the query wrote them: qualify one- and two-part names with [`qualify`].
pub fn tables_in_query(
    query: &str,
    connection_type: Option<&str>,
) -> Result<Vec<QueryTable>, CustomSqlError> {
    if query.len() > MAX_QUERY_BYTES {
        return Err(CustomSqlError::TooLong { bytes: query.len() });
    }
    let sql = replace_parameters(&unescape_tableau_sql(query));
    let (dialect_name, dialect) = dialect_for(connection_type);
    // A long chain (`a + b + ...`, `... UNION ...`) parses into a tree as deep as the
    // chain, which is walked and dropped recursively: give it stack in proportion.
    let stack = STACK_BASE_BYTES + STACK_BYTES_PER_BYTE * sql.len();
    stacker::maybe_grow(stack, stack, || {
        read_tables(&sql, dialect_name, dialect.as_ref())
    })
}

/// Parses and walks the unescaped query (see [`tables_in_query`]).
fn read_tables(
    sql: &str,
    dialect_name: &'static str,
    dialect: &dyn Dialect,
) -> Result<Vec<QueryTable>, CustomSqlError> {
    let statements = parse(sql, dialect_name, dialect)?;
    if statements.is_empty() {
        return Err(CustomSqlError::Empty);
    }
    let mut collector = Collector::new(dialect_name == BIGQUERY);
    for statement in &statements {
        // The collector never breaks, so the result carries nothing.
        let _ = statement.visit(&mut collector);
    }
    if collector.queries_seen == 0 {
        return Err(CustomSqlError::NoSelect {
            dialect: dialect_name,
        });
    }
    Ok(collector.into_tables())
}

/// Fills in the parts a query left out from the connection's database and schema.
///
/// A one-part name gets both defaults, a two-part name (`schema.table`) the database.
/// A part stays missing when there is no default for it. Duplicates that qualification
/// reveals (`orders` and `prod.orders`) are removed, keeping first-seen order.
pub fn qualify(
    tables: Vec<QueryTable>,
    default_database: Option<&str>,
    default_schema: Option<&str>,
) -> Vec<QueryTable> {
    let default = |part: Option<&str>| part.filter(|p| !p.is_empty()).map(str::to_string);
    let mut qualified: Vec<QueryTable> = Vec::with_capacity(tables.len());
    for mut table in tables {
        if table.schema.is_none() {
            table.schema = default(default_schema);
        }
        if table.database.is_none() {
            table.database = default(default_database);
        }
        if !qualified.contains(&table) {
            qualified.push(table);
        }
    }
    qualified
}

const BIGQUERY: &str = "bigquery";

/// Picks the `sqlparser` dialect for a Tableau connection class.
fn dialect_for(connection_type: Option<&str>) -> (&'static str, Box<dyn Dialect>) {
    let class = connection_type
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let has = |needle: &str| class.contains(needle);
    if has("snowflake") {
        ("snowflake", Box::new(SnowflakeDialect))
    } else if has("bigquery") {
        (BIGQUERY, Box::new(BigQueryDialect))
    } else if has("redshift") {
        ("redshift", Box::new(RedshiftSqlDialect {}))
    } else if has("postgres") || has("greenplum") || has("vertica") {
        ("postgres", Box::new(PostgreSqlDialect {}))
    } else if has("databricks") || has("spark") {
        ("databricks", Box::new(DatabricksDialect))
    } else if has("hive") || has("impala") {
        ("hive", Box::new(HiveDialect {}))
    } else if has("sqlserver") || has("azure_sql") || has("azure_synapse") || has("mssql") {
        ("sqlserver", Box::new(MsSqlDialect {}))
    } else if has("mysql") || has("maria") || has("memsql") || has("singlestore") {
        ("mysql", Box::new(MySqlDialect {}))
    } else if has("oracle") {
        ("oracle", Box::new(OracleDialect))
    } else if has("teradata") {
        ("teradata", Box::new(TeradataDialect))
    } else if has("clickhouse") {
        ("clickhouse", Box::new(ClickHouseDialect {}))
    } else if has("duckdb") {
        ("duckdb", Box::new(DuckDbDialect {}))
    } else if has("sqlite") {
        ("sqlite", Box::new(SQLiteDialect {}))
    } else {
        ("generic", Box::new(GenericDialect {}))
    }
}

/// Parses in the connection's dialect, then generically, reporting the first error.
///
/// The fallback helps when Tableau's connection class is vaguer than the SQL (an ODBC
/// connection, a dialect feature `sqlparser` only knows generically).
fn parse(
    sql: &str,
    dialect_name: &'static str,
    dialect: &dyn Dialect,
) -> Result<Vec<Statement>, CustomSqlError> {
    let run = |dialect: &dyn Dialect| {
        Parser::new(dialect)
            .with_recursion_limit(RECURSION_LIMIT)
            .try_with_sql(sql)
            .and_then(|mut parser| parser.parse_statements())
    };
    match run(dialect) {
        Ok(statements) => Ok(statements),
        Err(first) if dialect_name != "generic" => {
            run(&GenericDialect {}).map_err(|_| CustomSqlError::Parse {
                dialect: dialect_name,
                message: first.to_string(),
            })
        }
        Err(error) => Err(CustomSqlError::Parse {
            dialect: dialect_name,
            message: error.to_string(),
        }),
    }
}

/// Walks the AST, keeping the tables that queries read.
///
/// CTE scoping: each query pushes the CTE names visible in it. The body of a CTE sees
/// the enclosing names plus the CTEs declared before it (all of its `WITH`, if
/// `RECURSIVE`), so `WITH orders AS (SELECT * FROM orders)` still reads the real
/// `orders`. Bodies are recognised by address, since the visitor reaches them as
/// ordinary queries.
struct Collector {
    /// CTE names (lower-cased) visible in each query being walked, innermost last.
    scopes: Vec<Vec<String>>,
    /// What each CTE body, keyed by address, may see once the visitor reaches it.
    cte_scopes: HashMap<*const Query, Vec<String>>,
    tables: Vec<QueryTable>,
    /// Tables the SQL itself creates (`SELECT ... INTO`, `CREATE TABLE`): not upstream.
    created: Vec<QueryTable>,
    queries_seen: usize,
    /// BigQuery writes `project.dataset.table` inside one pair of backticks.
    split_quoted_dots: bool,
}

impl Collector {
    fn new(split_quoted_dots: bool) -> Self {
        Collector {
            scopes: Vec::new(),
            cte_scopes: HashMap::new(),
            tables: Vec::new(),
            created: Vec::new(),
            queries_seen: 0,
            split_quoted_dots,
        }
    }

    fn into_tables(self) -> Vec<QueryTable> {
        let created = self.created;
        self.tables
            .into_iter()
            .filter(|table| !created.contains(table))
            .collect()
    }

    fn is_visible_cte(&self, table: &QueryTable) -> bool {
        if table.database.is_some() || table.schema.is_some() {
            return false;
        }
        let name = table.name.to_lowercase();
        self.scopes
            .last()
            .is_some_and(|visible| visible.contains(&name))
    }

    fn record(&mut self, name: &ObjectName) {
        let Some(table) = query_table(name, self.split_quoted_dots) else {
            return;
        };
        // SQL Server temporary tables live only for the session.
        if table.name.starts_with('#') || self.is_visible_cte(&table) {
            return;
        }
        if !self.tables.contains(&table) {
            self.tables.push(table);
        }
    }
}

impl Visitor for Collector {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        self.queries_seen += 1;
        let key: *const Query = query;
        let outer = match self.cte_scopes.remove(&key) {
            Some(visible) => visible,
            None => self.scopes.last().cloned().unwrap_or_default(),
        };
        let mut visible = outer.clone();
        if let Some(with) = &query.with {
            let names: Vec<String> = with
                .cte_tables
                .iter()
                .map(|cte| cte.alias.name.value.to_lowercase())
                .collect();
            for (i, cte) in with.cte_tables.iter().enumerate() {
                let declared = if with.recursive {
                    &names[..]
                } else {
                    &names[..i]
                };
                let mut body_sees = outer.clone();
                body_sees.extend(declared.iter().cloned());
                self.cte_scopes
                    .insert(&*cte.query as *const Query, body_sees);
            }
            visible.extend(names);
        }
        self.scopes.push(visible);
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _query: &Query) -> ControlFlow<()> {
        self.scopes.pop();
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, select: &Select) -> ControlFlow<()> {
        let Some(into) = &select.into else {
            return ControlFlow::Continue(());
        };
        for target in &into.targets {
            let idents = match target {
                Expr::Identifier(ident) => std::slice::from_ref(ident),
                Expr::CompoundIdentifier(idents) => idents.as_slice(),
                _ => continue,
            };
            if let Some(table) = table_from_idents(idents.iter(), self.split_quoted_dots) {
                self.created.push(table);
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<()> {
        if let Statement::CreateTable(create) = statement
            && let Some(table) = query_table(&create.name, self.split_quoted_dots)
        {
            self.created.push(table);
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        // Outside any query (an UPDATE's target, a DELETE's FROM) nothing is read.
        if self.scopes.is_empty() {
            return ControlFlow::Continue(());
        }
        if let TableFactor::Table { name, args, .. } = factor {
            let is_function = args
                .as_ref()
                .is_some_and(|args| !args.args.iter().all(is_sql_server_table_hint));
            if !is_function {
                self.record(name);
            }
        }
        ControlFlow::Continue(())
    }
}

/// Whether a "table function argument" is really SQL Server's old `FROM t (NOLOCK)` hint.
fn is_sql_server_table_hint(arg: &FunctionArg) -> bool {
    const HINTS: &[&str] = &[
        "nolock",
        "readuncommitted",
        "readcommitted",
        "repeatableread",
        "serializable",
        "holdlock",
        "nowait",
        "readpast",
        "rowlock",
        "paglock",
        "tablock",
        "tablockx",
        "updlock",
        "xlock",
        "noexpand",
    ];
    match arg {
        FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Identifier(ident))) => {
            HINTS.contains(&ident.value.to_ascii_lowercase().as_str())
        }
        _ => false,
    }
}

/// The database, schema and name of an object name, quoting removed.
///
/// Four-part SQL Server names (`server.db.schema.table`) keep the last three; an empty
/// part (`db..table`, SQL Server's default schema) is missing. Names built by functions
/// (Snowflake's `IDENTIFIER(...)`) are unknown.
fn query_table(name: &ObjectName, split_quoted_dots: bool) -> Option<QueryTable> {
    let mut idents = Vec::with_capacity(name.0.len());
    for part in &name.0 {
        let ObjectNamePart::Identifier(ident) = part else {
            return None;
        };
        idents.push(ident);
    }
    table_from_idents(idents.into_iter(), split_quoted_dots)
}

/// The database, schema and name of a dotted list of identifiers (see [`query_table`]).
fn table_from_idents<'a>(
    idents: impl Iterator<Item = &'a Ident>,
    split_quoted_dots: bool,
) -> Option<QueryTable> {
    let mut parts: Vec<String> = Vec::new();
    for ident in idents {
        if split_quoted_dots && ident.quote_style == Some('`') && ident.value.contains('.') {
            parts.extend(ident.value.split('.').map(str::to_string));
        } else {
            parts.push(ident.value.clone());
        }
    }
    let (table, qualifiers) = parts.split_last()?;
    if table.is_empty() {
        return None;
    }
    let schema = qualifiers.last().map(String::as_str);
    let database = qualifiers
        .len()
        .checked_sub(2)
        .and_then(|i| qualifiers.get(i))
        .map(String::as_str);
    Some(QueryTable::new(database, schema, table))
}

/// Replaces Tableau parameter references with [`PARAMETER_PLACEHOLDER`].
///
/// Tableau writes them `<Parameters.Region>` or `<[Parameters].[Region]>`; the name may
/// hold spaces but no angle brackets or line breaks.
fn replace_parameters(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match parameter_len(after) {
            Some(len) => {
                out.push_str(PARAMETER_PLACEHOLDER);
                rest = &after[len + 1..];
            }
            None => {
                out.push('<');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The length of a parameter reference's body up to (not including) its closing `>`.
fn parameter_len(after_open: &str) -> Option<usize> {
    let starts_with = |prefix: &str| {
        after_open
            .as_bytes()
            .get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
    };
    if !(starts_with("parameters.") || starts_with("[parameters].")) {
        return None;
    }
    let close = after_open.find(['>', '<', '\n', '\r'])?;
    after_open[close..].starts_with('>').then_some(close)
}

/// Decodes the HTML entities Tableau leaves in query text, in a single pass.
fn decode_html_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        // Entities are short; looking further would make `&&&...` quadratic.
        let decoded = after.as_bytes()[..after.len().min(12)]
            .iter()
            .position(|&b| b == b';')
            .and_then(|semi| decode_entity(&after[..semi]).map(|c| (c, semi)));
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The character an entity body (between `&` and `;`) stands for, if it is one we know.
fn decode_entity(body: &str) -> Option<char> {
    let code = if let Some(hex) = body.strip_prefix("#x").or_else(|| body.strip_prefix("#X")) {
        u32::from_str_radix(hex, 16).ok()?
    } else if let Some(decimal) = body.strip_prefix('#') {
        decimal.parse::<u32>().ok()?
    } else {
        return match body {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some(' '),
            _ => None,
        };
    };
    char::from_u32(code)
}

/// Collapses `<<` to `<` and `>>` to `>`, pairing left to right.
fn collapse_doubled_angle_brackets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if (c == '<' || c == '>') && chars.peek() == Some(&c) {
            chars.next();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(query: &str, connection_type: Option<&str>) -> Vec<String> {
        match tables_in_query(query, connection_type) {
            Ok(tables) => tables.iter().map(ToString::to_string).collect(),
            Err(error) => panic!("{query}: {error}"),
        }
    }

    #[test]
    fn html_entities_are_decoded_once() {
        assert_eq!(
            unescape_tableau_sql("a &lt;&gt; b &amp;&amp; &quot;x&quot; &#39;y&#x27; &amp;lt;"),
            "a <> b && \"x\" 'y' &lt;"
        );
    }

    #[test]
    fn unknown_or_unterminated_entities_are_kept() {
        assert_eq!(
            unescape_tableau_sql("AT&T &bogus; &#xZZ; & &#1114112;"),
            "AT&T &bogus; &#xZZ; & &#1114112;"
        );
    }

    #[test]
    fn doubled_angle_brackets_collapse_and_quadrupled_become_a_shift() {
        assert_eq!(unescape_tableau_sql("a <<>> b"), "a <> b");
        assert_eq!(
            unescape_tableau_sql("x <<= 3 and y >>= 4"),
            "x <= 3 and y >= 4"
        );
        assert_eq!(unescape_tableau_sql("flags <<<< 2"), "flags << 2");
        assert_eq!(unescape_tableau_sql("&lt;&lt;&gt;&gt;"), "<>");
    }

    #[test]
    fn parameters_become_a_placeholder_in_both_spellings() {
        assert_eq!(
            replace_parameters("r = <Parameters.Region> and y = '<[Parameters].[Fiscal Year]>'"),
            "r = 0 and y = '0'"
        );
        assert_eq!(replace_parameters("a < b and c > d"), "a < b and c > d");
        assert_eq!(
            replace_parameters("<Parameters.Unclosed"),
            "<Parameters.Unclosed"
        );
    }

    #[test]
    fn cte_named_like_a_table_still_reads_the_real_table_in_its_own_body() {
        assert_eq!(
            names(
                "WITH orders AS (SELECT * FROM orders WHERE NOT deleted) SELECT * FROM orders",
                None
            ),
            ["orders"]
        );
    }

    #[test]
    fn cte_is_not_visible_outside_its_query() {
        let sql = "SELECT * FROM (WITH t AS (SELECT 1 AS x) SELECT * FROM t) a JOIN t ON true";
        assert_eq!(names(sql, Some("postgres")), ["t"]);
    }

    #[test]
    fn later_cte_sees_earlier_ones_but_not_the_reverse() {
        let sql = "WITH a AS (SELECT * FROM b), b AS (SELECT * FROM a) SELECT * FROM b";
        assert_eq!(names(sql, None), ["b"]);
    }

    #[test]
    fn recursive_cte_may_read_itself() {
        let sql = "WITH RECURSIVE tree AS (SELECT id FROM org.units WHERE parent IS NULL \
                   UNION ALL SELECT u.id FROM org.units u JOIN tree t ON u.parent = t.id) \
                   SELECT * FROM tree";
        assert_eq!(names(sql, Some("postgres")), ["org.units"]);
    }

    #[test]
    fn only_bigquery_splits_a_backticked_dotted_name() {
        assert_eq!(names("SELECT * FROM `p.d.t`", Some("bigquery")), ["p.d.t"]);
        let tables = tables_in_query("SELECT * FROM `a.b`", Some("databricks"));
        assert_eq!(tables, Ok(vec![QueryTable::new(None, None, "a.b")]));
    }

    #[test]
    fn a_qualified_name_is_never_a_cte() {
        let sql =
            "WITH orders AS (SELECT 1 AS id) SELECT * FROM orders JOIN prod.orders USING (id)";
        assert_eq!(names(sql, None), ["prod.orders"]);
    }

    #[test]
    fn table_functions_are_not_tables() {
        let sql = "SELECT * FROM generate_series(1, 10) g JOIN s.t ON t.n = g";
        assert_eq!(names(sql, Some("postgres")), ["s.t"]);
    }

    #[test]
    fn sql_server_parenthesised_nolock_is_still_a_table() {
        assert_eq!(
            names("SELECT * FROM dbo.orders (NOLOCK)", Some("sqlserver")),
            ["dbo.orders"]
        );
    }

    #[test]
    fn four_part_names_keep_database_schema_and_table() {
        assert_eq!(
            names(
                "SELECT * FROM [LINKED].[Sales].[dbo].[Orders]",
                Some("sqlserver")
            ),
            ["Sales.dbo.Orders"]
        );
    }

    #[test]
    fn tables_created_by_the_query_are_not_upstream() {
        let sql = "SELECT id INTO #recent FROM dbo.orders; SELECT * FROM #recent";
        assert_eq!(names(sql, Some("sqlserver")), ["dbo.orders"]);
        let sql = "CREATE TEMP TABLE recent AS SELECT * FROM s.orders; SELECT * FROM recent";
        assert_eq!(names(sql, Some("redshift")), ["s.orders"]);
    }

    #[test]
    fn insert_select_reports_only_the_read_tables() {
        let sql = "INSERT INTO mart.daily SELECT * FROM raw.events";
        assert_eq!(names(sql, None), ["raw.events"]);
    }

    #[test]
    fn stored_procedure_call_is_reported_not_matched() {
        assert_eq!(
            tables_in_query("EXEC dbo.usp_sales_report @year = 2024", Some("sqlserver")),
            Err(CustomSqlError::NoSelect {
                dialect: "sqlserver"
            })
        );
    }

    #[test]
    fn empty_query_is_reported() {
        assert_eq!(
            tables_in_query("  -- nothing here\n", None),
            Err(CustomSqlError::Empty)
        );
    }

    #[test]
    fn parse_error_names_the_dialect() {
        let error = tables_in_query("SELEC * FORM orders", Some("snowflake"));
        assert!(
            matches!(
                &error,
                Err(CustomSqlError::Parse {
                    dialect: "snowflake",
                    ..
                })
            ),
            "{error:?}"
        );
    }

    #[test]
    fn connection_classes_pick_dialects() {
        let cases = [
            (Some("snowflake"), "snowflake"),
            (Some("bigquery"), "bigquery"),
            (Some("googlebigquery"), "bigquery"),
            (Some("postgres"), "postgres"),
            (Some("redshift"), "redshift"),
            (Some("databricks"), "databricks"),
            (Some("spark"), "databricks"),
            (Some("sqlserver"), "sqlserver"),
            (Some("azure_sql_db"), "sqlserver"),
            (Some("azure_sqldw"), "sqlserver"),
            (Some("MySQL"), "mysql"),
            (Some("oracle"), "oracle"),
            (Some("excel-direct"), "generic"),
            (None, "generic"),
        ];
        for (class, expected) in cases {
            assert_eq!(dialect_for(class).0, expected, "{class:?}");
        }
    }

    #[test]
    fn qualify_fills_missing_parts_and_dedupes() {
        let tables = vec![
            QueryTable::new(None, None, "orders"),
            QueryTable::new(None, Some("prod"), "orders"),
            QueryTable::new(None, Some("raw"), "events"),
            QueryTable::new(Some("other"), Some("s"), "t"),
        ];
        let qualified = qualify(tables, Some("analytics"), Some("prod"));
        let shown: Vec<String> = qualified.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            ["analytics.prod.orders", "analytics.raw.events", "other.s.t"]
        );
    }

    #[test]
    fn qualify_without_defaults_leaves_parts_missing() {
        let qualified = qualify(vec![QueryTable::new(None, None, "orders")], None, Some(""));
        assert_eq!(qualified, [QueryTable::new(None, None, "orders")]);
    }
}
