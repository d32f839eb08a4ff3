//! Components built for `rapport:plugin@0.2.0` (`plugins/sdk/wit/plugin.wit`):
//! batches cross the boundary as columns and outputs come back as columns
//! with a string table. This module lays the host's records out as columns
//! (the single-valued fields of a customer in one pass) and takes the returned columns over as they are:
//! lists of numbers are moved, not copied, and the string table stays one
//! string. `checks.rs` then checks every index before anything reads them.

use std::collections::HashMap;

use super::wit;

mod scorer {
    wasmtime::component::bindgen!({
        path: "../../plugins/sdk/wit",
        world: "scorer",
    });
}

mod segmenter {
    wasmtime::component::bindgen!({
        path: "../../plugins/sdk/wit",
        world: "segmenter",
        with: { "rapport:plugin/types": crate::host::v0_2::scorer::rapport::plugin::types },
    });
}

mod supplier_rater {
    wasmtime::component::bindgen!({
        path: "../../plugins/sdk/wit",
        world: "supplier-rater",
        with: { "rapport:plugin/types": crate::host::v0_2::scorer::rapport::plugin::types },
    });
}

use scorer::rapport::plugin::types as w;

pub(crate) use scorer::ScorerPre;
pub(crate) use segmenter::SegmenterPre;
pub(crate) use supplier_rater::SupplierRaterPre;

/// Customers in the contract's columns (see [`customers`]).
#[derive(Clone)]
pub(crate) struct Columns(pub(crate) w::Customers);

impl std::ops::Deref for Columns {
    type Target = w::Customers;
    fn deref(&self) -> &w::Customers {
        &self.0
    }
}

pub(crate) fn context(c: &wit::Context) -> w::Context {
    w::Context {
        config: c.config.clone(),
        as_of: c.as_of,
        seed: c.seed,
    }
}

/// A column being built: a value (or a placeholder) per row and the rows
/// without a value.
struct Col<T> {
    values: Vec<T>,
    missing: Vec<u32>,
}

impl<T: Copy + Default> Col<T> {
    fn with_capacity(rows: usize) -> Self {
        Col {
            values: Vec::with_capacity(rows),
            missing: Vec::new(),
        }
    }

    #[inline(always)]
    fn push(&mut self, v: Option<T>) {
        match v {
            Some(v) => self.values.push(v),
            None => {
                self.missing.push(self.values.len() as u32);
                self.values.push(T::default());
            }
        }
    }
}

/// A column that may have no value at all, built in a pass with others:
/// until its first value it only counts the rows before it, so a field no
/// row has (most fields, for most plugins) costs a counter per row.
struct Lazy<T> {
    before: u32,
    col: Option<Col<T>>,
    capacity: usize,
}

impl<T: Copy + Default> Lazy<T> {
    fn new(capacity: usize) -> Self {
        Lazy {
            before: 0,
            col: None,
            capacity,
        }
    }

    #[inline(always)]
    fn push(&mut self, v: Option<T>) {
        match (&mut self.col, v) {
            (Some(c), v) => c.push(v),
            (None, None) => self.before += 1,
            (None, Some(v)) => self.start(v),
        }
    }

    /// The first value: every row before it is missing.
    #[cold]
    #[inline(never)]
    fn start(&mut self, v: T) {
        let mut c = Col::with_capacity(self.capacity);
        c.values.resize(self.before as usize, T::default());
        c.missing.extend(0..self.before);
        c.values.push(v);
        self.col = Some(c);
    }

    /// The column, `None` when no row had a value.
    fn finish(self) -> Option<Col<T>> {
        self.col
    }
}

/// A dictionary-encoded text column built in a pass with others (see
/// [`Lazy`]): until its first text it only counts the rows before it.
struct LazyTexts<'a> {
    before: u32,
    rows: u32,
    started: bool,
    dictionary: Vec<String>,
    index: HashMap<&'a str, u32>,
    codes: Vec<u32>,
    missing: Vec<u32>,
}

impl<'a> LazyTexts<'a> {
    fn new() -> Self {
        LazyTexts {
            before: 0,
            rows: 0,
            started: false,
            dictionary: Vec::new(),
            index: HashMap::new(),
            codes: Vec::new(),
            missing: Vec::new(),
        }
    }

    #[inline(always)]
    fn push(&mut self, v: Option<&'a str>) {
        match (self.started, v) {
            (false, None) => self.before += 1,
            (_, Some(text)) => {
                if !self.started {
                    self.start();
                }
                let code = *self.index.entry(text).or_insert_with(|| {
                    self.dictionary.push(text.to_owned());
                    (self.dictionary.len() - 1) as u32
                });
                self.codes.push(code);
            }
            (true, None) => {
                self.missing.push(self.rows);
                self.codes.push(0);
            }
        }
        self.rows += 1;
    }

    /// The first text: every row before it is missing.
    #[cold]
    #[inline(never)]
    fn start(&mut self) {
        self.started = true;
        self.codes.resize(self.before as usize, 0);
        self.missing.extend(0..self.before);
    }

    /// The column, `None` when no row had a text.
    fn finish(self) -> Option<w::Texts> {
        self.started.then_some(w::Texts {
            dictionary: self.dictionary,
            codes: self.codes,
            missing: self.missing,
        })
    }
}

/// A built column as the contract's record of that type.
macro_rules! finish {
    ($col:expr, $ty:ident) => {
        $col.map(|c| w::$ty {
            values: c.values,
            missing: c.missing,
        })
    };
}

/// One column over `rows`: a value (or a placeholder) per row and the rows
/// without a value; `None` when no row has one.
fn column<R, T: Copy + Default>(rows: &[R], get: impl Fn(&R) -> Option<T>) -> Option<Col<T>> {
    let mut col = Lazy::new(rows.len());
    for r in rows {
        col.push(get(r));
    }
    col.finish()
}

fn instants<R>(rows: &[R], get: impl Fn(&R) -> Option<i64>) -> Option<w::Instants> {
    finish!(column(rows, get), Instants)
}

fn integers<R>(rows: &[R], get: impl Fn(&R) -> Option<i64>) -> Option<w::Integers> {
    finish!(column(rows, get), Integers)
}

fn numbers<R>(rows: &[R], get: impl Fn(&R) -> Option<f64>) -> Option<w::Numbers> {
    finish!(column(rows, get), Numbers)
}

fn handles<R>(rows: &[R], get: impl Fn(&R) -> Option<u64>) -> Option<w::Handles> {
    finish!(column(rows, get), Handles)
}

/// A dictionary-encoded text column.
fn texts<'a, R>(rows: &'a [R], get: impl Fn(&'a R) -> Option<&'a str>) -> Option<w::Texts> {
    let mut col = LazyTexts::new();
    for r in rows {
        col.push(get(r));
    }
    col.finish()
}

/// The lists of every row laid end to end: each row's end offset, the rows
/// without a list, and the elements; `None` when no row has a list.
fn group<'a, R, E>(
    rows: &'a [R],
    get: impl Fn(&'a R) -> Option<&'a [E]>,
) -> Option<(Vec<u32>, Vec<u32>, Vec<&'a E>)> {
    rows.iter().position(|r| get(r).is_some())?;
    let mut ends = Vec::with_capacity(rows.len());
    let mut missing = Vec::new();
    let mut elements = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        match get(r) {
            Some(list) => elements.extend(list.iter()),
            None => missing.push(i as u32),
        }
        ends.push(elements.len() as u32);
    }
    (missing.len() < rows.len()).then_some((ends, missing, elements))
}

fn previous<'a, R>(
    rows: &'a [R],
    get: impl Fn(&'a R) -> Option<&'a wit::Previous>,
) -> Option<w::Previous> {
    rows.iter().position(|r| get(r).is_some())?;
    let prev: Vec<Option<&wit::Previous>> = rows.iter().map(get).collect();
    let missing: Vec<u32> = prev
        .iter()
        .enumerate()
        .filter(|(_, p)| p.is_none())
        .map(|(i, _)| i as u32)
        .collect();
    (missing.len() < rows.len()).then(|| w::Previous {
        missing,
        as_of: instants(&prev, |p| p.and_then(|p| p.as_of)),
        score: numbers(&prev, |p| p.and_then(|p| p.score)),
        label: texts(&prev, |p| p.and_then(|p| p.label.as_deref())),
    })
}

/// Which texts and lists (other than transactions) any customer of a batch
/// has, found in the same pass over the records (a few hundred bytes each)
/// that builds the single-valued columns: a pass per field touched every
/// record a dozen times, mostly to find a field nobody was granted.
#[derive(Default)]
struct Present {
    country: bool,
    region: bool,
    interactions: bool,
    referrals: bool,
    previous: bool,
}

/// Lays a batch of customers out in columns: the subjects, every
/// single-valued field, the transactions and which other fields are
/// present in one pass over the records (a column nobody has is dropped),
/// the texts, interactions and referrals, when present, in a pass each.
pub(crate) fn customers(batch: &[wit::Customer]) -> w::Customers {
    let mut p = Present::default();
    let n = batch.len();
    let mut subject = Vec::with_capacity(n);
    let mut signup = Lazy::new(n);
    let mut count = Lazy::new(n);
    let mut days = Lazy::new(n);
    let mut first = Lazy::new(n);
    let mut last = Lazy::new(n);
    let mut total_amount = Lazy::new(n);
    let mut total_quantity = Lazy::new(n);
    let mut transactions = TransactionCols::new(n);
    for (i, c) in batch.iter().enumerate() {
        let b = &c.purchases;
        p.country |= c.country.is_some();
        p.region |= c.region.is_some();
        transactions.push(i, c.transactions.as_deref());
        p.interactions |= c.interactions.is_some();
        p.referrals |= c.referrals.is_some();
        p.previous |= c.previous.is_some();
        subject.push(c.subject);
        signup.push(c.signup);
        count.push(b.count);
        days.push(b.days);
        first.push(b.first);
        last.push(b.last);
        total_amount.push(b.total_amount);
        total_quantity.push(b.total_quantity);
    }
    w::Customers {
        subject,
        signup: finish!(signup.finish(), Instants),
        country: p
            .country
            .then(|| texts(batch, |c| c.country.as_deref()))
            .flatten(),
        region: p
            .region
            .then(|| texts(batch, |c| c.region.as_deref()))
            .flatten(),
        purchases: w::Purchases {
            count: finish!(count.finish(), Counts),
            days: finish!(days.finish(), Counts),
            first: finish!(first.finish(), Instants),
            last: finish!(last.finish(), Instants),
            total_amount: finish!(total_amount.finish(), Numbers),
            total_quantity: finish!(total_quantity.finish(), Integers),
        },
        transactions: transactions.finish(n),
        interactions: p
            .interactions
            .then(|| group(batch, |c| c.interactions.as_deref()))
            .flatten()
            .map(|(ends, missing, rows)| w::Interactions {
                ends,
                missing,
                at: instants(&rows, |i| i.at),
                kind: texts(&rows, |i| i.kind.as_deref()),
                channel: texts(&rows, |i| i.channel.as_deref()),
                nps: integers(&rows, |i| i.nps),
                sentiment: numbers(&rows, |i| i.sentiment),
            }),
        referrals: p
            .referrals
            .then(|| group(batch, |c| c.referrals.as_deref()))
            .flatten()
            .map(|(ends, missing, rows)| w::Referrals {
                ends,
                missing,
                referred: handles(&rows, |r| r.referred),
                at: instants(&rows, |r| r.at),
            }),
        previous: p
            .previous
            .then(|| previous(batch, |c| c.previous.as_ref()))
            .flatten(),
    }
}

/// The batch's transactions laid end to end, built in the same pass over
/// the records as the single-valued fields (the records are a few hundred
/// bytes each and the lists hang off them, so every extra pass reads them
/// from memory again): each row's end offset, the rows without a list,
/// and every column of the purchases.
struct TransactionCols<'a> {
    ends: Vec<u32>,
    missing: Vec<u32>,
    at: Lazy<i64>,
    amount: Lazy<f64>,
    quantity: Lazy<i64>,
    channel: LazyTexts<'a>,
    len: u32,
}

impl<'a> TransactionCols<'a> {
    fn new(rows: usize) -> Self {
        // Room for a few purchases per customer; the columns grow beyond.
        let guess = rows * 4;
        TransactionCols {
            ends: Vec::with_capacity(rows),
            missing: Vec::new(),
            at: Lazy::new(guess),
            amount: Lazy::new(guess),
            quantity: Lazy::new(guess),
            channel: LazyTexts::new(),
            len: 0,
        }
    }

    #[inline(always)]
    fn push(&mut self, row: usize, list: Option<&'a [wit::Transaction]>) {
        match list {
            Some(list) => {
                for t in list {
                    self.at.push(t.at);
                    self.amount.push(t.amount);
                    self.quantity.push(t.quantity);
                    self.channel.push(t.channel.as_deref());
                }
                self.len += list.len() as u32;
            }
            None => self.missing.push(row as u32),
        }
        self.ends.push(self.len);
    }

    /// The columns; `None` when no customer has a list.
    fn finish(self, rows: usize) -> Option<w::Transactions> {
        if self.missing.len() == rows {
            return None;
        }
        Some(w::Transactions {
            ends: self.ends,
            missing: self.missing,
            at: finish!(self.at.finish(), Instants),
            amount: finish!(self.amount.finish(), Numbers),
            quantity: finish!(self.quantity.finish(), Integers),
            channel: self.channel.finish(),
        })
    }
}

/// The entries of a sorted `missing` list that fall in rows `lo..hi`,
/// renumbered from `lo`.
fn missing_in(missing: &[u32], lo: usize, hi: usize) -> Vec<u32> {
    let a = missing.partition_point(|&m| (m as usize) < lo);
    let b = missing.partition_point(|&m| (m as usize) < hi);
    missing[a..b].iter().map(|&m| m - lo as u32).collect()
}

/// Rows `lo..hi` of a column, as [`column`] lays those rows out on their
/// own: `None` when none of them has a value.
fn part<T: Clone>(
    values: &[T],
    missing: &[u32],
    lo: usize,
    hi: usize,
) -> Option<(Vec<T>, Vec<u32>)> {
    let missing = missing_in(missing, lo, hi);
    (missing.len() < hi - lo).then(|| (values[lo..hi].to_vec(), missing))
}

/// [`part`] of a column record of the contract.
macro_rules! part {
    ($col:expr, $ty:ident, $lo:expr, $hi:expr) => {
        $col.as_ref()
            .and_then(|c| part(&c.values, &c.missing, $lo, $hi))
            .map(|(values, missing)| w::$ty { values, missing })
    };
}

/// Rows `lo..hi` of a text column, as [`texts`] lays those rows out on
/// their own: a dictionary of their texts only, in order of first
/// appearance; `None` when none of them has a text.
fn texts_part(t: &w::Texts, lo: usize, hi: usize) -> Option<w::Texts> {
    let missing = missing_in(&t.missing, lo, hi);
    if missing.len() == hi - lo {
        return None;
    }
    let mut renumbered: HashMap<u32, u32> = HashMap::new();
    let mut dictionary = Vec::new();
    let mut codes = Vec::with_capacity(hi - lo);
    let mut gaps = missing.iter().copied().peekable();
    for (i, &code) in t.codes[lo..hi].iter().enumerate() {
        if gaps.next_if_eq(&(i as u32)).is_some() {
            codes.push(0);
            continue;
        }
        let new = *renumbered.entry(code).or_insert_with(|| {
            dictionary.push(t.dictionary[code as usize].clone());
            (dictionary.len() - 1) as u32
        });
        codes.push(new);
    }
    Some(w::Texts {
        dictionary,
        codes,
        missing,
    })
}

/// Rows `lo..hi` of lists laid end to end (see [`group`]): their end
/// offsets renumbered from their first element, their rows without a list,
/// and the range of their elements; `None` when none of them has a list.
fn group_part(
    ends: &[u32],
    missing: &[u32],
    lo: usize,
    hi: usize,
) -> Option<(Vec<u32>, Vec<u32>, usize, usize)> {
    let missing = missing_in(missing, lo, hi);
    if missing.len() == hi - lo {
        return None;
    }
    let base = if lo == 0 { 0 } else { ends[lo - 1] };
    let ends: Vec<u32> = ends[lo..hi].iter().map(|&e| e - base).collect();
    let end = base as usize + ends.last().copied().unwrap_or(0) as usize;
    Some((ends, missing, base as usize, end))
}

/// Customers `lo..hi` of a laid-out population, exactly as [`customers`]
/// lays those customers out on their own (the same columns present, the
/// same texts in the same dictionary order), but from columns rather than
/// records: a score batch of a population laid out once for its fit costs
/// a copy of its share of each column.
pub(crate) fn customers_part(c: &w::Customers, lo: usize, hi: usize) -> w::Customers {
    let texts = |t: &Option<w::Texts>, lo, hi| t.as_ref().and_then(|t| texts_part(t, lo, hi));
    let p = &c.purchases;
    w::Customers {
        subject: c.subject[lo..hi].to_vec(),
        signup: part!(c.signup, Instants, lo, hi),
        country: texts(&c.country, lo, hi),
        region: texts(&c.region, lo, hi),
        purchases: w::Purchases {
            count: part!(p.count, Counts, lo, hi),
            days: part!(p.days, Counts, lo, hi),
            first: part!(p.first, Instants, lo, hi),
            last: part!(p.last, Instants, lo, hi),
            total_amount: part!(p.total_amount, Numbers, lo, hi),
            total_quantity: part!(p.total_quantity, Integers, lo, hi),
        },
        transactions: c.transactions.as_ref().and_then(|t| {
            let (ends, missing, a, b) = group_part(&t.ends, &t.missing, lo, hi)?;
            Some(w::Transactions {
                ends,
                missing,
                at: part!(t.at, Instants, a, b),
                amount: part!(t.amount, Numbers, a, b),
                quantity: part!(t.quantity, Integers, a, b),
                channel: texts(&t.channel, a, b),
            })
        }),
        interactions: c.interactions.as_ref().and_then(|t| {
            let (ends, missing, a, b) = group_part(&t.ends, &t.missing, lo, hi)?;
            Some(w::Interactions {
                ends,
                missing,
                at: part!(t.at, Instants, a, b),
                kind: texts(&t.kind, a, b),
                channel: texts(&t.channel, a, b),
                nps: part!(t.nps, Integers, a, b),
                sentiment: part!(t.sentiment, Numbers, a, b),
            })
        }),
        referrals: c.referrals.as_ref().and_then(|t| {
            let (ends, missing, a, b) = group_part(&t.ends, &t.missing, lo, hi)?;
            Some(w::Referrals {
                ends,
                missing,
                referred: part!(t.referred, Handles, a, b),
                at: part!(t.at, Instants, a, b),
            })
        }),
        previous: c.previous.as_ref().and_then(|p| {
            let missing = missing_in(&p.missing, lo, hi);
            (missing.len() < hi - lo).then(|| w::Previous {
                missing,
                as_of: part!(p.as_of, Instants, lo, hi),
                score: part!(p.score, Numbers, lo, hi),
                label: texts(&p.label, lo, hi),
            })
        }),
    }
}

/// Lays a batch of suppliers out in columns.
pub(crate) fn suppliers(batch: &[wit::Supplier]) -> w::Suppliers {
    w::Suppliers {
        subject: batch.iter().map(|s| s.subject).collect(),
        category: texts(batch, |s| s.category.as_deref()),
        country: texts(batch, |s| s.country.as_deref()),
        deliveries: group(batch, |s| s.deliveries.as_deref()).map(|(ends, missing, rows)| {
            w::Deliveries {
                ends,
                missing,
                ordered: instants(&rows, |d| d.ordered),
                promised: instants(&rows, |d| d.promised),
                delivered: instants(&rows, |d| d.delivered),
                quantity_ordered: integers(&rows, |d| d.quantity_ordered),
                quantity_delivered: integers(&rows, |d| d.quantity_delivered),
                quantity_accepted: integers(&rows, |d| d.quantity_accepted),
                unit_price: numbers(&rows, |d| d.unit_price),
                agreed_unit_price: numbers(&rows, |d| d.agreed_unit_price),
                response_hours: numbers(&rows, |d| d.response_hours),
            }
        }),
        previous: previous(batch, |s| s.previous.as_ref()),
    }
}

fn diagnostic(d: w::Diagnostic) -> wit::Diagnostic {
    wit::Diagnostic {
        severity: match d.severity {
            w::Severity::Info => wit::Severity::Info,
            w::Severity::Warning => wit::Severity::Warning,
        },
        message: d.message,
    }
}

pub(crate) fn model(m: w::Model) -> wit::Model {
    wit::Model {
        state: m.state,
        diagnostics: m.diagnostics.into_iter().map(diagnostic).collect(),
    }
}

pub(crate) fn error(e: w::PluginError) -> wit::PluginError {
    wit::PluginError {
        code: e.code,
        message: e.message,
    }
}

/// Takes the returned columns over as they are (checked by the caller).
pub(crate) fn scored(s: w::Scored) -> wit::Scored {
    let o = s.outputs;
    wit::Scored {
        outputs: wit::Outputs {
            subject: o.subject,
            score: o.score,
            label: o.label,
            value_count: o.value_count,
            value_name: o.value_name,
            value: o.value,
            term_count: o.term_count,
            term_label: o.term_label,
            term_value: o.term_value,
            text: o.strings.text,
            ends: o.strings.ends,
            value_start: Vec::new(),
            term_start: Vec::new(),
        },
        diagnostics: s.diagnostics.into_iter().map(diagnostic).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tx(
        at: Option<i64>,
        amount: Option<f64>,
        quantity: Option<i64>,
        ch: Option<&str>,
    ) -> wit::Transaction {
        wit::Transaction {
            at,
            amount,
            quantity,
            channel: ch.map(str::to_owned),
        }
    }

    /// The one-pass layout against a column-at-a-time reading of the same
    /// records: customers without a list or with an empty one, values and
    /// channels missing here and there (the first channel late in the
    /// batch), single-valued fields present for some customers only.
    #[test]
    fn one_pass_layout_reads_as_the_records() {
        let lists = [
            None,
            Some(vec![tx(Some(5), Some(1.5), None, None)]),
            Some(vec![]),
            Some(vec![
                tx(None, Some(2.0), Some(3), Some("web")),
                tx(Some(9), None, None, None),
            ]),
            None,
            Some(vec![
                tx(Some(11), Some(4.0), None, Some("shop")),
                tx(Some(12), Some(0.5), None, Some("web")),
            ]),
        ];
        let batch: Vec<wit::Customer> = lists
            .iter()
            .enumerate()
            .map(|(i, l)| wit::Customer {
                subject: 10 + i as u64,
                signup: (i % 2 == 1).then_some(i as i64),
                purchases: wit::Purchases {
                    count: (i > 2).then_some(i as u32),
                    ..Default::default()
                },
                transactions: l.clone(),
                ..Default::default()
            })
            .collect();
        let c = customers(&batch);
        assert_eq!(c.subject, vec![10, 11, 12, 13, 14, 15]);
        let signup = c.signup.expect("some signups");
        assert_eq!(signup.missing, vec![0, 2, 4]);
        assert_eq!(
            (signup.values[1], signup.values[3], signup.values[5]),
            (1, 3, 5)
        );
        let count = c.purchases.count.expect("some counts");
        assert_eq!(count.missing, vec![0, 1, 2]);
        assert_eq!(&count.values[3..], &[3, 4, 5]);
        assert!(c.purchases.days.is_none() && c.purchases.total_amount.is_none());
        let t = c.transactions.expect("lists");
        assert_eq!(t.ends, vec![0, 1, 1, 3, 3, 5]);
        assert_eq!(t.missing, vec![0, 4]);
        let rows: Vec<&wit::Transaction> = lists.iter().flatten().flatten().collect();
        let at = t.at.expect("instants");
        let amount = t.amount.expect("amounts");
        let quantity = t.quantity.expect("a quantity");
        let channel = t.channel.expect("channels");
        for (k, r) in rows.iter().enumerate() {
            let k32 = k as u32;
            let read = |missing: &[u32]| !missing.contains(&k32);
            assert_eq!(read(&at.missing).then(|| at.values[k]), r.at, "at {k}");
            assert_eq!(
                read(&amount.missing).then(|| amount.values[k]),
                r.amount,
                "amount {k}"
            );
            assert_eq!(
                read(&quantity.missing).then(|| quantity.values[k]),
                r.quantity,
                "quantity {k}"
            );
            assert_eq!(
                read(&channel.missing)
                    .then(|| channel.dictionary[channel.codes[k] as usize].as_str()),
                r.channel.as_deref(),
                "channel {k}"
            );
        }
        assert_eq!(
            channel.dictionary,
            vec!["web".to_owned(), "shop".to_owned()]
        );
        assert_eq!(rows.len(), at.values.len());
        // No list anywhere: no transactions at all.
        let none: Vec<wit::Customer> = batch
            .iter()
            .map(|c| wit::Customer {
                transactions: None,
                ..c.clone()
            })
            .collect();
        assert!(customers(&none).transactions.is_none());
    }

    /// A population whose every field is present for some customers only,
    /// some fields for a few neighbouring customers only, texts repeating.
    fn varied(n: usize) -> Vec<wit::Customer> {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |m: u64| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) % m
        };
        let words = ["web", "shop", "phone", "fair", "mail"];
        (0..n)
            .map(|i| {
                let rare = (20..24).contains(&i);
                let text = |k: u64| words[k as usize].to_owned();
                let transactions = (next(100) < 85).then(|| {
                    (0..next(4))
                        .map(|k| wit::Transaction {
                            at: (next(10) < 8).then_some((i * 10 + k as usize) as i64),
                            amount: (next(10) < 7).then_some(k as f64 + 0.25),
                            quantity: rare.then_some(k as i64),
                            channel: (next(10) < 5).then(|| text(next(5))),
                        })
                        .collect()
                });
                wit::Customer {
                    subject: 1000 + i as u64,
                    signup: (next(100) < 50).then_some(i as i64 * 7),
                    country: (next(100) < 60).then(|| text(next(5))),
                    region: rare.then(|| text(next(3))),
                    purchases: wit::Purchases {
                        count: (next(100) < 70).then_some(i as u32),
                        days: rare.then_some(2),
                        first: (next(100) < 30).then_some(-(i as i64)),
                        last: None,
                        total_amount: (next(100) < 40).then_some(i as f64 / 3.0),
                        total_quantity: (next(100) < 20).then_some(i as i64),
                    },
                    transactions,
                    interactions: (next(100) < 40).then(|| {
                        (0..next(3))
                            .map(|k| wit::Interaction {
                                at: Some(k as i64),
                                kind: (next(2) == 0).then(|| text(next(5))),
                                channel: rare.then(|| text(1)),
                                nps: (next(3) == 0).then_some(k as i64),
                                sentiment: (next(4) == 0).then_some(0.5),
                            })
                            .collect()
                    }),
                    referrals: rare.then(|| {
                        vec![wit::Referral {
                            referred: Some(i as u64),
                            at: None,
                        }]
                    }),
                    previous: (next(100) < 30).then(|| wit::Previous {
                        as_of: Some(5),
                        score: (next(2) == 0).then_some(i as f64),
                        label: (next(2) == 0).then(|| text(next(5))),
                    }),
                }
            })
            .collect()
    }

    /// A score batch copied from a population laid out once is the batch
    /// laid out on its own, for every range of the population: the same
    /// columns present and absent, the same values, the same dictionaries
    /// in the same order (and so no text of a customer outside the batch).
    #[test]
    fn a_part_of_a_laid_out_population_is_the_part_laid_out() {
        let all = varied(48);
        let laid = customers(&all);
        let mut present = [0usize; 4];
        for lo in 0..=all.len() {
            for hi in lo..=all.len() {
                let part = customers_part(&laid, lo, hi);
                let own = customers(&all[lo..hi]);
                assert_eq!(
                    format!("{part:?}"),
                    format!("{own:?}"),
                    "customers {lo}..{hi}"
                );
                present[0] += part.region.is_some() as usize;
                present[1] += part.referrals.is_some() as usize;
                present[2] += part
                    .transactions
                    .as_ref()
                    .is_some_and(|t| t.channel.is_some()) as usize;
                present[3] += part.previous.is_some() as usize;
            }
        }
        // Both sides of every presence rule were exercised.
        let ranges = (all.len() + 1) * (all.len() + 2) / 2;
        for (k, p) in present.iter().enumerate() {
            assert!(
                *p > 0 && *p < ranges,
                "field {k} present in {p} of {ranges} ranges"
            );
        }
    }
}
