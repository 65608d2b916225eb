//! Claim rows for the mapping steps' unit tests: a header of claim columns and rows of cells,
//! resolved the way a CPCDS file is.

use std::path::PathBuf;

use csv::StringRecord;
use serde_json::Value;

use crate::cpcds::columns::{ClaimCol as C, Column, Layout};
use crate::cpcds::map::json::Node;
use crate::cpcds::row::Row;

pub struct Sheet {
    layout: Layout,
    records: Vec<StringRecord>,
    file: PathBuf,
}

impl Sheet {
    /// `columns` name the header (by each column's first alias); every row gives their cells
    /// in that order.
    pub fn new(columns: &[C], rows: &[&[&str]]) -> Self {
        let headers: Vec<String> = columns.iter().map(|c| c.aliases()[0].to_string()).collect();
        Self {
            layout: Layout::resolve::<C>(&headers).expect("test header"),
            records: rows
                .iter()
                .map(|r| StringRecord::from(r.to_vec()))
                .collect(),
            file: PathBuf::from("claims.csv"),
        }
    }

    /// A file of one row.
    pub fn one(cells: &[(C, &str)]) -> Self {
        let (columns, values): (Vec<C>, Vec<&str>) = cells.iter().copied().unzip();
        Self::new(&columns, &[&values])
    }

    pub fn rows(&self) -> Vec<Row<'_>> {
        (0u64..)
            .zip(&self.records)
            .map(|(i, record)| Row {
                record,
                layout: &self.layout,
                file: &self.file,
                line: i + 2,
            })
            .collect()
    }
}

/// The JSON a node serializes to (empty members dropped, as in a stored resource).
pub fn json(node: &Node<'_>) -> Value {
    let bytes = node.to_bytes();
    if bytes.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(&bytes).expect("a node serializes to JSON")
}

pub fn json_all(nodes: Vec<Node<'_>>) -> Value {
    json(&Node::Arr(nodes))
}
