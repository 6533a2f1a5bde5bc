//! Same seed, same result, on 1 thread or 2: this test re-runs its own binary with
//! `RAYON_NUM_THREADS=1` and `=2` (rayon reads it when its global pool starts, so it must be
//! set before the process starts) and compares the bits of every result. See docs/testing.md.

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use common::{MixtureSpec, covariance_type, fingerprint, sample};
use gmm::core::{Dataset, EStepKernel, FittedModel, GaussianMixture, InitMethod, MixtureModel};
use gmm::em::EmParams;
use gmm::vb::{VbParams, WeightPrior};

/// Where the child writes its fingerprints; its presence makes the child test a child.
const OUT_VAR: &str = "GMM_FINGERPRINT_OUT";

/// Data large enough to span several E-step chunks, so threads really split the work.
fn scenario(d: usize, ct: usize, seed: u64) -> (GaussianMixture, Dataset) {
    let spec = MixtureSpec {
        d,
        k: 3,
        covariance_type: covariance_type(ct),
        seed,
    };
    let gm = spec.build(4.0);
    let n = 3 * EStepKernel::chunk_rows(d) + 17;
    let data = sample(&gm, n, seed ^ 0xdead_beef);
    (gm, data)
}

/// Every result whose bits must not depend on the thread count, by name.
fn fingerprints() -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for (d, ct, seed) in [(1, 0, 11), (2, 1, 12), (3, 2, 13), (6, 3, 14), (5, 0, 15)] {
        let (gm, data) = scenario(d, ct, seed);
        let tag = format!("d{d}-{}", covariance_type(ct));
        let e = gm
            .kernel()
            .e_step(&data, covariance_type(ct).scatter_kind())
            .unwrap();
        let mut v = vec![e.log_norm_sum, e.resp_log_resp_sum, e.n_samples as f64];
        for k in 0..e.stats.n_components() {
            v.push(e.stats.n_k()[k]);
            v.extend(e.stats.mean(k).iter());
            v.extend(e.stats.scatter(k).iter());
        }
        out.insert(format!("core/e_step/{tag}"), fingerprint(v));
        out.insert(
            format!("core/score_samples/{tag}"),
            fingerprint(gm.score_samples(&data).unwrap()),
        );
        out.insert(
            format!("core/predict_proba/{tag}"),
            fingerprint(gm.predict_proba(&data).unwrap().iter().copied()),
        );
        for method in [InitMethod::KMeans, InitMethod::Random] {
            let init = method.initial_responsibilities(&data, 3, seed).unwrap();
            let stats = init.sufficient_stats(&data, covariance_type(ct).scatter_kind());
            let v: Vec<f64> = (0..3)
                .flat_map(|k| {
                    let mut x = vec![stats.n_k()[k]];
                    x.extend(stats.mean(k).iter());
                    x
                })
                .collect();
            out.insert(format!("core/init/{}/{tag}", method.name()), fingerprint(v));
        }
    }
    estimator_fingerprints(&mut out);
    missing_value_fingerprints(&mut out);
    out
}

/// EM and VB fits and the E-step on data with missing coordinates (every seventh value,
/// never a whole row): the complete rows' chunks and the patterns run in parallel.
fn missing_value_fingerprints(out: &mut BTreeMap<String, u64>) {
    for (d, ct, seed) in [(3, 0, 31), (4, 2, 32)] {
        let (gm, data) = scenario(d, ct, seed);
        let mut values = data.as_slice().to_vec();
        for (i, v) in values.iter_mut().enumerate() {
            if i % 7 == 3 && (i / d) % 3 != 0 {
                *v = f64::NAN;
            }
        }
        let policy = gmm::core::MissingPolicy::Marginalise;
        let data =
            Dataset::from_row_major_with_policy(data.n_samples(), d, values, policy).unwrap();
        let ct = covariance_type(ct);
        let tag = format!("d{d}-{ct}");
        let e = gm.kernel().e_step(&data, ct.scatter_kind()).unwrap();
        let mut v = vec![e.log_norm_sum, e.resp_log_resp_sum, e.missing_entropy_sum];
        for k in 0..e.stats.n_components() {
            v.extend(e.stats.mean(k).iter());
            v.extend(e.stats.scatter(k).iter());
        }
        v.extend(gm.score_samples(&data).unwrap());
        out.insert(format!("missing/e_step/{tag}"), fingerprint(v));
        let em = EmParams::new(3)
            .covariance_type(ct)
            .max_iter(20)
            .seed(seed)
            .fit(&data)
            .unwrap();
        let mut v = mixture_bits(em.mixture());
        v.extend(em.lower_bounds());
        out.insert(format!("missing/em/{tag}"), fingerprint(v));
        let vb = VbParams::new(3)
            .covariance_type(ct)
            .max_iter(20)
            .seed(seed)
            .fit(&data)
            .unwrap();
        let mut v = mixture_bits(vb.point_estimate());
        v.extend(vb.lower_bounds());
        out.insert(format!("missing/vb/{tag}"), fingerprint(v));
    }
}

fn mixture_bits(gm: &GaussianMixture) -> Vec<f64> {
    let d = gm.n_features();
    let mut v: Vec<f64> = gm
        .weights()
        .iter()
        .chain(gm.means().iter())
        .copied()
        .collect();
    for c in 0..gm.n_components() {
        v.extend(gm.covariances().full_matrix(c, d).iter());
    }
    v
}

/// Whole EM and VB fits, with restarts, on data spanning several E-step chunks.
fn estimator_fingerprints(out: &mut BTreeMap<String, u64>) {
    for (d, ct, seed) in [(1, 0, 21), (2, 1, 22), (3, 2, 23), (4, 3, 24)] {
        let (_, data) = scenario(d, ct, seed);
        let ct = covariance_type(ct);
        let tag = format!("d{d}-{ct}");
        let em = EmParams::new(3)
            .covariance_type(ct)
            .n_init(2)
            .max_iter(30)
            .init(InitMethod::KMeansPlusPlus)
            .seed(seed)
            .fit(&data)
            .unwrap();
        let mut v = mixture_bits(em.mixture());
        v.extend(em.lower_bounds());
        out.insert(format!("em/fit/{tag}"), fingerprint(v));
        for process in [false, true] {
            let prior = if process {
                WeightPrior::DirichletProcess {
                    concentration: None,
                }
            } else {
                WeightPrior::DirichletDistribution {
                    concentration: None,
                }
            };
            let vb = VbParams::new(4)
                .covariance_type(ct)
                .n_init(2)
                .max_iter(30)
                .init(InitMethod::Random)
                .weight_prior(prior)
                .seed(seed)
                .fit(&data)
                .unwrap();
            let mut v = mixture_bits(vb.point_estimate());
            v.extend(vb.lower_bounds());
            v.extend(vb.score_samples(&data).unwrap());
            out.insert(format!("vb/fit/{}/{tag}", prior.name()), fingerprint(v));
        }
    }
}

fn render(map: &BTreeMap<String, u64>) -> String {
    map.iter().map(|(k, v)| format!("{k} {v:016x}\n")).collect()
}

/// In a child process: writes the fingerprints. In the test run itself: checks that two
/// computations in this process agree (the parent test below does the cross-process check).
#[test]
fn fingerprint_child() {
    let first = fingerprints();
    if let Ok(path) = std::env::var(OUT_VAR) {
        std::fs::write(path, render(&first)).expect("writing the fingerprints");
    } else {
        assert_eq!(first, fingerprints(), "two runs in one process differ");
    }
}

fn run_child(threads: usize) -> String {
    let exe = std::env::current_exe().expect("the test binary's path");
    let dir = gmm_test_support::scratch_dir(&format!("threads-{threads}"));
    let path = dir.join("fingerprints.txt");
    let output = Command::new(exe)
        .args([
            "--exact",
            "fingerprint_child",
            "--test-threads=1",
            "--quiet",
        ])
        .env("RAYON_NUM_THREADS", threads.to_string())
        .env(OUT_VAR, &path)
        .output()
        .expect("re-running the test binary");
    assert!(
        output.status.success(),
        "child with {threads} thread(s) failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&path).expect("the child's fingerprints");
    std::fs::remove_dir_all(&dir).ok();
    text
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let one = run_child(1);
    let two = run_child(2);
    assert!(one.lines().count() >= 35, "too few fingerprints:\n{one}");
    let here = render(&fingerprints());
    for ((a, b), c) in one.lines().zip(two.lines()).zip(here.lines()) {
        assert_eq!(a, b, "1 thread vs 2 threads");
        assert_eq!(a, c, "1 thread vs this process's default pool");
    }
    assert_eq!(one.lines().count(), two.lines().count());
}
