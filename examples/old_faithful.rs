//! Old Faithful (data/old_faithful.csv: 272 eruptions, duration and waiting time in minutes;
//! R `datasets::faithful`, Härdle 1991, Azzalini & Bowman 1990; see data/README.md).
//!
//!     cargo run --release --example old_faithful [-- OUT_DIR]
//!
//! The classic two-cluster data set: short eruptions followed by short waits, long by long.
//! EM and VB with K = 2 find the same two clusters (weights about 0.36 / 0.64). Over
//! K = 1..6, EM's BIC picks K = 2. VB's ELBO is highest at K = 3, but there VB has already
//! emptied the third component: its effective number of components is 2, and given six
//! components it still keeps two. Read VB's answer from its effective K, not from the K
//! it was given.

use std::path::Path;

use gmm::compare::{ComparisonSettings, Truth, compare, select};
use gmm::compare::{comparison_figures, selection_figures};
use gmm::core::GmmError;
use gmm::io::{read_data_file, write_all_atomic};

fn main() -> Result<(), GmmError> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/old_faithful.csv");
    let table = read_data_file(&path)?;
    let names: Vec<String> = (0..2).map(|j| table.column_name(j)).collect();
    let comparison = compare(
        &table.data,
        "Old Faithful",
        &ComparisonSettings::new(2),
        Truth::default(),
    )?;
    println!("{}", comparison.report);
    let selection = select(
        &table.data,
        "Old Faithful",
        1,
        6,
        &ComparisonSettings::new(1),
        &mut || {},
    )?;
    println!("{selection}");
    if let Some(dir) = std::env::args().nth(1) {
        let mut files = comparison_figures(&comparison, &table.data, &names, "old-faithful")?;
        files.extend(selection_figures(&selection, "old-faithful")?);
        for path in write_all_atomic(Path::new(&dir), &files)? {
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}
