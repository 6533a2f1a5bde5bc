//! `gmm sample`: points drawn from a model file's point estimate, as CSV or to a .npy file
//! block by block.

use rand::{SeedableRng, rngs::StdRng};

use gmm_core::{GaussianMixture, MixtureModel, check_memory};
use gmm_io::{NpyDtype, NpyWriter, csv_lines, rows_to_csv};

use super::printed_bytes;
use crate::args::SampleArgs;
use crate::errors::CliResult;
use crate::model_io::read_point_estimate;
use crate::output::Sink;

/// Points drawn at a time by `gmm sample -o FILE.npy`.
const SAMPLE_BLOCK: usize = 1 << 16;

/// `gmm sample`: always from the point estimate; to a .npy file block by block.
pub fn sample(a: &SampleArgs) -> CliResult {
    let (gm, names) = read_point_estimate(&a.model)?;
    let mut rng = StdRng::seed_from_u64(a.seed);
    let is_npy = a
        .output
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"));
    if is_npy {
        sample_to_npy(a, &gm, &mut rng)
    } else {
        sample_to_csv(a, &gm, names, &mut rng)
    }
}

/// The sample as CSV to `-o` or stdout, [`SAMPLE_BLOCK`] points at a time: the memory
/// held is one block and its text, whatever N (the numbers are those of one draw of N
/// points). Its header is the model's feature names when its file recorded them (so
/// `gmm score` reads the sample by name) and each is a plain cell, else `x1,x2,...`.
fn sample_to_csv(
    a: &SampleArgs,
    gm: &GaussianMixture,
    names: Option<Vec<String>>,
    rng: &mut StdRng,
) -> CliResult {
    if a.n == 0 {
        // the draw's own check, with its message
        gm.sample(0, rng)?;
    }
    check_memory(
        printed_bytes(a.n.min(SAMPLE_BLOCK), gm.n_features()),
        a.max_memory,
        "a block of the printed sample, 65,536 x D numbers",
    )?;
    let header: Vec<String> = names
        .filter(|n| n.iter().all(|name| plain_header_cell(name)))
        .unwrap_or_else(|| (1..=gm.n_features()).map(|j| format!("x{j}")).collect());
    let mut sink = Sink::to(&a.output)?;
    sink.write(&rows_to_csv(&header, std::iter::empty()))?;
    let mut left = a.n;
    while left > 0 {
        let (block, _) = gm.sample_within(left.min(SAMPLE_BLOCK), rng, a.max_memory)?;
        sink.write(&csv_lines(block.rows()))?;
        left -= block.n_samples();
    }
    Ok(sink.finish()?)
}

/// Whether `name` reads back as the same header cell without quoting: not a number (a
/// header has none), no separator, quote or line break, no surrounding blanks.
fn plain_header_cell(name: &str) -> bool {
    name.parse::<f64>().is_err() && name.trim() == name && !name.contains([',', '"', '\n', '\r'])
}

/// The sample to the .npy file `-o`, [`SAMPLE_BLOCK`] points at a time.
fn sample_to_npy(a: &SampleArgs, gm: &GaussianMixture, rng: &mut StdRng) -> CliResult {
    if a.n == 0 {
        // the draw's own check, with its message
        gm.sample(0, rng)?;
    }
    // every point draws from the generator in turn, so blocks give the numbers of one draw
    let mut npy = NpyWriter::create(&a.output, a.n as u64, gm.n_features(), NpyDtype::F64)?;
    let mut left = a.n;
    while left > 0 {
        let (block, _) = gm.sample_within(left.min(SAMPLE_BLOCK), rng, a.max_memory)?;
        npy.write_rows(block.as_slice())?;
        left -= block.n_samples();
    }
    Ok(npy.finish()?)
}
