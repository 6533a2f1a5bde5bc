//! Hostile sizes through the readers (issue 22, items 3 and 4): data too large for the memory
//! limit are refused before they are read, and whole-file reads of side files are bounded.
//! See docs/testing.md ("Hostile limits").

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use gmm_core::GmmError;
use gmm_io::SourceOptions;
use gmm_test_support::scratch_dir;

/// A .npy file of f8 values whose header claims `n_rows` x `n_columns` and whose length
/// matches, made sparse with `set_len` (no disk use, all zeros).
fn sparse_npy(dir: &Path, name: &str, n_rows: u64, n_columns: u64) -> PathBuf {
    let mut dict =
        format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({n_rows}, {n_columns}), }}");
    while !(10 + dict.len() + 1).is_multiple_of(64) {
        dict.push(' ');
    }
    dict.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    bytes.extend_from_slice(dict.as_bytes());
    let path = dir.join(name);
    std::fs::write(&path, &bytes).unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(bytes.len() as u64 + n_rows * n_columns * 8)
        .unwrap();
    path
}

fn limited(bytes: u64) -> SourceOptions {
    SourceOptions {
        max_memory: Some(bytes),
        ..SourceOptions::default()
    }
}

#[cfg(feature = "npy")]
#[test]
fn a_sparse_64_gb_npy_is_refused_from_its_header_before_it_is_read() {
    let dir = scratch_dir("limits-sparse-npy");
    let path = sparse_npy(&dir, "huge.npy", 1_000_000_000, 8);
    let start = Instant::now();
    match gmm_io::read_dataset(&path, &limited(100_000_000)) {
        Err(e @ GmmError::MemoryLimit { .. }) => {
            let text = e.to_string();
            assert!(text.contains("huge.npy"), "{text}");
            assert!(text.contains("--stream"), "{text}");
            assert!(
                text.contains("64.0 GB") && text.contains("100.0 MB"),
                "{text}"
            );
            assert!(text.contains("--max-memory"), "{text}");
        }
        other => panic!("expected MemoryLimit, got {:?}", other.map(|_| ())),
    }
    // refused at once: nothing of the 64 GB was read
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    // the same file streamed opens (it is the whole-file read that is refused)
    assert!(gmm_io::open_source(&path, &limited(100_000_000)).is_ok());
    std::fs::remove_dir_all(&dir).ok();
}

#[cfg(feature = "npy")]
#[test]
fn an_npy_within_the_limit_is_read() {
    let dir = scratch_dir("limits-small-npy");
    let path = sparse_npy(&dir, "small.npy", 1_000, 2);
    let data = gmm_io::read_dataset(&path, &limited(16_000)).unwrap();
    assert_eq!(data.n_samples(), 1_000);
    assert!(matches!(
        gmm_io::read_dataset(&path, &limited(15_999)),
        Err(GmmError::MemoryLimit { .. })
    ));
    std::fs::remove_dir_all(&dir).ok();
}

#[cfg(feature = "csv")]
#[test]
fn a_csv_file_is_refused_once_its_values_exceed_the_limit() {
    let dir = scratch_dir("limits-csv");
    let path = dir.join("many.csv");
    let text: String = (0..200_000).map(|i| format!("{i},{}\n", i % 7)).collect();
    std::fs::write(&path, text).unwrap();
    match gmm_io::read_dataset(&path, &limited(1_000_000)) {
        Err(e @ GmmError::MemoryLimit { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains("many.csv") && text.contains("--stream"),
                "{text}"
            );
        }
        other => panic!("expected MemoryLimit, got {:?}", other.map(|_| ())),
    }
    let data = gmm_io::read_dataset(&path, &limited(3_300_000)).unwrap();
    assert_eq!(data.n_samples(), 200_000);
    std::fs::remove_dir_all(&dir).ok();
}
