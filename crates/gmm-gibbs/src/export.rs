//! Every relabelled draw as CSV or JSON (what `gmm fit --method gibbs --draws-out` writes).

use gmm_core::Covariances;
use serde::Serialize;

use crate::draw::Draw;
use crate::fit::GibbsFit;

/// Column names of a draw's covariance entries, in the type's storage: `cov[k][i][j]`
/// (`i <= j`, full), `cov[i][j]` (`i <= j`, tied), `var[k][j]` (diag), `var[k]` (spherical).
fn covariance_columns(c: &Covariances, k: usize, d: usize) -> Vec<String> {
    let mut out = Vec::new();
    match c {
        Covariances::Full(_) => {
            for c in 0..k {
                for i in 0..d {
                    for j in i..d {
                        out.push(format!("cov[{c}][{i}][{j}]"));
                    }
                }
            }
        }
        Covariances::Tied(_) => {
            for i in 0..d {
                for j in i..d {
                    out.push(format!("cov[{i}][{j}]"));
                }
            }
        }
        Covariances::Diagonal(_) => {
            for c in 0..k {
                for j in 0..d {
                    out.push(format!("var[{c}][{j}]"));
                }
            }
        }
        Covariances::Spherical(_) => out.extend((0..k).map(|c| format!("var[{c}]"))),
    }
    out
}

/// A draw's covariance entries in the order of [`covariance_columns`].
fn covariance_values(c: &Covariances) -> Vec<f64> {
    let upper = |m: &nalgebra::DMatrix<f64>| -> Vec<f64> {
        let d = m.nrows();
        (0..d)
            .flat_map(|i| (i..d).map(move |j| m[(i, j)]))
            .collect()
    };
    match c {
        Covariances::Full(ms) => ms.iter().flat_map(upper).collect(),
        Covariances::Tied(m) => upper(m),
        Covariances::Diagonal(vs) => vs.iter().flat_map(|v| v.iter().copied()).collect(),
        Covariances::Spherical(v) => v.clone(),
    }
}

/// One JSON record per draw.
#[derive(Serialize)]
struct DrawRecord<'a> {
    chain: usize,
    draw: usize,
    log_likelihood: f64,
    weights: Vec<f64>,
    means: Vec<Vec<f64>>,
    covariance_type: &'a str,
    covariances: Vec<f64>,
}

impl GibbsFit {
    /// Every relabelled draw as CSV: a header, then one row per draw (`chain`, `draw`,
    /// `log_likelihood`, `weight[k]`, `mean[k][j]`, then the covariance entries in the
    /// type's storage: `cov[k][i][j]` for `i <= j` (full), `cov[i][j]` (tied), `var[k][j]`
    /// (diag), `var[k]` (spherical)). Numbers are written in the shortest form that reads
    /// back to the same `f64`.
    pub fn draws_to_csv(&self) -> String {
        let first = &self.draws()[0][0];
        let (k, d) = (first.n_components(), first.n_features());
        let mut header = vec!["chain".to_string(), "draw".into(), "log_likelihood".into()];
        header.extend((0..k).map(|c| format!("weight[{c}]")));
        for c in 0..k {
            header.extend((0..d).map(|j| format!("mean[{c}][{j}]")));
        }
        header.extend(covariance_columns(first.covariances(), k, d));
        let mut out = header.join(",");
        out.push('\n');
        for (chain, draws) in self.draws().iter().enumerate() {
            for (t, draw) in draws.iter().enumerate() {
                let mut row = vec![chain.to_string(), t.to_string()];
                row.extend(values_of(draw).iter().map(|v| format!("{v:?}")));
                out.push_str(&row.join(","));
                out.push('\n');
            }
        }
        out
    }

    /// Every relabelled draw as a JSON array of objects (`chain`, `draw`, `log_likelihood`,
    /// `weights`, `means`, `covariance_type`, `covariances` in the order of
    /// [`GibbsFit::draws_to_csv`]'s covariance columns).
    pub fn draws_to_json(&self) -> String {
        let records: Vec<DrawRecord> = self
            .draws()
            .iter()
            .enumerate()
            .flat_map(|(chain, draws)| {
                draws.iter().enumerate().map(move |(t, draw)| DrawRecord {
                    chain,
                    draw: t,
                    log_likelihood: draw.log_likelihood(),
                    weights: draw.weights().iter().copied().collect(),
                    means: (0..draw.n_components())
                        .map(|c| draw.means().row(c).iter().copied().collect())
                        .collect(),
                    covariance_type: draw.covariance_type().name(),
                    covariances: covariance_values(draw.covariances()),
                })
            })
            .collect();
        serde_json::to_string(&records).expect("draws serialise")
    }
}

/// The numbers of one CSV row after `chain` and `draw`.
fn values_of(draw: &Draw) -> Vec<f64> {
    let mut v = vec![draw.log_likelihood()];
    v.extend(draw.weights().iter());
    v.extend(draw.means().transpose().iter());
    v.extend(covariance_values(draw.covariances()));
    v
}
