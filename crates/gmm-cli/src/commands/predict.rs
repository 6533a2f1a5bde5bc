//! `gmm predict`: a label per point, or with `--proba` the probability of each component.

use gmm_core::{Dataset, MixtureModel, Result, check_memory, predict_proba_bytes};
use gmm_io::csv_lines;

use super::printed_bytes;
use super::rows::write_rows;
use crate::args::PredictArgs;
use crate::errors::CliResult;
use crate::model_io::read_model;
use crate::requests::columns_against_features;

/// `gmm predict`: for a VB model with its posterior, the variational responsibilities.
pub fn predict(a: &PredictArgs) -> CliResult {
    let model = read_model(&a.model)?;
    if let Some(warning) = columns_against_features(&a.input, &model) {
        eprintln!("{warning}");
    }
    let header: Vec<String> = if a.proba {
        (0..model.n_components()).map(|k| format!("p{k}")).collect()
    } else {
        vec!["label".into()]
    };
    let rows = |data: &Dataset| prediction_rows(&model, data, a.proba, a.max_memory);
    write_rows(
        &a.data,
        &a.input,
        &model,
        &a.output,
        Some(&header),
        &rows,
        a.max_memory,
    )
}

/// The CSV lines of the predictions of `data` (one batch): labels, or probabilities (their
/// N x K numbers checked against `max_memory` first).
fn prediction_rows(
    model: &dyn MixtureModel,
    data: &Dataset,
    proba: bool,
    max_memory: Option<u64>,
) -> Result<String> {
    if proba {
        let (n, k) = (data.n_samples(), model.n_components());
        check_memory(
            printed_bytes(n, k).saturating_add(predict_proba_bytes(n, k)),
            max_memory,
            "the printed probabilities of a batch of points, N x K numbers (print the labels \
             alone)",
        )?;
        let p = model.predict_proba_within(data, max_memory)?;
        let rows: Vec<Vec<f64>> = (0..p.nrows())
            .map(|n| p.row(n).iter().copied().collect())
            .collect();
        Ok(csv_lines(rows.iter().map(Vec::as_slice)))
    } else {
        Ok(model
            .predict(data)?
            .into_iter()
            .map(|l| format!("{l}\n"))
            .collect())
    }
}
