//! Between the wire layout of `rapport:plugin@0.2.0` (columns, a string
//! table) and the SDK's one-value-per-record types. The export glue calls
//! [`customers`] or [`suppliers`] on every batch that arrives and [`scored`]
//! on every result that leaves; natively, tests call them to check that a
//! batch survives the round trip.
//!
//! Why columns: the component model copies a `list<u64>` or `list<f64>` in
//! one piece but a list of records field by field and every string on its
//! own, which made the copy cost more than the work of a light plugin. The
//! conversion here runs inside the sandbox, under its budgets, and touches
//! each value once.

use std::ops::Range;

use crate::types::{
    Customer, Delivery, Interaction, Previous, Purchases, Referral, Scored, Supplier, Transaction,
};
use crate::wit as w;
use crate::PluginError;

pub(crate) fn malformed(what: String) -> PluginError {
    PluginError::new("input", format!("malformed batch from the host: {what}"))
}

/// Marks the rows listed in `missing`; empty when none is.
pub(crate) fn absent(missing: &[u32], rows: usize, what: &str) -> Result<Vec<bool>, PluginError> {
    let mut absent = Vec::new();
    if !missing.is_empty() {
        absent = vec![false; rows];
        for &m in missing {
            *absent.get_mut(m as usize).ok_or_else(|| {
                malformed(format!("`{what}` lists row {m} of {rows} as missing"))
            })? = true;
        }
    }
    Ok(absent)
}

/// A column of copyable values.
struct Col<T> {
    values: Vec<T>,
    absent: Vec<bool>,
}

impl<T: Copy> Col<T> {
    fn new(values: Vec<T>, missing: &[u32], rows: usize, what: &str) -> Result<Self, PluginError> {
        if values.len() != rows {
            return Err(malformed(format!(
                "`{what}` has {} values for {rows} rows",
                values.len()
            )));
        }
        Ok(Self {
            absent: absent(missing, rows, what)?,
            values,
        })
    }

    /// The column of a field nobody granted.
    fn none() -> Self {
        Self {
            values: Vec::new(),
            absent: Vec::new(),
        }
    }

    #[inline]
    fn get(&self, i: usize) -> Option<T> {
        if self.absent.get(i).copied().unwrap_or(false) {
            None
        } else {
            self.values.get(i).copied()
        }
    }
}

/// Reads an optional column record (`values`, `missing`) of `rows` rows.
macro_rules! col {
    ($column:expr, $rows:expr, $what:literal) => {
        match $column {
            Some(c) => Col::new(c.values, &c.missing, $rows, $what)?,
            None => Col::none(),
        }
    };
}

/// A dictionary-encoded text column.
struct TextCol {
    dictionary: Vec<String>,
    codes: Vec<u32>,
    absent: Vec<bool>,
}

impl TextCol {
    fn new(column: Option<w::Texts>, rows: usize, what: &str) -> Result<Self, PluginError> {
        let Some(c) = column else {
            return Ok(Self {
                dictionary: Vec::new(),
                codes: Vec::new(),
                absent: Vec::new(),
            });
        };
        if c.codes.len() != rows {
            return Err(malformed(format!(
                "`{what}` has {} codes for {rows} rows",
                c.codes.len()
            )));
        }
        let col = Self {
            absent: absent(&c.missing, rows, what)?,
            dictionary: c.dictionary,
            codes: c.codes,
        };
        for (i, &code) in col.codes.iter().enumerate() {
            if !col.absent.get(i).copied().unwrap_or(false) && code as usize >= col.dictionary.len()
            {
                return Err(malformed(format!(
                    "`{what}` row {i} names entry {code} of a dictionary of {}",
                    col.dictionary.len()
                )));
            }
        }
        Ok(col)
    }

    #[inline]
    fn get(&self, i: usize) -> Option<String> {
        if self.absent.get(i).copied().unwrap_or(false) {
            return None;
        }
        let code = *self.codes.get(i)?;
        self.dictionary.get(code as usize).cloned()
    }
}

/// Which rows of a nested list belong to each record.
struct Group {
    ends: Vec<u32>,
    absent: Vec<bool>,
}

impl Group {
    /// Checks `ends` against `rows` records; returns the group and the
    /// number of nested rows.
    fn new(
        ends: Vec<u32>,
        missing: &[u32],
        rows: usize,
        what: &str,
    ) -> Result<(Self, usize), PluginError> {
        if ends.len() != rows {
            return Err(malformed(format!(
                "`{what}` has {} ends for {rows} records",
                ends.len()
            )));
        }
        if let Some(w) = ends.windows(2).find(|w| w[1] < w[0]) {
            return Err(malformed(format!(
                "`{what}` ends go backwards ({} then {})",
                w[0], w[1]
            )));
        }
        let total = ends.last().copied().unwrap_or(0) as usize;
        Ok((
            Self {
                absent: absent(missing, rows, what)?,
                ends,
            },
            total,
        ))
    }

    fn range(&self, i: usize) -> Option<Range<usize>> {
        if self.absent.get(i).copied().unwrap_or(false) {
            return None;
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        Some(start..self.ends[i] as usize)
    }
}

/// The `previous` output of every record.
struct PreviousCols {
    present: Col<()>,
    as_of: Col<i64>,
    score: Col<f64>,
    label: TextCol,
}

impl PreviousCols {
    fn new(p: Option<w::Previous>, rows: usize) -> Result<Option<Self>, PluginError> {
        let Some(p) = p else { return Ok(None) };
        Ok(Some(Self {
            present: Col::new(vec![(); rows], &p.missing, rows, "previous")?,
            as_of: col!(p.as_of, rows, "previous.as_of"),
            score: col!(p.score, rows, "previous.score"),
            label: TextCol::new(p.label, rows, "previous.label")?,
        }))
    }

    fn get(&self, i: usize) -> Option<Previous> {
        self.present.get(i).map(|()| Previous {
            as_of: self.as_of.get(i),
            score: self.score.get(i),
            label: self.label.get(i),
        })
    }
}

/// The customers of a batch, one value per customer.
pub fn customers(c: w::Customers) -> Result<Vec<Customer>, PluginError> {
    let n = c.subject.len();
    let signup = col!(c.signup, n, "signup");
    let country = TextCol::new(c.country, n, "country")?;
    let region = TextCol::new(c.region, n, "region")?;
    let p = c.purchases;
    let count = col!(p.count, n, "purchases.count");
    let days = col!(p.days, n, "purchases.days");
    let first = col!(p.first, n, "purchases.first");
    let last = col!(p.last, n, "purchases.last");
    let total_amount = col!(p.total_amount, n, "purchases.total_amount");
    let total_quantity = col!(p.total_quantity, n, "purchases.total_quantity");

    let transactions = match c.transactions {
        Some(t) => {
            let (group, rows) = Group::new(t.ends, &t.missing, n, "transactions")?;
            let at = col!(t.at, rows, "transactions.at");
            let amount = col!(t.amount, rows, "transactions.amount");
            let quantity = col!(t.quantity, rows, "transactions.quantity");
            let channel = TextCol::new(t.channel, rows, "transactions.channel")?;
            Some((group, at, amount, quantity, channel))
        }
        None => None,
    };
    let interactions = match c.interactions {
        Some(t) => {
            let (group, rows) = Group::new(t.ends, &t.missing, n, "interactions")?;
            let at = col!(t.at, rows, "interactions.at");
            let kind = TextCol::new(t.kind, rows, "interactions.kind")?;
            let channel = TextCol::new(t.channel, rows, "interactions.channel")?;
            let nps = col!(t.nps, rows, "interactions.nps");
            let sentiment = col!(t.sentiment, rows, "interactions.sentiment");
            Some((group, at, kind, channel, nps, sentiment))
        }
        None => None,
    };
    let referrals = match c.referrals {
        Some(t) => {
            let (group, rows) = Group::new(t.ends, &t.missing, n, "referrals")?;
            let referred = col!(t.referred, rows, "referrals.referred");
            let at = col!(t.at, rows, "referrals.at");
            Some((group, referred, at))
        }
        None => None,
    };
    let previous = PreviousCols::new(c.previous, n)?;

    let mut out = Vec::with_capacity(n);
    for (i, &subject) in c.subject.iter().enumerate() {
        out.push(Customer {
            subject,
            signup: signup.get(i),
            country: country.get(i),
            region: region.get(i),
            purchases: Purchases {
                count: count.get(i),
                days: days.get(i),
                first: first.get(i),
                last: last.get(i),
                total_amount: total_amount.get(i),
                total_quantity: total_quantity.get(i),
            },
            transactions: transactions
                .as_ref()
                .and_then(|(g, at, amount, quantity, channel)| {
                    g.range(i).map(|r| {
                        r.map(|k| Transaction {
                            at: at.get(k),
                            amount: amount.get(k),
                            quantity: quantity.get(k),
                            channel: channel.get(k),
                        })
                        .collect()
                    })
                }),
            interactions: interactions.as_ref().and_then(
                |(g, at, kind, channel, nps, sentiment)| {
                    g.range(i).map(|r| {
                        r.map(|k| Interaction {
                            at: at.get(k),
                            kind: kind.get(k),
                            channel: channel.get(k),
                            nps: nps.get(k),
                            sentiment: sentiment.get(k),
                        })
                        .collect()
                    })
                },
            ),
            referrals: referrals.as_ref().and_then(|(g, referred, at)| {
                g.range(i).map(|r| {
                    r.map(|k| Referral {
                        referred: referred.get(k),
                        at: at.get(k),
                    })
                    .collect()
                })
            }),
            previous: previous.as_ref().and_then(|p| p.get(i)),
        });
    }
    Ok(out)
}

/// The suppliers of a batch, one value per supplier.
pub fn suppliers(s: w::Suppliers) -> Result<Vec<Supplier>, PluginError> {
    let n = s.subject.len();
    let category = TextCol::new(s.category, n, "category")?;
    let country = TextCol::new(s.country, n, "country")?;
    let deliveries = match s.deliveries {
        Some(d) => {
            let (group, rows) = Group::new(d.ends, &d.missing, n, "deliveries")?;
            Some((
                group,
                col!(d.ordered, rows, "deliveries.ordered"),
                col!(d.promised, rows, "deliveries.promised"),
                col!(d.delivered, rows, "deliveries.delivered"),
                col!(d.quantity_ordered, rows, "deliveries.quantity_ordered"),
                col!(d.quantity_delivered, rows, "deliveries.quantity_delivered"),
                col!(d.quantity_accepted, rows, "deliveries.quantity_accepted"),
                col!(d.unit_price, rows, "deliveries.unit_price"),
                col!(d.agreed_unit_price, rows, "deliveries.agreed_unit_price"),
                col!(d.response_hours, rows, "deliveries.response_hours"),
            ))
        }
        None => None,
    };
    let previous = PreviousCols::new(s.previous, n)?;
    let mut out = Vec::with_capacity(n);
    for (i, &subject) in s.subject.iter().enumerate() {
        out.push(Supplier {
            subject,
            category: category.get(i),
            country: country.get(i),
            deliveries: deliveries
                .as_ref()
                .and_then(|(g, o, p, dl, qo, qd, qa, up, ap, rh)| {
                    g.range(i).map(|r| {
                        r.map(|k| Delivery {
                            ordered: o.get(k),
                            promised: p.get(k),
                            delivered: dl.get(k),
                            quantity_ordered: qo.get(k),
                            quantity_delivered: qd.get(k),
                            quantity_accepted: qa.get(k),
                            unit_price: up.get(k),
                            agreed_unit_price: ap.get(k),
                            response_hours: rh.get(k),
                        })
                        .collect()
                    })
                }),
            previous: previous.as_ref().and_then(|p| p.get(i)),
        });
    }
    Ok(out)
}

/// The string table of a call's outputs. Strings are shared where that is
/// cheap to see: a label equal to one of the recent distinct labels, a value
/// name or explanation label equal to the one at the same position of the
/// previous output. Everything else is appended as it comes (the host
/// accepts repeated strings).
#[derive(Default)]
struct Table {
    text: String,
    ends: Vec<u32>,
    labels: Vec<u32>,
    names: Vec<u32>,
    terms: Vec<u32>,
}

/// How many distinct labels are remembered for sharing.
const RECENT_LABELS: usize = 64;

impl Table {
    fn get(&self, i: u32) -> &str {
        let i = i as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    fn push(&mut self, s: &str) -> u32 {
        self.text.push_str(s);
        self.ends.push(self.text.len() as u32);
        (self.ends.len() - 1) as u32
    }

    fn label(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.labels.iter().find(|&&i| self.get(i) == s) {
            return i;
        }
        let i = self.push(s);
        if self.labels.len() < RECENT_LABELS {
            self.labels.push(i);
        }
        i
    }

    /// Shares `s` with slot `at` of `slots` (the previous output's string at
    /// the same position) when they are equal.
    fn positional(&mut self, slots: fn(&mut Table) -> &mut Vec<u32>, at: usize, s: &str) -> u32 {
        if let Some(&i) = slots(self).get(at) {
            if self.get(i) == s {
                return i;
            }
        }
        let i = self.push(s);
        let slots = slots(self);
        if at < slots.len() {
            slots[at] = i;
        } else {
            slots.push(i);
        }
        i
    }
}

/// Lays a `score` result out as the wire's columns and string table.
pub fn scored(s: Scored) -> w::Scored {
    let n = s.outputs.len();
    let mut t = Table::default();
    let mut o = w::Outputs {
        subject: Vec::with_capacity(n),
        score: Vec::with_capacity(n),
        label: Vec::with_capacity(n),
        value_count: Vec::with_capacity(n),
        value_name: Vec::new(),
        value: Vec::new(),
        term_count: Vec::with_capacity(n),
        term_label: Vec::new(),
        term_value: Vec::new(),
        strings: w::Strings {
            text: String::new(),
            ends: Vec::new(),
        },
    };
    for out in s.outputs {
        o.subject.push(out.subject);
        o.score.push(out.score);
        o.label.push(match &out.label {
            Some(l) => t.label(l),
            None => u32::MAX,
        });
        o.value_count.push(out.values.len() as u32);
        for (j, v) in out.values.iter().enumerate() {
            o.value_name
                .push(t.positional(|t| &mut t.names, j, &v.name));
            o.value.push(v.value);
        }
        o.term_count.push(out.explanation.len() as u32);
        for (j, c) in out.explanation.iter().enumerate() {
            o.term_label
                .push(t.positional(|t| &mut t.terms, j, &c.label));
            o.term_value.push(c.value);
        }
    }
    o.strings = w::Strings {
        text: t.text,
        ends: t.ends,
    };
    w::Scored {
        outputs: o,
        diagnostics: s.diagnostics,
    }
}

/// The inverse of [`scored`], for tests: owned outputs from the columns.
#[cfg(test)]
pub(crate) fn outputs_of(s: &w::Scored) -> Vec<crate::Output> {
    use crate::{Contribution, NamedValue, Output};
    let o = &s.outputs;
    let text = &o.strings.text;
    let ends = &o.strings.ends;
    let get = |i: u32| {
        let i = i as usize;
        let start = if i == 0 { 0 } else { ends[i - 1] as usize };
        text[start..ends[i] as usize].to_owned()
    };
    let (mut v, mut c) = (0usize, 0usize);
    (0..o.subject.len())
        .map(|i| {
            let values = (v..v + o.value_count[i] as usize)
                .map(|k| NamedValue {
                    name: get(o.value_name[k]),
                    value: o.value[k],
                })
                .collect();
            v += o.value_count[i] as usize;
            let explanation = (c..c + o.term_count[i] as usize)
                .map(|k| Contribution {
                    label: get(o.term_label[k]),
                    value: o.term_value[k],
                })
                .collect();
            c += o.term_count[i] as usize;
            Output {
                subject: o.subject[i],
                score: o.score[i],
                label: (o.label[i] != u32::MAX).then(|| get(o.label[i])),
                values,
                explanation,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Output;

    fn texts(dictionary: &[&str], codes: &[u32], missing: &[u32]) -> w::Texts {
        w::Texts {
            dictionary: dictionary.iter().map(|s| (*s).to_owned()).collect(),
            codes: codes.to_vec(),
            missing: missing.to_vec(),
        }
    }

    /// Three customers: one with everything, one with nothing, one with
    /// empty lists and a partial previous output.
    fn batch() -> w::Customers {
        w::Customers {
            subject: vec![1, 2, 3],
            signup: None,
            country: Some(texts(&["FR"], &[0, 0, 0], &[1])),
            region: None,
            purchases: w::Purchases {
                count: Some(w::Counts {
                    values: vec![2, 0, 0],
                    missing: vec![1],
                }),
                days: None,
                first: None,
                last: None,
                total_amount: None,
                total_quantity: None,
            },
            transactions: Some(w::Transactions {
                ends: vec![2, 2, 2],
                missing: vec![1],
                at: Some(w::Instants {
                    values: vec![5, 0],
                    missing: vec![1],
                }),
                amount: None,
                quantity: None,
                channel: Some(texts(&["web", "shop"], &[0, 1], &[])),
            }),
            interactions: None,
            referrals: None,
            previous: Some(w::Previous {
                missing: vec![1],
                as_of: Some(w::Instants {
                    values: vec![9, 0, 9],
                    missing: vec![1],
                }),
                score: Some(w::Numbers {
                    values: vec![1.5, 0.0, 0.0],
                    missing: vec![1, 2],
                }),
                label: Some(texts(&["a"], &[0, 0, 0], &[1, 2])),
            }),
        }
    }

    #[test]
    fn a_columnar_batch_becomes_one_customer_per_row() {
        let got = customers(batch()).expect("well formed");
        let want = vec![
            Customer {
                subject: 1,
                country: Some("FR".into()),
                purchases: Purchases {
                    count: Some(2),
                    ..Default::default()
                },
                transactions: Some(vec![
                    Transaction {
                        at: Some(5),
                        channel: Some("web".into()),
                        ..Default::default()
                    },
                    Transaction {
                        channel: Some("shop".into()),
                        ..Default::default()
                    },
                ]),
                previous: Some(Previous {
                    as_of: Some(9),
                    score: Some(1.5),
                    label: Some("a".into()),
                }),
                ..Default::default()
            },
            Customer {
                subject: 2,
                ..Default::default()
            },
            Customer {
                subject: 3,
                country: Some("FR".into()),
                purchases: Purchases {
                    count: Some(0),
                    ..Default::default()
                },
                transactions: Some(Vec::new()),
                previous: Some(Previous {
                    as_of: Some(9),
                    ..Default::default()
                }),
                ..Default::default()
            },
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn a_malformed_batch_is_an_input_error_naming_the_column() {
        let mut b = batch();
        b.purchases.count = Some(w::Counts {
            values: vec![1],
            missing: vec![],
        });
        let err = customers(b).expect_err("short column");
        assert_eq!(err.code, "input");
        assert!(
            err.message
                .contains("`purchases.count` has 1 values for 3 rows"),
            "{}",
            err.message
        );
        let mut b = batch();
        b.country = Some(texts(&["FR"], &[0, 4, 0], &[]));
        let err = customers(b).expect_err("bad code");
        assert!(err.message.contains("`country` row 1"), "{}", err.message);
        let mut b = batch();
        if let Some(t) = b.transactions.as_mut() {
            t.ends = vec![2, 1, 2];
        }
        let err = customers(b).expect_err("ends backwards");
        assert!(err.message.contains("go backwards"), "{}", err.message);
    }

    #[test]
    fn outputs_round_trip_through_columns_with_shared_strings() {
        let outputs: Vec<Output> = (0..50u64)
            .map(|i| {
                let o = Output::new(i, i as f64)
                    .value("r", 1.0)
                    .value("f", i as f64)
                    .because(format!("term {}", i % 3), 1.0)
                    .because("constant", 0.5);
                if i % 7 == 0 {
                    o
                } else {
                    o.label(["gold", "silver", "bronze"][(i % 3) as usize])
                }
            })
            .chain([Output::new(99, 0.0).value("f", 2.0).value("r", 3.0)])
            .collect();
        let wire = scored(Scored {
            outputs: outputs.clone(),
            diagnostics: vec![crate::Diagnostic::info("ok")],
        });
        assert_eq!(outputs_of(&wire), outputs);
        assert_eq!(wire.diagnostics.len(), 1);
        // Labels, value names and the constant term are shared: far fewer
        // strings than the 51 * 5 the outputs spell out.
        assert!(
            wire.outputs.strings.ends.len() < 60,
            "{}",
            wire.outputs.strings.ends.len()
        );
    }
}
