//! A fit read as a stream of batches equals the in-memory fit of the same points bit for
//! bit, from the same initial means or model, whatever size the source reads in; the
//! stream is validated as it is read.

use gmm::core::{
    Batch, CovarianceType, DataSource, Dataset, FittedModel, GaussianMixture, GmmError, InitMethod,
    MissingPolicy, Result, SliceSource, synthetic,
};
use gmm::em::EmParams;
use nalgebra::DMatrix;
use proptest::prelude::*;

/// A source that reads `read_rows` points at a time into a reused buffer and hands out
/// batches of the size asked for, as a file reader does.
struct Chunked<'a> {
    values: &'a [f64],
    weights: Option<&'a [f64]>,
    d: usize,
    read_rows: usize,
}

impl DataSource for Chunked<'_> {
    fn n_features(&self) -> usize {
        self.d
    }

    fn has_weights(&self) -> bool {
        self.weights.is_some()
    }

    fn for_each_batch(
        &mut self,
        batch_rows: usize,
        visit: &mut dyn FnMut(Batch<'_>) -> Result<()>,
    ) -> Result<()> {
        let (d, n) = (self.d, self.values.len() / self.d);
        let (mut points, mut weights) = (Vec::new(), Vec::new());
        let mut first_row = 0;
        let mut next = 0;
        while next < n || !weights.is_empty() || !points.is_empty() {
            // read a piece
            let end = (next + self.read_rows).min(n);
            points.extend_from_slice(&self.values[next * d..end * d]);
            weights.extend((next..end).map(|i| self.weights.map_or(1.0, |w| w[i])));
            next = end;
            // hand out whole batches, and the rest at the end
            while points.len() >= batch_rows * d || (next == n && !points.is_empty()) {
                let rows = (points.len() / d).min(batch_rows);
                visit(Batch {
                    first_row,
                    points: (&points[..rows * d]).into(),
                    weights: self.weights.map(|_| &weights[..rows]),
                })?;
                first_row += rows;
                points.drain(..rows * d);
                weights.drain(..rows);
            }
        }
        Ok(())
    }
}

fn sample(n: usize) -> Dataset {
    synthetic::draw(&synthetic::two_d_three_clusters(), n, 5)
        .unwrap()
        .data
}

fn start() -> InitMethod {
    InitMethod::FromMeans(DMatrix::from_row_slice(
        3,
        2,
        &[-3.0, 0.5, 0.5, 2.5, 3.0, -2.0],
    ))
}

fn em(kind: CovarianceType) -> EmParams {
    EmParams::new(3)
        .covariance_type(kind)
        .init(start())
        .tol(0.0)
        .max_iter(8)
}

fn same_bits(a: &GaussianMixture, b: &GaussianMixture) -> bool {
    a.weights() == b.weights() && a.means() == b.means() && a.covariances() == b.covariances()
}

#[test]
fn streamed_em_equals_in_memory_em_bit_for_bit() {
    // more points than one E-step batch, so that several batches are merged
    let data = sample(70_000);
    let weights: Vec<f64> = (0..data.n_samples()).map(|i| (i % 3) as f64).collect();
    for kind in [
        CovarianceType::Full,
        CovarianceType::Tied,
        CovarianceType::Diagonal,
        CovarianceType::Spherical,
    ] {
        let memory = em(kind).fit(&data).unwrap();
        let mut slice = SliceSource::new(data.as_slice(), 2).unwrap();
        let streamed = em(kind).fit_source(&mut slice).unwrap();
        assert!(same_bits(memory.mixture(), streamed.mixture()), "{kind:?}");
        assert_eq!(memory.lower_bounds(), streamed.lower_bounds());

        let weighted = data.clone().with_weights(weights.clone()).unwrap();
        let memory = em(kind).fit(&weighted).unwrap();
        let mut chunked = Chunked {
            values: data.as_slice(),
            weights: Some(&weights),
            d: 2,
            read_rows: 1000,
        };
        let streamed = em(kind).fit_source(&mut chunked).unwrap();
        assert!(
            same_bits(memory.mixture(), streamed.mixture()),
            "weighted {kind:?}"
        );
        assert_eq!(memory.lower_bounds(), streamed.lower_bounds());
    }
}

#[test]
fn kmeans_on_a_stream_that_fits_the_sample_is_the_in_memory_kmeans() {
    let data = sample(3000);
    let params = EmParams::new(3).seed(4).max_iter(20);
    let memory = params.fit(&data).unwrap();
    let mut chunked = Chunked {
        values: data.as_slice(),
        weights: None,
        d: 2,
        read_rows: 77,
    };
    let streamed = params.fit_source(&mut chunked).unwrap();
    assert!(same_bits(memory.mixture(), streamed.mixture()));
    // from a sample smaller than the data, the fit still finds the same clusters
    let sampled = params
        .clone()
        .init_sample(500)
        .fit_source(&mut chunked)
        .unwrap();
    let gap = (sampled.lower_bound() - memory.lower_bound()).abs();
    assert!(gap < 1e-3 * memory.lower_bound().abs(), "gap {gap}");
}

#[test]
fn a_bad_value_in_a_stream_is_named_by_its_row() {
    let mut values = sample(500).as_slice().to_vec();
    values[2 * 321 + 1] = f64::NAN;
    let mut source = SliceSource::new(&values, 2).unwrap();
    let err = em(CovarianceType::Full)
        .fit_source(&mut source)
        .unwrap_err();
    assert!(
        matches!(
            err,
            GmmError::NonFinite {
                row: 321,
                column: 1,
                ..
            }
        ),
        "{err:?}"
    );
    let reseeding = em(CovarianceType::Full).reseed_collapsed(true);
    let mut source = SliceSource::new(&values[..600], 2).unwrap();
    assert!(matches!(
        reseeding.fit_source(&mut source),
        Err(GmmError::InvalidParameter {
            name: "reseed_collapsed",
            ..
        })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Any read size gives the in-memory fit.
    #[test]
    fn any_read_size_gives_the_in_memory_fit(read_rows in 1usize..5000, n in 200usize..9000) {
        let data = sample(n);
        let memory = em(CovarianceType::Full).max_iter(3).fit(&data).unwrap();
        let mut chunked = Chunked { values: data.as_slice(), weights: None, d: 2, read_rows };
        let streamed = em(CovarianceType::Full).max_iter(3).fit_source(&mut chunked).unwrap();
        prop_assert!(same_bits(memory.mixture(), streamed.mixture()));
    }
}

#[test]
fn queries_over_a_stream_equal_the_queries_in_memory() {
    use gmm::core::MixtureModel;
    let data = sample(70_001);
    let weights: Vec<f64> = (0..data.n_samples()).map(|i| (i % 5) as f64).collect();
    let truth = synthetic::two_d_three_clusters();
    let mut source = SliceSource::new(data.as_slice(), 2).unwrap();
    let mut scores = Vec::new();
    truth
        .score_samples_source(&mut source, &mut |first, s| {
            assert_eq!(first, scores.len());
            scores.extend_from_slice(s);
            Ok(())
        })
        .unwrap();
    assert_eq!(scores, truth.score_samples(&data).unwrap());
    let mut labels = Vec::new();
    truth
        .predict_source(&mut source, &mut |_, l| {
            labels.extend_from_slice(l);
            Ok(())
        })
        .unwrap();
    assert_eq!(labels, truth.predict(&data).unwrap());
    let weighted = data.clone().with_weights(weights.clone()).unwrap();
    let mut source = SliceSource::new(data.as_slice(), 2)
        .unwrap()
        .with_weights(&weights)
        .unwrap();
    let streamed = truth.score_source(&mut source).unwrap();
    let memory = truth.score(&weighted).unwrap();
    assert!((streamed - memory).abs() < 1e-12 * memory.abs());
    // summed point by point in order, as `score` does: the same bits
    assert_eq!(streamed, memory);
    let mut plain = SliceSource::new(data.as_slice(), 2).unwrap();
    assert_eq!(
        truth.score_source(&mut plain).unwrap(),
        truth.score(&data).unwrap()
    );
}

#[test]
fn streamed_vb_equals_in_memory_vb_bit_for_bit() {
    use gmm::vb::VbParams;
    let data = sample(70_000);
    let weights: Vec<f64> = (0..data.n_samples()).map(|i| (i % 3) as f64).collect();
    let weighted = data.clone().with_weights(weights.clone()).unwrap();
    for kind in [
        CovarianceType::Full,
        CovarianceType::Tied,
        CovarianceType::Diagonal,
        CovarianceType::Spherical,
    ] {
        let vb = VbParams::new(3)
            .covariance_type(kind)
            .init(start())
            .tol(0.0)
            .max_iter(6);
        let memory = vb.fit(&weighted).unwrap();
        let mut chunked = Chunked {
            values: data.as_slice(),
            weights: Some(&weights),
            d: 2,
            read_rows: 999,
        };
        let streamed = vb.fit_source(&mut chunked).unwrap();
        assert_eq!(memory.priors(), streamed.priors(), "{kind:?}");
        assert_eq!(memory.posterior(), streamed.posterior(), "{kind:?}");
        assert_eq!(memory.lower_bounds(), streamed.lower_bounds(), "{kind:?}");
        assert_eq!(memory.elbo_per_point(), streamed.elbo_per_point());
    }
}

/// A source read with NaN as missing values (`MissingPolicy::Marginalise`).
struct Marginalising<S>(S);

impl<S: DataSource> DataSource for Marginalising<S> {
    fn n_features(&self) -> usize {
        self.0.n_features()
    }

    fn has_weights(&self) -> bool {
        self.0.has_weights()
    }

    fn for_each_batch(
        &mut self,
        batch_rows: usize,
        visit: &mut dyn FnMut(Batch<'_>) -> Result<()>,
    ) -> Result<()> {
        self.0.for_each_batch(batch_rows, visit)
    }

    fn missing_policy(&self) -> MissingPolicy {
        MissingPolicy::Marginalise
    }
}

/// The values of `data` with about 23 % of the rows missing one coordinate (never both),
/// at places that depend on the row alone.
fn with_holes(data: &Dataset) -> Vec<f64> {
    let mut values = data.as_slice().to_vec();
    for (i, row) in values.chunks_exact_mut(2).enumerate() {
        if (i * 7919) % 10 == 0 {
            row[0] = f64::NAN;
        } else if (i * 104_729 + 3) % 7 == 0 {
            row[1] = f64::NAN;
        }
    }
    values
}

fn holed(values: &[f64], weights: Option<&[f64]>) -> Dataset {
    let data =
        Dataset::from_row_major_with_policy(values.len() / 2, 2, values.to_vec(), MARGINALISE)
            .unwrap();
    match weights {
        Some(w) => data.with_weights(w.to_vec()).unwrap(),
        None => data,
    }
}

const MARGINALISE: MissingPolicy = MissingPolicy::Marginalise;

#[test]
fn streamed_em_with_missing_values_equals_in_memory_em_bit_for_bit() {
    // more points than one E-step batch: batches with complete and incomplete rows merged
    let values = with_holes(&sample(70_000));
    let weights: Vec<f64> = (0..values.len() / 2).map(|i| (i % 3) as f64).collect();
    for kind in [CovarianceType::Full, CovarianceType::Diagonal] {
        let params = em(kind).max_iter(5);
        let memory = params.fit(&holed(&values, None)).unwrap();
        let mut slice = SliceSource::new(&values, 2)
            .unwrap()
            .with_missing(MARGINALISE);
        let streamed = params.fit_source(&mut slice).unwrap();
        assert!(same_bits(memory.mixture(), streamed.mixture()), "{kind:?}");
        assert_eq!(memory.lower_bounds(), streamed.lower_bounds());

        let memory = params.fit(&holed(&values, Some(&weights))).unwrap();
        let mut chunked = Marginalising(Chunked {
            values: &values,
            weights: Some(&weights),
            d: 2,
            read_rows: 1000,
        });
        let streamed = params.fit_source(&mut chunked).unwrap();
        assert!(
            same_bits(memory.mixture(), streamed.mixture()),
            "weighted {kind:?}"
        );
        assert_eq!(memory.lower_bounds(), streamed.lower_bounds());
    }
}

#[test]
fn streamed_starts_with_missing_values_are_the_in_memory_starts() {
    // k-means on the complete rows (at least K of them), and on every row mean-imputed
    // (fewer than K complete rows), as in memory, for EM, MAP-EM and VB (whose default
    // priors come from the mean-imputed rows)
    let many_complete = with_holes(&sample(3000));
    let mut few_complete = many_complete.clone();
    for (i, row) in few_complete.chunks_exact_mut(2).enumerate().skip(2) {
        if !row.iter().any(|v| v.is_nan()) {
            row[i % 2] = f64::NAN;
        }
    }
    for values in [&many_complete, &few_complete] {
        for kind in [
            CovarianceType::Full,
            CovarianceType::Tied,
            CovarianceType::Diagonal,
            CovarianceType::Spherical,
        ] {
            let em = EmParams::new(3).covariance_type(kind).seed(4).max_iter(10);
            let memory = em.fit(&holed(values, None)).unwrap();
            let mut chunked = Marginalising(Chunked {
                values,
                weights: None,
                d: 2,
                read_rows: 77,
            });
            let streamed = em.fit_source(&mut chunked).unwrap();
            assert!(same_bits(memory.mixture(), streamed.mixture()), "{kind:?}");
            assert_eq!(memory.lower_bounds(), streamed.lower_bounds());

            let vb = gmm::vb::VbParams::new(3)
                .covariance_type(kind)
                .seed(4)
                .max_iter(10);
            let memory = vb.fit(&holed(values, None)).unwrap();
            let streamed = vb.fit_source(&mut chunked).unwrap();
            assert_eq!(memory.priors(), streamed.priors(), "{kind:?}");
            assert_eq!(memory.posterior(), streamed.posterior(), "{kind:?}");
            assert_eq!(memory.lower_bounds(), streamed.lower_bounds(), "{kind:?}");
        }
    }
}

#[test]
fn streamed_vb_with_missing_values_equals_in_memory_vb_bit_for_bit() {
    use gmm::vb::VbParams;
    let values = with_holes(&sample(70_000));
    let weights: Vec<f64> = (0..values.len() / 2).map(|i| (i % 3) as f64).collect();
    let weighted = holed(&values, Some(&weights));
    for kind in [CovarianceType::Full, CovarianceType::Diagonal] {
        let vb = VbParams::new(3)
            .covariance_type(kind)
            .init(start())
            .tol(0.0)
            .max_iter(5);
        let memory = vb.fit(&weighted).unwrap();
        let mut chunked = Marginalising(Chunked {
            values: &values,
            weights: Some(&weights),
            d: 2,
            read_rows: 999,
        });
        let streamed = vb.fit_source(&mut chunked).unwrap();
        assert_eq!(memory.priors(), streamed.priors(), "{kind:?}");
        assert_eq!(memory.posterior(), streamed.posterior(), "{kind:?}");
        assert_eq!(memory.lower_bounds(), streamed.lower_bounds(), "{kind:?}");
        assert_eq!(memory.elbo_per_point(), streamed.elbo_per_point());
    }
}

#[test]
fn a_stream_without_missing_values_fits_the_same_with_the_policy_on() {
    let data = sample(70_000);
    for kind in [CovarianceType::Full, CovarianceType::Diagonal] {
        let params = em(kind).max_iter(4);
        let mut plain = SliceSource::new(data.as_slice(), 2).unwrap();
        let mut marginalising = plain.with_missing(MARGINALISE);
        let a = params.fit_source(&mut plain).unwrap();
        let b = params.fit_source(&mut marginalising).unwrap();
        assert!(same_bits(a.mixture(), b.mixture()), "{kind:?}");
        assert_eq!(a.lower_bounds(), b.lower_bounds());
    }
}

#[test]
fn a_stream_with_missing_values_refuses_what_data_in_memory_refuse() {
    let nan = f64::NAN;
    let params = EmParams::new(1).max_iter(2);
    let fit = |values: &[f64], policy| {
        let mut source = SliceSource::new(values, 2).unwrap().with_missing(policy);
        params.fit_source(&mut source).map(|_| ())
    };
    // without the policy a NaN is refused, the message naming the policy
    let err = fit(&[1.0, 2.0, nan, 4.0], MissingPolicy::Refuse).unwrap_err();
    assert!(
        matches!(
            err,
            GmmError::NonFinite {
                row: 1,
                column: 0,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("Marginalise"), "{err}");
    // with it: a row without an observed value (named from 1), an infinite value, a
    // column never observed
    let err = fit(&[1.0, 2.0, 3.0, nan, nan, nan], MARGINALISE).unwrap_err();
    assert_eq!(err, GmmError::AllMissingRow { row: 2 });
    assert!(err.to_string().starts_with("row 3 "), "{err}");
    let err = fit(&[1.0, nan, f64::INFINITY, 4.0], MARGINALISE).unwrap_err();
    assert!(
        matches!(
            err,
            GmmError::NonFinite {
                row: 1,
                column: 0,
                ..
            }
        ),
        "{err}"
    );
    let err = fit(&[1.0, nan, 3.0, nan], MARGINALISE).unwrap_err();
    assert_eq!(err, GmmError::AllMissingColumn { column: 1 });
}
