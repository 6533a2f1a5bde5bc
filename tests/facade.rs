//! The facade gives a user everything its signatures need (issue 16): nalgebra and rand at the
//! versions the workspace uses, and sampling from a plain seed.

use gmm::core::{Covariances, GaussianMixture};
use gmm::nalgebra::{DMatrix, DVector};
use gmm::rand::{SeedableRng, rngs::StdRng};

fn mixture() -> GaussianMixture {
    GaussianMixture::new(
        DVector::from_vec(vec![0.3, 0.7]),
        DMatrix::from_row_slice(2, 2, &[0.0, 0.0, 4.0, 4.0]),
        Covariances::Spherical(vec![1.0, 0.5]),
    )
    .unwrap()
}

#[test]
fn sampling_from_a_seed_is_sampling_from_the_reexported_rng() {
    let gm = mixture();
    let (seeded, seeded_labels) = gm.sample_seeded(50, 7).unwrap();
    let (drawn, drawn_labels) = gm.sample(50, &mut StdRng::seed_from_u64(7)).unwrap();
    assert_eq!(seeded, drawn);
    assert_eq!(seeded_labels, drawn_labels);
    let (other, _) = gm.sample_seeded(50, 8).unwrap();
    assert_ne!(other, seeded);
}
