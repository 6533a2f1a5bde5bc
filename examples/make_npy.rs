//! Writes a large NumPy .npy file (64-bit floats, C order) of N points drawn from a
//! well-separated synthetic mixture of K components in D dimensions
//! (`gmm::core::synthetic::separated`), block by block: memory stays at one block of 65,536
//! points whatever N, so the data of the streaming benchmarks (1e7 x 8 is 640 MB, 1e8 x 8 is
//! 6.4 GB) can be made on any machine, without NumPy.
//!
//!     cargo run --release --example make_npy -- N D K OUT.npy [SEED]
//!
//! Then, for example, `gmm fit OUT.npy --method em -k K --stream -o model.json`. The same
//! seed (0 by default) gives the same file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use gmm::core::rand::{SeedableRng, rngs::StdRng};
use gmm::core::{GmmError, synthetic};
use gmm::io::{NpyDtype, NpyWriter};

/// Points drawn and written at a time.
const BLOCK: usize = 1 << 16;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = match args.as_slice() {
        [n, d, k, out] => parse(n, d, k, out, "0"),
        [n, d, k, out, seed] => parse(n, d, k, out, seed),
        _ => Err("usage: make_npy N D K OUT.npy [SEED]".to_string()),
    };
    let result = parsed
        .and_then(|(n, d, k, out, seed)| write(n, d, k, &out, seed).map_err(|e| e.to_string()));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

type Args = (usize, usize, usize, PathBuf, u64);

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
