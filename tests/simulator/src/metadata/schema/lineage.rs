//! Lineage beyond a data source's own tables: published data sources that read other
//! published data sources, and virtual connections (`VirtualConnection`,
//! `VirtualConnectionTable`, Tableau 2022.x and later).
//!
//! The simulator takes the narrowest reading of Tableau's lineage: a workbook's
//! `upstreamTables` holds the tables its embedded data sources and the published data
//! sources it uses read themselves, not the tables reached through a further published
//! data source or through a virtual connection table. Those are only found by walking
//! `upstreamDatasources` and `upstreamVirtualConnectionTables`, so a client that does not
//! walk them misses the tables, as catalogs reading real sites report.

use std::collections::HashSet;
use std::sync::Arc;

use async_graphql::{ID, Object};

use super::{DatabaseObj, PublishedDatasourceObj, TableObj, databases_of, tables_of};
use crate::data::{VirtualConnectionSpec, VirtualTableSpec};
use crate::state::Site;
use crate::util::derived_luid;

/// The published data sources with these LUIDs, each once, unknown LUIDs skipped.
pub(super) fn datasources_of(site: &Arc<Site>, luids: &[String]) -> Vec<PublishedDatasourceObj> {
    let mut seen = HashSet::new();
    luids
        .iter()
        .filter_map(|luid| site.datasource(luid))
        .filter(|index| seen.insert(*index))
        .map(|index| PublishedDatasourceObj {
            site: site.clone(),
            index,
        })
        .collect()
}

/// The virtual connection tables with these LUIDs, each once, unknown LUIDs skipped.
pub(super) fn virtual_tables_of(site: &Arc<Site>, luids: &[String]) -> Vec<VirtualTableObj> {
    let mut seen = HashSet::new();
    luids
        .iter()
        .filter(|luid| seen.insert(luid.as_str()))
        .filter_map(|luid| {
            site.spec
                .virtual_connections
                .iter()
                .enumerate()
                .find_map(|(connection, vc)| {
                    let table = vc.tables.iter().position(|t| &t.luid == luid)?;
                    Some(VirtualTableObj {
                        site: site.clone(),
                        connection,
                        table,
                    })
                })
        })
        .collect()
}

/// `VirtualConnection`.
#[derive(Clone)]
pub(crate) struct VirtualConnectionObj {
    site: Arc<Site>,
    index: usize,
}

impl VirtualConnectionObj {
    fn spec(&self) -> &VirtualConnectionSpec {
        &self.site.spec.virtual_connections[self.index]
    }
    fn table_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for table in &self.spec().tables {
            for id in &table.table_ids {
                if !ids.contains(id) {
                    ids.push(id.clone());
                }
            }
        }
        ids
    }
}

#[Object(name = "VirtualConnection")]
impl VirtualConnectionObj {
    async fn id(&self) -> ID {
        ID(derived_luid(&format!(
            "virtual-connection:{}",
            self.spec().luid
        )))
    }
    async fn luid(&self) -> &str {
        &self.spec().luid
    }
    async fn name(&self) -> &str {
        &self.spec().name
    }
    async fn tables(&self) -> Vec<VirtualTableObj> {
        (0..self.spec().tables.len())
            .map(|table| VirtualTableObj {
                site: self.site.clone(),
                connection: self.index,
                table,
            })
            .collect()
    }
    async fn upstream_tables(&self) -> Vec<TableObj> {
        tables_of(&self.site, &self.table_ids())
    }
    async fn upstream_databases(&self) -> Vec<DatabaseObj> {
        databases_of(&tables_of(&self.site, &self.table_ids()))
    }
}

/// `VirtualConnectionTable`: one table of a virtual connection.
#[derive(Clone)]
pub(crate) struct VirtualTableObj {
    site: Arc<Site>,
    connection: usize,
    table: usize,
}

impl VirtualTableObj {
    fn spec(&self) -> &VirtualTableSpec {
        &self.site.spec.virtual_connections[self.connection].tables[self.table]
    }
}

#[Object(name = "VirtualConnectionTable")]
impl VirtualTableObj {
    async fn id(&self) -> ID {
        ID(derived_luid(&format!("virtual-table:{}", self.spec().luid)))
    }
    async fn luid(&self) -> &str {
        &self.spec().luid
    }
    async fn name(&self) -> &str {
        &self.spec().name
    }
    async fn is_embedded(&self) -> bool {
        false
    }
    async fn upstream_tables(&self) -> Vec<TableObj> {
        tables_of(&self.site, &self.spec().table_ids)
    }
    async fn upstream_databases(&self) -> Vec<DatabaseObj> {
        databases_of(&tables_of(&self.site, &self.spec().table_ids))
    }
    async fn virtual_connection(&self) -> VirtualConnectionObj {
        VirtualConnectionObj {
            site: self.site.clone(),
            index: self.connection,
        }
    }
}
