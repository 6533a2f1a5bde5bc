//! Galaxies (data/galaxies.csv: velocities in km/s of 82 galaxies in the Corona Borealis
//! region; R `MASS::galaxies`, Postman, Huchra & Geller 1986, Roeder 1990; see
//! data/README.md).
//!
//!     cargo run --release --example galaxies [-- OUT_DIR]
//!
//! How many components? The literature argues for anything from 3 to 7. With only 82
//! points, EM given K = 6 spends components on a handful of points each (two galaxies
//! near 16,000 km/s get a narrow component of their own); VB given the same K and the same
//! start keeps three components above 1% weight and empties the rest. Over K = 1..8, EM's BIC and VB's ELBO are shown side by
//! side.

use std::path::Path;

use gmm::compare::{ComparisonSettings, Truth, compare, select};
use gmm::compare::{comparison_figures, selection_figures};
use gmm::core::GmmError;
use gmm::io::{read_data_file, write_all_atomic};

fn main() -> Result<(), GmmError> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/galaxies.csv");
    let table = read_data_file(&path)?;
    let names = vec![table.column_name(0)];
    // all 82 points are used for fitting: too few to hold any out
    let settings = ComparisonSettings::new(6).holdout(0.0);
    let comparison = compare(&table.data, "Galaxies", &settings, Truth::default())?;
    println!("{}", comparison.report);
    let selection = select(
        &table.data,
        "Galaxies",
        1,
        8,
        &ComparisonSettings::new(1),
        &mut || {},
    )?;
    println!("{selection}");
    if let Some(dir) = std::env::args().nth(1) {
        let mut files = comparison_figures(&comparison, &table.data, &names, "galaxies")?;
        files.extend(selection_figures(&selection, "galaxies")?);
        for path in write_all_atomic(Path::new(&dir), &files)? {
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}
