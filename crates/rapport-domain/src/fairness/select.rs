//! Selections made from scores: a threshold, a top-k or a top-percent list.
//!
//! Ties at the cutoff are all selected: a top-k list of scores where the
//! k-th and the (k+1)-th are equal selects both, so nobody is left out on
//! the arbitrary order of equal scores, and the list can be longer than k
//! (the outcome says by how much). This is `pandas.Series.nlargest(k,
//! keep="all")`. A threshold selects every score greater than or equal to
//! it.

use super::FairnessError;

/// How to select from scores.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ScoreRule {
    /// Every score `>= t`.
    Threshold(f64),
    /// The `k` highest scores, ties at the cutoff included.
    TopK(u64),
    /// The highest `p` percent (`0 < p <= 100`): the top `ceil(p · n / 100)`,
    /// ties at the cutoff included.
    TopPercent(f64),
}

/// Which rows a [`ScoreRule`] selected.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreSelection {
    /// One flag per score, in input order.
    pub selected: Vec<bool>,
    /// How many were selected.
    pub n_selected: u64,
    /// For top-k and top-percent: the k asked for (after rounding a
    /// percentage up).
    pub requested: Option<u64>,
    /// Rows whose score equals the cutoff (for top-k and top-percent), the
    /// ones a tie could have left out.
    pub tied_at_cutoff: u64,
}

/// Applies a rule to finite scores. Errors on a NaN or infinite score, a
/// top-k of zero, a percentage outside (0, 100] or a non-finite threshold.
pub fn select_by_score(scores: &[f64], rule: ScoreRule) -> Result<ScoreSelection, FairnessError> {
    if let Some(i) = scores.iter().position(|s| !s.is_finite()) {
        return Err(FairnessError::Selection(format!(
            "score {} is not a finite number",
            i + 1
        )));
    }
    let n = scores.len() as u64;
    let (cutoff, requested) = match rule {
        ScoreRule::Threshold(t) => {
            if !t.is_finite() {
                return Err(FairnessError::Selection(
                    "the threshold is not a finite number".to_owned(),
                ));
            }
            (Some(t), None)
        }
        ScoreRule::TopK(k) => {
            if k == 0 {
                return Err(FairnessError::Selection(
                    "top-k needs k of at least 1".to_owned(),
                ));
            }
            (kth_largest(scores, k), Some(k))
        }
        ScoreRule::TopPercent(p) => {
            if !(p > 0.0 && p <= 100.0) {
                return Err(FairnessError::Selection(
                    "top-percent needs a percentage above 0 and at most 100".to_owned(),
                ));
            }
            // Rounded up so that any positive percentage selects someone;
            // the product is exact for the sizes an audit sees.
            let k = ((p * n as f64) / 100.0).ceil() as u64;
            let k = k.max(1);
            (kth_largest(scores, k), Some(k))
        }
    };
    let selected: Vec<bool> = match cutoff {
        Some(c) => scores.iter().map(|&s| s >= c).collect(),
        None => vec![false; scores.len()],
    };
    let tied_at_cutoff = match (rule, cutoff) {
        (ScoreRule::Threshold(_), _) | (_, None) => 0,
        (_, Some(c)) => scores.iter().filter(|&&s| s == c).count() as u64,
    };
    Ok(ScoreSelection {
        n_selected: selected.iter().filter(|&&s| s).count() as u64,
        selected,
        requested,
        tied_at_cutoff,
    })
}

/// The k-th largest score (the smallest when k exceeds the count); `None`
/// for no scores.
fn kth_largest(scores: &[f64], k: u64) -> Option<f64> {
    if scores.is_empty() {
        return None;
    }
    let k = usize::try_from(k).unwrap_or(usize::MAX).min(scores.len());
    let mut v = scores.to_vec();
    let (_, kth, _) = v.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
    Some(*kth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_at_the_cutoff_are_all_selected() {
        let s = [5.0, 3.0, 4.0, 4.0, 1.0];
        let out = select_by_score(&s, ScoreRule::TopK(2)).expect("select");
        assert_eq!(out.selected, vec![true, false, true, true, false]);
        assert_eq!(
            (out.n_selected, out.requested, out.tied_at_cutoff),
            (3, Some(2), 2)
        );
        let out = select_by_score(&s, ScoreRule::TopPercent(40.0)).expect("select");
        assert_eq!(out.n_selected, 3);
        let out = select_by_score(&s, ScoreRule::TopK(10)).expect("select");
        assert_eq!(out.n_selected, 5);
        let out = select_by_score(&s, ScoreRule::Threshold(4.0)).expect("select");
        assert_eq!(out.n_selected, 3);
        assert!(select_by_score(&s, ScoreRule::TopK(0)).is_err());
        assert!(select_by_score(&s, ScoreRule::TopPercent(0.0)).is_err());
        assert!(select_by_score(&[1.0, f64::NAN], ScoreRule::TopK(1)).is_err());
    }
}
