//! Fuzz target: reading a JSON model file from arbitrary text.
//!
//! Reading returns a validated mixture or a typed error; a mixture read back writes the same
//! text it reads from. Run: `cargo +nightly fuzz run model_file` from `fuzz/`.
#![no_main]

use gmm_core::{GaussianMixture, MixtureModel};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    if let Ok(gm) = GaussianMixture::from_json(text) {
        let written = gm.to_json();
        let back = GaussianMixture::from_json(&written).expect("a written model reads back");
        assert_eq!(back, gm);
        assert_eq!(back.to_json(), written);
        assert!((gm.weights().sum() - 1.0).abs() <= 1e-8);
        assert!(gm.n_components() > 0 && gm.n_features() > 0);
    }
});
