//! Column-level access to a batch, for plugins whose cost per customer is
//! small enough that building one [`Customer`] per record (and one
//! [`Output`](crate::Output) with its own strings per result) would be most
//! of the work.
//!
//! * [`CustomerBatch`] reads a batch where it lies: in the columns of
//!   `rapport:plugin@0.2.0` inside the sandbox, or in a slice of
//!   [`Customer`]s natively (tests, benchmarks). Both give the same values,
//!   so one code path serves both.
//! * [`OutputColumns`] writes outputs straight into the columns and string
//!   table the host reads, with strings shared across outputs by handle
//!   ([`Text`]) instead of one `String` per label, name and term.
//!
//! A plugin opts in by overriding [`Scorer::fit_batch`](crate::Scorer::fit_batch)
//! and [`Scorer::score_batch`](crate::Scorer::score_batch); the defaults turn
//! the batch into records and call `fit` and `score`, exactly as before.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use crate::columns::{absent, malformed};
use crate::types::{Contribution, Customer, NamedValue, Output, Scored, Transaction};
use crate::wit as w;
use crate::{Diagnostic, PluginError};

/// The customers of one call, as the host sent them.
#[derive(Debug)]
pub struct CustomerBatch<'a>(Inner<'a>);

#[derive(Debug)]
enum Inner<'a> {
    Records(&'a [Customer]),
    Columns(Box<w::Customers>),
}

/// The checked column of a wire field (`values` and `missing`) that may not
/// have been granted, borrowed in place.
macro_rules! col_of {
    ($field:expr, $rows:expr, $what:literal) => {
        Col::of(
            $field.as_ref().map(|c| (&c.values[..], &c.missing[..])),
            $rows,
            $what,
        )?
    };
}

impl<'a> CustomerBatch<'a> {
    /// A batch over records (native runs, tests).
    pub fn records(records: &'a [Customer]) -> Self {
        Self(Inner::Records(records))
    }

    /// A batch over the wire's columns, as the export glue receives them.
    pub fn columns(columns: w::Customers) -> Self {
        Self(Inner::Columns(Box::new(columns)))
    }

    /// Number of customers.
    pub fn len(&self) -> usize {
        match &self.0 {
            Inner::Records(r) => r.len(),
            Inner::Columns(c) => c.subject.len(),
        }
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The subject handle of customer `i` (see [`Customer::subject`]).
    ///
    /// # Panics
    ///
    /// If `i` is not below [`Self::len`].
    pub fn subject(&self, i: usize) -> u64 {
        match &self.0 {
            Inner::Records(r) => r[i].subject,
            Inner::Columns(c) => c.subject[i],
        }
    }

    /// The purchases of every customer (`transactions.at`, `.amount`,
    /// `.quantity`), checked once for the whole batch.
    pub fn transactions(&self) -> Result<TransactionLists<'_>, PluginError> {
        match &self.0 {
            Inner::Records(r) => Ok(TransactionLists(ListsInner::Records(r))),
            Inner::Columns(c) => {
                let n = c.subject.len();
                let Some(t) = &c.transactions else {
                    return Ok(TransactionLists(ListsInner::None));
                };
                if t.ends.len() != n {
                    return Err(malformed(format!(
                        "`transactions` has {} ends for {n} records",
                        t.ends.len()
                    )));
                }
                if let Some(w) = t.ends.windows(2).find(|w| w[1] < w[0]) {
                    return Err(malformed(format!(
                        "`transactions` ends go backwards ({} then {})",
                        w[0], w[1]
                    )));
                }
                let rows = t.ends.last().copied().unwrap_or(0) as usize;
                Ok(TransactionLists(ListsInner::Columns(Box::new(TxColumns {
                    ends: &t.ends,
                    absent: absent(&t.missing, n, "transactions")?,
                    at: col_of!(t.at, rows, "transactions.at"),
                    amount: col_of!(t.amount, rows, "transactions.amount"),
                    quantity: col_of!(t.quantity, rows, "transactions.quantity"),
                }))))
            }
        }
    }

    /// The purchase summaries of every customer (`purchases.count`, `.days`,
    /// `.first`, `.last`, `.total_amount`, `.total_quantity`), checked once
    /// for the whole batch.
    pub fn purchases(&self) -> Result<PurchaseColumns<'_>, PluginError> {
        match &self.0 {
            Inner::Records(r) => Ok(PurchaseColumns(PurchasesInner::Records(r))),
            Inner::Columns(c) => {
                let n = c.subject.len();
                let p = &c.purchases;
                Ok(PurchaseColumns(PurchasesInner::Columns(Box::new(
                    PurchaseCols {
                        count: col_of!(p.count, n, "purchases.count"),
                        days: col_of!(p.days, n, "purchases.days"),
                        first: col_of!(p.first, n, "purchases.first"),
                        last: col_of!(p.last, n, "purchases.last"),
                        total_amount: col_of!(p.total_amount, n, "purchases.total_amount"),
                        total_quantity: col_of!(p.total_quantity, n, "purchases.total_quantity"),
                    },
                ))))
            }
        }
    }

    /// The batch as one [`Customer`] per record: borrowed when it is
    /// records already, converted from the columns otherwise.
    pub fn into_records(self) -> Result<Cow<'a, [Customer]>, PluginError> {
        match self.0 {
            Inner::Records(r) => Ok(Cow::Borrowed(r)),
            Inner::Columns(c) => crate::columns::customers(*c).map(Cow::Owned),
        }
    }
}

/// A column of copyable values with its absent rows.
#[derive(Debug)]
struct Col<'a, T> {
    values: &'a [T],
    absent: Vec<bool>,
    /// No row is absent.
    complete: bool,
}

impl<'a, T: Copy> Col<'a, T> {
    /// The column of a field given as `(values, missing)`, checked against
    /// the number of rows; `None` when the field was not granted.
    fn of(
        c: Option<(&'a [T], &[u32])>,
        rows: usize,
        what: &str,
    ) -> Result<Option<Self>, PluginError> {
        let Some((values, missing)) = c else {
            return Ok(None);
        };
        if values.len() != rows {
            return Err(malformed(format!(
                "`{what}` has {} values for {rows} rows",
                values.len()
            )));
        }
        Ok(Some(Col {
            values,
            absent: absent(missing, rows, what)?,
            complete: missing.is_empty(),
        }))
    }

    #[inline]
    fn get(&self, k: usize) -> Option<T> {
        if self.absent.get(k).copied().unwrap_or(false) {
            None
        } else {
            self.values.get(k).copied()
        }
    }
}

#[derive(Debug)]
struct PurchaseCols<'a> {
    count: Option<Col<'a, u32>>,
    days: Option<Col<'a, u32>>,
    first: Option<Col<'a, i64>>,
    last: Option<Col<'a, i64>>,
    total_amount: Option<Col<'a, f64>>,
    total_quantity: Option<Col<'a, i64>>,
}

/// The purchase summaries of a batch: each accessor gives customer `i`'s
/// value of one field of [`Purchases`](crate::Purchases), `None` when it is
/// absent or was not granted.
#[derive(Debug)]
pub struct PurchaseColumns<'a>(PurchasesInner<'a>);

#[derive(Debug)]
enum PurchasesInner<'a> {
    Records(&'a [Customer]),
    Columns(Box<PurchaseCols<'a>>),
}

macro_rules! purchase_field {
    ($(#[$doc:meta])* $name:ident: $t:ty) => {
        $(#[$doc])*
        #[inline]
        pub fn $name(&self, i: usize) -> Option<$t> {
            match &self.0 {
                PurchasesInner::Records(r) => r.get(i)?.purchases.$name,
                PurchasesInner::Columns(c) => c.$name.as_ref()?.get(i),
            }
        }
    };
}

impl PurchaseColumns<'_> {
    purchase_field!(
        /// Number of transactions (`purchases.count`).
        count: u32
    );
    purchase_field!(
        /// Number of distinct calendar days with a purchase (`purchases.days`).
        days: u32
    );
    purchase_field!(
        /// First purchase instant (`purchases.first`).
        first: i64
    );
    purchase_field!(
        /// Last purchase instant (`purchases.last`).
        last: i64
    );
    purchase_field!(
        /// Sum of transaction amounts (`purchases.total_amount`).
        total_amount: f64
    );
    purchase_field!(
        /// Sum of transaction quantities (`purchases.total_quantity`).
        total_quantity: i64
    );
}

#[derive(Debug)]
struct TxColumns<'a> {
    ends: &'a [u32],
    absent: Vec<bool>,
    at: Option<Col<'a, i64>>,
    amount: Option<Col<'a, f64>>,
    quantity: Option<Col<'a, i64>>,
}

/// The transaction lists of a batch: [`Self::get`] gives customer `i`'s.
#[derive(Debug)]
pub struct TransactionLists<'a>(ListsInner<'a>);

#[derive(Debug)]
enum ListsInner<'a> {
    Records(&'a [Customer]),
    Columns(Box<TxColumns<'a>>),
    /// No transaction field was granted.
    None,
}

impl TransactionLists<'_> {
    /// Customer `i`'s purchases; `None` when the customer has no list (no
    /// `transactions.*` field granted), as opposed to an empty one.
    pub fn get(&self, i: usize) -> Option<Transactions<'_>> {
        match &self.0 {
            ListsInner::Records(r) => r
                .get(i)
                .and_then(|c| c.transactions.as_deref())
                .map(|t| Transactions(TxInner::Records(t))),
            ListsInner::Columns(t) => {
                if t.absent.get(i).copied().unwrap_or(false) {
                    return None;
                }
                let end = *t.ends.get(i)? as usize;
                let start = if i == 0 { 0 } else { t.ends[i - 1] as usize };
                Some(Transactions(TxInner::Columns {
                    cols: t,
                    start,
                    len: end - start,
                }))
            }
            ListsInner::None => None,
        }
    }
}

/// One customer's purchases, in the order the host sent them.
#[derive(Debug, Clone, Copy)]
pub struct Transactions<'a>(TxInner<'a>);

impl<'a> From<&'a [Transaction]> for Transactions<'a> {
    fn from(list: &'a [Transaction]) -> Self {
        Self(TxInner::Records(list))
    }
}

#[derive(Debug, Clone, Copy)]
enum TxInner<'a> {
    Records(&'a [Transaction]),
    Columns {
        cols: &'a TxColumns<'a>,
        start: usize,
        len: usize,
    },
}

impl Transactions<'_> {
    /// Number of purchases.
    pub fn len(&self) -> usize {
        match self.0 {
            TxInner::Records(t) => t.len(),
            TxInner::Columns { len, .. } => len,
        }
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// When purchase `k` happened (see [`Transaction::at`]); `None` past
    /// the end.
    #[inline]
    pub fn at(&self, k: usize) -> Option<i64> {
        match self.0 {
            TxInner::Records(t) => t.get(k)?.at,
            TxInner::Columns { cols, start, len } => {
                (k < len).then_some(())?;
                cols.at.as_ref()?.get(start + k)
            }
        }
    }

    /// What purchase `k` was worth (see [`Transaction::amount`]).
    #[inline]
    pub fn amount(&self, k: usize) -> Option<f64> {
        match self.0 {
            TxInner::Records(t) => t.get(k)?.amount,
            TxInner::Columns { cols, start, len } => {
                (k < len).then_some(())?;
                cols.amount.as_ref()?.get(start + k)
            }
        }
    }

    /// How much purchase `k` bought (see [`Transaction::quantity`]).
    #[inline]
    pub fn quantity(&self, k: usize) -> Option<i64> {
        match self.0 {
            TxInner::Records(t) => t.get(k)?.quantity,
            TxInner::Columns { cols, start, len } => {
                (k < len).then_some(())?;
                cols.quantity.as_ref()?.get(start + k)
            }
        }
    }
}

impl<'a> Transactions<'a> {
    /// Every purchase's instant and amount as two slices, when the batch
    /// holds them as columns in which no purchase lacks either: a plugin
    /// that reads every purchase can loop over them without a check per
    /// value. `None` otherwise (records, or a value missing anywhere in
    /// the batch), and [`Self::at`] and [`Self::amount`] read them.
    #[inline]
    pub fn dense(&self) -> Option<(&'a [i64], &'a [f64])> {
        match self.0 {
            TxInner::Records(_) => None,
            TxInner::Columns { cols, start, len } => {
                let at = cols.at.as_ref().filter(|c| c.complete)?;
                let amount = cols.amount.as_ref().filter(|c| c.complete)?;
                Some((
                    at.values.get(start..start + len)?,
                    amount.values.get(start..start + len)?,
                ))
            }
        }
    }
}

/// A string of an [`OutputColumns`] table: write it once, use it in any
/// number of outputs of the same call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text(u32);

/// The value names of [`OutputColumns::push_all`], fixed for a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Names<const V: usize>([u32; V]);

/// Appends to the text of one string of an [`OutputColumns`] table (see
/// [`OutputColumns::text_with`]).
pub struct TextWriter<'a>(&'a mut String);

impl TextWriter<'_> {
    /// Appends `s`.
    #[inline]
    pub fn push_str(&mut self, s: &str) {
        self.0.push_str(s);
    }

    /// Appends `c`.
    #[inline]
    pub fn push(&mut self, c: char) {
        self.0.push(c);
    }

    /// Appends `n` in decimal, without `core::fmt` (see [`crate::text`]).
    #[inline]
    pub fn push_uint(&mut self, n: u64) {
        crate::text::push_uint(self.0, n);
    }

    /// Appends `n` in decimal, without `core::fmt` (see [`crate::text`]).
    #[inline]
    pub fn push_int(&mut self, n: i64) {
        crate::text::push_int(self.0, n);
    }

    /// Appends `v` with `decimals` decimals, without `core::fmt` for the
    /// usual magnitudes (see [`crate::text::push_fixed`]).
    #[inline]
    pub fn push_fixed(&mut self, v: f64, decimals: u32) {
        crate::text::push_fixed(self.0, v, decimals);
    }
}

impl fmt::Write for TextWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.push_str(s);
        Ok(())
    }
}

/// The outputs of one `score` call laid out as the host reads them: one
/// entry per output in `subject`, `score`, `label`, the named values and
/// explanation terms of all outputs one after the other, and every string
/// once in a table, named by [`Text`] handles. Outputs keep the order they
/// were pushed in.
///
/// ```
/// use rapport_plugin_sdk::OutputColumns;
///
/// let mut out = OutputColumns::default();
/// let high = out.intern("high");
/// let p_alive = out.intern("p_alive");
/// let why = out.text("bought 3 times");
/// out.push(7, 120.0, Some(high)).value(p_alive, 0.9).term(why, 120.0);
/// out.push(8, 95.5, Some(high)).value(p_alive, 0.7).term(why, 95.5);
/// let outputs = out.into_outputs();
/// assert_eq!(outputs[1].label.as_deref(), Some("high"));
/// assert_eq!(outputs[1].explanation[0].label, "bought 3 times");
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutputColumns {
    subject: Vec<u64>,
    score: Vec<f64>,
    label: Vec<u32>,
    value_count: Vec<u32>,
    value_name: Vec<u32>,
    value: Vec<f64>,
    term_count: Vec<u32>,
    term_label: Vec<u32>,
    term_value: Vec<f64>,
    text: String,
    ends: Vec<u32>,
    interned: BTreeMap<String, u32>,
}

/// The `label` entry of an output without one.
const NO_LABEL: u32 = u32::MAX;

impl OutputColumns {
    /// Room for `outputs` outputs of `values` named values and `terms`
    /// explanation terms each.
    pub fn with_capacity(outputs: usize, values: usize, terms: usize) -> Self {
        Self {
            subject: Vec::with_capacity(outputs),
            score: Vec::with_capacity(outputs),
            label: Vec::with_capacity(outputs),
            value_count: Vec::with_capacity(outputs),
            value_name: Vec::with_capacity(outputs * values),
            value: Vec::with_capacity(outputs * values),
            term_count: Vec::with_capacity(outputs),
            term_label: Vec::with_capacity(outputs * terms),
            term_value: Vec::with_capacity(outputs * terms),
            ..Self::default()
        }
    }

    /// Room in the string table for `strings` more strings of `bytes` bytes
    /// in all: a plugin that writes a label per output says so once, and
    /// the table does not grow (copying every label written so far) while
    /// the batch is scored.
    pub fn reserve_text(&mut self, strings: usize, bytes: usize) {
        self.ends.reserve(strings);
        self.text.reserve(bytes);
    }

    /// Number of outputs.
    pub fn len(&self) -> usize {
        self.subject.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.subject.is_empty()
    }

    #[inline]
    fn end_string(&mut self) -> Text {
        self.ends.push(self.text.len() as u32);
        Text((self.ends.len() - 1) as u32)
    }

    /// Adds `s` to the table as a new string.
    pub fn text(&mut self, s: &str) -> Text {
        self.text.push_str(s);
        self.end_string()
    }

    /// Adds the string `write` writes to the table, without building it
    /// apart first.
    #[inline]
    pub fn text_with(&mut self, write: impl FnOnce(&mut TextWriter<'_>)) -> Text {
        write(&mut TextWriter(&mut self.text));
        self.end_string()
    }

    /// `s` from the table if it was interned before, else added. For the
    /// strings many outputs share (value names, labels).
    pub fn intern(&mut self, s: &str) -> Text {
        if let Some(&i) = self.interned.get(s) {
            return Text(i);
        }
        let t = self.text(s);
        self.interned.insert(s.to_owned(), t.0);
        t
    }

    /// The text of a string of the table.
    pub fn get(&self, t: Text) -> &str {
        let i = t.0 as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    /// Starts the output of `subject`; add its values and terms to what this
    /// returns.
    #[inline]
    pub fn push(&mut self, subject: u64, score: f64, label: Option<Text>) -> OutputWriter<'_> {
        self.subject.push(subject);
        self.score.push(score);
        self.label.push(label.map_or(NO_LABEL, |t| t.0));
        self.value_count.push(0);
        self.term_count.push(0);
        OutputWriter(self)
    }

    /// The names of the values every output of a call carries, in order,
    /// for [`Self::push_all`].
    pub fn names<const V: usize>(&self, names: [Text; V]) -> Names<V> {
        Names(names.map(|t| t.0))
    }

    /// Appends a whole output at once: `values` named by `names`, in order,
    /// and the explanation `terms` as (label, contribution). The same as
    /// [`Self::push`] followed by [`OutputWriter::value`] and
    /// [`OutputWriter::term`] for each, with each column grown once per
    /// output by a copy of a fixed-size array (one `memory.copy` in the
    /// sandbox) rather than once per value, for plugins that write the same
    /// values and number of terms for many outputs.
    #[inline]
    pub fn push_all<const V: usize, const T: usize>(
        &mut self,
        subject: u64,
        score: f64,
        label: Option<Text>,
        names: &Names<V>,
        values: [f64; V],
        terms: [(Text, f64); T],
    ) {
        self.subject.push(subject);
        self.score.push(score);
        self.label.push(label.map_or(NO_LABEL, |t| t.0));
        self.value_count.push(V as u32);
        self.term_count.push(T as u32);
        self.value_name.extend_from_slice(&names.0);
        self.value.extend_from_slice(&values);
        self.term_label.extend_from_slice(&terms.map(|t| t.0 .0));
        self.term_value.extend_from_slice(&terms.map(|t| t.1));
    }

    /// Appends an output built the record way, its strings added as they
    /// come.
    pub fn push_output(&mut self, o: &Output) {
        let label = o.label.as_deref().map(|l| self.intern(l));
        let names: Vec<Text> = o.values.iter().map(|v| self.intern(&v.name)).collect();
        let terms: Vec<Text> = o.explanation.iter().map(|c| self.text(&c.label)).collect();
        let mut w = self.push(o.subject, o.score, label);
        for (n, v) in names.into_iter().zip(&o.values) {
            w = w.value(n, v.value);
        }
        for (t, c) in terms.into_iter().zip(&o.explanation) {
            w = w.term(t, c.value);
        }
    }

    /// The outputs as records (native runs, tests).
    pub fn into_outputs(self) -> Vec<Output> {
        let get = |i: u32| {
            let i = i as usize;
            let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
            self.text[start..self.ends[i] as usize].to_owned()
        };
        let (mut v, mut c) = (0usize, 0usize);
        (0..self.subject.len())
            .map(|i| {
                let nv = self.value_count[i] as usize;
                let values = (v..v + nv)
                    .map(|k| NamedValue {
                        name: get(self.value_name[k]),
                        value: self.value[k],
                    })
                    .collect();
                v += nv;
                let nt = self.term_count[i] as usize;
                let explanation = (c..c + nt)
                    .map(|k| Contribution {
                        label: get(self.term_label[k]),
                        value: self.term_value[k],
                    })
                    .collect();
                c += nt;
                Output {
                    subject: self.subject[i],
                    score: self.score[i],
                    label: (self.label[i] != NO_LABEL).then(|| get(self.label[i])),
                    values,
                    explanation,
                }
            })
            .collect()
    }

    /// The wire layout, moved over as it is.
    pub(crate) fn into_wire(self) -> w::Outputs {
        w::Outputs {
            subject: self.subject,
            score: self.score,
            label: self.label,
            value_count: self.value_count,
            value_name: self.value_name,
            value: self.value,
            term_count: self.term_count,
            term_label: self.term_label,
            term_value: self.term_value,
            strings: w::Strings {
                text: self.text,
                ends: self.ends,
            },
        }
    }
}

/// The output being written (see [`OutputColumns::push`]).
pub struct OutputWriter<'a>(&'a mut OutputColumns);

impl OutputWriter<'_> {
    /// Appends a named value, e.g. `p_alive`.
    #[inline]
    pub fn value(self, name: Text, value: f64) -> Self {
        let o = &mut *self.0;
        o.value_name.push(name.0);
        o.value.push(value);
        if let Some(c) = o.value_count.last_mut() {
            *c += 1;
        }
        self
    }

    /// Appends a term of the explanation: a label and its signed
    /// contribution in the score's unit.
    #[inline]
    pub fn term(self, label: Text, contribution: f64) -> Self {
        let o = &mut *self.0;
        o.term_label.push(label.0);
        o.term_value.push(contribution);
        if let Some(c) = o.term_count.last_mut() {
            *c += 1;
        }
        self
    }
}

/// What [`Scorer::score_batch`](crate::Scorer::score_batch) returns: the
/// outputs as records or as columns, with the call's diagnostics.
// One value per `score` call, moved once from the plugin to the glue: the
// size of the larger variant costs nothing, and boxing it would cost an
// allocation per call.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum ScoredBatch {
    /// Records, as `score` returns them.
    Records(Scored),
    /// Columns, written with [`OutputColumns`].
    Columns {
        /// One entry per subject of the batch, in batch order.
        outputs: OutputColumns,
        /// Notes for the operator. Never put personal data in them.
        diagnostics: Vec<Diagnostic>,
    },
}

impl ScoredBatch {
    /// The outputs as records.
    pub fn into_scored(self) -> Scored {
        match self {
            Self::Records(s) => s,
            Self::Columns {
                outputs,
                diagnostics,
            } => Scored {
                outputs: outputs.into_outputs(),
                diagnostics,
            },
        }
    }

    /// The wire layout of `rapport:plugin@0.2.0`.
    pub(crate) fn into_wire(self) -> w::Scored {
        match self {
            Self::Records(s) => crate::columns::scored(s),
            Self::Columns {
                outputs,
                diagnostics,
            } => w::Scored {
                outputs: outputs.into_wire(),
                diagnostics,
            },
        }
    }
}

impl From<Scored> for ScoredBatch {
    fn from(s: Scored) -> Self {
        Self::Records(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire() -> w::Customers {
        w::Customers {
            subject: vec![1, 2, 3],
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
                ends: vec![2, 2, 3],
                missing: vec![1],
                at: Some(w::Instants {
                    values: vec![5, 0, 9],
                    missing: vec![1],
                }),
                amount: Some(w::Numbers {
                    values: vec![1.5, 2.5, 0.0],
                    missing: vec![2],
                }),
                quantity: None,
                channel: None,
            }),
            interactions: None,
            referrals: None,
            previous: None,
        }
    }

    /// The same purchases read from the columns and from the records the
    /// columns convert to.
    #[test]
    fn columns_and_records_read_the_same() {
        let columns = CustomerBatch::columns(wire());
        let records = crate::columns::customers(wire()).expect("well formed");
        let from_records = CustomerBatch::records(&records);
        let read = |b: &CustomerBatch<'_>| {
            let lists = b.transactions().expect("checked");
            (0..b.len())
                .map(|i| {
                    (
                        b.subject(i),
                        lists.get(i).map(|t| {
                            (0..t.len())
                                .map(|k| (t.at(k), t.amount(k), t.quantity(k)))
                                .collect::<Vec<_>>()
                        }),
                    )
                })
                .collect::<Vec<_>>()
        };
        let got = read(&columns);
        assert_eq!(got, read(&from_records));
        assert_eq!(
            got,
            vec![
                (
                    1,
                    Some(vec![(Some(5), Some(1.5), None), (None, Some(2.5), None)])
                ),
                (2, None),
                (3, Some(vec![(Some(9), None, None)])),
            ]
        );
        assert_eq!(columns.into_records().expect("converts")[..], records[..]);
    }

    /// `dense` gives a list's slices only from columns in which no
    /// purchase lacks an instant or an amount.
    #[test]
    fn dense_lists_only_from_complete_columns() {
        let gapped = CustomerBatch::columns(wire());
        let lists = gapped.transactions().expect("checked");
        assert!((0..3).all(|i| lists.get(i).is_none_or(|t| t.dense().is_none())));
        let mut c = wire();
        let t = c.transactions.as_mut().expect("lists");
        t.at.as_mut().expect("at").missing.clear();
        t.amount.as_mut().expect("amount").missing.clear();
        let complete = CustomerBatch::columns(c);
        let lists = complete.transactions().expect("checked");
        assert_eq!(
            lists.get(0).and_then(|t| t.dense()),
            Some((&[5, 0][..], &[1.5, 2.5][..]))
        );
        assert!(lists.get(1).is_none());
        assert_eq!(
            lists.get(2).and_then(|t| t.dense()),
            Some((&[9][..], &[0.0][..]))
        );
        let records = crate::columns::customers(wire()).expect("well formed");
        let from_records = CustomerBatch::records(&records);
        let lists = from_records.transactions().expect("records");
        assert!(lists.get(0).expect("a list").dense().is_none());
    }

    /// The purchase summaries read the same from the columns and from the
    /// records; a field not granted reads as absent everywhere.
    #[test]
    fn purchase_summaries_read_the_same_from_columns_and_records() {
        let mut c = wire();
        c.purchases.count = Some(w::Counts {
            values: vec![2, 0, 1],
            missing: vec![1],
        });
        c.purchases.last = Some(w::Instants {
            values: vec![40, 0, 90],
            missing: vec![],
        });
        c.purchases.total_amount = Some(w::Numbers {
            values: vec![4.0, 0.0, 2.5],
            missing: vec![0],
        });
        let records = crate::columns::customers(c.clone()).expect("well formed");
        let read = |b: &CustomerBatch<'_>| {
            let p = b.purchases().expect("checked");
            (0..b.len())
                .map(|i| {
                    (
                        p.count(i),
                        p.days(i),
                        p.first(i),
                        p.last(i),
                        p.total_amount(i),
                        p.total_quantity(i),
                    )
                })
                .collect::<Vec<_>>()
        };
        let got = read(&CustomerBatch::columns(c));
        assert_eq!(got, read(&CustomerBatch::records(&records)));
        assert_eq!(
            got,
            vec![
                (Some(2), None, None, Some(40), None, None),
                (None, None, None, Some(0), Some(0.0), None),
                (Some(1), None, None, Some(90), Some(2.5), None),
            ]
        );
        let mut short = wire();
        short.purchases.last = Some(w::Instants {
            values: vec![1],
            missing: vec![],
        });
        let err = CustomerBatch::columns(short)
            .purchases()
            .map(|_| ())
            .expect_err("short column");
        assert_eq!(err.code, "input");
        assert!(
            err.message
                .contains("`purchases.last` has 1 values for 3 rows"),
            "{}",
            err.message
        );
    }

    #[test]
    fn malformed_transaction_columns_are_input_errors() {
        let mut c = wire();
        if let Some(t) = c.transactions.as_mut() {
            t.ends = vec![2, 1, 3];
        }
        let err = CustomerBatch::columns(c)
            .transactions()
            .map(|_| ())
            .expect_err("ends backwards");
        assert_eq!(err.code, "input");
        assert!(err.message.contains("go backwards"), "{}", err.message);
        let mut c = wire();
        if let Some(t) = c.transactions.as_mut() {
            t.amount = Some(w::Numbers {
                values: vec![1.0],
                missing: vec![],
            });
        }
        let err = CustomerBatch::columns(c)
            .transactions()
            .map(|_| ())
            .expect_err("short column");
        assert!(
            err.message
                .contains("`transactions.amount` has 1 values for 3 rows"),
            "{}",
            err.message
        );
    }

    #[test]
    fn output_columns_share_strings_and_round_trip() {
        let mut out = OutputColumns::with_capacity(2, 1, 2);
        let high = out.intern("high");
        assert_eq!(out.intern("high"), high);
        let name = out.intern("p_alive");
        let typical = out.text("typical");
        let own = out.text_with(|w| {
            w.push_str("bought ");
            w.push('3');
        });
        assert_eq!(out.get(own), "bought 3");
        out.push(7, 1.0, Some(high))
            .value(name, 0.5)
            .term(typical, 0.25)
            .term(own, 0.75);
        out.push(8, 2.0, None).term(typical, 2.0);
        let record = Output::new(9, 3.0)
            .label("high")
            .value("p_alive", 0.1)
            .because("x", 3.0);
        out.push_output(&record);
        let wire = out.clone().into_wire();
        assert_eq!(wire.strings.ends.len(), 5, "high, p_alive, typical, own, x");
        assert_eq!(wire.value_count, [1, 0, 1]);
        assert_eq!(wire.term_count, [2, 1, 1]);
        let outputs = out.into_outputs();
        assert_eq!(
            outputs[0],
            Output::new(7, 1.0)
                .label("high")
                .value("p_alive", 0.5)
                .because("typical", 0.25)
                .because("bought 3", 0.75)
        );
        assert_eq!(outputs[1], Output::new(8, 2.0).because("typical", 2.0));
        assert_eq!(outputs[2], record);
        // The wire form reads back to the same outputs.
        let scored = ScoredBatch::Columns {
            outputs: {
                let mut o = OutputColumns::default();
                o.push_output(&record);
                o
            },
            diagnostics: Vec::new(),
        }
        .into_wire();
        assert_eq!(crate::columns::outputs_of(&scored), vec![record]);
    }

    /// `push_all` lays out exactly what `push` with `value` and `term` does.
    #[test]
    fn push_all_writes_what_the_chained_calls_write() {
        let build = |whole: bool| {
            let mut out = OutputColumns::with_capacity(1, 2, 1);
            let (a, b, why) = (out.intern("a"), out.intern("b"), out.text("why"));
            for (subject, label) in [(3, Some(a)), (4, None)] {
                if whole {
                    let names = out.names([a, b]);
                    out.push_all(subject, 1.5, label, &names, [0.25, -1.0], [(why, 1.5)]);
                } else {
                    out.push(subject, 1.5, label)
                        .value(a, 0.25)
                        .value(b, -1.0)
                        .term(why, 1.5);
                }
            }
            if whole {
                out.push_all(5, 0.0, None, &out.names([]), [], []);
            } else {
                out.push(5, 0.0, None);
            }
            out
        };
        let whole = build(true);
        assert_eq!(whole, build(false));
        assert_eq!(whole.clone().into_wire().value_count, [2, 2, 0]);
        assert_eq!(
            whole.into_outputs()[0],
            Output::new(3, 1.5)
                .label("a")
                .value("a", 0.25)
                .value("b", -1.0)
                .because("why", 1.5)
        );
    }
}
