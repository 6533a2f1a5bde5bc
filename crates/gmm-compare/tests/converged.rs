//! The comparison compares converged fits (issue 12): with its default settings both
//! estimators end within 1e-6 relative of the bound the same start reaches at tol 1e-12, on
//! the real data sets; a fit stopped at its iteration limit is flagged in the report.

use gmm_compare::{ComparisonSettings, Truth, compare};
use gmm_core::FittedModel;
use gmm_test_support::real_data;

const CASES: [(&str, usize); 4] = [
    ("iris.csv", 3),
    ("old_faithful.csv", 2),
    ("old_faithful.csv", 6),
    ("galaxies.csv", 6),
];

fn relative(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

#[test]
fn default_comparisons_end_at_converged_bounds() {
    for (file, k) in CASES {
        let data = real_data(file);
        let settings = ComparisonSettings::new(k).holdout(0.0);
        let ours = compare(&data, file, &settings, Truth::default()).unwrap();
        let tight = settings.clone().tol(1e-12).max_iter(100_000);
        let reference = compare(&data, file, &tight, Truth::default()).unwrap();
        for (name, fit, best) in [
            ("EM", ours.em.lower_bound(), reference.em.lower_bound()),
            ("VB", ours.vb.lower_bound(), reference.vb.lower_bound()),
        ] {
            assert!(
                relative(fit, best) <= 1e-6,
                "{file} K = {k} {name}: {fit} against {best} at tol 1e-12"
            );
        }
        assert!(ours.em.converged() && ours.vb.converged(), "{file} K = {k}");
        assert!(!ours.report.to_string().contains("WARNING"));
    }
}

#[test]
fn a_fit_stopped_at_its_limit_is_flagged() {
    let data = real_data("old_faithful.csv");
    let settings = ComparisonSettings::new(6).max_iter(3);
    let c = compare(&data, "faithful", &settings, Truth::default()).unwrap();
    assert!(!c.em.converged() && !c.vb.converged());
    let text = c.report.to_string();
    assert!(
        text.contains("WARNING: the EM fit stopped at its iteration limit (3)"),
        "{text}"
    );
    assert!(
        text.contains("WARNING: the VB fit stopped at its iteration limit (3)"),
        "{text}"
    );
    assert!(text.contains("NO (3 iterations, the limit)"), "{text}");
}
