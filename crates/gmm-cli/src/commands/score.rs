//! `gmm score`: the mean log density of the data under the model, or with `--per-point`
//! each point's.

use gmm_core::{Dataset, MixtureModel, Result, check_memory};
use gmm_io::{open_source, read_dataset, shortest};

use super::rows::write_rows;
use super::{check_dimension, printed_bytes};
use crate::args::ScoreArgs;
use crate::errors::CliResult;
use crate::model_io::read_model;
use crate::output::Sink;
use crate::requests::{columns_against_features, model_source_options};

/// `gmm score`: for a VB model with its posterior, the posterior predictive.
pub fn score(a: &ScoreArgs) -> CliResult {
    let model = read_model(&a.model)?;
    if let Some(warning) = columns_against_features(&a.input, &model) {
        eprintln!("{warning}");
    }
    if a.per_point {
        let rows = |data: &Dataset| -> Result<String> {
            check_memory(
                printed_bytes(data.n_samples(), 1),
                a.max_memory,
                "the printed log densities of a batch of points, one per point",
            )?;
            Ok(model
                .score_samples(data)?
                .into_iter()
                .map(|v| format!("{}\n", shortest(v)))
                .collect())
        };
        return write_rows(
            &a.data,
            &a.input,
            &model,
            &a.output,
            None,
            &rows,
            a.max_memory,
        );
    }
    let options = model_source_options(&a.input, &model, a.max_memory);
    let mean = if a.input.stream {
        let mut source = open_source(&a.data, &options)?;
        check_dimension(&a.data, source.n_features(), &model)?;
        model.score_source(source.as_mut())?
    } else {
        let data = read_dataset(&a.data, &options)?;
        check_dimension(&a.data, data.n_features(), &model)?;
        model.score(&data)?
    };
    let mut sink = Sink::to(&a.output)?;
    sink.write(&format!("{}\n", shortest(mean)))?;
    Ok(sink.finish()?)
}
