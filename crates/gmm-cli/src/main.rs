//! `gmm`: fit, use and compare Gaussian mixture models by EM and variational Bayes.
//!
//! Run `gmm --help`, or `gmm SUBCOMMAND --help`, for the options.

mod args;
mod commands;
mod errors;
mod model_io;
mod output;
mod progress;
mod requests;
mod study;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Fit(a) => commands::fit(&a),
        Command::Predict(a) => commands::predict(&a),
        Command::Score(a) => commands::score(&a),
        Command::Sample(a) => commands::sample(&a),
        Command::Compare(a) => commands::compare(&a),
        Command::Select(a) => commands::select(&a),
        Command::Demo(a) => commands::demo(&a),
        Command::Study(a) => study::study(&a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // CliError's Display puts library errors in the CLI's terms (errors::user_message)
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
