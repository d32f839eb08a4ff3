//! Fairness statistics: the committed reference case against fairlearn,
//! AIF360, scipy and statsmodels; closed forms; the tally's behaviour.

mod closed_form;
mod reference;
mod tally;
