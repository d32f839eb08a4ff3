//! A customer's purchase history summarised for the models, from the
//! `transactions.at` and `transactions.amount` the host grants.
//!
//! Purchases are aggregated per calendar day (UTC, the day of `at`): several
//! transactions on one day are one purchase whose spend is their sum. Then,
//! in the configured time unit:
//!
//! * x = number of purchase days after the first (repeat purchases);
//! * t_x = time from the first purchase day to the last one;
//! * T = time from the start of the first purchase day to the "as of"
//!   instant;
//! * z̄ = mean spend of the repeat purchase days (the first day excluded),
//!   0 when x = 0.
//!
//! This is the summary of Fader, Hardie & Lee's CDNOW data and of
//! `lifetimes`' `summary_data_from_transaction_data` at daily resolution.

use rapport_plugin_sdk::prelude::*;
use rapport_plugin_sdk::Transactions;

/// One customer's summary, in the model's time unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub x: f64,
    pub t_x: f64,
    pub t: f64,
    pub zbar: f64,
}

/// Counts of transactions read with a fallback, reported as warnings.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Oddities {
    /// Transactions without an instant: ignored.
    pub missing_at: u64,
    /// Transactions after the "as of" instant: ignored.
    pub after_as_of: u64,
    /// Transactions without a usable amount: counted with amount 0.
    pub missing_amount: u64,
    /// Customers whose transactions list was absent: is `transactions.at`
    /// granted?
    pub no_list: u64,
}

impl Oddities {
    pub fn add(&mut self, o: Oddities) {
        self.missing_at += o.missing_at;
        self.after_as_of += o.after_as_of;
        self.missing_amount += o.missing_amount;
        self.no_list += o.no_list;
    }

    /// Warnings for the operator: counts only, never a customer.
    pub fn warnings(&self) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        if self.no_list > 0 {
            out.push(Diagnostic::warning(format!(
                "{} customers arrived without a transactions list and count as having no purchase; are `transactions.at` and `transactions.amount` granted?",
                self.no_list
            )));
        }
        if self.missing_at > 0 {
            out.push(Diagnostic::warning(format!(
                "{} transactions have no instant and were ignored; is `transactions.at` granted?",
                self.missing_at
            )));
        }
        if self.after_as_of > 0 {
            out.push(Diagnostic::warning(format!(
                "{} transactions lie after the run's as-of instant and were ignored",
                self.after_as_of
            )));
        }
        if self.missing_amount > 0 {
            out.push(Diagnostic::warning(format!(
                "{} transactions have no usable amount and count as spending 0; is `transactions.amount` granted?",
                self.missing_amount
            )));
        }
        out
    }
}

/// Summarises `c` as of `as_of` (Unix seconds) in units of `unit_days` days.
/// `None` when the customer has no purchase up to `as_of`. `days` is scratch
/// space reused across customers.
pub fn summarize(
    c: &Customer,
    as_of: i64,
    unit_days: f64,
    days: &mut Vec<(i64, f64)>,
    odd: &mut Oddities,
) -> Option<Summary> {
    summarize_list(
        c.transactions.as_deref().map(Transactions::from),
        as_of,
        unit_days,
        days,
        odd,
    )
}

/// [`summarize`] from a customer's transaction list as the batch holds it
/// (`None`: no list).
pub fn summarize_list(
    list: Option<Transactions<'_>>,
    as_of: i64,
    unit_days: f64,
    days: &mut Vec<(i64, f64)>,
    odd: &mut Oddities,
) -> Option<Summary> {
    let Some(list) = list else {
        odd.no_list += 1;
        return None;
    };
    days.clear();
    for k in 0..list.len() {
        let Some(at) = list.at(k) else {
            odd.missing_at += 1;
            continue;
        };
        if at > as_of {
            odd.after_as_of += 1;
            continue;
        }
        let amount = match list.amount(k) {
            Some(a) if a.is_finite() => a,
            _ => {
                odd.missing_amount += 1;
                0.0
            }
        };
        days.push((at.div_euclid(DAY), amount));
    }
    if days.is_empty() {
        return None;
    }
    // Order by day, then by amount within the day, so that the sums do not
    // depend on how the host ordered the list (the host usually sends it in
    // that order already, which is checked first).
    let order = |p: &(i64, f64), q: &(i64, f64)| p.0.cmp(&q.0).then(p.1.total_cmp(&q.1));
    if !days.is_sorted_by(|p, q| order(p, q).is_le()) {
        days.sort_unstable_by(order);
    }
    let first = days[0].0;
    let mut last = first;
    let mut repeat_days = 0u32;
    let mut repeat_spend = 0.0;
    let mut day_spend = 0.0;
    let mut current = first;
    for &(d, amount) in days.iter() {
        if d != current {
            if current != first {
                repeat_spend += day_spend;
            }
            repeat_days += 1;
            current = d;
            day_spend = 0.0;
        }
        day_spend += amount;
        last = d;
    }
    if current != first {
        repeat_spend += day_spend;
    }
    let x = f64::from(repeat_days);
    let day_secs = DAY as f64;
    Some(Summary {
        x,
        t_x: (last - first) as f64 / unit_days,
        t: (as_of - first * DAY) as f64 / day_secs / unit_days,
        zbar: if repeat_days > 0 {
            repeat_spend / x
        } else {
            0.0
        },
    })
}
