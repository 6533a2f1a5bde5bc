//! Choosing a file's columns by name: the point columns (in the order asked for) and an
//! optional weight column, with errors that name the column and list what the file has.

use gmm_core::{GmmError, Result};

/// Which columns of a file to read: the points' columns by name (all usable columns but the
/// weight column when `None`), and the weight column; or, when the user named no columns,
/// the features a model was fitted on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnSelection {
    /// The point columns by name, in the order wanted; `None` for all usable columns (or
    /// the model's `feature_names`).
    pub columns: Option<Vec<String>>,
    /// The column holding each point's frequency weight.
    pub weight_column: Option<String>,
    /// The names of the features of the model the data are for (a model file's
    /// `feature_names`), used when `columns` is `None`: a file with column names (a CSV
    /// header, Parquet) has these columns read, in this order, whatever order the file has
    /// them in; its other columns are ignored, and a feature it has no column for is an
    /// error ([`GmmError::FeatureMismatch`]) naming the feature and the file. A file without
    /// names (a .npy, a CSV without a header) is read by position, every column, as without
    /// names. `columns`, when given, wins: the names are then not used.
    pub feature_names: Option<Vec<String>>,
}

impl ColumnSelection {
    /// Every usable column, no weights.
    pub fn all() -> Self {
        Self::default()
    }

    /// Whether it asks for anything by name that needs the file to have column names (the
    /// model's `feature_names` do not: without names the columns go by position).
    pub fn by_name(&self) -> bool {
        self.columns.is_some() || self.weight_column.is_some()
    }
}

/// Finds columns by name among a file's `names`, with errors naming the file.
struct Lookup<'a> {
    names: &'a [String],
    usable: &'a dyn Fn(usize) -> std::result::Result<(), String>,
    path: &'a str,
}

impl Lookup<'_> {
    /// The index of column `name`, asked for by the parameter `flag`.
    fn find(&self, flag: &'static str, name: &str) -> Result<usize> {
        let (names, path) = (self.names, self.path);
        let invalid = |reason: String| GmmError::InvalidParameter {
            name: flag,
            value: name.to_string(),
            reason,
        };
        let j = names.iter().position(|n| n == name).ok_or_else(|| {
            invalid(format!(
                "{path} has no column {name:?}; its columns are {}",
                listing(names)
            ))
        })?;
        if let Some(other) = names.iter().skip(j + 1).position(|n| n == name) {
            return Err(invalid(format!(
                "{path} has two columns named {name:?} (columns {} and {}), so the name does \
                 not say which to read: rename one of them",
                j + 1,
                j + 2 + other
            )));
        }
        (self.usable)(j).map_err(|why| {
            invalid(format!(
                "column {name:?} of {path} {why}: choose numeric columns (the file has {})",
                listing(names)
            ))
        })?;
        Ok(j)
    }

    /// The columns named in `wanted`, in that order, none twice nor the weight column.
    fn named(&self, wanted: &[String], weight: Option<usize>) -> Result<Vec<usize>> {
        if wanted.is_empty() {
            return Err(GmmError::InvalidParameter {
                name: "columns",
                value: String::new(),
                reason: format!("name at least one column of {}", self.path),
            });
        }
        let mut chosen = Vec::with_capacity(wanted.len());
        for name in wanted {
            let j = self.find("columns", name)?;
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
        Ok(chosen)
    }

    /// The columns of the model's features, in the model's order; the file's other columns
    /// are left out.
    fn features(&self, features: &[String], weight: Option<usize>) -> Result<Vec<usize>> {
        if features.is_empty() {
            return Err(GmmError::InvalidParameter {
                name: "feature_names",
                value: String::new(),
                reason: "a model has at least one feature: give its names, or None".into(),
            });
        }
        let mut chosen = Vec::with_capacity(features.len());
        for name in features {
            let j = self.find("columns", name).map_err(|e| {
                let why = match e {
                    GmmError::InvalidParameter { reason, .. } => reason,
                    other => other.to_string(),
                };
                self.mismatch(name, features, &why)
            })?;
            if Some(j) == weight {
                return Err(self.mismatch(name, features, "it is also the weight column"));
            }
            chosen.push(j);
        }
        Ok(chosen)
    }

    /// The error for the model's feature `name`, which the file cannot give (`why`).
    fn mismatch(&self, name: &str, features: &[String], why: &str) -> GmmError {
        GmmError::FeatureMismatch {
            path: self.path.to_string(),
            reason: format!(
                "the model's feature {name:?} cannot be read: {why}. The model was fitted on \
                 the columns {} (it reads them by name, in any order, and ignores other \
                 columns): give a file with these columns, or name the columns to read, in \
                 the model's order",
                listing(features)
            ),
        }
    }

    /// Every column but the weight column, each of which must be usable.
    fn all(&self, weight: Option<usize>) -> Result<Vec<usize>> {
        let (names, path) = (self.names, self.path);
        let all: Vec<usize> = (0..names.len()).filter(|&j| Some(j) != weight).collect();
        // every column is read: one that is not numeric is named, never dropped
        for &j in &all {
            (self.usable)(j).map_err(|why| GmmError::InvalidParameter {
                name: "columns",
                value: String::new(),
                reason: format!(
                    "column {:?} (column {}) of {path} {why}, and every column is read when \
                     none are named: name the numeric columns to read (the file has {})",
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
        Ok(all)
    }
}

/// The indices of the point columns and of the weight column among `names`; `usable(j)`
/// says whether column `j` holds numbers (`Err(reason)` otherwise), `path` names the file.
/// The point columns are those of `selection.columns`, else of `selection.feature_names`,
/// else all.
pub(crate) fn resolve(
    selection: &ColumnSelection,
    names: &[String],
    usable: &dyn Fn(usize) -> std::result::Result<(), String>,
    path: &str,
) -> Result<(Vec<usize>, Option<usize>)> {
    let lookup = Lookup {
        names,
        usable,
        path,
    };
    let weight = match &selection.weight_column {
        Some(name) => Some(lookup.find("weight_column", name)?),
        None => None,
    };
    let columns = match (&selection.columns, &selection.feature_names) {
        (Some(wanted), _) => lookup.named(wanted, weight)?,
        (None, Some(features)) => lookup.features(features, weight)?,
        (None, None) => lookup.all(weight)?,
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
            feature_names: None,
        };
        assert_eq!(
            resolve(&s, &names(), &numeric, "f").unwrap(),
            (vec![2, 0], Some(3))
        );
        let s = ColumnSelection {
            columns: None,
            weight_column: Some("w".into()),
            feature_names: None,
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
                feature_names: None,
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
                feature_names: None,
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

    #[test]
    fn the_model_s_features_are_read_by_name_in_the_model_s_order() {
        let features = |f: &[&str], w: Option<&str>| ColumnSelection {
            columns: None,
            weight_column: w.map(str::to_string),
            feature_names: Some(f.iter().map(|s| s.to_string()).collect()),
        };
        // reordered, a text column and the weights left out
        assert_eq!(
            resolve(&features(&["b", "a"], Some("w")), &names(), &numeric, "f").unwrap(),
            (vec![2, 0], Some(3))
        );
        // a missing feature names itself, the file and the model's columns
        let e = resolve(&features(&["a", "z"], None), &names(), &numeric, "f.csv").unwrap_err();
        assert!(matches!(e, GmmError::FeatureMismatch { .. }), "{e:?}");
        let e = e.to_string();
        assert!(
            e.starts_with("f.csv: the model's feature \"z\"")
                && e.contains("no column \"z\"")
                && e.contains("fitted on the columns \"a\", \"z\""),
            "{e}"
        );
        let e = resolve(&features(&["a", "label"], None), &names(), &numeric, "f")
            .unwrap_err()
            .to_string();
        assert!(e.contains("holds text"), "{e}");
        let e = resolve(&features(&["a", "w"], Some("w")), &names(), &numeric, "f")
            .unwrap_err()
            .to_string();
        assert!(e.contains("also the weight column"), "{e}");
        assert!(resolve(&features(&[], None), &names(), &numeric, "f").is_err());
        // the user's columns win
        let mut s = features(&["z"], None);
        s.columns = Some(vec!["b".into()]);
        assert_eq!(
            resolve(&s, &names(), &numeric, "f").unwrap(),
            (vec![2], None)
        );
    }
}
