//! `gmm demo`: the library's demo scenarios and the choice of K, their tables on stdout and
//! their figures in a directory.

use gmm_compare::demo as scenarios;
use gmm_io::write_all_atomic;

use super::print_out;
use crate::args::DemoArgs;
use crate::errors::CliResult;
use crate::progress::Progress;

/// `gmm demo`.
pub fn demo(a: &DemoArgs) -> CliResult {
    let all = scenarios::scenarios();
    let k_max = 8;
    let mut progress = Progress::new((all.len() + k_max) as u64, "demo");
    let mut files = Vec::new();
    let mut tables = String::new();
    for scenario in &all {
        let result = scenarios::run_scenario(scenario)?;
        tables.push_str(&result.report.to_string());
        tables.push('\n');
        files.extend(result.files);
        progress.inc();
    }
    let (selection, selection_files) = scenarios::run_selection(k_max, &mut || progress.inc())?;
    progress.finish();
    tables.push_str(&selection.to_string());
    files.extend(selection_files);
    let written = write_all_atomic(&a.out, &files)?;
    print_out(&tables)?;
    print_out(&format!(
        "\nwrote {} files to {} (open the .svg files in a browser)\n",
        written.len(),
        a.out.display()
    ))
}
