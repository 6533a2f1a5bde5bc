//! A data set as read from a file: the points and, when the file named them, its columns.

use gmm_core::Dataset;

/// A data set read from a file, with its column names if the file had a header row.
#[derive(Debug, Clone, PartialEq)]
pub struct DataTable {
    /// The points.
    pub data: Dataset,
    /// The names of the columns, when the first row was a header.
    pub column_names: Option<Vec<String>>,
}

impl DataTable {
    /// The name of column `j`: the header's name, or `x1`, `x2`, ... (1-based).
    pub fn column_name(&self, j: usize) -> String {
        self.column_names
            .as_ref()
            .and_then(|names| names.get(j).cloned())
            .unwrap_or_else(|| format!("x{}", j + 1))
    }
}
