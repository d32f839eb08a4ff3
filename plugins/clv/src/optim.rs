//! Minimisation of a smooth function of a few unconstrained parameters
//! (the models' log-parameters): BFGS with an analytic gradient and a
//! backtracking line search, then Nelder–Mead from the best point if BFGS
//! stops short of the gradient tolerance. Deterministic: no randomness, a
//! fixed order of operations.

/// Limits and tolerances of one minimisation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Most BFGS iterations (Nelder–Mead, if needed, gets 20 times as many).
    pub max_iterations: u32,
    /// Converged when the largest absolute gradient component is at most this.
    pub gradient_tolerance: f64,
}

/// Which method produced the reported point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Bfgs,
    NelderMead,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Bfgs => "bfgs",
            Method::NelderMead => "nelder-mead",
        }
    }
}

/// Where a minimisation stopped and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The best point found.
    pub x: Vec<f64>,
    /// The objective there.
    pub value: f64,
    /// The largest absolute gradient component there.
    pub gradient_norm: f64,
    /// BFGS iterations plus Nelder–Mead iterations.
    pub iterations: u32,
    /// Objective evaluations.
    pub evaluations: u32,
    /// Whether the gradient tolerance was met.
    pub converged: bool,
    /// The method that produced `x`.
    pub method: Method,
}

/// An objective: returns the value at `x` and writes the gradient into `g`.
/// A non-finite value means "outside the domain" and makes the line search
/// step back.
pub trait Objective {
    fn eval(&mut self, x: &[f64], g: &mut [f64]) -> f64;

    /// Whether BFGS should start from the inverse of the Hessian at the
    /// start point (from finite differences of the gradient, one
    /// evaluation per coordinate, when it is positive definite) rather
    /// than from a scaled identity: worth it where that curvature saves
    /// more iterations than it costs evaluations.
    fn curvature_at_start(&self) -> bool {
        false
    }
}

fn inf_norm(g: &[f64]) -> f64 {
    g.iter().fold(0.0f64, |m, v| m.max(v.abs()))
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The largest step any log-parameter may take in one line-search trial:
/// e^8 ≈ 3000-fold, enough to cross any sensible scale in a few steps
/// without overflowing the likelihood on the way.
const MAX_STEP: f64 = 8.0;

/// The relative rounding noise of an objective value that the line search
/// tolerates at a point meeting the gradient tolerance.
const ROUNDING: f64 = 1e-12;

/// Minimises `f` from `x0`.
pub fn minimize(f: &mut impl Objective, x0: &[f64], opts: Options) -> Report {
    minimize_from(f, x0, None, opts).0
}

/// Warm starts: data with at least `WARM_MIN` distinct rows are first
/// fitted on every k-th of them, k = max(4, distinct / WARM_ROWS), itself
/// warm-started the same way.
pub const WARM_MIN: usize = 192;
pub const WARM_ROWS: usize = 1024;

/// Data a fit can be warm-started on a subsample of: distinct rows with
/// counts, in a fixed order.
pub trait Thinnable: Sized {
    /// Number of distinct rows.
    fn distinct(&self) -> usize;
    /// Every `stride`-th row with its count.
    fn thinned(&self, stride: usize) -> Self;
}

/// A subsample fit that a fit on many distinct rows started from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WarmStart {
    /// Distinct rows in the subsample.
    pub distinct: usize,
    /// Its BFGS iterations and objective evaluations.
    pub iterations: u32,
    pub evaluations: u32,
}

/// Minimises on `data` from `start` with `minimize` (the objective on some
/// data, from a point and an optional inverse Hessian), first from the
/// optimum and BFGS curvature of a thinned subsample when `data` is large
/// enough: most iterations then cost a fraction of an evaluation on all of
/// it. Every stage runs to the same gradient tolerance, so the estimates
/// are those of a fit from `start` to that tolerance; a stage that does not
/// converge is dropped and the fit starts from `start` instead. Returns the
/// report, the final inverse Hessian approximation and the warm-start
/// stages, the smallest first.
pub fn minimize_warm<D: Thinnable>(
    data: &D,
    start: &[f64],
    minimize: &impl Fn(&D, &[f64], Option<Vec<f64>>) -> (Report, Option<Vec<f64>>),
) -> (Report, Option<Vec<f64>>, Vec<WarmStart>) {
    let mut x0 = start.to_vec();
    let mut curvature = None;
    let mut stages = Vec::new();
    if data.distinct() >= WARM_MIN {
        let sub = data.thinned((data.distinct() / WARM_ROWS).max(4));
        let (r, h, inner) = minimize_warm(&sub, start, minimize);
        if r.converged {
            stages = inner;
            stages.push(WarmStart {
                distinct: sub.distinct(),
                iterations: r.iterations,
                evaluations: r.evaluations,
            });
            x0 = r.x;
            curvature = h;
        }
    }
    let (report, h) = minimize(data, &x0, curvature);
    (report, h, stages)
}

/// Minimises `f` from `x0`, BFGS starting from the inverse Hessian
/// approximation `h0` (row-major) when one is given; returns the report
/// and, when BFGS converged, its final inverse Hessian approximation,
/// which can start a minimisation of a similar objective.
pub fn minimize_from(
    f: &mut impl Objective,
    x0: &[f64],
    h0: Option<Vec<f64>>,
    opts: Options,
) -> (Report, Option<Vec<f64>>) {
    let n = x0.len();
    let mut evaluations = 0u32;
    let mut x = x0.to_vec();
    let mut g = vec![0.0; n];
    let mut fx = f.eval(&x, &mut g);
    evaluations += 1;
    let mut iterations = 0u32;
    if !fx.is_finite() || g.iter().any(|v| !v.is_finite()) {
        return (nelder_mead(f, x0, opts, 0, evaluations), None);
    }
    // Inverse Hessian approximation, row-major: the one given, else the
    // inverse of the Hessian at the start if the objective asks for it and
    // it is positive definite, else the identity (scaled at the first
    // update).
    let start = if let Some(h) = h0.filter(|h| h.len() == n * n && h.iter().all(|v| v.is_finite()))
    {
        Some(h)
    } else if f.curvature_at_start() {
        start_inverse_hessian(f, &x, &g, &mut evaluations)
    } else {
        None
    };
    let (mut h, mut first) = match start {
        Some(inv) => (inv, false),
        None => (identity(n), true),
    };
    let mut xn = vec![0.0; n];
    let mut gn = vec![0.0; n];
    let mut converged = inf_norm(&g) <= opts.gradient_tolerance;
    while !converged && iterations < opts.max_iterations {
        iterations += 1;
        let mut d: Vec<f64> = (0..n).map(|i| -dot(&h[i * n..(i + 1) * n], &g)).collect();
        let mut slope = dot(&d, &g);
        if slope >= 0.0 || !slope.is_finite() {
            // Not a descent direction: restart from steepest descent.
            h = identity(n);
            d = g.iter().map(|v| -v).collect();
            slope = dot(&d, &g);
        }
        let longest = inf_norm(&d);
        let mut step = if longest > MAX_STEP {
            MAX_STEP / longest
        } else {
            1.0
        };
        // Backtracking line search with the Armijo condition.
        let mut accepted = false;
        for _ in 0..60 {
            for i in 0..n {
                xn[i] = x[i] + step * d[i];
            }
            let fxn = f.eval(&xn, &mut gn);
            evaluations += 1;
            // Near the minimum the objective's rounding noise (a sum over
            // thousands of customers, about 1e-15 relative) can exceed the
            // decrease Armijo asks for, and the search would fail on a point
            // that meets the gradient tolerance. Such a point is accepted
            // when it is no worse than the current one beyond that noise.
            let armijo = fxn <= fx + 1e-4 * step * slope;
            let settled =
                inf_norm(&gn) <= opts.gradient_tolerance && fxn <= fx + ROUNDING * (1.0 + fx.abs());
            if fxn.is_finite() && gn.iter().all(|v| v.is_finite()) && (armijo || settled) {
                accepted = true;
                let s: Vec<f64> = (0..n).map(|i| xn[i] - x[i]).collect();
                let y: Vec<f64> = (0..n).map(|i| gn[i] - g[i]).collect();
                let sy = dot(&s, &y);
                if sy > 1e-12 * dot(&s, &s).sqrt() * dot(&y, &y).sqrt() {
                    if first {
                        // Scale the identity to the curvature just seen.
                        let scale = sy / dot(&y, &y);
                        for v in h.iter_mut() {
                            *v *= scale;
                        }
                        first = false;
                    }
                    bfgs_update(&mut h, &s, &y, sy);
                }
                x.copy_from_slice(&xn);
                g.copy_from_slice(&gn);
                fx = fxn;
                break;
            }
            step *= 0.5;
        }
        converged = inf_norm(&g) <= opts.gradient_tolerance;
        if !accepted {
            break;
        }
    }
    if converged {
        let report = Report {
            gradient_norm: inf_norm(&g),
            x,
            value: fx,
            iterations,
            evaluations,
            converged,
            method: Method::Bfgs,
        };
        return (report, Some(h));
    }
    // BFGS stalled (line search failed or out of iterations): polish with
    // Nelder–Mead from the best point, and keep whichever is better.
    let nm = nelder_mead(f, &x, opts, iterations, evaluations);
    let report = if nm.value < fx || nm.converged {
        nm
    } else {
        Report {
            gradient_norm: inf_norm(&g),
            x,
            value: fx,
            iterations: nm.iterations,
            evaluations: nm.evaluations,
            converged: false,
            method: Method::Bfgs,
        }
    };
    (report, None)
}

/// The inverse of the Hessian at `x` (where the gradient is `g`), from
/// forward differences of the gradient, one evaluation per coordinate.
/// `None` unless every evaluation is finite and the symmetrised Hessian is
/// positive definite.
fn start_inverse_hessian(
    f: &mut impl Objective,
    x: &[f64],
    g: &[f64],
    evaluations: &mut u32,
) -> Option<Vec<f64>> {
    let n = x.len();
    let mut hess = vec![0.0; n * n];
    let mut xp = x.to_vec();
    let mut gp = vec![0.0; n];
    for i in 0..n {
        let step = 1e-4 * (1.0 + x[i].abs());
        xp[i] = x[i] + step;
        let fp = f.eval(&xp, &mut gp);
        *evaluations += 1;
        xp[i] = x[i];
        if !fp.is_finite() || gp.iter().any(|v| !v.is_finite()) {
            return None;
        }
        for j in 0..n {
            hess[j * n + i] = (gp[j] - g[j]) / step;
        }
    }
    for i in 0..n {
        for j in 0..i {
            let m = 0.5 * (hess[i * n + j] + hess[j * n + i]);
            hess[i * n + j] = m;
            hess[j * n + i] = m;
        }
    }
    // Cholesky, H = L Lᵀ, then H⁻¹ column by column.
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut s = hess[i * n + j];
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if !(s > 0.0 && s.is_finite()) {
                    return None;
                }
                l[i * n + i] = s.sqrt();
            } else {
                l[i * n + j] = s / l[j * n + j];
            }
        }
    }
    let mut inv = vec![0.0; n * n];
    let mut col = vec![0.0; n];
    for c in 0..n {
        // L y = e_c, then Lᵀ z = y.
        for i in 0..n {
            let mut s = if i == c { 1.0 } else { 0.0 };
            for k in 0..i {
                s -= l[i * n + k] * col[k];
            }
            col[i] = s / l[i * n + i];
        }
        for i in (0..n).rev() {
            let mut s = col[i];
            for k in i + 1..n {
                s -= l[k * n + i] * col[k];
            }
            col[i] = s / l[i * n + i];
        }
        for i in 0..n {
            inv[i * n + c] = col[i];
        }
    }
    Some(inv)
}

fn identity(n: usize) -> Vec<f64> {
    let mut h = vec![0.0; n * n];
    for i in 0..n {
        h[i * n + i] = 1.0;
    }
    h
}

/// `H ← (I - ρ s yᵀ) H (I - ρ y sᵀ) + ρ s sᵀ`, `ρ = 1 / (yᵀ s)`.
fn bfgs_update(h: &mut [f64], s: &[f64], y: &[f64], sy: f64) {
    let n = s.len();
    let rho = 1.0 / sy;
    let hy: Vec<f64> = (0..n).map(|i| dot(&h[i * n..(i + 1) * n], y)).collect();
    let yhy = dot(y, &hy);
    for i in 0..n {
        for j in 0..n {
            h[i * n + j] +=
                -rho * (hy[i] * s[j] + s[i] * hy[j]) + (rho * rho * yhy + rho) * s[i] * s[j];
        }
    }
}

/// Nelder–Mead on `f` from `x0` (initial simplex: each coordinate moved by
/// 0.5 in log space), counting on from `iterations` and `evaluations`.
fn nelder_mead(
    f: &mut impl Objective,
    x0: &[f64],
    opts: Options,
    iterations: u32,
    evaluations: u32,
) -> Report {
    let n = x0.len();
    let mut scratch = vec![0.0; n];
    let mut evals = evaluations;
    let mut eval = |x: &[f64], evals: &mut u32| -> f64 {
        *evals += 1;
        let v = f.eval(x, &mut scratch);
        if v.is_finite() {
            v
        } else {
            f64::INFINITY
        }
    };
    let mut simplex: Vec<(Vec<f64>, f64)> = Vec::with_capacity(n + 1);
    let v0 = eval(x0, &mut evals);
    simplex.push((x0.to_vec(), v0));
    for i in 0..n {
        let mut p = x0.to_vec();
        p[i] += 0.5;
        let v = eval(&p, &mut evals);
        simplex.push((p, v));
    }
    let budget = opts.max_iterations.saturating_mul(20);
    let mut it = 0u32;
    while it < budget {
        it += 1;
        simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (best, worst) = (simplex[0].1, simplex[n].1);
        let size = simplex[1..]
            .iter()
            .map(|(p, _)| {
                inf_norm(
                    &p.iter()
                        .zip(&simplex[0].0)
                        .map(|(a, b)| a - b)
                        .collect::<Vec<_>>(),
                )
            })
            .fold(0.0f64, f64::max);
        if (worst - best).abs() <= 1e-15 * (1.0 + best.abs()) && size < 1e-9 {
            break;
        }
        let centroid: Vec<f64> = (0..n)
            .map(|j| simplex[..n].iter().map(|(p, _)| p[j]).sum::<f64>() / n as f64)
            .collect();
        let along = |t: f64| -> Vec<f64> {
            (0..n)
                .map(|j| centroid[j] + t * (simplex[n].0[j] - centroid[j]))
                .collect()
        };
        let xr = along(-1.0);
        let fr = eval(&xr, &mut evals);
        if fr < simplex[0].1 {
            let xe = along(-2.0);
            let fe = eval(&xe, &mut evals);
            simplex[n] = if fe < fr { (xe, fe) } else { (xr, fr) };
        } else if fr < simplex[n - 1].1 {
            simplex[n] = (xr, fr);
        } else {
            let (xc, fc) = if fr < simplex[n].1 {
                let xc = along(-0.5);
                let fc = eval(&xc, &mut evals);
                (xc, fc)
            } else {
                let xc = along(0.5);
                let fc = eval(&xc, &mut evals);
                (xc, fc)
            };
            if fc < fr.min(simplex[n].1) {
                simplex[n] = (xc, fc);
            } else {
                // Shrink towards the best point.
                let b = simplex[0].0.clone();
                for vertex in simplex.iter_mut().skip(1) {
                    let p: Vec<f64> = (0..n).map(|j| b[j] + 0.5 * (vertex.0[j] - b[j])).collect();
                    let v = eval(&p, &mut evals);
                    *vertex = (p, v);
                }
            }
        }
    }
    simplex.sort_by(|a, b| a.1.total_cmp(&b.1));
    let (x, _) = simplex.swap_remove(0);
    let mut g = vec![0.0; n];
    let value = f.eval(&x, &mut g);
    evals += 1;
    let gradient_norm = inf_norm(&g);
    Report {
        converged: value.is_finite() && gradient_norm <= opts.gradient_tolerance,
        x,
        value,
        gradient_norm,
        iterations: iterations + it,
        evaluations: evals,
        method: Method::NelderMead,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rosenbrock's banana: minimum 0 at (1, 1).
    struct Rosenbrock;
    impl Objective for Rosenbrock {
        fn eval(&mut self, x: &[f64], g: &mut [f64]) -> f64 {
            let (a, b) = (x[0], x[1]);
            g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
            g[1] = 200.0 * (b - a * a);
            (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2)
        }
    }

    #[test]
    fn bfgs_finds_the_minimum_of_rosenbrock() {
        let opts = Options {
            max_iterations: 500,
            gradient_tolerance: 1e-9,
        };
        let r = minimize(&mut Rosenbrock, &[-1.2, 1.0], opts);
        assert!(r.converged, "{r:?}");
        assert_eq!(r.method, Method::Bfgs);
        assert!(
            (r.x[0] - 1.0).abs() < 1e-7 && (r.x[1] - 1.0).abs() < 1e-7,
            "{r:?}"
        );
    }

    #[test]
    fn too_few_iterations_is_reported_not_converged() {
        let opts = Options {
            max_iterations: 3,
            gradient_tolerance: 1e-12,
        };
        let r = minimize(&mut Rosenbrock, &[-1.2, 1.0], opts);
        assert!(!r.converged);
        assert!(r.gradient_norm > 1e-12);
        assert!(r.iterations > 3, "Nelder–Mead ran after BFGS: {r:?}");
    }

    /// A badly scaled, coupled quadratic bowl, ½ (x - m)ᵀ A (x - m), with
    /// or without its curvature taken at the start.
    struct Bowl {
        curvature: bool,
    }
    const BOWL: [[f64; 4]; 4] = [
        [400.0, 30.0, 0.0, 2.0],
        [30.0, 9.0, 1.0, 0.0],
        [0.0, 1.0, 0.5, 0.1],
        [2.0, 0.0, 0.1, 3.0],
    ];
    const BOWL_MIN: [f64; 4] = [0.3, -2.0, 5.0, 1.0];
    impl Objective for Bowl {
        fn eval(&mut self, x: &[f64], g: &mut [f64]) -> f64 {
            let d: Vec<f64> = (0..4).map(|i| x[i] - BOWL_MIN[i]).collect();
            let mut v = 0.0;
            for i in 0..4 {
                g[i] = (0..4).map(|j| BOWL[i][j] * d[j]).sum();
                v += 0.5 * d[i] * g[i];
            }
            v
        }
        fn curvature_at_start(&self) -> bool {
            self.curvature
        }
    }

    #[test]
    fn curvature_at_the_start_takes_a_bowl_in_about_one_step() {
        let opts = Options {
            max_iterations: 200,
            gradient_tolerance: 1e-9,
        };
        let run = |curvature| minimize(&mut Bowl { curvature }, &[0.0; 4], opts);
        let (with, without) = (run(true), run(false));
        for r in [&with, &without] {
            assert!(r.converged, "{r:?}");
            for (x, m) in r.x.iter().zip(BOWL_MIN) {
                assert!((x - m).abs() < 1e-6, "{r:?}");
            }
        }
        // The differences of a quadratic's gradient are its Hessian, so the
        // first step is Newton's, up to rounding.
        assert!(with.iterations <= 2, "{with:?}");
        assert!(without.iterations > 4, "{without:?}");
        assert!(
            with.evaluations < without.evaluations,
            "{with:?} {without:?}"
        );
    }

    /// f = x² - y² + y⁴/4, started at (1, 0.1), where ∂²f/∂y² < 0: the
    /// Hessian there is not positive definite.
    struct Saddle {
        curvature: bool,
    }
    impl Objective for Saddle {
        fn eval(&mut self, x: &[f64], g: &mut [f64]) -> f64 {
            g[0] = 2.0 * x[0];
            g[1] = -2.0 * x[1] + x[1].powi(3);
            x[0] * x[0] - x[1] * x[1] + 0.25 * x[1].powi(4)
        }
        fn curvature_at_start(&self) -> bool {
            self.curvature
        }
    }

    #[test]
    fn a_start_without_positive_curvature_falls_back_to_the_identity() {
        let opts = Options {
            max_iterations: 200,
            gradient_tolerance: 1e-9,
        };
        let asked = minimize(&mut Saddle { curvature: true }, &[1.0, 0.1], opts);
        let plain = minimize(&mut Saddle { curvature: false }, &[1.0, 0.1], opts);
        assert!(asked.converged, "{asked:?}");
        assert!(asked.x[0].abs() < 1e-6, "{asked:?}");
        assert!((asked.x[1].abs() - 2f64.sqrt()).abs() < 1e-6, "{asked:?}");
        // The same path as without asking, after one evaluation per
        // coordinate spent finding the curvature unusable.
        assert_eq!(asked.x, plain.x);
        assert_eq!(asked.iterations, plain.iterations);
        assert_eq!(asked.evaluations, plain.evaluations + 2);
    }

    /// A bowl whose value is rounded to 1e-11, like a likelihood summed
    /// over many customers near its minimum: from (3e-6, 0) every trial
    /// point has the same rounded value, so no step shows the decrease
    /// Armijo asks for, though the first one lands on the minimum.
    struct Rounded;
    impl Objective for Rounded {
        fn eval(&mut self, x: &[f64], g: &mut [f64]) -> f64 {
            g[0] = x[0];
            g[1] = 100.0 * x[1];
            let exact = 0.5 * (x[0] * x[0] + 100.0 * x[1] * x[1]);
            1.0 + (exact * 1e11).round() / 1e11
        }
    }

    #[test]
    fn rounding_noise_does_not_stall_bfgs() {
        let opts = Options {
            max_iterations: 200,
            gradient_tolerance: 1e-6,
        };
        let r = minimize(&mut Rounded, &[3e-6, 0.0], opts);
        assert!(r.converged, "{r:?}");
        assert_eq!(r.method, Method::Bfgs, "{r:?}");
        assert!(r.x[0].abs() < 1e-6 && r.x[1].abs() < 1e-6, "{r:?}");
        assert!(r.evaluations < 5, "{r:?}");
    }

    /// An objective that is undefined at the start: BFGS cannot begin, and
    /// Nelder–Mead takes over.
    struct Kinked;
    impl Objective for Kinked {
        fn eval(&mut self, x: &[f64], g: &mut [f64]) -> f64 {
            if x[0] < 0.25 {
                return f64::NAN;
            }
            g[0] = 2.0 * (x[0] - 2.0);
            (x[0] - 2.0).powi(2)
        }
    }

    #[test]
    fn a_start_outside_the_domain_falls_back_to_nelder_mead() {
        let opts = Options {
            max_iterations: 200,
            gradient_tolerance: 1e-6,
        };
        let r = minimize(&mut Kinked, &[0.0], opts);
        assert_eq!(r.method, Method::NelderMead);
        assert!((r.x[0] - 2.0).abs() < 1e-6, "{r:?}");
        assert!(r.converged);
    }
}
