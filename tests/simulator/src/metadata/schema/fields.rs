//! Data source fields and the database columns they read: Tableau's `Field` interface
//! (`ColumnField`, `CalculatedField`, `DatasourceField`) and `Column`.
//!
//! A workbook's own embedded data source holds the workbook's fields; an embedded data
//! source standing for a published one holds one `DatasourceField` per field of the
//! published data source, whose `remoteField` is that field. A calculated field's
//! `fields` are the fields its formula reads, and its `upstreamColumns` the columns those
//! read in turn. A column the signed-in user may not see answers `name: null`, as the
//! Metadata API's obfuscation does.

use std::collections::HashSet;
use std::sync::Arc;

use async_graphql::{ID, Interface, Object};

use super::TableObj;
use crate::data::{ColumnSpec, FieldSpec};
use crate::state::Site;
use crate::util::derived_luid;

/// Whose fields: a workbook's own embedded data source, or a published data source.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum FieldOwner {
    /// The workbook with this index.
    Workbook(usize),
    /// The published data source with this index.
    Datasource(usize),
}

impl FieldOwner {
    fn fields<'s>(&self, site: &'s Site) -> &'s [FieldSpec] {
        match *self {
            FieldOwner::Workbook(w) => &site.spec.workbooks[w].fields,
            FieldOwner::Datasource(d) => &site.spec.datasources[d].fields,
        }
    }

    fn key(&self, site: &Site) -> String {
        match *self {
            FieldOwner::Workbook(w) => format!("workbook:{}", site.spec.workbooks[w].luid),
            FieldOwner::Datasource(d) => format!("datasource:{}", site.spec.datasources[d].luid),
        }
    }
}

/// The fields of a workbook's own embedded data source, or of a published one.
pub(super) fn fields_of(site: &Arc<Site>, owner: FieldOwner) -> Vec<FieldObj> {
    (0..owner.fields(site).len())
        .map(|index| field_obj(site, owner, index))
        .collect()
}

/// The fields of an embedded data source standing for published data source `datasource`
/// in workbook `workbook`: one `DatasourceField` per field of the published one.
pub(super) fn proxy_fields_of(
    site: &Arc<Site>,
    workbook: usize,
    datasource: usize,
) -> Vec<FieldObj> {
    (0..site.spec.datasources[datasource].fields.len())
        .map(|index| {
            FieldObj::Datasource(DatasourceFieldObj {
                site: site.clone(),
                workbook,
                datasource,
                index,
            })
        })
        .collect()
}

fn field_obj(site: &Arc<Site>, owner: FieldOwner, index: usize) -> FieldObj {
    let handle = FieldHandle {
        site: site.clone(),
        owner,
        index,
    };
    if owner.fields(site)[index].formula.is_some() {
        FieldObj::Calculated(CalculatedFieldObj(handle))
    } else {
        FieldObj::Column(ColumnFieldObj(handle))
    }
}

/// `Field`: every kind of data source field.
#[derive(Interface, Clone)]
#[graphql(
    name = "Field",
    field(name = "id", ty = "ID"),
    field(name = "name", ty = "String"),
    field(name = "is_hidden", ty = "bool"),
    field(name = "upstream_columns", ty = "Vec<ColumnObj>")
)]
pub(crate) enum FieldObj {
    /// A field reading one column.
    Column(ColumnFieldObj),
    /// A calculated field.
    Calculated(CalculatedFieldObj),
    /// A field of a published data source, seen from a workbook.
    Datasource(DatasourceFieldObj),
}

/// One field of a workbook's or a published data source's own fields.
#[derive(Clone)]
pub(crate) struct FieldHandle {
    site: Arc<Site>,
    owner: FieldOwner,
    index: usize,
}

impl FieldHandle {
    fn spec(&self) -> &FieldSpec {
        &self.owner.fields(&self.site)[self.index]
    }

    fn id(&self) -> ID {
        ID(derived_luid(&format!(
            "field:{}:{}",
            self.owner.key(&self.site),
            self.spec().name
        )))
    }

    /// The columns the field reads, through calculated fields to any depth.
    fn columns(&self) -> Vec<ColumnObj> {
        let mut seen_fields = HashSet::new();
        let mut seen_columns = HashSet::new();
        let mut out = Vec::new();
        let mut stack = vec![self.index];
        while let Some(index) = stack.pop() {
            if !seen_fields.insert(index) {
                continue;
            }
            let fields = self.owner.fields(&self.site);
            let spec = &fields[index];
            if spec.formula.is_some() {
                for name in &spec.references {
                    stack.extend(fields.iter().position(|f| &f.name == name));
                }
                continue;
            }
            if let Some(column) = column_of(&self.site, spec)
                && seen_columns.insert((column.table, column.column))
            {
                out.push(column);
            }
        }
        out
    }
}

fn column_of(site: &Arc<Site>, spec: &FieldSpec) -> Option<ColumnObj> {
    let table = site.table(spec.table_id.as_deref()?)?;
    let name = spec.column.as_deref().unwrap_or(&spec.name);
    let column = site.spec.tables[table]
        .columns
        .iter()
        .position(|c| c.name == name)?;
    Some(ColumnObj {
        site: site.clone(),
        table,
        column,
    })
}

/// `ColumnField`.
#[derive(Clone)]
pub(crate) struct ColumnFieldObj(FieldHandle);

#[Object(name = "ColumnField")]
impl ColumnFieldObj {
    async fn id(&self) -> ID {
        self.0.id()
    }
    async fn name(&self) -> String {
        self.0.spec().name.clone()
    }
    async fn is_hidden(&self) -> bool {
        false
    }
    async fn data_type(&self) -> Option<String> {
        self.0.spec().data_type.clone()
    }
    async fn upstream_columns(&self) -> Vec<ColumnObj> {
        self.0.columns()
    }
    /// The columns it reads (Tableau's own sample query walks this one).
    async fn columns(&self) -> Vec<ColumnObj> {
        self.0.columns()
    }
}

/// `CalculatedField`.
#[derive(Clone)]
pub(crate) struct CalculatedFieldObj(FieldHandle);

#[Object(name = "CalculatedField")]
impl CalculatedFieldObj {
    async fn id(&self) -> ID {
        self.0.id()
    }
    async fn name(&self) -> String {
        self.0.spec().name.clone()
    }
    async fn is_hidden(&self) -> bool {
        false
    }
    async fn data_type(&self) -> Option<String> {
        self.0.spec().data_type.clone()
    }
    async fn formula(&self) -> Option<String> {
        self.0.spec().formula.clone()
    }
    /// The fields its formula reads.
    async fn fields(&self) -> Vec<FieldObj> {
        let fields = self.0.owner.fields(&self.0.site);
        self.0
            .spec()
            .references
            .iter()
            .filter_map(|name| fields.iter().position(|f| &f.name == name))
            .map(|index| field_obj(&self.0.site, self.0.owner, index))
            .collect()
    }
    async fn upstream_columns(&self) -> Vec<ColumnObj> {
        self.0.columns()
    }
}

/// `DatasourceField`: a published data source's field as a workbook's proxy shows it.
#[derive(Clone)]
pub(crate) struct DatasourceFieldObj {
    site: Arc<Site>,
    workbook: usize,
    datasource: usize,
    index: usize,
}

impl DatasourceFieldObj {
    fn remote(&self) -> FieldHandle {
        FieldHandle {
            site: self.site.clone(),
            owner: FieldOwner::Datasource(self.datasource),
            index: self.index,
        }
    }
}

#[Object(name = "DatasourceField")]
impl DatasourceFieldObj {
    async fn id(&self) -> ID {
        ID(derived_luid(&format!(
            "proxy-field:{}:{}",
            self.site.spec.workbooks[self.workbook].luid,
            self.remote().id().0
        )))
    }
    async fn name(&self) -> String {
        self.remote().spec().name.clone()
    }
    async fn is_hidden(&self) -> bool {
        false
    }
    /// The published data source's field it stands for.
    async fn remote_field(&self) -> Option<FieldObj> {
        Some(field_obj(
            &self.site,
            FieldOwner::Datasource(self.datasource),
            self.index,
        ))
    }
    async fn upstream_columns(&self) -> Vec<ColumnObj> {
        self.remote().columns()
    }
}

/// `Column`: a column of a database table.
#[derive(Clone)]
pub(crate) struct ColumnObj {
    site: Arc<Site>,
    table: usize,
    column: usize,
}

impl ColumnObj {
    fn spec(&self) -> &ColumnSpec {
        &self.site.spec.tables[self.table].columns[self.column]
    }
}

/// Every column of the table with this index.
pub(super) fn columns_of_table(site: &Arc<Site>, table: usize) -> Vec<ColumnObj> {
    (0..site.spec.tables[table].columns.len())
        .map(|column| ColumnObj {
            site: site.clone(),
            table,
            column,
        })
        .collect()
}

#[Object(name = "Column")]
impl ColumnObj {
    async fn id(&self) -> ID {
        let table = &self.site.spec.tables[self.table];
        ID(derived_luid(&format!(
            "column:{}:{}",
            table.id,
            self.spec().name
        )))
    }
    async fn luid(&self) -> String {
        let table = &self.site.spec.tables[self.table];
        derived_luid(&format!("column-luid:{}:{}", table.id, self.spec().name))
    }
    /// `null` where the signed-in user may not see the column, or its table.
    async fn name(&self) -> Option<String> {
        let hidden = self.spec().obfuscated || self.site.spec.tables[self.table].obfuscated;
        (!hidden).then(|| self.spec().name.clone())
    }
    async fn remote_type(&self) -> &str {
        &self.spec().remote_type
    }
    async fn is_nullable(&self) -> bool {
        true
    }
    async fn table(&self) -> TableObj {
        TableObj {
            site: self.site.clone(),
            index: self.table,
        }
    }
}
