//! The host's view of the plugin contract, the same whatever WIT version a
//! component was built for.
//!
//! Callers hand the host one [`Customer`] or [`Supplier`] per subject and get
//! back [`Scored`] outputs; `v0_1.rs` and `v0_2.rs` translate these to and
//! from the wire types of `rapport:plugin@0.1.0` (a record per subject, a
//! record per output) and `rapport:plugin@0.2.0` (columns and a string
//! table). Records serialise with serde under their Rust field names, exactly
//! as the 0.1.0 bindings did, so input and output hashes of runs recorded
//! before 0.2.0 still reproduce: the new `previous` field is left out of the
//! JSON when it is `None`. A missing `option` field reads as `None`.
//!
//! The outputs of a call stay in the columns they crossed the boundary in
//! ([`Outputs`]); [`OutputRef`] reads one output without copying its strings,
//! and [`Outputs::to_vec`] makes owned [`Output`]s where that is convenient.

use std::ops::Range;

use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Deserialize, Serialize, Serializer};

/// What every call receives besides its data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    /// The plugin's configuration as JSON.
    pub config: String,
    /// The run's "as of" instant, in seconds since 1970-01-01T00:00:00Z.
    pub as_of: i64,
    /// Seed for any randomness the model needs.
    pub seed: u64,
}

/// Purchases summarised by the host.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Purchases {
    pub count: Option<u32>,
    pub days: Option<u32>,
    pub first: Option<i64>,
    pub last: Option<i64>,
    pub total_amount: Option<f64>,
    pub total_quantity: Option<i64>,
}

/// One purchase.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Transaction {
    pub at: Option<i64>,
    pub amount: Option<f64>,
    pub quantity: Option<i64>,
    pub channel: Option<String>,
}

/// One contact (free text is never sent).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    pub at: Option<i64>,
    pub kind: Option<String>,
    pub channel: Option<String>,
    pub nps: Option<i64>,
    pub sentiment: Option<f64>,
}

/// A referral a customer made.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Referral {
    pub referred: Option<u64>,
    pub at: Option<i64>,
}

/// The installation's own output for a subject from the most recent
/// successful earlier run of the same plugin (WIT 0.2.0 and later).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Previous {
    /// The "as of" instant of that run.
    pub as_of: Option<i64>,
    pub score: Option<f64>,
    pub label: Option<String>,
}

/// One customer as a plugin receives it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub subject: u64,
    pub signup: Option<i64>,
    pub country: Option<String>,
    pub region: Option<String>,
    #[serde(default)]
    pub purchases: Purchases,
    pub transactions: Option<Vec<Transaction>>,
    pub interactions: Option<Vec<Interaction>>,
    pub referrals: Option<Vec<Referral>>,
    /// Left out of the JSON when absent, so that the input hash of a run
    /// that did not read it is the hash it had before the field existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Previous>,
}

/// One purchase order delivered (or not yet) by a supplier.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub ordered: Option<i64>,
    pub promised: Option<i64>,
    pub delivered: Option<i64>,
    pub quantity_ordered: Option<i64>,
    pub quantity_delivered: Option<i64>,
    pub quantity_accepted: Option<i64>,
    pub unit_price: Option<f64>,
    pub agreed_unit_price: Option<f64>,
    pub response_hours: Option<f64>,
}

/// One supplier as a plugin receives it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Supplier {
    pub subject: u64,
    pub category: Option<String>,
    pub country: Option<String>,
    pub deliveries: Option<Vec<Delivery>>,
    /// See [`Customer::previous`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Previous>,
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Severity {
    Info,
    Warning,
}

/// A note from the plugin for the operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
}

/// What `fit` learned, opaque to the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Model {
    pub state: Vec<u8>,
    pub diagnostics: Vec<Diagnostic>,
}

/// A refusal by the plugin, returned as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginError {
    pub code: String,
    pub message: String,
}

/// A named value of an output, owned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedValue {
    pub name: String,
    pub value: f64,
}

/// One term of an explanation, owned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    pub label: String,
    pub value: f64,
}

/// One output, owned (see [`OutputRef`] for the borrowed view).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Output {
    pub subject: u64,
    pub score: f64,
    pub label: Option<String>,
    pub values: Vec<NamedValue>,
    pub explanation: Vec<Contribution>,
}

/// What `score` returned: outputs and diagnostics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scored {
    pub outputs: Outputs,
    pub diagnostics: Vec<Diagnostic>,
}

/// Label index meaning "no label".
pub const NO_LABEL: u32 = u32::MAX;

/// The outputs of a call in columns, with every string once in a table.
/// Built by the WIT translations; [`Outputs::check`] (run by the host on
/// every call) guarantees that every index is in range, so the accessors do
/// not fail on a checked value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outputs {
    pub(crate) subject: Vec<u64>,
    pub(crate) score: Vec<f64>,
    pub(crate) label: Vec<u32>,
    pub(crate) value_count: Vec<u32>,
    pub(crate) value_name: Vec<u32>,
    pub(crate) value: Vec<f64>,
    pub(crate) term_count: Vec<u32>,
    pub(crate) term_label: Vec<u32>,
    pub(crate) term_value: Vec<f64>,
    pub(crate) text: String,
    /// End offset of each string in `text`.
    pub(crate) ends: Vec<u32>,
    /// Derived by `check`: where each output's values and terms start.
    pub(crate) value_start: Vec<u32>,
    pub(crate) term_start: Vec<u32>,
}

impl Outputs {
    /// Number of outputs.
    pub fn len(&self) -> usize {
        self.subject.len()
    }

    pub fn is_empty(&self) -> bool {
        self.subject.is_empty()
    }

    /// String `i` of the table (empty if out of range, which a checked
    /// value never is).
    pub(crate) fn string(&self, i: u32) -> &str {
        let i = i as usize;
        let end = self.ends.get(i).map_or(0, |&e| e as usize);
        let start = if i == 0 {
            0
        } else {
            self.ends.get(i - 1).map_or(0, |&e| e as usize)
        };
        self.text.get(start..end).unwrap_or("")
    }

    fn range(starts: &[u32], counts: &[u32], i: usize) -> Range<usize> {
        let s = starts.get(i).copied().unwrap_or(0) as usize;
        s..s + counts.get(i).copied().unwrap_or(0) as usize
    }

    /// Output `i`. Panics when `i >= len()`, like slice indexing.
    pub fn get(&self, i: usize) -> OutputRef<'_> {
        assert!(i < self.len(), "output {i} of {}", self.len());
        OutputRef {
            outputs: self,
            index: i,
        }
    }

    /// Every output, in the order the plugin returned them.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = OutputRef<'_>> + '_ {
        (0..self.len()).map(move |i| OutputRef {
            outputs: self,
            index: i,
        })
    }

    /// Owned copies of every output.
    pub fn to_vec(&self) -> Vec<Output> {
        self.iter().map(|o| o.to_owned()).collect()
    }

    /// Builds columns from owned outputs, each distinct string once. The
    /// result is checked like a plugin's (see `checks.rs`).
    pub fn from_outputs<'a>(outputs: impl IntoIterator<Item = &'a Output>) -> Outputs {
        let mut b = Builder::default();
        for o in outputs {
            b.push(o);
        }
        b.out
    }

    /// Positions of the outputs ordered by subject (stable).
    pub fn order_by_subject(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.sort_by_key(|&i| self.subject[i]);
        order
    }
}

/// Interns strings while building [`Outputs`] from owned outputs.
#[derive(Default)]
struct Builder {
    out: Outputs,
    seen: std::collections::HashMap<String, u32>,
}

impl Builder {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.seen.get(s) {
            return i;
        }
        let i = u32::try_from(self.out.ends.len()).unwrap_or(u32::MAX - 1);
        self.out.text.push_str(s);
        self.out
            .ends
            .push(u32::try_from(self.out.text.len()).unwrap_or(u32::MAX));
        self.seen.insert(s.to_owned(), i);
        i
    }

    fn push(&mut self, o: &Output) {
        self.out.subject.push(o.subject);
        self.out.score.push(o.score);
        let label = match &o.label {
            Some(l) => self.intern(l),
            None => NO_LABEL,
        };
        self.out.label.push(label);
        self.out
            .value_start
            .push(u32::try_from(self.out.value.len()).unwrap_or(u32::MAX));
        self.out
            .value_count
            .push(u32::try_from(o.values.len()).unwrap_or(u32::MAX));
        for v in &o.values {
            let name = self.intern(&v.name);
            self.out.value_name.push(name);
            self.out.value.push(v.value);
        }
        self.out
            .term_start
            .push(u32::try_from(self.out.term_value.len()).unwrap_or(u32::MAX));
        self.out
            .term_count
            .push(u32::try_from(o.explanation.len()).unwrap_or(u32::MAX));
        for c in &o.explanation {
            let label = self.intern(&c.label);
            self.out.term_label.push(label);
            self.out.term_value.push(c.value);
        }
    }
}

/// One output of an [`Outputs`], borrowed. Serialises exactly as an owned
/// [`Output`] does.
#[derive(Clone, Copy)]
pub struct OutputRef<'a> {
    outputs: &'a Outputs,
    index: usize,
}

impl std::fmt::Debug for OutputRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.to_owned().fmt(f)
    }
}

impl<'a> OutputRef<'a> {
    pub fn subject(&self) -> u64 {
        self.outputs.subject[self.index]
    }

    pub fn score(&self) -> f64 {
        self.outputs.score[self.index]
    }

    pub fn label(&self) -> Option<&'a str> {
        match self.outputs.label[self.index] {
            NO_LABEL => None,
            i => Some(self.outputs.string(i)),
        }
    }

    /// The named values, in the order the plugin added them.
    pub fn values(&self) -> impl ExactSizeIterator<Item = (&'a str, f64)> + Clone + 'a {
        let o = self.outputs;
        Outputs::range(&o.value_start, &o.value_count, self.index)
            .map(move |k| (o.string(o.value_name[k]), o.value[k]))
    }

    /// The explanation's terms (label, contribution), in order.
    pub fn explanation(&self) -> impl ExactSizeIterator<Item = (&'a str, f64)> + Clone + 'a {
        let o = self.outputs;
        Outputs::range(&o.term_start, &o.term_count, self.index)
            .map(move |k| (o.string(o.term_label[k]), o.term_value[k]))
    }

    /// The first value named `name`, if any.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.values().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    pub fn to_owned(&self) -> Output {
        Output {
            subject: self.subject(),
            score: self.score(),
            label: self.label().map(str::to_owned),
            values: self
                .values()
                .map(|(name, value)| NamedValue {
                    name: name.to_owned(),
                    value,
                })
                .collect(),
            explanation: self
                .explanation()
                .map(|(label, value)| Contribution {
                    label: label.to_owned(),
                    value,
                })
                .collect(),
        }
    }
}

/// A list of (text, number) pairs serialised as objects `{key, value}`.
struct Pairs<I>(I, &'static str);

impl<'a, I> Serialize for Pairs<I>
where
    I: Iterator<Item = (&'a str, f64)> + ExactSizeIterator + Clone,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let it = self.0.clone();
        let mut seq = s.serialize_seq(Some(it.len()))?;
        for (text, value) in it {
            seq.serialize_element(&Pair {
                key: self.1,
                text,
                value,
            })?;
        }
        seq.end()
    }
}

struct Pair<'a> {
    key: &'static str,
    text: &'a str,
    value: f64,
}

impl Serialize for Pair<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Pair", 2)?;
        if self.key == "name" {
            st.serialize_field("name", self.text)?;
        } else {
            st.serialize_field("label", self.text)?;
        }
        st.serialize_field("value", &self.value)?;
        st.end()
    }
}

impl Serialize for OutputRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Output", 5)?;
        st.serialize_field("subject", &self.subject())?;
        st.serialize_field("score", &self.score())?;
        st.serialize_field("label", &self.label())?;
        st.serialize_field("values", &Pairs(self.values(), "name"))?;
        st.serialize_field("explanation", &Pairs(self.explanation(), "label"))?;
        st.end()
    }
}

impl Serialize for Outputs {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.len()))?;
        for o in self.iter() {
            seq.serialize_element(&o)?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(subject: u64, label: Option<&str>, values: &[(&str, f64)]) -> Output {
        Output {
            subject,
            score: subject as f64 / 2.0,
            label: label.map(str::to_owned),
            values: values
                .iter()
                .map(|(n, v)| NamedValue {
                    name: (*n).to_owned(),
                    value: *v,
                })
                .collect(),
            explanation: vec![Contribution {
                label: format!("because {subject}"),
                value: 1.0,
            }],
        }
    }

    #[test]
    fn columns_serialise_like_owned_outputs_and_round_trip() {
        let owned = vec![
            output(3, Some("high"), &[("p", 0.5), ("q", 1.0)]),
            output(1, None, &[]),
            output(2, Some("high"), &[("q", 2.0)]),
        ];
        let cols = Outputs::from_outputs(&owned);
        assert_eq!(cols.len(), 3);
        assert_eq!(
            serde_json::to_string(&cols).expect("json"),
            serde_json::to_string(&owned).expect("json")
        );
        assert_eq!(cols.to_vec(), owned);
        assert_eq!(cols.get(0).get("q"), Some(1.0));
        assert_eq!(cols.get(1).label(), None);
        // "high", "p", "q", three explanation labels: each once.
        assert_eq!(cols.ends.len(), 6);
        assert_eq!(cols.order_by_subject(), [1, 2, 0]);
    }

    #[test]
    fn previous_is_left_out_of_the_json_when_absent() {
        let mut c = Customer {
            subject: 7,
            ..Default::default()
        };
        let json = serde_json::to_string(&c).expect("json");
        assert_eq!(
            json,
            r#"{"subject":7,"signup":null,"country":null,"region":null,"purchases":{"count":null,"days":null,"first":null,"last":null,"total_amount":null,"total_quantity":null},"transactions":null,"interactions":null,"referrals":null}"#
        );
        c.previous = Some(Previous {
            as_of: Some(1),
            score: Some(2.0),
            label: None,
        });
        let json = serde_json::to_string(&c).expect("json");
        assert!(json.ends_with(r#""previous":{"as_of":1,"score":2.0,"label":null}}"#));
        assert_eq!(serde_json::from_str::<Customer>(&json).expect("back"), c);
    }
}
