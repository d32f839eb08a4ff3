//! Recovery: data drawn by `rapport generate` from BG/NBD and Gamma-Gamma
//! with known parameters (recorded in its `generator.json`) is fitted by the
//! plugin, which must recover every parameter within four standard errors.
//!
//! The standard errors come from the observed information of the fitted
//! likelihood itself (the numerical Hessian of the total log-likelihood in
//! log-parameters), so the tolerance scales with the sample as it should:
//! with 20,000 customers observed for about two years it is a few percent.
//! Four standard errors bound a correctly specified fit's error with
//! probability above 99.99 %; the seed is fixed, so the test is
//! deterministic. The generator dates purchases to whole days and the
//! plugin merges purchases on one day, two small departures from the
//! continuous-time model, which this band also absorbs.

mod common;

use common::*;
use rapport_clv::bgnbd::{History, Population};
use rapport_clv::gamma_gamma::Spenders;
use rapport_clv::{summary, BgNbd, Clv, ClvModel, GammaGamma};
use rapport_plugin_sdk::{run, Context};

const CUSTOMERS: u64 = 20_000;

/// Standard errors of the log-parameters from the observed information:
/// the inverse of minus the Hessian of `ll` at `theta`.
fn log_standard_errors<const N: usize>(ll: impl Fn([f64; N]) -> f64, theta: [f64; N]) -> [f64; N] {
    let h = 1e-4;
    let mut info = vec![vec![0.0; N]; N];
    for i in 0..N {
        for j in 0..N {
            let at = |di: f64, dj: f64| {
                let mut t = theta;
                t[i] += di;
                t[j] += dj;
                ll(t)
            };
            info[i][j] = -(at(h, h) - at(h, -h) - at(-h, h) + at(-h, -h)) / (4.0 * h * h);
        }
    }
    // Invert by Gauss-Jordan (the matrix is small and positive definite).
    let mut inv = vec![vec![0.0; N]; N];
    for (i, row) in inv.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    for c in 0..N {
        let p = info[c][c];
        assert!(p > 0.0, "information not positive definite");
        for k in 0..N {
            info[c][k] /= p;
            inv[c][k] /= p;
        }
        for r in 0..N {
            if r != c {
                let f = info[r][c];
                for k in 0..N {
                    info[r][k] -= f * info[c][k];
                    inv[r][k] -= f * inv[c][k];
                }
            }
        }
    }
    std::array::from_fn(|i| inv[i][i].sqrt())
}

#[test]
fn parameters_of_generated_data_are_recovered_within_four_standard_errors() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let opts = rapport_generate::Options::new(CUSTOMERS, 11, tmp.path().to_path_buf());
    rapport_generate::generate(&opts, &|_| {}).expect("generate");
    let truth: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("generator.json")).expect("generator.json"),
    )
    .expect("json");
    let num = |v: &serde_json::Value| v.as_f64().expect("number");
    let tb = &truth["bg_nbd"];
    let tg = &truth["gamma_gamma"];
    let true_bg = [
        num(&tb["r"]),
        num(&tb["alpha"]),
        num(&tb["a"]),
        num(&tb["b"]),
    ];
    let true_gg = [num(&tg["p"]), num(&tg["q"]), num(&tg["gamma"])];
    assert!(truth["time_unit"]
        .as_str()
        .expect("unit")
        .starts_with("week"));
    let end: u32 = truth["window"]["calibration_end"]
        .as_str()
        .expect("end")
        .replace('-', "")
        .parse()
        .expect("date");
    let as_of = midnight(end);

    let customers = customers_from_csv(tmp.path());
    assert_eq!(customers.len() as u64, CUSTOMERS);
    let ctx = Context::new(r#"{"time_unit": "week"}"#, as_of, 0);
    let fitted = run::scorer_fit::<Clv>(&ctx, &customers).expect("fit");
    let m = ClvModel::from_bytes(&fitted.state).expect("model");
    assert!(m.bgnbd_fit.converged && m.gamma_gamma_fit.converged);

    // The same summaries the plugin fitted on, for the information matrix.
    let mut odd = summary::Oddities::default();
    let mut scratch = Vec::new();
    let sums: Vec<summary::Summary> = customers
        .iter()
        .filter_map(|c| summary::summarize(c, as_of, 7.0, &mut scratch, &mut odd))
        .collect();
    let pop = Population::new(
        &sums
            .iter()
            .map(|s| History {
                x: s.x,
                t_x: s.t_x,
                t: s.t,
            })
            .collect::<Vec<_>>(),
    );
    let spenders = Spenders::new(
        &sums
            .iter()
            .filter(|s| s.x > 0.0)
            .map(|s| (s.x, s.zbar))
            .collect::<Vec<_>>(),
    );

    let est_bg = m.bgnbd.to_array();
    let se_bg = log_standard_errors(
        |t| pop.log_likelihood(&BgNbd::from_array(t.map(f64::exp))),
        est_bg.map(f64::ln),
    );
    let est_gg = [m.gamma_gamma.p, m.gamma_gamma.q, m.gamma_gamma.gamma];
    let se_gg = log_standard_errors(
        |t| {
            spenders.log_likelihood(&GammaGamma {
                p: t[0].exp(),
                q: t[1].exp(),
                gamma: t[2].exp(),
            })
        },
        est_gg.map(f64::ln),
    );
    let names = ["r", "alpha", "a", "b", "p", "q", "gamma"];
    let est = est_bg.iter().chain(&est_gg);
    let truth = true_bg.iter().chain(&true_gg);
    let se = se_bg.iter().chain(&se_gg);
    for (((name, e), t), s) in names.iter().zip(est).zip(truth).zip(se) {
        let z = (e.ln() - t.ln()) / s;
        eprintln!(
            "{name}: true {t}, estimate {e:.4}, standard error of ln {s:.4} ({:.1} %), z = {z:.2}",
            100.0 * s
        );
        assert!(
            z.abs() <= 4.0,
            "{name}: estimate {e} is {z:.2} standard errors from the true {t}"
        );
        // The band is informative: a few percent, not a free pass.
        assert!(
            *s < 0.15,
            "{name}: standard error of ln {s} is too wide to test anything"
        );
    }
}
