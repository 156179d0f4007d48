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

use std::collections::{HashMap, HashSet};
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
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use crate::printable::printable;

/// What a Tableau parameter reference (`<Parameters.Region>`) becomes before parsing.
///
/// A number is valid wherever Tableau lets a parameter stand (a comparison, a `LIMIT`,
/// inside a string literal), so the query still parses.
const PARAMETER_PLACEHOLDER: &str = "0";

/// How deep the parser may nest. `sqlparser`'s default (50) rejects some generated
/// queries; deeper input is still refused with an error, never a stack overflow.
const RECURSION_LIMIT: usize = 100;

/// Longer queries are refused before they are read. `sqlparser` keeps 88 bytes per token
/// and a token can be one byte long, so this bounds the token list to about 23 MB.
pub const MAX_QUERY_BYTES: usize = 256 * 1024;

/// Queries of more tokens (whitespace and comments aside) are refused before they are
/// parsed. The syntax tree costs up to about 700 bytes per token (a `FROM a, b, ...` list)
/// and release builds parse about a million tokens a second, so this keeps the parse
/// within about 30 MB and 40 ms. A hand-written query of 150 KB has fewer.
pub const MAX_QUERY_TOKENS: usize = 40_000;

/// Queries with more `SELECT`s are refused before they are parsed: each costs about 12 KB
/// of syntax tree, whatever little text it takes (`SELECT 1 UNION SELECT 1 ...`, a chain
/// of CTEs), so this keeps them within about 12 MB.
pub const MAX_QUERY_SELECTS: usize = 1_000;

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
        /// The parser's message, with line and column (printable, cut).
        message: String,
    },
    /// The query is longer than autoexpose will parse.
    #[error(
        "the custom SQL query is {bytes} bytes long; queries over {max} KiB are not parsed, \
         so its tables are not matched (add them to the workbook's data source as tables)",
        max = MAX_QUERY_BYTES / 1024
    )]
    TooLong {
        /// Length of the query text.
        bytes: usize,
    },
    /// The query holds more than autoexpose reads within its budget of time and memory
    /// per query ([`MAX_QUERY_TOKENS`] tokens, [`MAX_QUERY_SELECTS`] `SELECT`s).
    #[error(
        "the custom SQL query is too large to read: it has {count} {what}, and autoexpose \
         reads at most {limit} {what} per query (to keep each within a small budget of time \
         and memory); its tables are not matched (add them to the workbook's data source \
         as tables)"
    )]
    TooLarge {
        /// What was counted: `tokens` or `SELECTs`.
        what: &'static str,
        /// How many the query has.
        count: usize,
        /// The most autoexpose reads.
        limit: usize,
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
///
/// Each query is read within a fixed budget ([`MAX_QUERY_BYTES`], [`MAX_QUERY_TOKENS`],
/// [`MAX_QUERY_SELECTS`]), counted before it is parsed, so that one hostile query costs
/// at most tens of milliseconds and megabytes; a query over it is
/// [`CustomSqlError::TooLong`] or [`CustomSqlError::TooLarge`], never fatal.
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
    let mut seen: HashSet<QueryTable> = HashSet::with_capacity(tables.len());
    for mut table in tables {
        if table.schema.is_none() {
            table.schema = default(default_schema);
        }
        if table.database.is_none() {
            table.database = default(default_database);
        }
        if seen.insert(table.clone()) {
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
/// connection, a dialect feature `sqlparser` only knows generically). A query over the
/// budget ([`within_budget`]) is refused in either dialect without being parsed.
fn parse(
    sql: &str,
    dialect_name: &'static str,
    dialect: &dyn Dialect,
) -> Result<Vec<Statement>, CustomSqlError> {
    let run = |dialect: &dyn Dialect| -> Result<Vec<Statement>, Unread> {
        let tokens = Tokenizer::new(dialect, sql)
            .tokenize_with_location()
            .map_err(|error| Unread::Parse(error.into()))?;
        within_budget(&tokens).map_err(Unread::TooLarge)?;
        Parser::new(dialect)
            .with_recursion_limit(RECURSION_LIMIT)
            .with_tokens_with_locations(tokens)
            .parse_statements()
            .map_err(Unread::Parse)
    };
    // The parser quotes the token it stopped at, which may be anything.
    let parse_error = |error: ParserError| CustomSqlError::Parse {
        dialect: dialect_name,
        message: printable(&error.to_string()),
    };
    match run(dialect) {
        Ok(statements) => Ok(statements),
        Err(Unread::TooLarge(error)) => Err(error),
        Err(Unread::Parse(first)) if dialect_name != "generic" => {
            run(&GenericDialect {}).map_err(|second| match second {
                Unread::TooLarge(error) => error,
                Unread::Parse(_) => parse_error(first),
            })
        }
        Err(Unread::Parse(error)) => Err(parse_error(error)),
    }
}

/// Why one dialect did not give statements.
enum Unread {
    Parse(ParserError),
    TooLarge(CustomSqlError),
}

/// Refuses a token list that would take more than the per-query budget to parse: over
/// [`MAX_QUERY_TOKENS`] tokens or [`MAX_QUERY_SELECTS`] `SELECT`s. Counting the tokens is
/// linear and allocates nothing, where the syntax tree they would build is not small.
fn within_budget(tokens: &[TokenWithSpan]) -> Result<(), CustomSqlError> {
    let mut counted = 0;
    let mut selects = 0;
    for token in tokens {
        match &token.token {
            Token::Whitespace(_) | Token::EOF => continue,
            Token::Word(word) if word.keyword == Keyword::SELECT => selects += 1,
            _ => {}
        }
        counted += 1;
    }
    let over = |what, count, limit| CustomSqlError::TooLarge { what, count, limit };
    if counted > MAX_QUERY_TOKENS {
        return Err(over("tokens", counted, MAX_QUERY_TOKENS));
    }
    if selects > MAX_QUERY_SELECTS {
        return Err(over("SELECTs", selects, MAX_QUERY_SELECTS));
    }
    Ok(())
}

/// Walks the AST, keeping the tables that queries read.
///
/// CTE scoping: the body of a CTE sees the enclosing names plus the CTEs declared before
/// it (all of its `WITH`, if `RECURSIVE`), so `WITH orders AS (SELECT * FROM orders)`
/// still reads the real `orders`; the rest of the query sees all of its `WITH`. The
/// visitor reaches a `WITH`'s bodies in order, as ordinary queries (recognised by
/// address), so each query's names are made visible one at a time as its bodies are
/// passed, and all at once when anything else of the query is reached. Visibility is a
/// count per name, so every name is added and removed once: a `WITH` of N CTEs costs N,
/// not N² (copying the visible names into each body's scope did).
struct Collector {
    /// The queries being walked, innermost last.
    frames: Vec<QueryFrame>,
    /// How many of the frames' shown CTE names are each (lower-cased) name.
    visible: HashMap<String, usize>,
    tables: Vec<QueryTable>,
    /// The same tables, to deduplicate in constant time.
    seen: HashSet<QueryTable>,
    /// Tables the SQL itself creates (`SELECT ... INTO`, `CREATE TABLE`): not upstream.
    created: HashSet<QueryTable>,
    queries_seen: usize,
    /// BigQuery writes `project.dataset.table` inside one pair of backticks.
    split_quoted_dots: bool,
    /// How many times a CTE name was made visible: the scoping's work, which tests bound.
    #[cfg(test)]
    names_shown: usize,
}

/// One query being walked: its `WITH`, and how much of it is visible so far.
struct QueryFrame {
    /// Its CTE names, lower-cased, in declaration order.
    names: Vec<String>,
    /// The address of each CTE's body, in the same order.
    bodies: Vec<*const Query>,
    /// The next body the visitor should reach.
    next_body: usize,
    /// How many of `names` are counted in [`Collector::visible`].
    shown: usize,
}

impl Collector {
    fn new(split_quoted_dots: bool) -> Self {
        Collector {
            frames: Vec::new(),
            visible: HashMap::new(),
            tables: Vec::new(),
            seen: HashSet::new(),
            created: HashSet::new(),
            queries_seen: 0,
            split_quoted_dots,
            #[cfg(test)]
            names_shown: 0,
        }
    }

    fn into_tables(self) -> Vec<QueryTable> {
        let created = self.created;
        self.tables
            .into_iter()
            .filter(|table| !created.contains(table))
            .collect()
    }

    /// Makes the first `up_to` CTE names of the innermost query visible.
    fn show_names(&mut self, up_to: usize) {
        let Some(frame) = self.frames.last_mut() else {
            return;
        };
        let up_to = up_to.min(frame.names.len());
        while frame.shown < up_to {
            let name = frame.names[frame.shown].clone();
            *self.visible.entry(name).or_default() += 1;
            frame.shown += 1;
            #[cfg(test)]
            {
                self.names_shown += 1;
            }
        }
    }

    /// Where the innermost query's next CTE body is `query`: its index.
    fn as_next_body(&self, query: *const Query) -> Option<usize> {
        let frame = self.frames.last()?;
        (frame.bodies.get(frame.next_body) == Some(&query)).then_some(frame.next_body)
    }

    fn is_visible_cte(&self, table: &QueryTable) -> bool {
        if table.database.is_some() || table.schema.is_some() {
            return false;
        }
        self.visible
            .get(&table.name.to_lowercase())
            .is_some_and(|&count| count > 0)
    }

    fn record(&mut self, name: &ObjectName) {
        let Some(table) = query_table(name, self.split_quoted_dots) else {
            return;
        };
        // SQL Server temporary tables live only for the session.
        if table.name.starts_with('#') || self.is_visible_cte(&table) {
            return;
        }
        if self.seen.insert(table.clone()) {
            self.tables.push(table);
        }
    }
}

impl Visitor for Collector {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        self.queries_seen += 1;
        match self.as_next_body(query) {
            // The body of CTE `i` sees the CTEs before it (all, if recursive: shown already).
            Some(i) => {
                self.show_names(i);
                if let Some(frame) = self.frames.last_mut() {
                    frame.next_body = i + 1;
                }
            }
            // Any other query sits past the enclosing query's `WITH`, which it all sees.
            None => self.show_names(usize::MAX),
        }
        let mut frame = QueryFrame {
            names: Vec::new(),
            bodies: Vec::new(),
            next_body: 0,
            shown: 0,
        };
        let mut recursive = false;
        if let Some(with) = &query.with {
            recursive = with.recursive;
            for cte in &with.cte_tables {
                frame.names.push(cte.alias.name.value.to_lowercase());
                frame.bodies.push(&*cte.query as *const Query);
            }
        }
        self.frames.push(frame);
        if recursive {
            self.show_names(usize::MAX);
        }
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _query: &Query) -> ControlFlow<()> {
        let Some(frame) = self.frames.pop() else {
            return ControlFlow::Continue(());
        };
        for name in &frame.names[..frame.shown] {
            if let Some(count) = self.visible.get_mut(name) {
                *count -= 1;
                if *count == 0 {
                    self.visible.remove(name);
                }
            }
        }
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
                self.created.insert(table);
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<()> {
        if let Statement::CreateTable(create) = statement
            && let Some(table) = query_table(&create.name, self.split_quoted_dots)
        {
            self.created.insert(table);
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        // Outside any query (an UPDATE's target, a DELETE's FROM) nothing is read.
        if self.frames.is_empty() {
            return ControlFlow::Continue(());
        }
        // A table of a query is past its `WITH`, which it all sees.
        self.show_names(usize::MAX);
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

    /// `WITH c1 AS (SELECT * FROM c0), c2 AS (SELECT * FROM c1), ... SELECT * FROM cN`.
    fn cte_chain(n: usize) -> String {
        let ctes: Vec<String> = (1..=n)
            .map(|i| format!("c{i} AS (SELECT * FROM c{})", i - 1))
            .collect();
        format!("WITH {} SELECT * FROM c{n}", ctes.join(", "))
    }

    #[test]
    fn a_chain_of_ctes_makes_each_name_visible_once() {
        let n = MAX_QUERY_SELECTS - 1;
        let statements = Parser::parse_sql(&GenericDialect {}, &cte_chain(n)).expect("parses");
        let mut collector = Collector::new(false);
        for statement in &statements {
            let _ = statement.visit(&mut collector);
        }
        // Copying the visible names into each CTE's scope made this n * (n - 1) / 2.
        assert_eq!(collector.names_shown, n);
        assert_eq!(collector.into_tables(), [QueryTable::new(None, None, "c0")]);
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
    fn a_parse_error_quoting_control_characters_prints_without_them() {
        let error = tables_in_query("SELECT * FROM t WHERE \u{1b}[2J", Some("postgres"));
        let Err(CustomSqlError::Parse { message, .. }) = error else {
            panic!("expected a parse error, got {error:?}");
        };
        assert!(!message.contains('\u{1b}'), "{message}");
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
