//! ICL (mclust's definition, lower better: `BIC - 2 sum_n w_n ln max_k r_nk`) against a
//! hand computation, and in the K-selection table.

use gmm_core::{Covariances, Dataset, GaussianMixture};
use gmm_em::{EmParams, best_by_icl, select_k};
use nalgebra::{DMatrix, DVector};

fn normal(x: f64, m: f64, v: f64) -> f64 {
    (-(x - m) * (x - m) / (2.0 * v)).exp() / (2.0 * std::f64::consts::PI * v).sqrt()
}

#[test]
fn icl_is_bic_plus_twice_the_hard_classification_entropy() {
    let (w, m, v) = ([0.3, 0.7], [0.0, 4.0], [1.0, 2.25]);
    let gm = GaussianMixture::new(
        DVector::from_row_slice(&w),
        DMatrix::from_row_slice(2, 1, &m),
        Covariances::Spherical(v.to_vec()),
    )
    .unwrap();
    let xs = [-1.0, 0.5, 2.0, 2.2, 5.0];
    let weights = [1.0, 2.0, 1.0, 0.5, 3.0];
    for weighted in [false, true] {
        let ws: Vec<f64> = if weighted {
            weights.to_vec()
        } else {
            vec![1.0; 5]
        };
        let mut data = Dataset::from_slice_1d(&xs).unwrap();
        if weighted {
            data = data.with_weights(ws.clone()).unwrap();
        }
        let (mut log_lik, mut hard) = (0.0, 0.0);
        for (x, wn) in xs.iter().zip(&ws) {
            let joint = [w[0] * normal(*x, m[0], v[0]), w[1] * normal(*x, m[1], v[1])];
            let p = joint[0] + joint[1];
            log_lik += wn * p.ln();
            hard += wn * (joint[0].max(joint[1]) / p).ln();
        }
        let n: f64 = ws.iter().sum();
        // p = 2 means + 1 weight + 2 variances
        let bic = -2.0 * log_lik + 5.0 * n.ln();
        let want = bic - 2.0 * hard;
        let got = gm.icl(&data).unwrap();
        assert!((got - want).abs() < 1e-12 * want.abs(), "{got} vs {want}");
        assert!(got > gm.bic(&data).unwrap());
    }
}

#[test]
fn the_selection_table_holds_icl_and_picks_by_it() {
    let data = gmm_core::synthetic::draw(&gmm_core::synthetic::one_d_three_clusters(), 600, 2)
        .unwrap()
        .data;
    let params = EmParams::new(1).n_init(2);
    let table = select_k(&data, 1..=4, &params).unwrap();
    for row in &table {
        let fit = params.clone().n_components(row.k).fit(&data).unwrap();
        assert_eq!(row.icl, fit.icl(&data).unwrap());
        assert!(row.icl >= row.bic);
    }
    // one component classifies with certainty: ICL = BIC
    assert_eq!(table[0].icl, table[0].bic);
    let best = best_by_icl(&table).unwrap();
    assert!(table.iter().all(|r| r.icl >= best.icl));
}
