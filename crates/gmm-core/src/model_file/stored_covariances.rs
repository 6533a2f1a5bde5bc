//! The `covariances` of a model file in the form their type stores (docs/model-format.md):
//! K full D x D matrices for full and tied, K rows of D variances for diag, K numbers for
//! spherical. Files of format 1 wrote every type as K full matrices; those still read.
//!
//! Reading tells the three forms apart by how deeply the numbers are nested, streaming each
//! number straight into its `f64` (no intermediate tree of JSON values), so a file costs
//! the numbers it holds.

use std::fmt;

use nalgebra::{DMatrix, DVector};
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::covariance::{CovarianceType, Covariances};
use crate::error::{GmmError, Result};

/// The covariances as a model file stores them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum StoredCovariances {
    /// K full D x D matrices, rows of columns: full and tied (tied repeats its matrix K
    /// times), and diag and spherical in files of format 1.
    Matrices(Vec<Vec<Vec<f64>>>),
    /// K rows of D variances: diag.
    Variances(Vec<Vec<f64>>),
    /// K variances: spherical.
    Scalars(Vec<f64>),
}

impl StoredCovariances {
    /// The stored form of `covariances` (format 2): only the numbers the type has.
    pub fn of(covariances: &Covariances, k: usize) -> Self {
        let rows = |m: &DMatrix<f64>| -> Vec<Vec<f64>> {
            (0..m.nrows())
                .map(|a| m.row(a).iter().copied().collect())
                .collect()
        };
        match covariances {
            Covariances::Full(mats) => Self::Matrices(mats.iter().map(rows).collect()),
            Covariances::Tied(m) => Self::Matrices(vec![rows(m); k]),
            Covariances::Diagonal(vs) => {
                Self::Variances(vs.iter().map(|v| v.iter().copied().collect()).collect())
            }
            Covariances::Spherical(vs) => Self::Scalars(vs.clone()),
        }
    }

    /// Number of stored covariances (K in a valid file).
    pub fn len(&self) -> usize {
        match self {
            Self::Matrices(m) => m.len(),
            Self::Variances(v) => v.len(),
            Self::Scalars(s) => s.len(),
        }
    }

    /// Whether no covariance is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name of the stored form, for messages.
    fn form(&self) -> &'static str {
        match self {
            Self::Matrices(_) => "D x D matrices",
            Self::Variances(_) => "rows of D variances",
            Self::Scalars(_) => "single numbers",
        }
    }

    /// The covariances of type `kind` for `d` features, checking that the stored form suits
    /// the type and every shape is `d`. Values are taken bit for bit; positivity and symmetry
    /// are left to [`crate::GaussianMixture::new`].
    ///
    /// # Errors
    /// [`GmmError::InvalidModel`] for a form the type does not store, a wrong shape, or a
    /// format-1 matrix without the structure of its type (diag: off-diagonal entries zero;
    /// spherical: a constant diagonal too; tied: all K equal).
    pub fn to_covariances(&self, kind: CovarianceType, d: usize) -> Result<Covariances> {
        let invalid = |reason: String| Err(GmmError::InvalidModel { reason });
        match (kind, self) {
            (_, Self::Matrices(stored)) => {
                let mut mats = Vec::with_capacity(stored.len());
                for (c, rows) in stored.iter().enumerate() {
                    if rows.len() != d || rows.iter().any(|r| r.len() != d) {
                        return invalid(format!("covariance {c} is not {d} x {d}"));
                    }
                    mats.push(DMatrix::from_fn(d, d, |a, b| rows[a][b]));
                }
                Covariances::from_full_matrices(kind, mats)
            }
            (CovarianceType::Diagonal, Self::Variances(rows)) => {
                if let Some(c) = rows.iter().position(|r| r.len() != d) {
                    return invalid(format!(
                        "covariance {c} of a diag model holds {} variances, not {d}",
                        rows[c].len()
                    ));
                }
                Ok(Covariances::Diagonal(
                    rows.iter().map(|r| DVector::from_column_slice(r)).collect(),
                ))
            }
            (CovarianceType::Spherical, Self::Scalars(vs)) => {
                Ok(Covariances::Spherical(vs.clone()))
            }
            (kind, stored) => invalid(format!(
                "covariance type is {kind} but covariances holds {}: {kind} stores {}",
                stored.form(),
                stored_form_of(kind)
            )),
        }
    }
}

/// One symmetric matrix as a model file stores it (a VB posterior's covariance prior): a
/// D x D matrix for full and tied, its D diagonal entries for diag, one number (the
/// multiple of the identity) for spherical. Format 1 wrote the D x D matrix for every type.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum StoredMatrix {
    /// A D x D matrix, rows of columns.
    Matrix(Vec<Vec<f64>>),
    /// The D diagonal entries of a diagonal matrix.
    Variances(Vec<f64>),
    /// `c` of the matrix `c I`.
    Scalar(f64),
}

impl StoredMatrix {
    /// The stored form of the one-component `covariances` (the first component of a longer
    /// one), for a file of format 2.
    pub fn of(covariances: &Covariances) -> Self {
        match Self::of_all(covariances).pop() {
            Some(m) => m,
            None => Self::Matrix(Vec::new()),
        }
    }

    fn of_all(covariances: &Covariances) -> Vec<Self> {
        let rows = |m: &DMatrix<f64>| -> Vec<Vec<f64>> {
            (0..m.nrows())
                .map(|a| m.row(a).iter().copied().collect())
                .collect()
        };
        match covariances {
            Covariances::Full(mats) => mats.iter().take(1).map(|m| Self::Matrix(rows(m))).collect(),
            Covariances::Tied(m) => vec![Self::Matrix(rows(m))],
            Covariances::Diagonal(vs) => vs
                .iter()
                .take(1)
                .map(|v| Self::Variances(v.iter().copied().collect()))
                .collect(),
            Covariances::Spherical(vs) => vs.iter().take(1).map(|&v| Self::Scalar(v)).collect(),
        }
    }

    /// The matrix as one-component covariances of type `kind` for `d` features (tied as
    /// [`Covariances::Tied`]), with the checks of [`StoredCovariances::to_covariances`].
    ///
    /// # Errors
    /// As [`StoredCovariances::to_covariances`].
    pub fn to_covariances(&self, kind: CovarianceType, d: usize) -> Result<Covariances> {
        let stored = match self {
            Self::Matrix(m) => StoredCovariances::Matrices(vec![m.clone()]),
            Self::Variances(v) => StoredCovariances::Variances(vec![v.clone()]),
            Self::Scalar(x) => StoredCovariances::Scalars(vec![*x]),
        };
        stored.to_covariances(kind, d)
    }
}

impl<'de> Deserialize<'de> for StoredMatrix {
    fn deserialize<D: Deserializer<'de>>(de: D) -> std::result::Result<Self, D::Error> {
        Ok(match de.deserialize_any(EntryVisitor)? {
            Entry::Number(x) => Self::Scalar(x),
            Entry::Row(r) => Self::Variances(r),
            Entry::Matrix(m) => Self::Matrix(m),
        })
    }
}

/// What a file of format 2 stores for `kind`.
fn stored_form_of(kind: CovarianceType) -> &'static str {
    match kind {
        CovarianceType::Full | CovarianceType::Tied => "K D x D matrices",
        CovarianceType::Diagonal => {
            "K rows of D variances (or, as format 1 wrote, K D x D matrices)"
        }
        CovarianceType::Spherical => "K numbers (or, as format 1 wrote, K D x D matrices)",
    }
}

/// One stored covariance: a number, a row of numbers, or a matrix (rows of numbers).
enum Entry {
    Number(f64),
    Row(Vec<f64>),
    Matrix(Vec<Vec<f64>>),
}

impl Entry {
    fn form(&self) -> &'static str {
        match self {
            Self::Number(_) => "a number",
            Self::Row(_) => "a row of numbers",
            Self::Matrix(_) => "a matrix",
        }
    }
}

/// The first element of an array inside `covariances`: a number or a row.
enum Element {
    Number(f64),
    Row(Vec<f64>),
}

struct ElementVisitor;

impl<'de> Visitor<'de> for ElementVisitor {
    type Value = Element;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number or an array of numbers")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Element, E> {
        Ok(Element::Number(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Element, E> {
        Ok(Element::Number(v as f64))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Element, E> {
        Ok(Element::Number(v as f64))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<Element, A::Error> {
        Ok(Element::Row(rest_of(seq, Vec::new())?))
    }
}

impl<'de> Deserialize<'de> for Element {
    fn deserialize<D: Deserializer<'de>>(de: D) -> std::result::Result<Self, D::Error> {
        de.deserialize_any(ElementVisitor)
    }
}

/// Appends the remaining elements of `seq` to `out`.
fn rest_of<'de, A: SeqAccess<'de>, T: Deserialize<'de>>(
    mut seq: A,
    mut out: Vec<T>,
) -> std::result::Result<Vec<T>, A::Error> {
    while let Some(x) = seq.next_element()? {
        out.push(x);
    }
    Ok(out)
}

struct EntryVisitor;

impl<'de> Visitor<'de> for EntryVisitor {
    type Value = Entry;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a variance, a row of variances or a matrix")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Entry, E> {
        Ok(Entry::Number(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Entry, E> {
        Ok(Entry::Number(v as f64))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Entry, E> {
        Ok(Entry::Number(v as f64))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Entry, A::Error> {
        Ok(match seq.next_element::<Element>()? {
            None => Entry::Row(Vec::new()),
            Some(Element::Number(x)) => Entry::Row(rest_of(seq, vec![x])?),
            Some(Element::Row(r)) => Entry::Matrix(rest_of(seq, vec![r])?),
        })
    }
}

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: Deserializer<'de>>(de: D) -> std::result::Result<Self, D::Error> {
        de.deserialize_any(EntryVisitor)
    }
}

struct StoredVisitor;

impl<'de> Visitor<'de> for StoredVisitor {
    type Value = StoredCovariances;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of K covariances (matrices, rows of variances, or numbers)")
    }
    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<StoredCovariances, A::Error> {
        let Some(first) = seq.next_element::<Entry>()? else {
            return Ok(StoredCovariances::Matrices(Vec::new()));
        };
        let first_form = first.form();
        let mismatch = |c: usize, e: &Entry| {
            de::Error::custom(format!(
                "covariances: entry {c} is {} but entry 0 is {first_form}; every entry must \
                 have the same form",
                e.form()
            ))
        };
        let mut stored = match first {
            Entry::Number(x) => StoredCovariances::Scalars(vec![x]),
            Entry::Row(r) => StoredCovariances::Variances(vec![r]),
            Entry::Matrix(m) => StoredCovariances::Matrices(vec![m]),
        };
        let mut c = 1;
        while let Some(entry) = seq.next_element::<Entry>()? {
            match (&mut stored, entry) {
                (StoredCovariances::Scalars(v), Entry::Number(x)) => v.push(x),
                (StoredCovariances::Variances(v), Entry::Row(r)) => v.push(r),
                (StoredCovariances::Matrices(v), Entry::Matrix(m)) => v.push(m),
                // an empty matrix reads as an empty row; keep it as a matrix with no rows
                (StoredCovariances::Matrices(v), Entry::Row(r)) if r.is_empty() => {
                    v.push(Vec::new())
                }
                (_, e) => return Err(mismatch(c, &e)),
            }
            c += 1;
        }
        Ok(stored)
    }
}

impl<'de> Deserialize<'de> for StoredCovariances {
    fn deserialize<D: Deserializer<'de>>(de: D) -> std::result::Result<Self, D::Error> {
        de.deserialize_seq(StoredVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> std::result::Result<StoredCovariances, serde_json::Error> {
        serde_json::from_str(text)
    }

    #[test]
    fn the_nesting_depth_gives_the_form() {
        assert_eq!(
            read("[1, 2.5]").unwrap(),
            StoredCovariances::Scalars(vec![1.0, 2.5])
        );
        assert_eq!(
            read("[[1], [2.5]]").unwrap(),
            StoredCovariances::Variances(vec![vec![1.0], vec![2.5]])
        );
        assert_eq!(
            read("[[[1, -0.0], [0, 2]]]").unwrap(),
            StoredCovariances::Matrices(vec![vec![vec![1.0, -0.0], vec![0.0, 2.0]]])
        );
    }

    #[test]
    fn mixed_forms_are_refused_naming_the_entry() {
        let e = read("[[[1]], [1]]").unwrap_err().to_string();
        assert!(e.contains("entry 1 is a row of numbers"), "{e}");
        assert!(read("[1, [1]]").is_err());
        assert!(read("[[1, [1]]]").is_err());
        assert!(read("[[[1, [1]]]]").is_err());
        assert!(read("{}").is_err());
        assert!(read("[\"a\"]").is_err());
    }

    #[test]
    fn one_matrix_reads_in_each_form() {
        let read = |t: &str| serde_json::from_str::<StoredMatrix>(t).unwrap();
        assert_eq!(read("2.5"), StoredMatrix::Scalar(2.5));
        assert_eq!(read("[1, 2]"), StoredMatrix::Variances(vec![1.0, 2.0]));
        assert_eq!(
            read("[[1, 0], [0, 2]]"),
            StoredMatrix::Matrix(vec![vec![1.0, 0.0], vec![0.0, 2.0]])
        );
        let spherical = Covariances::Spherical(vec![3.0]);
        let stored = StoredMatrix::of(&spherical);
        assert_eq!(stored, StoredMatrix::Scalar(3.0));
        assert_eq!(
            stored.to_covariances(CovarianceType::Spherical, 4).unwrap(),
            spherical
        );
        // format 1: the full matrix, which must have the type's structure
        let old = read("[[3, 0], [0, 3]]");
        assert_eq!(
            old.to_covariances(CovarianceType::Spherical, 2).unwrap(),
            spherical
        );
        assert!(
            read("[[3, 0], [0, 4]]")
                .to_covariances(CovarianceType::Spherical, 2)
                .is_err()
        );
    }

    #[test]
    fn a_form_the_type_does_not_store_is_refused() {
        let scalars = StoredCovariances::Scalars(vec![1.0]);
        for kind in [
            CovarianceType::Full,
            CovarianceType::Tied,
            CovarianceType::Diagonal,
        ] {
            let e = scalars.to_covariances(kind, 1).unwrap_err().to_string();
            assert!(e.contains("single numbers"), "{e}");
        }
        let rows = StoredCovariances::Variances(vec![vec![1.0, 2.0]]);
        assert!(rows.to_covariances(CovarianceType::Spherical, 2).is_err());
        assert!(rows.to_covariances(CovarianceType::Diagonal, 3).is_err());
        assert_eq!(
            rows.to_covariances(CovarianceType::Diagonal, 2).unwrap(),
            Covariances::Diagonal(vec![DVector::from_vec(vec![1.0, 2.0])])
        );
    }
}
