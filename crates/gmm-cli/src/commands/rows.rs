//! What `predict` and `score --per-point` share: rows of output computed batch by batch
//! from the data file, of the whole file read first or, with `--stream`, as it is read.

use std::path::Path;

use gmm_core::{DataSource, Dataset, MixtureModel, Result, for_each_batch_dataset};
use gmm_io::{open_source, read_dataset};
use gmm_vb::LoadedModel;

use super::check_dimension;
use crate::args::DataOptions;
use crate::errors::CliResult;
use crate::output::Sink;
use crate::requests::model_source_options;

/// Writes `header` then `rows` of the data file to `output`: of the whole file read first,
/// or with `--stream` batch by batch as the file is read. A failure leaves no `-o` file.
/// The columns are the model's features by name when `--columns` is not given
/// ([`model_source_options`]); a whole-file read must fit within `max_memory` (`None`: what
/// the process may use).
pub fn write_rows(
    path: &Path,
    input: &DataOptions,
    model: &LoadedModel,
    output: &Path,
    header: Option<&[String]>,
    rows: &dyn Fn(&Dataset) -> Result<String>,
    max_memory: Option<u64>,
) -> CliResult {
    let options = model_source_options(input, model, max_memory);
    if input.stream {
        return emit_rows(
            open_source(path, &options)?.as_mut(),
            path,
            model,
            output,
            header,
            rows,
        );
    }
    let data = read_dataset(path, &options)?;
    emit_rows(&mut &data, path, model, output, header, rows)
}

/// [`write_rows`] of the points of `source` (read from `path`).
fn emit_rows(
    source: &mut dyn DataSource,
    path: &Path,
    model: &dyn MixtureModel,
    output: &Path,
    header: Option<&[String]>,
    rows: &dyn Fn(&Dataset) -> Result<String>,
) -> CliResult {
    check_dimension(path, source.n_features(), model)?;
    let mut sink = Sink::to(output)?;
    // the header goes out with the first batch's rows, so that a refused first batch
    // prints nothing
    let mut header = header.map(|h| format!("{}\n", h.join(",")));
    let d = source.n_features();
    for_each_batch_dataset(source, d, &mut |_, data, _| {
        let text = rows(data)?;
        if let Some(header) = header.take() {
            sink.write(&header)?;
        }
        sink.write(&text)
    })?;
    Ok(sink.finish()?)
}
