//! Choosing a file's columns by name: the point columns (in the order asked for) and an
//! optional weight column, with errors that name the column and list what the file has.

use gmm_core::{GmmError, Result};

/// Which columns of a file to read: the points' columns by name (all usable columns but the
/// weight column when `None`), and the weight column.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnSelection {
    /// The point columns by name, in the order wanted; `None` for all usable columns.
    pub columns: Option<Vec<String>>,
    /// The column holding each point's frequency weight.
    pub weight_column: Option<String>,
}

impl ColumnSelection {
    /// Every usable column, no weights.
    pub fn all() -> Self {
        Self::default()
    }

    /// Whether it asks for anything by name.
    pub fn by_name(&self) -> bool {
        self.columns.is_some() || self.weight_column.is_some()
    }
}

/// The indices of the point columns and of the weight column among `names`; `usable(j)`
/// says whether column `j` holds numbers (`Err(reason)` otherwise), `path` names the file.
pub(crate) fn resolve(
    selection: &ColumnSelection,
    names: &[String],
    usable: &dyn Fn(usize) -> std::result::Result<(), String>,
    path: &str,
) -> Result<(Vec<usize>, Option<usize>)> {
    let find = |flag: &'static str, name: &str| -> Result<usize> {
        let j = names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| GmmError::InvalidParameter {
                name: flag,
                value: name.to_string(),
                reason: format!(
                    "{path} has no column {name:?}; its columns are {}",
                    listing(names)
                ),
            })?;
        if let Some(other) = names.iter().skip(j + 1).position(|n| n == name) {
            return Err(GmmError::InvalidParameter {
                name: flag,
                value: name.to_string(),
                reason: format!(
                    "{path} has two columns named {name:?} (columns {} and {}), so the name \
                     does not say which to read: rename one of them",
                    j + 1,
                    j + 2 + other
                ),
            });
        }
        usable(j).map_err(|why| GmmError::InvalidParameter {
            name: flag,
            value: name.to_string(),
            reason: format!(
                "column {name:?} of {path} {why}: choose numeric columns (the file has {})",
                listing(names)
            ),
        })?;
        Ok(j)
    };
    let weight = match &selection.weight_column {
        Some(name) => Some(find("weight_column", name)?),
        None => None,
    };
    let columns = match &selection.columns {
        Some(wanted) => {
            if wanted.is_empty() {
                return Err(GmmError::InvalidParameter {
                    name: "columns",
                    value: String::new(),
                    reason: format!("name at least one column of {path}"),
                });
            }
            let mut chosen = Vec::with_capacity(wanted.len());
            for name in wanted {
                let j = find("columns", name)?;
                if chosen.contains(&j) || Some(j) == weight {
                    return Err(GmmError::InvalidParameter {
                        name: "columns",
                        value: name.clone(),
                        reason: "the column is named twice (or is also the weight column): \
                                 name each column once"
                            .into(),
                    });
                }
                chosen.push(j);
            }
            chosen
        }
        None => {
            let all: Vec<usize> = (0..names.len()).filter(|&j| Some(j) != weight).collect();
            // every column is read: one that is not numeric is named, never dropped
            for &j in &all {
                usable(j).map_err(|why| GmmError::InvalidParameter {
                    name: "columns",
                    value: String::new(),
                    reason: format!(
                        "column {:?} (column {}) of {path} {why}, and every column is read \
                         when none are named: name the numeric columns to read (the file has \
                         {})",
                        names[j],
                        j + 1,
                        listing(names)
                    ),
                })?;
            }
            if all.is_empty() {
                return Err(GmmError::InvalidParameter {
                    name: "columns",
                    value: String::new(),
                    reason: format!(
                        "{path} has no numeric column besides the weights; its columns are {}",
                        listing(names)
                    ),
                });
            }
            all
        }
    };
    Ok((columns, weight))
}

/// `"a", "b", "c"` (at most 20 names, then how many more).
fn listing(names: &[String]) -> String {
    let shown: Vec<String> = names.iter().take(20).map(|n| format!("{n:?}")).collect();
    let more = names.len().saturating_sub(20);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        ["a", "label", "b", "w"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    fn numeric(j: usize) -> std::result::Result<(), String> {
        if j == 1 {
            Err("holds text".into())
        } else {
            Ok(())
        }
    }

    #[test]
    fn columns_are_found_in_the_order_asked() {
        let s = ColumnSelection {
            columns: Some(vec!["b".into(), "a".into()]),
            weight_column: Some("w".into()),
        };
        assert_eq!(
            resolve(&s, &names(), &numeric, "f").unwrap(),
            (vec![2, 0], Some(3))
        );
        let s = ColumnSelection {
            columns: None,
            weight_column: Some("w".into()),
        };
        let all = |_: usize| Ok(());
        assert_eq!(
            resolve(&s, &names(), &all, "f").unwrap(),
            (vec![0, 1, 2], Some(3))
        );
        // a text column is not dropped without a word
        let e = resolve(&s, &names(), &numeric, "f")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("column \"label\" (column 2) of f holds text"),
            "{e}"
        );
    }

    #[test]
    fn missing_twice_named_and_text_columns_are_errors() {
        let bad = |cols: &[&str], w: Option<&str>| {
            let s = ColumnSelection {
                columns: Some(cols.iter().map(|s| s.to_string()).collect()),
                weight_column: w.map(str::to_string),
            };
            resolve(&s, &names(), &numeric, "f.csv")
                .unwrap_err()
                .to_string()
        };
        let e = bad(&["a", "c"], None);
        assert!(
            e.contains("no column \"c\"") && e.contains("\"label\", \"b\""),
            "{e}"
        );
        assert!(bad(&["label"], None).contains("holds text"));
        assert!(bad(&["a", "a"], None).contains("twice"));
        assert!(bad(&["a", "w"], Some("w")).contains("twice"));
        assert!(bad(&["a"], Some("x")).contains("weight_column"));
    }

    #[test]
    fn a_name_two_columns_share_is_refused_naming_both() {
        let names: Vec<String> = ["x", "y", "x"].iter().map(|s| s.to_string()).collect();
        let pick = |cols: &[&str], w: Option<&str>| {
            let s = ColumnSelection {
                columns: Some(cols.iter().map(|s| s.to_string()).collect()),
                weight_column: w.map(str::to_string),
            };
            resolve(&s, &names, &|_| Ok(()), "f.csv")
        };
        let e = pick(&["x", "y"], None).unwrap_err().to_string();
        assert!(
            e.contains("two columns named \"x\" (columns 1 and 3)"),
            "{e}"
        );
        let e = pick(&["y"], Some("x")).unwrap_err().to_string();
        assert!(
            e.contains("weight_column") && e.contains("columns 1 and 3"),
            "{e}"
        );
        // a name that is not used to select is no ambiguity
        assert_eq!(pick(&["y"], None).unwrap(), (vec![1], None));
    }
}
