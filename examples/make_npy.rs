//! Writes a large NumPy .npy file (64-bit floats, C order) of N points drawn from a
//! well-separated synthetic mixture of K components in D dimensions
//! (`gmm::core::synthetic::separated`), block by block: memory stays at one block of 65,536
//! points whatever N, so the data of the streaming benchmarks (1e7 x 8 is 640 MB, 1e8 x 8 is
//! 6.4 GB) can be made on any machine, without NumPy.
//!
//!     cargo run --release --example make_npy -- N D K OUT.npy [SEED]
//!     cargo run --release --example make_npy
//!
//! Without arguments it writes a small default file, 100,000 x 8 points of 8 components
//! (6.4 MB) with seed 0, to `gmm-make-npy-100000x8.npy` in the system's temporary directory
//! (`std::env::temp_dir()`), and prints where. Then, for example,
//! `gmm fit OUT.npy --method em -k K --stream -o model.json`. The same seed (0 by default)
//! gives the same file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use gmm::core::rand::{SeedableRng, rngs::StdRng};
use gmm::core::{GmmError, synthetic};
use gmm::io::{NpyDtype, NpyWriter};

/// Points drawn and written at a time.
const BLOCK: usize = 1 << 16;

/// N, D and K of the file written without arguments.
const DEFAULT_SHAPE: (usize, usize, usize) = (100_000, 8, 8);

/// The usage line.
const USAGE: &str = "usage: make_npy [N D K OUT.npy [SEED]] (no arguments: a 100000 x 8 \
                     file of 8 components in the temporary directory)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = arguments(&args).and_then(|(n, d, k, out, seed)| {
        if args.is_empty() {
            eprintln!(
                "no arguments: writing the default file, {n} x {d} points of {k} components \
                 with seed {seed} (arguments N D K OUT.npy [SEED] choose another)"
            );
        }
        write(n, d, k, &out, seed).map_err(|e| e.to_string())?;
        if args.is_empty() {
            eprintln!(
                "then, for example: gmm fit {} --method em -k {k} --stream -o model.json",
                out.display()
            );
        }
        Ok(())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

type Args = (usize, usize, usize, PathBuf, u64);

/// The file to write from the command-line arguments: none for [`default_args`], else
/// `N D K OUT.npy [SEED]`.
fn arguments(args: &[String]) -> Result<Args, String> {
    match args {
        [] => Ok(default_args()),
        [n, d, k, out] => parse(n, d, k, out, "0"),
        [n, d, k, out, seed] => parse(n, d, k, out, seed),
        _ => Err(USAGE.to_string()),
    }
}

/// The file written without arguments: [`DEFAULT_SHAPE`], seed 0, to
/// `gmm-make-npy-100000x8.npy` in the system's temporary directory.
fn default_args() -> Args {
    let (n, d, k) = DEFAULT_SHAPE;
    let out = std::env::temp_dir().join(format!("gmm-make-npy-{n}x{d}.npy"));
    (n, d, k, out, 0)
}

fn parse(n: &str, d: &str, k: &str, out: &str, seed: &str) -> Result<Args, String> {
    let number = |what: &str, text: &str| -> Result<usize, String> {
        // accept 1e7 as well as 10000000
        let v: f64 = text
            .parse()
            .map_err(|_| format!("{what} = {text:?} is not a number"))?;
        if v >= 1.0 && v.fract() == 0.0 && v < 1e15 {
            Ok(v as usize)
        } else {
            Err(format!("{what} = {text}: give a whole number >= 1"))
        }
    };
    let seed = seed
        .parse()
        .map_err(|_| format!("SEED = {seed:?} is not a non-negative integer"))?;
    Ok((
        number("N", n)?,
        number("D", d)?,
        number("K", k)?,
        PathBuf::from(out),
        seed,
    ))
}

fn write(n: usize, d: usize, k: usize, out: &Path, seed: u64) -> Result<(), GmmError> {
    let truth = synthetic::separated(k, d);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut npy = NpyWriter::create(out, n as u64, d, NpyDtype::F64)?;
    let mut left = n;
    while left > 0 {
        let (block, _) = truth.sample(left.min(BLOCK), &mut rng)?;
        npy.write_rows(block.as_slice())?;
        left -= block.n_samples();
    }
    npy.finish()?;
    eprintln!(
        "wrote {} ({n} x {d}, {} bytes of data)",
        out.display(),
        n * d * 8
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use gmm::core::{DataSource, Passes};
    use gmm::io::NpyFile;

    #[test]
    fn no_arguments_write_the_default_file_in_the_temporary_directory() {
        let (n, d, k, out, seed) = arguments(&[]).expect("defaults");
        assert_eq!((n, d, k, seed), (100_000, 8, 8, 0));
        assert_eq!(out.parent(), Some(std::env::temp_dir().as_path()));
        // the default shape written as `main` writes it, to a file of this test's own
        let dir = std::env::temp_dir().join(format!("gmm-make-npy-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(out.file_name().unwrap());
        write(n, d, k, &path, seed).unwrap();
        let mut npy = NpyFile::open(&path).unwrap();
        assert_eq!((npy.n_rows(), npy.n_features()), (n, d));
        let summary = Passes::new(&mut npy).summary().unwrap();
        assert!(summary.column_high.iter().all(|v| v.is_finite()));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_documented_forms_still_parse_and_others_are_refused() {
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (n, d, k, out, seed) = arguments(&strings(&["1e7", "8", "4", "big.npy"])).unwrap();
        assert_eq!(
            (n, d, k, out, seed),
            (10_000_000, 8, 4, "big.npy".into(), 0)
        );
        let with_seed = arguments(&strings(&["10", "2", "3", "a.npy", "7"])).unwrap();
        assert_eq!(with_seed.4, 7);
        for bad in [&["10"][..], &["10", "2", "3"], &["0", "2", "3", "a.npy"]] {
            assert!(arguments(&strings(bad)).is_err(), "{bad:?}");
        }
    }
}
