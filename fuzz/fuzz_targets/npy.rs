//! Fuzz target: the NumPy `.npy` reader on arbitrary bytes, read in memory and streamed.
//!
//! The bytes are written to a scratch file (the reader takes a path) and read twice: whole
//! (`read_dataset`, within 64 MiB) and as a stream of batches (`NpyFile`, a batch size
//! chosen by the input). Whatever the bytes, each read returns data or a typed error, never
//! a panic; an opened file has N, D > 0 and a data length of N x D values; a stream hands
//! out N points in order in batches of the size asked for; both reads agree (the same
//! values bit for bit, and one fails only if the other does or a value is not finite).
//! Run from `fuzz/`: `RUSTC_BOOTSTRAP=1 cargo fuzz run npy` (docs/testing.md).
#![no_main]

mod common;

use common::{MAX_MEMORY, check_dataset, read_pass, same_bits, scratch_file};
use gmm_core::DataSource;
use gmm_io::{NpyFile, SourceOptions, read_dataset};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let path = scratch_file("input.npy");
    std::fs::write(&path, bytes).expect("the scratch file is written");
    let options = SourceOptions {
        max_memory: Some(MAX_MEMORY),
        ..SourceOptions::default()
    };
    let whole = read_dataset(&path, &options);
    if let Ok(data) = &whole {
        check_dataset(data);
        assert!(data.weights().is_none());
    }
    let mut npy = match NpyFile::open(&path) {
        Ok(npy) => npy,
        Err(_) => {
            assert!(whole.is_err(), "read whole but not opened");
            return;
        }
    };
    let (n, d) = (npy.n_rows(), npy.n_features());
    assert!(n > 0 && d > 0);
    let header_len = bytes.len() - n * d * npy.dtype().size();
    assert!(header_len >= 10, "a header of {header_len} bytes");
    // 1 to 8 rows a batch, from the last byte (the data's, or the header's newline)
    let batch_rows = 1 + usize::from(bytes[bytes.len() - 1] % 8);
    let (values, weights, rows) =
        read_pass(&mut npy, batch_rows).expect("an opened .npy file streams");
    assert_eq!(rows, n);
    assert_eq!(values.len(), n * d);
    assert!(weights.is_empty());
    match &whole {
        Ok(data) => {
            assert_eq!((data.n_samples(), data.n_features()), (n, d));
            assert!(same_bits(data.as_slice(), &values), "the two reads differ");
        }
        Err(e) => assert!(
            values.iter().any(|v| !v.is_finite()) || (n * d * 8) as u64 > MAX_MEMORY,
            "finite values within the memory, streamed but not read whole: {e}"
        ),
    }
    // a second pass reads the same values
    let (again, _, _) = read_pass(&mut npy, batch_rows + 3).expect("a second pass");
    assert!(same_bits(&again, &values));
});
