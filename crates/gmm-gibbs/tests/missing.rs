//! The sampler does not marginalise missing coordinates: it refuses them, naming the data.

use gmm_core::{Dataset, GmmError, MissingPolicy};
use gmm_gibbs::GibbsParams;

#[test]
fn the_sampler_refuses_missing_values() {
    let rows: Vec<Vec<f64>> = (0..40)
        .map(|i| {
            let x = i as f64 * 0.1;
            vec![x, if i % 5 == 0 { f64::NAN } else { -x }]
        })
        .collect();
    let data = Dataset::from_rows_with_policy(&rows, MissingPolicy::Marginalise).unwrap();
    let err = GibbsParams::new(2).fit(&data).unwrap_err();
    assert!(
        matches!(err, GmmError::InvalidParameter { name: "data", .. }),
        "{err}"
    );
    assert!(err.to_string().contains("fit EM or VB"), "{err}");
}
