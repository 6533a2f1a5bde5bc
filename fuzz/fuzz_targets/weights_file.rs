//! Fuzz target: the weights file reader (`--weights FILE`: one weight per line, a first
//! line that is not a number being a header) on arbitrary bytes.
//!
//! The first byte gives the number of points (1 to 16) and the batch size; the rest is
//! written to a scratch file and read with the points of a slice, whole (`read_all_within`,
//! within 64 MiB) and as a stream of batches (`WithWeightsFile`). Whatever the bytes, each
//! read returns data or a typed error, never a panic; a stream hands out one weight a
//! point; a whole read has N points and N finite, non-negative weights and agrees with the
//! stream bit for bit (its weights rescaled as `rescaled_weights` does); the weights read, written back one per line as the shortest text,
//! read back to the same weights.
//! Run from `fuzz/`: `RUSTC_BOOTSTRAP=1 cargo fuzz run weights_file` (docs/testing.md).
#![no_main]

mod common;

use common::{MAX_MEMORY, check_dataset, read_pass, same_bits, scratch_file};
use gmm_core::{DataSource, SliceSource, rescaled_weights};
use gmm_io::{WithWeightsFile, read_all_within, shortest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&choice, bytes)) = input.split_first() else {
        return;
    };
    let n = 1 + usize::from(choice % 16);
    let batch_rows = 1 + usize::from(choice >> 4);
    let points: Vec<f64> = (0..2 * n).map(|i| i as f64).collect();
    let path = scratch_file("weights.txt");
    std::fs::write(&path, bytes).expect("the scratch file is written");

    let whole = WithWeightsFile::new(SliceSource::new(&points, 2).expect("points"), &path)
        .and_then(|mut source| read_all_within(&mut source, Some(MAX_MEMORY)));
    let mut source = WithWeightsFile::new(SliceSource::new(&points, 2).expect("points"), &path)
        .expect("a regular file opens");
    assert!(source.has_weights());
    assert_eq!(source.n_features(), 2);
    let streamed = read_pass(&mut source, batch_rows);
    let weights = match (&whole, &streamed) {
        (Ok(data), Ok((values, weights, rows))) => {
            check_dataset(data);
            assert_eq!((data.n_samples(), *rows), (n, n));
            assert!(same_bits(data.as_slice(), values));
            assert!(same_bits(data.as_slice(), &points));
            let read = data.weights().expect("weights were read");
            // a whole read rescales weights near the ends of f64 (`rescaled_weights`)
            assert!(
                same_bits(read, &rescaled_weights(weights.clone())),
                "the two reads differ"
            );
            weights.clone()
        }
        (Ok(_), Err(e)) => panic!("read whole but not streamed: {e}"),
        (Err(e), Ok((_, weights, rows))) => {
            assert_eq!(*rows, n);
            let sum: f64 = weights.iter().sum();
            assert!(
                weights.iter().any(|w| !w.is_finite() || *w < 0.0)
                    || !(sum > 0.0 && sum.is_finite()),
                "valid weights streamed but not read whole: {e}"
            );
            return;
        }
        (Err(_), Err(_)) => return,
    };
    // the weights written back as text read back to the same numbers
    let text: String = weights
        .iter()
        .map(|w| format!("{}\n", shortest(*w)))
        .collect();
    std::fs::write(&path, text.as_bytes()).expect("the scratch file is written");
    let mut again = WithWeightsFile::new(SliceSource::new(&points, 2).expect("points"), &path)
        .expect("a regular file opens");
    let back = read_all_within(&mut again, Some(MAX_MEMORY)).expect("written weights read back");
    assert!(
        same_bits(back.weights().expect("weights"), &rescaled_weights(weights)),
        "{text}"
    );
});
