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

/// The columns documented on one relation, packed into one allocation.
///
/// A large project documents millions of columns, one list per relation; as a
/// `Vec<DbtColumn>` each column would cost two strings and about a hundred bytes, and the
/// relation index of a 2 GB manifest would no longer fit a 512 MB Lambda. Packed, a column
/// costs its two texts and two length bytes. Reads and writes (serde) as a list of
/// [`DbtColumn`], in the order given.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct DocumentedColumns {
    /// Per column: the name's length (LEB128), the name, the type's length plus one, or 0
    /// for none (LEB128), the type.
    packed: Box<[u8]>,
}

/// One documented column, borrowed from [`DocumentedColumns`]; it serializes as a
/// [`DbtColumn`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DocumentedColumn<'a> {
    /// The column name as dbt spells it.
    pub name: &'a str,
    /// Its declared type, where the YAML gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_type: Option<&'a str>,
}

impl DocumentedColumns {
    /// Packs `columns`, in the order given.
    pub fn new<'a, I>(columns: I) -> Self
    where
        I: IntoIterator<Item = (&'a str, Option<&'a str>)>,
        I::IntoIter: Clone,
    {
        let columns = columns.into_iter();
        // Sized first, so that the one allocation is exact.
        let size = columns
            .clone()
            .map(|(name, data_type)| {
                let type_len = data_type.map_or(0, |t| t.len() + 1);
                length_bytes(name.len()) + name.len() + length_bytes(type_len) + type_len
            })
            .sum();
        let mut packed = Vec::with_capacity(size);
        for (name, data_type) in columns {
            push_length(&mut packed, name.len());
            packed.extend_from_slice(name.as_bytes());
            match data_type {
                Some(t) => {
                    push_length(&mut packed, t.len() + 1);
                    packed.extend_from_slice(t.as_bytes());
                }
                None => push_length(&mut packed, 0),
            }
        }
        DocumentedColumns {
            packed: packed.into_boxed_slice(),
        }
    }

    /// Whether no column is documented.
    pub fn is_empty(&self) -> bool {
        self.packed.is_empty()
    }

    /// The columns, in their order.
    pub fn iter(&self) -> DocumentedIter<'_> {
        DocumentedIter { rest: &self.packed }
    }
}

impl<'a> IntoIterator for &'a DocumentedColumns {
    type Item = DocumentedColumn<'a>;
    type IntoIter = DocumentedIter<'a>;
    fn into_iter(self) -> DocumentedIter<'a> {
        self.iter()
    }
}

impl std::fmt::Debug for DocumentedColumns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for DocumentedColumns {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for DocumentedColumns {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let columns = Vec::<DbtColumn>::deserialize(deserializer)?;
        Ok(DocumentedColumns::new(
            columns
                .iter()
                .map(|c| (c.name.as_str(), c.data_type.as_deref())),
        ))
    }
}

/// The columns of a [`DocumentedColumns`], in order.
#[derive(Debug, Clone)]
pub struct DocumentedIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for DocumentedIter<'a> {
    type Item = DocumentedColumn<'a>;

    fn next(&mut self) -> Option<DocumentedColumn<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        let name_len = self.length();
        let name = self.text(name_len)?;
        let data_type = match self.length() {
            0 => None,
            n => Some(self.text(n - 1)?),
        };
        Some(DocumentedColumn { name, data_type })
    }
}

impl<'a> DocumentedIter<'a> {
    fn length(&mut self) -> usize {
        let mut value = 0usize;
        let mut shift = 0;
        while let Some((&byte, rest)) = self.rest.split_first() {
            self.rest = rest;
            value |= usize::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        value
    }

    fn text(&mut self, len: usize) -> Option<&'a str> {
        let (bytes, rest) = self.rest.split_at_checked(len)?;
        self.rest = rest;
        // Written from `&str` by `DocumentedColumns::new`, cut at the same lengths.
        std::str::from_utf8(bytes).ok()
    }
}

fn length_bytes(len: usize) -> usize {
    (usize::BITS - len.leading_zeros()).div_ceil(7).max(1) as usize
}

fn push_length(packed: &mut Vec<u8>, mut len: usize) {
    while len >= 0x80 {
        packed.push((len as u8 & 0x7f) | 0x80);
        len >>= 7;
    }
    packed.push(len as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_columns_read_back_as_written_whatever_their_length() {
        let long = "x".repeat(300);
        let tricky = "名前\u{0}\u{80}";
        let written = [
            ("id", Some("integer")),
            ("", None),
            (long.as_str(), Some("")),
            (tricky, Some(long.as_str())),
        ];
        let columns = DocumentedColumns::new(written);
        let sizes = [0, 1, 127, 128, 300, 16383, 16384];
        for len in sizes {
            let mut bytes = Vec::new();
            push_length(&mut bytes, len);
            assert_eq!(bytes.len(), length_bytes(len), "{len}");
        }
        let read: Vec<(&str, Option<&str>)> =
            columns.iter().map(|c| (c.name, c.data_type)).collect();
        assert_eq!(read, written);
        assert!(!columns.is_empty());
        assert!(DocumentedColumns::default().is_empty());
    }

    #[test]
    fn packed_columns_serialize_as_the_list_of_columns() {
        let columns = DocumentedColumns::new([("id", Some("integer")), ("name", None)]);
        let json = serde_json::to_string(&columns).unwrap();
        assert_eq!(
            json,
            r#"[{"name":"id","data_type":"integer"},{"name":"name"}]"#
        );
        let back: DocumentedColumns = serde_json::from_str(&json).unwrap();
        assert_eq!(back, columns);
        assert_eq!(
            format!("{columns:?}").matches("DocumentedColumn").count(),
            2
        );
    }
}
