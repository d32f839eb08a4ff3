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
    let in_order = match list.dense() {
        // Columns with every instant and amount present: the same pass
        // over two slices, without a check per value.
        Some((at, amount)) => in_order(
            at.len(),
            |k, odd| dense_purchase(at[k], amount[k], as_of, odd),
            as_of,
            unit_days,
        ),
        None => in_order(
            list.len(),
            |k, odd| purchase(&list, k, as_of, odd),
            as_of,
            unit_days,
        ),
    };
    match in_order {
        Some((summary, found)) => {
            odd.add(found);
            summary
        }
        None => summarize_sorting(&list, as_of, unit_days, days, odd),
    }
}

/// The running sums of one pass over purchase days in order.
struct Days {
    first: i64,
    last: i64,
    current: i64,
    repeat_days: u32,
    repeat_spend: f64,
    day_spend: f64,
}

impl Days {
    fn new(first: i64) -> Self {
        Self {
            first,
            last: first,
            current: first,
            repeat_days: 0,
            repeat_spend: 0.0,
            day_spend: 0.0,
        }
    }

    /// Adds a transaction of day `d`, no earlier than the previous one.
    #[inline]
    fn add(&mut self, d: i64, amount: f64) {
        if d != self.current {
            if self.current != self.first {
                self.repeat_spend += self.day_spend;
            }
            self.repeat_days += 1;
            self.current = d;
            self.day_spend = 0.0;
        }
        self.day_spend += amount;
        self.last = d;
    }

    fn finish(mut self, as_of: i64, unit_days: f64) -> Summary {
        if self.current != self.first {
            self.repeat_spend += self.day_spend;
        }
        let x = f64::from(self.repeat_days);
        let day_secs = DAY as f64;
        Summary {
            x,
            t_x: (self.last - self.first) as f64 / unit_days,
            t: (as_of - self.first * DAY) as f64 / day_secs / unit_days,
            zbar: if self.repeat_days > 0 {
                self.repeat_spend / x
            } else {
                0.0
            },
        }
    }
}

/// Transaction `k` as (day, amount), or `None` (counted in `odd`) when it
/// has no instant or falls after the as-of instant; a missing or
/// non-finite amount counts as 0.
#[inline]
fn purchase(
    list: &Transactions<'_>,
    k: usize,
    as_of: i64,
    odd: &mut Oddities,
) -> Option<(i64, f64)> {
    let Some(at) = list.at(k) else {
        odd.missing_at += 1;
        return None;
    };
    if at > as_of {
        odd.after_as_of += 1;
        return None;
    }
    let amount = match list.amount(k) {
        Some(a) if a.is_finite() => a,
        _ => {
            odd.missing_amount += 1;
            0.0
        }
    };
    Some((at.div_euclid(DAY), amount))
}

/// [`purchase`] of a list given as complete columns: the instant and
/// amount of one purchase.
#[inline(always)]
fn dense_purchase(at: i64, amount: f64, as_of: i64, odd: &mut Oddities) -> Option<(i64, f64)> {
    if at > as_of {
        odd.after_as_of += 1;
        return None;
    }
    let amount = if amount.is_finite() {
        amount
    } else {
        odd.missing_amount += 1;
        0.0
    };
    Some((at.div_euclid(DAY), amount))
}

/// The usual case in one pass over the `len` purchases `get` reads: the
/// list is already ordered by day, then by amount within a day (as the
/// host sends it), so the sums run as they would after sorting. `None` at
/// the first transaction out of that order, and [`summarize_sorting`]
/// starts over; otherwise the summary and the oddities found, for the
/// caller to count.
#[inline(always)]
fn in_order(
    len: usize,
    get: impl Fn(usize, &mut Oddities) -> Option<(i64, f64)>,
    as_of: i64,
    unit_days: f64,
) -> Option<(Option<Summary>, Oddities)> {
    let mut odd = Oddities::default();
    let mut days: Option<Days> = None;
    let mut prev = (i64::MIN, f64::NEG_INFINITY);
    for k in 0..len {
        let Some((d, amount)) = get(k, &mut odd) else {
            continue;
        };
        if d < prev.0 || (d == prev.0 && amount.total_cmp(&prev.1).is_lt()) {
            return None;
        }
        prev = (d, amount);
        days.get_or_insert_with(|| Days::new(d)).add(d, amount);
    }
    Some((days.map(|s| s.finish(as_of, unit_days)), odd))
}

/// [`summarize_list`] for a list in any order: the purchases collected
/// into `days` and sorted by day, then by amount.
fn summarize_sorting(
    list: &Transactions<'_>,
    as_of: i64,
    unit_days: f64,
    days: &mut Vec<(i64, f64)>,
    odd: &mut Oddities,
) -> Option<Summary> {
    days.clear();
    for k in 0..list.len() {
        if let Some(p) = purchase(list, k, as_of, odd) {
            days.push(p);
        }
    }
    if days.is_empty() {
        return None;
    }
    // Order by day, then by amount within the day, so that the sums do not
    // depend on how the host ordered the list.
    days.sort_unstable_by(|p, q| p.0.cmp(&q.0).then(p.1.total_cmp(&q.1)));
    let mut sums = Days::new(days[0].0);
    for &(d, amount) in days.iter() {
        sums.add(d, amount);
    }
    Some(sums.finish(as_of, unit_days))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tx(at: Option<i64>, amount: Option<f64>) -> Transaction {
        Transaction {
            at,
            amount,
            quantity: None,
            channel: None,
        }
    }

    /// Lists read from complete columns (the slices of
    /// `Transactions::dense`) summarise as the same lists read as records:
    /// in order, out of order (sorted instead), with purchases after the
    /// as-of instant and amounts that are not finite.
    #[test]
    fn complete_columns_and_records_summarise_alike() {
        use rapport_plugin_sdk::wit as w;
        use rapport_plugin_sdk::CustomerBatch;
        let as_of = 40 * DAY;
        let lists: Vec<Vec<(i64, f64)>> = vec![
            vec![
                (2 * DAY + 5, 10.0),
                (9 * DAY, 0.1),
                (9 * DAY + 60, 0.2),
                (30 * DAY, 4.0),
            ],
            vec![(9 * DAY, 3.0), (2 * DAY, 1.0), (9 * DAY, 1e16)],
            vec![(3 * DAY, 5.0), (41 * DAY, 5.0), (12 * DAY, f64::NAN)],
            vec![(5 * DAY, 2.0)],
            vec![(50 * DAY, 2.0)],
            vec![],
        ];
        let mut ends = Vec::new();
        let (mut at, mut amount) = (Vec::new(), Vec::new());
        for list in &lists {
            for &(t, a) in list {
                at.push(t);
                amount.push(a);
            }
            ends.push(at.len() as u32);
        }
        let columns = CustomerBatch::columns(w::Customers {
            subject: (1..=lists.len() as u64).collect(),
            signup: None,
            country: None,
            region: None,
            purchases: w::Purchases {
                count: None,
                days: None,
                first: None,
                last: None,
                total_amount: None,
                total_quantity: None,
            },
            transactions: Some(w::Transactions {
                ends,
                missing: vec![],
                at: Some(w::Instants {
                    values: at,
                    missing: vec![],
                }),
                amount: Some(w::Numbers {
                    values: amount,
                    missing: vec![],
                }),
                quantity: None,
                channel: None,
            }),
            interactions: None,
            referrals: None,
            previous: None,
        });
        let from_columns = columns.transactions().expect("well formed");
        let mut days = Vec::new();
        for (i, list) in lists.iter().enumerate() {
            let records: Vec<Transaction> =
                list.iter().map(|&(t, a)| tx(Some(t), Some(a))).collect();
            let column = from_columns.get(i).expect("a list");
            assert!(column.dense().is_some(), "list {i} is complete");
            let (mut odd_c, mut odd_r) = (Oddities::default(), Oddities::default());
            let got = summarize_list(Some(column), as_of, 7.0, &mut days, &mut odd_c);
            let want = summarize_list(
                Some(Transactions::from(&records[..])),
                as_of,
                7.0,
                &mut days,
                &mut odd_r,
            );
            let bits = |s: Option<Summary>| s.map(|s| [s.x, s.t_x, s.t, s.zbar].map(f64::to_bits));
            assert_eq!(bits(got), bits(want), "list {i}");
            assert_eq!(odd_c, odd_r, "list {i}");
        }
    }

    #[test]
    fn one_pass_and_sorting_agree_in_any_order() {
        let as_of = 40 * DAY;
        // Three purchase days (one with three transactions whose sum
        // depends on the order of addition), one transaction without an
        // instant, one after the as-of instant, one without an amount.
        let list = vec![
            tx(Some(2 * DAY + 5), Some(10.0)),
            tx(Some(9 * DAY), Some(0.1)),
            tx(Some(9 * DAY + 60), Some(0.2)),
            tx(Some(9 * DAY + 7), Some(1e16)),
            tx(None, Some(3.0)),
            tx(Some(41 * DAY), Some(5.0)),
            tx(Some(30 * DAY), None),
        ];
        let mut days = Vec::new();
        let mut sorted_odd = Oddities::default();
        let want = summarize_sorting(
            &Transactions::from(&list[..]),
            as_of,
            7.0,
            &mut days,
            &mut sorted_odd,
        )
        .expect("purchases");
        assert_eq!(want.x, 2.0);
        assert_eq!(
            sorted_odd,
            Oddities {
                missing_at: 1,
                after_as_of: 1,
                missing_amount: 1,
                no_list: 0,
            }
        );
        // Every rotation and its reverse, one of them in order.
        let mut ordered = list.clone();
        ordered.sort_by(|p, q| {
            let key = |t: &Transaction| {
                (
                    t.at.map(|a| a.div_euclid(DAY)),
                    t.amount.filter(|a| a.is_finite()).unwrap_or(0.0),
                )
            };
            let (a, b) = (key(p), key(q));
            a.0.cmp(&b.0).then(a.1.total_cmp(&b.1))
        });
        let mut orders = vec![ordered];
        for k in 0..list.len() {
            let mut l = list.clone();
            l.rotate_left(k);
            orders.push(l.clone());
            l.reverse();
            orders.push(l);
        }
        for l in orders {
            let mut odd = Oddities::default();
            let got = summarize_list(
                Some(Transactions::from(&l[..])),
                as_of,
                7.0,
                &mut days,
                &mut odd,
            )
            .expect("purchases");
            assert_eq!(
                [got.x, got.t_x, got.t, got.zbar].map(f64::to_bits),
                [want.x, want.t_x, want.t, want.zbar].map(f64::to_bits),
                "{l:?}"
            );
            assert_eq!(odd, sorted_odd);
        }
    }
}
