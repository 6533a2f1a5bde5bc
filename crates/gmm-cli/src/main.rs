//! `gmm`: fit, use and compare Gaussian mixture models by EM and variational Bayes.
//!
//! Run `gmm --help`, or `gmm SUBCOMMAND --help`, for the options.
//!
//! The crate's layout, from the flags to the output:
//!
//! - `args`: the subcommands and their flags (clap);
//! - `requests`: the one place where parsed flags become library requests (EmParams and
//!   VbParams through `ComparisonSettings`, GibbsParams, `gmm_io::SourceOptions`, where a fit
//!   starts, VB's prior files, a study's settings), refusing flags that do not apply;
//! - `commands`: one module per subcommand, which calls the libraries with those requests
//!   and prints;
//! - `model_io`: model files read by the library's one loader (`gmm_vb::load_model`'s
//!   rule), its errors wrapped with what to do next;
//! - `errors`: library errors told in flags; `output`: standard output or an atomic file;
//!   `progress`: the progress bar; `signals`: SIGINT/SIGTERM remove the temporary output
//!   files being written; `allocator`: memory the machine refuses ends in exit status 1.
//!
//! Data files are opened by `gmm_io::open_source` (the format by extension) and numbers
//! written by `gmm_io::rows_to_csv` / `csv_lines` / `shortest`.

mod allocator;
mod args;
mod commands;
mod errors;
mod model_io;
mod output;
mod progress;
mod requests;
mod signals;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

/// The system allocator, ending the command with exit status 1 and a message when the
/// machine refuses memory (never an abort): `allocator`.
#[global_allocator]
static ALLOCATOR: allocator::ExitOnRefusal = allocator::ExitOnRefusal;

fn main() -> ExitCode {
    signals::install();
    let cli = Cli::parse();
    allocator::set_limit(cli.command.max_memory());
    let result = match cli.command {
        Command::Fit(a) => commands::fit(&a),
        Command::Predict(a) => commands::predict(&a),
        Command::Score(a) => commands::score(&a),
        Command::Sample(a) => commands::sample(&a),
        Command::Compare(a) => commands::compare(&a),
        Command::Select(a) => commands::select(&a),
        Command::Demo(a) => commands::demo(&a),
        Command::Study(a) => commands::study(&a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // CliError's Display puts library errors in the CLI's terms (errors::user_message)
            // control characters (a newline or an escape sequence in a file name) escaped
            eprintln!("error: {}", gmm_core::escape_control(&e.to_string()));
            ExitCode::FAILURE
        }
    }
}
