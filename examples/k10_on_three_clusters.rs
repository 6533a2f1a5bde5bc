//! Too many components: K = 10 on the same three 2-D clusters.
//!
//!     cargo run --release --example k10_on_three_clusters [-- OUT_DIR]
//!
//! Maximum likelihood has no reason to leave a component empty, so EM spreads its ten
//! components over the three clusters (each cluster cut into pieces, the adjusted Rand
//! index against the truth falls). VB, with a Dirichlet-process prior on the weights,
//! empties the components the data do not need: their expected weights fall towards
//! alpha0 / (K alpha0 + N), and only a few components keep weight above 1%.

use gmm::compare::comparison_figures;
use gmm::compare::{ComparisonSettings, Truth, compare};
use gmm::core::{GmmError, synthetic};
use gmm::io::write_all_atomic;

fn main() -> Result<(), GmmError> {
    let sample = synthetic::draw(&synthetic::two_d_three_clusters(), 900, 2)?;
    let truth = Truth {
        labels: Some(&sample.labels),
        mixture: Some(&sample.truth),
    };
    let comparison = compare(
        &sample.data,
        "K = 10 on three clusters",
        &ComparisonSettings::new(10),
        truth,
    )?;
    let report = &comparison.report;
    println!("{report}");
    println!(
        "EM keeps {} components above weight {}, VB keeps {}.",
        report.em.effective_components, report.weight_threshold, report.vb.effective_components
    );
    if let Some(dir) = std::env::args().nth(1) {
        let files = comparison_figures(&comparison, &sample.data, &[], "k10-on-three-clusters")?;
        for path in write_all_atomic(std::path::Path::new(&dir), &files)? {
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}
