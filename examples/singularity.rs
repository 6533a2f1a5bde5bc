//! The singularity of maximum likelihood: a component on identical points.
//!
//!     cargo run --release --example singularity
//!
//! The data: 300 points from three 2-D clusters plus three copies of one far-away point. A
//! fourth component (component 3, counting from 0) starts on those copies (initialisation
//! from labels). Its maximum-
//! likelihood covariance is the zero matrix, and the likelihood grows without bound as the
//! component shrinks onto them (Bishop 2006, 9.2.1).
//!
//! - EM without regularisation (reg_covar = 0) cannot factorise that covariance and fails,
//!   with an error that names the component and says what to do.
//! - EM with scikit-learn's reg_covar = 1e-6 runs, but the component is a spike of variance
//!   1e-6 on the copies: its density there is enormous and inflates the log-likelihood.
//! - EM with re-seeding of collapsed components (reg_covar = 0) moves the component to the
//!   worst-explained point, which here is one of the copies: it collapses again, and the fit
//!   fails after its re-seeds. Re-seeding rescues components emptied by chance, not a
//!   component that the data themselves make singular.
//! - VB needs no rescue: the Wishart prior adds the data's own scale to every component's
//!   scatter, so the component on the copies keeps a covariance at the scale of the data.

use gmm::core::{Dataset, GmmError, InitMethod, MixtureModel, synthetic};
use gmm::em::EmParams;
use gmm::vb::VbParams;

fn main() -> Result<(), GmmError> {
    let sample = synthetic::draw(&synthetic::two_d_three_clusters(), 300, 5)?;
    let mut rows: Vec<Vec<f64>> = sample.data.rows().map(<[f64]>::to_vec).collect();
    let mut labels = sample.labels.clone();
    for _ in 0..3 {
        rows.push(vec![14.0, -6.0]);
        labels.push(3);
    }
    let data = Dataset::from_rows(&rows)?;
    let init = InitMethod::FromLabels(labels);
    let spike = |cov: nalgebra::DMatrix<f64>| cov.trace().sqrt();

    println!("EM, reg_covar = 0:");
    match EmParams::new(4)
        .reg_covar(0.0)
        .init(init.clone())
        .fit(&data)
    {
        Ok(fit) => println!("  fitted?! mean log-likelihood {:.3}", fit.score(&data)?),
        Err(e) => println!("  error: {e}"),
    }

    println!("EM, reg_covar = 1e-6 (the default):");
    let em = EmParams::new(4).init(init.clone()).fit(&data)?;
    let gm = em.mixture();
    println!(
        "  component 3: weight {:.4}, mean ({:.2}, {:.2}), size sqrt(trace Sigma) = {:.1e}",
        gm.weights()[3],
        gm.means()[(3, 0)],
        gm.means()[(3, 1)],
        spike(gm.covariances().full_matrix(3, 2))
    );
    let per_point = em.score_samples(&data)?;
    println!(
        "  log density at the copies {:.2}, mean over the other points {:.2}",
        per_point[300],
        per_point[..300].iter().sum::<f64>() / 300.0
    );

    println!("EM, reg_covar = 0 with re-seeding of collapsed components:");
    match EmParams::new(4)
        .reg_covar(0.0)
        .reseed_collapsed(true)
        .init(init.clone())
        .fit(&data)
    {
        Ok(fit) => {
            println!(
                "  {} re-seeds; weights {:?}",
                fit.reseeds().len(),
                fit.mixture()
                    .weights()
                    .iter()
                    .map(|w| (w * 1000.0).round() / 1000.0)
                    .collect::<Vec<_>>()
            );
        }
        Err(e) => println!("  error: {e}"),
    }

    println!("VB, reg_covar = 0:");
    let vb = VbParams::new(4).reg_covar(0.0).init(init).fit(&data)?;
    let gm = vb.point_estimate();
    for c in 0..4 {
        println!(
            "  component {}: weight {:.4}, mean ({:.2}, {:.2}), size sqrt(trace Sigma) = {:.2}",
            c,
            gm.weights()[c],
            gm.means()[(c, 0)],
            gm.means()[(c, 1)],
            spike(gm.covariances().full_matrix(c, 2))
        );
    }
    Ok(())
}
