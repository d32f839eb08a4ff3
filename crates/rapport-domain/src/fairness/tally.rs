//! The one-pass aggregation: counts per group and per intersection.
//!
//! Each subject adds one to a cell of a dense table per pair of attributes
//! (`k(k−1)/2` tables for `k` attributes; one table for a single attribute),
//! indexed by the interned codes of its values, with slot 0 for an unknown
//! value. Per-attribute counts are margins of a pair table, so two
//! attributes cost one cell update per subject, and memory is the number of
//! groups times the number of intersections, never the number of rows.
//!
//! Scores are the exception: the median, the scoring rate above it and the
//! distribution distances need every score, so a tally with scores keeps one
//! `f64` and one `u32` code per attribute for each row (16 bytes a row for
//! two attributes), and sorts a copy per analysis when it finishes.

use std::collections::HashMap;

use super::analysis::{self, GroupInput};
use super::{FairnessAudit, FairnessError, FairnessPolicy, INTERSECTION};

/// At most this many protected attributes in one audit (28 intersections).
pub const MAX_ATTRIBUTES: usize = 8;

/// At most this many distinct values per attribute. Beyond it the column is
/// most likely an identifier, not a protected attribute, and the tables of
/// intersections would grow with the square of it.
pub const MAX_GROUPS: usize = 1000;

/// Values that mean "unknown", compared without case after trimming white
/// space; an empty value is unknown too. A value the subject chose not to
/// disclose is unknown as well: it is no group to compare (NYC LL144 audits
/// report such rows as "unknown" and leave them out of impact ratios).
pub const UNKNOWN_VALUES: [&str; 10] = [
    "na",
    "n/a",
    "nan",
    "null",
    "none",
    "unknown",
    "<na>",
    "undisclosed",
    "prefer not to say",
    "prefer_not_to_say",
];

/// Whether an attribute value means "unknown" (see [`UNKNOWN_VALUES`]).
pub fn is_unknown(value: &str) -> bool {
    let v = value.trim();
    v.is_empty() || UNKNOWN_VALUES.iter().any(|u| v.eq_ignore_ascii_case(u))
}

/// Which optional columns every subject of a tally carries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Columns {
    /// Every subject has an outcome label (the true outcome: positive or
    /// not), so error rates can be computed.
    pub labels: bool,
    /// Every subject has a score, so score distributions can be compared.
    pub scores: bool,
}

/// The counts of one group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Subjects.
    pub n: u64,
    /// Subjects selected.
    pub selected: u64,
    /// Subjects whose outcome label is positive.
    pub positives: u64,
    /// Subjects selected whose outcome label is positive.
    pub true_positives: u64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.n += o.n;
        self.selected += o.selected;
        self.positives += o.positives;
        self.true_positives += o.true_positives;
    }
}

/// The interned values of one attribute; code `c` is slot `c + 1`.
#[derive(Debug, Default)]
struct Values {
    codes: HashMap<String, u32>,
    names: Vec<String>,
}

/// A dense table of counts over the slots of two attributes (or of one,
/// with a single column).
#[derive(Debug)]
struct Grid {
    a: usize,
    b: Option<usize>,
    rows: usize,
    cols: usize,
    cells: Vec<Counts>,
}

impl Grid {
    fn new(a: usize, b: Option<usize>) -> Grid {
        Grid {
            a,
            b,
            rows: 1,
            cols: 1,
            cells: vec![Counts::default()],
        }
    }

    /// Re-lays the table so that it has at least `rows × cols` slots.
    fn grow(&mut self, rows: usize, cols: usize) {
        if rows <= self.rows && cols <= self.cols {
            return;
        }
        // Doubling keeps re-layouts to a logarithmic number.
        let new_rows = if rows > self.rows {
            rows.max(self.rows * 2).min(MAX_GROUPS + 1)
        } else {
            self.rows
        };
        let new_cols = if cols > self.cols {
            cols.max(self.cols * 2).min(MAX_GROUPS + 1)
        } else {
            self.cols
        };
        let mut cells = vec![Counts::default(); new_rows * new_cols];
        for r in 0..self.rows {
            cells[r * new_cols..r * new_cols + self.cols]
                .copy_from_slice(&self.cells[r * self.cols..(r + 1) * self.cols]);
        }
        self.rows = new_rows;
        self.cols = new_cols;
        self.cells = cells;
    }
}

/// The aggregation of one audit. Build it with [`Tally::new`], add every
/// subject of the population once, then [`Tally::finish`].
#[derive(Debug)]
pub struct Tally {
    attributes: Vec<String>,
    columns: Columns,
    values: Vec<Values>,
    grids: Vec<Grid>,
    n_rows: u64,
    scores: Vec<f64>,
    score_slots: Vec<u32>,
    slots: Vec<usize>,
}

impl Tally {
    /// A tally over these protected attributes (at least one, at most
    /// [`MAX_ATTRIBUTES`], distinct, non-empty names), whose subjects carry
    /// the given optional columns.
    pub fn new(attributes: &[&str], columns: Columns) -> Result<Tally, FairnessError> {
        if attributes.is_empty() {
            return Err(FairnessError::Attributes(
                "at least one protected attribute is needed".to_owned(),
            ));
        }
        if attributes.len() > MAX_ATTRIBUTES {
            return Err(FairnessError::Attributes(format!(
                "at most {MAX_ATTRIBUTES} protected attributes per audit"
            )));
        }
        for (i, a) in attributes.iter().enumerate() {
            if a.trim().is_empty() || a.contains(INTERSECTION) {
                return Err(FairnessError::Attributes(format!(
                    "`{a}` is not an attribute name (empty, or contains `{INTERSECTION}`)"
                )));
            }
            if attributes[..i].contains(a) {
                return Err(FairnessError::Attributes(format!("`{a}` is listed twice")));
            }
        }
        let k = attributes.len();
        let grids = if k == 1 {
            vec![Grid::new(0, None)]
        } else {
            let mut g = Vec::new();
            for a in 0..k {
                for b in a + 1..k {
                    g.push(Grid::new(a, Some(b)));
                }
            }
            g
        };
        Ok(Tally {
            attributes: attributes.iter().map(|a| (*a).to_owned()).collect(),
            columns,
            values: (0..k).map(|_| Values::default()).collect(),
            grids,
            n_rows: 0,
            scores: Vec::new(),
            score_slots: Vec::new(),
            slots: vec![0; k],
        })
    }

    /// The protected attributes, in the order given.
    pub fn attributes(&self) -> &[String] {
        &self.attributes
    }

    /// The optional columns every subject carries.
    pub fn columns(&self) -> Columns {
        self.columns
    }

    /// Subjects added so far.
    pub fn n_rows(&self) -> u64 {
        self.n_rows
    }

    /// The code of a value of attribute `attribute` (interning it on first
    /// sight), or `None` when the value means unknown. Callers that add
    /// many subjects with few distinct values can code once and use
    /// [`Tally::add_coded`]. White space around a value is not part of it.
    pub fn code(&mut self, attribute: usize, value: &str) -> Result<Option<u32>, FairnessError> {
        if is_unknown(value) {
            return Ok(None);
        }
        let Some(vals) = self.values.get_mut(attribute) else {
            return Err(FairnessError::Attributes(format!(
                "attribute index {attribute} is out of range"
            )));
        };
        let value = value.trim();
        if let Some(&c) = vals.codes.get(value) {
            return Ok(Some(c));
        }
        if vals.names.len() >= MAX_GROUPS {
            return Err(FairnessError::TooManyGroups {
                attribute: self.attributes[attribute].clone(),
                max: MAX_GROUPS,
            });
        }
        let c = vals.names.len() as u32;
        vals.codes.insert(value.to_owned(), c);
        vals.names.push(value.to_owned());
        let slots = vals.names.len() + 1;
        for g in &mut self.grids {
            if g.a == attribute {
                g.grow(slots, g.cols);
            } else if g.b == Some(attribute) {
                g.grow(g.rows, slots);
            }
        }
        Ok(Some(c))
    }

    /// The name of the group with this code of attribute `attribute`, as
    /// [`Tally::code`] interned it.
    pub fn group_name(&self, attribute: usize, code: u32) -> Option<&str> {
        self.values
            .get(attribute)?
            .names
            .get(code as usize)
            .map(String::as_str)
    }

    /// Adds one subject by its attribute values (one per attribute, in
    /// order; `None` or an unknown marker for an unknown value), whether it
    /// was selected, its outcome label and its score. The label and the
    /// score must be present exactly when the tally's [`Columns`] say so,
    /// and a score must be a finite number.
    pub fn add(
        &mut self,
        values: &[Option<&str>],
        selected: bool,
        label: Option<bool>,
        score: Option<f64>,
    ) -> Result<(), FairnessError> {
        if values.len() != self.attributes.len() {
            return Err(self.subject_error(format!(
                "{} attribute values for {} protected attributes",
                values.len(),
                self.attributes.len()
            )));
        }
        let mut codes = [None; MAX_ATTRIBUTES];
        for (i, v) in values.iter().enumerate() {
            codes[i] = match v {
                Some(v) => self.code(i, v)?,
                None => None,
            };
        }
        self.add_coded(&codes[..values.len()], selected, label, score)
    }

    /// Adds one subject by the codes of its values (from [`Tally::code`]);
    /// otherwise as [`Tally::add`].
    pub fn add_coded(
        &mut self,
        codes: &[Option<u32>],
        selected: bool,
        label: Option<bool>,
        score: Option<f64>,
    ) -> Result<(), FairnessError> {
        let k = self.attributes.len();
        if codes.len() != k {
            return Err(self.subject_error(format!(
                "{} attribute codes for {k} protected attributes",
                codes.len()
            )));
        }
        if label.is_some() != self.columns.labels {
            return Err(self.subject_error(if self.columns.labels {
                "has no outcome label, but the audit has labels".to_owned()
            } else {
                "has an outcome label, but the audit has none".to_owned()
            }));
        }
        match score {
            Some(_) if !self.columns.scores => {
                return Err(self.subject_error("has a score, but the audit has none".to_owned()));
            }
            Some(s) if !s.is_finite() => {
                return Err(self.subject_error("its score is not a finite number".to_owned()));
            }
            None if self.columns.scores => {
                return Err(self.subject_error("has no score, but the audit has scores".to_owned()));
            }
            _ => {}
        }
        for (i, c) in codes.iter().enumerate() {
            self.slots[i] = match c {
                None => 0,
                Some(c) if (*c as usize) < self.values[i].names.len() => *c as usize + 1,
                Some(_) => {
                    return Err(self.subject_error(format!(
                        "code out of range for attribute `{}`",
                        self.attributes[i]
                    )))
                }
            };
        }
        let sel = u64::from(selected);
        let pos = u64::from(label == Some(true));
        for g in &mut self.grids {
            let r = self.slots[g.a];
            let c = g.b.map_or(0, |b| self.slots[b]);
            let cell = &mut g.cells[r * g.cols + c];
            cell.n += 1;
            cell.selected += sel;
            cell.positives += pos;
            cell.true_positives += sel & pos;
        }
        if let Some(s) = score {
            self.scores.push(s);
            self.score_slots
                .extend(self.slots.iter().map(|&s| s as u32));
        }
        self.n_rows += 1;
        Ok(())
    }

    /// Adds `counts.n` subjects who share these attribute values at once:
    /// `counts.selected` of them selected and, when the tally has labels,
    /// `counts.positives` with a positive outcome label, `counts.true_positives`
    /// of whom were selected. The audit is exactly the one that adding the
    /// same subjects one at a time with [`Tally::add`] gives, so a caller
    /// holding counts per combination of values (the gate's selection
    /// cells) needs no rows. A tally with scores needs every score, so it
    /// refuses counts; a block of zero subjects adds nothing, not even a
    /// group.
    pub fn add_counts(
        &mut self,
        values: &[Option<&str>],
        counts: Counts,
    ) -> Result<(), FairnessError> {
        let k = self.attributes.len();
        if values.len() != k {
            return Err(self.subject_error(format!(
                "{} attribute values for {k} protected attributes",
                values.len()
            )));
        }
        if self.columns.scores {
            return Err(self.subject_error(
                "the audit has scores, so subjects must be added one at a time with theirs"
                    .to_owned(),
            ));
        }
        if counts.selected > counts.n {
            return Err(self.subject_error(format!(
                "{} selected out of {} subjects",
                counts.selected, counts.n
            )));
        }
        if self.columns.labels {
            if counts.positives > counts.n
                || counts.true_positives > counts.positives
                || counts.true_positives > counts.selected
            {
                return Err(self.subject_error(format!(
                    "{} positives and {} selected positives do not fit {} subjects with {} selected",
                    counts.positives, counts.true_positives, counts.n, counts.selected
                )));
            }
        } else if counts.positives > 0 || counts.true_positives > 0 {
            return Err(self.subject_error("has outcome labels, but the audit has none".to_owned()));
        }
        // Interning a value is what makes it a group, so an empty block
        // must not reach it.
        if counts.n == 0 {
            return Ok(());
        }
        for (i, v) in values.iter().enumerate() {
            self.slots[i] = match v {
                Some(v) => match self.code(i, v)? {
                    Some(c) => c as usize + 1,
                    None => 0,
                },
                None => 0,
            };
        }
        for g in &mut self.grids {
            let r = self.slots[g.a];
            let c = g.b.map_or(0, |b| self.slots[b]);
            g.cells[r * g.cols + c].add(&counts);
        }
        self.n_rows += counts.n;
        Ok(())
    }

    fn subject_error(&self, reason: String) -> FairnessError {
        FairnessError::Subject {
            row: self.n_rows + 1,
            reason,
        }
    }

    /// The counts per slot of one attribute (slot 0: unknown), as a margin of
    /// the first table that holds it.
    fn margin(&self, attribute: usize) -> Vec<Counts> {
        let slots = self.values[attribute].names.len() + 1;
        let mut out = vec![Counts::default(); slots];
        let Some(g) = self
            .grids
            .iter()
            .find(|g| g.a == attribute || g.b == Some(attribute))
        else {
            return out;
        };
        for r in 0..g.rows {
            for c in 0..g.cols {
                let slot = if g.a == attribute { r } else { c };
                if slot < slots {
                    out[slot].add(&g.cells[r * g.cols + c]);
                }
            }
        }
        out
    }

    /// Computes every analysis: each attribute, then each intersection of
    /// two in attribute order, judged under `policy`.
    pub fn finish(self, policy: &FairnessPolicy) -> Result<FairnessAudit, FairnessError> {
        policy.check()?;
        let k = self.attributes.len();
        let median = if self.columns.scores {
            super::stats::median(&mut self.scores.clone())
        } else {
            None
        };
        let mut analyses = Vec::new();
        for a in 0..k {
            let margin = self.margin(a);
            let names = &self.values[a].names;
            let groups: Vec<GroupInput> = names
                .iter()
                .enumerate()
                .map(|(i, name)| GroupInput {
                    name: name.clone(),
                    counts: margin[i + 1],
                    scores: None,
                })
                .collect();
            let slot_of = |slots: &[u32]| slots[a] as usize;
            let groups = self.with_scores(groups, |slots| {
                let s = slot_of(slots);
                (s > 0).then(|| s - 1)
            });
            analyses.push(analysis::analyse(
                self.attributes[a].clone(),
                vec![self.attributes[a].clone()],
                groups,
                margin[0].n,
                self.columns,
                median,
                policy,
            ));
        }
        if k >= 2 {
            for g in &self.grids {
                let Some(b) = g.b else { continue };
                let (na, nb) = (&self.values[g.a].names, &self.values[b].names);
                let mut groups = Vec::new();
                let mut index = vec![usize::MAX; g.rows * g.cols];
                let mut unknown = 0u64;
                for r in 0..g.rows {
                    for c in 0..g.cols {
                        let cell = g.cells[r * g.cols + c];
                        if r == 0 || c == 0 {
                            unknown += cell.n;
                            continue;
                        }
                        // Only combinations that occur are groups.
                        if cell.n == 0 || r > na.len() || c > nb.len() {
                            continue;
                        }
                        index[r * g.cols + c] = groups.len();
                        groups.push(GroupInput {
                            name: format!("{}{INTERSECTION}{}", na[r - 1], nb[c - 1]),
                            counts: cell,
                            scores: None,
                        });
                    }
                }
                let (a, cols) = (g.a, g.cols);
                let groups = self.with_scores(groups, |slots| {
                    let i = index[slots[a] as usize * cols + slots[b] as usize];
                    (i != usize::MAX).then_some(i)
                });
                analyses.push(analysis::analyse(
                    format!(
                        "{}{INTERSECTION}{}",
                        self.attributes[g.a], self.attributes[b]
                    ),
                    vec![self.attributes[g.a].clone(), self.attributes[b].clone()],
                    groups,
                    unknown,
                    self.columns,
                    median,
                    policy,
                ));
            }
        }
        // Every row is in the first attribute's margin, known or not.
        let selected = self.margin(0).iter().map(|c| c.selected).sum();
        Ok(analysis::audit(
            self.attributes,
            self.n_rows,
            selected,
            self.columns,
            analyses,
            policy,
        ))
    }

    /// Hands each group its scores, sorted ascending, when the tally has
    /// scores; `group_of` maps a row's slots to its group, if any.
    fn with_scores(
        &self,
        mut groups: Vec<GroupInput>,
        group_of: impl Fn(&[u32]) -> Option<usize>,
    ) -> Vec<GroupInput> {
        if !self.columns.scores {
            return groups;
        }
        let k = self.attributes.len();
        let mut per: Vec<Vec<f64>> = groups
            .iter()
            .map(|g| Vec::with_capacity(g.counts.n as usize))
            .collect();
        for (row, &s) in self.scores.iter().enumerate() {
            if let Some(i) = group_of(&self.score_slots[row * k..(row + 1) * k]) {
                per[i].push(s);
            }
        }
        for (g, mut s) in groups.iter_mut().zip(per) {
            s.sort_unstable_by(f64::total_cmp);
            g.scores = Some(s);
        }
        groups
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// A small deterministic generator (64-bit LCG), so the rows are varied
    /// but the test is the same on every run.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self, below: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) % below
        }
    }

    type Row = (Vec<Option<&'static str>>, bool, Option<bool>);

    /// Rows over three attributes with unknown values, an `unknown`
    /// marker, groups of very different sizes and selection rates, and
    /// (when `labels`) outcome labels.
    fn rows(n: usize, labels: bool) -> Vec<Row> {
        let genders = ["female", "male", "non-binary", "N/A"];
        let bands = ["18-24", "25-34", "35-44", "65+"];
        let regions = ["north", "south"];
        let mut g = Lcg(7);
        (0..n)
            .map(|_| {
                // Non-binary and 65+ are rare; a few values are missing.
                let gi = match g.next(100) {
                    0..=46 => 0,
                    47..=93 => 1,
                    94..=95 => 2,
                    _ => 3,
                };
                let bi = match g.next(100) {
                    0..=29 => 0,
                    30..=69 => 1,
                    70..=96 => 2,
                    _ => 3,
                };
                let gender = (g.next(50) != 0).then_some(genders[gi]);
                let band = (g.next(40) != 0).then_some(bands[bi]);
                let region = Some(regions[g.next(2) as usize]);
                // Men and the young are selected more often.
                let rate = 30 + 25 * u64::from(gi == 1) + 20 * u64::from(bi == 0);
                let selected = g.next(100) < rate;
                let label = labels.then(|| g.next(100) < 40 + 30 * u64::from(selected));
                (vec![gender, band, region], selected, label)
            })
            .collect()
    }

    fn one_by_one(attributes: &[&str], columns: Columns, rows: &[Row]) -> Tally {
        let mut t = Tally::new(attributes, columns).expect("tally");
        for (values, selected, label) in rows {
            t.add(values, *selected, *label, None).expect("add");
        }
        t
    }

    /// The same rows as blocks of counts per combination of values, added
    /// in reverse order of first appearance so interning differs too.
    fn counted(attributes: &[&str], columns: Columns, rows: &[Row]) -> Tally {
        let mut blocks: BTreeMap<Vec<Option<&str>>, (usize, Counts)> = BTreeMap::new();
        for (i, (values, selected, label)) in rows.iter().enumerate() {
            let (_, c) = blocks
                .entry(values.clone())
                .or_insert((usize::MAX - i, Counts::default()));
            c.n += 1;
            c.selected += u64::from(*selected);
            c.positives += u64::from(*label == Some(true));
            c.true_positives += u64::from(*selected && *label == Some(true));
        }
        let mut blocks: Vec<_> = blocks.into_iter().collect();
        blocks.sort_by_key(|(_, (order, _))| *order);
        let mut t = Tally::new(attributes, columns).expect("tally");
        for (values, (_, c)) in blocks {
            t.add_counts(&values, c).expect("add counts");
        }
        t
    }

    #[test]
    fn counted_adds_give_exactly_the_audit_of_rows_added_one_by_one() {
        let policy = FairnessPolicy::default_policy().expect("policy");
        for (n, labels) in [(5_000, false), (5_000, true), (120, false)] {
            let rows = rows(n, labels);
            let columns = Columns {
                labels,
                scores: false,
            };
            let attributes = ["gender", "age_band", "region"];
            let a = one_by_one(&attributes, columns, &rows);
            let b = counted(&attributes, columns, &rows);
            assert_eq!(a.n_rows(), b.n_rows());
            let (a, b) = (
                a.finish(&policy).expect("finish"),
                b.finish(&policy).expect("finish"),
            );
            // Every number, status and reason, compared exactly.
            assert_eq!(a, b, "{n} rows, labels {labels}");
            assert_eq!(
                serde_json::to_string(&a).expect("json"),
                serde_json::to_string(&b).expect("json")
            );
            assert_eq!(a.analyses.len(), 6);
        }
        // The large case exercises every kind of group the statuses know.
        let two: Vec<Row> = rows(5_000, false)
            .into_iter()
            .map(|(v, s, l)| (v[..2].to_vec(), s, l))
            .collect();
        let a = one_by_one(&["gender", "age_band"], Columns::default(), &two)
            .finish(&policy)
            .expect("finish");
        let statuses: Vec<_> = a
            .analyses
            .iter()
            .flat_map(|x| x.groups.values().map(|g| g.status))
            .collect();
        for s in [
            super::super::GroupStatus::Reference,
            super::super::GroupStatus::Fail,
            super::super::GroupStatus::Small,
        ] {
            assert!(statuses.contains(&s), "no {s:?} group in {statuses:?}");
        }
    }

    #[test]
    fn counted_adds_refuse_what_rows_could_not_be() {
        let counts = |n, selected, positives, true_positives| Counts {
            n,
            selected,
            positives,
            true_positives,
        };
        let mut t = Tally::new(&["gender"], Columns::default()).expect("tally");
        let e = t
            .add_counts(&[Some("f")], counts(3, 4, 0, 0))
            .expect_err("selected > n");
        assert!(e.to_string().contains("4 selected out of 3"), "{e}");
        let e = t
            .add_counts(&[Some("f")], counts(3, 1, 1, 0))
            .expect_err("labels");
        assert!(e.to_string().contains("outcome labels"), "{e}");
        let e = t
            .add_counts(&[Some("f"), None], counts(3, 1, 0, 0))
            .expect_err("arity");
        assert!(e.to_string().contains("2 attribute values for 1"), "{e}");
        // An empty block makes no group.
        t.add_counts(&[Some("ghost")], counts(0, 0, 0, 0))
            .expect("empty");
        t.add_counts(&[Some("f")], counts(40, 10, 0, 0))
            .expect("block");
        assert_eq!(t.n_rows(), 40);
        let a = t
            .finish(&FairnessPolicy::default_policy().expect("policy"))
            .expect("finish");
        let g = a.analysis("gender").expect("gender");
        assert_eq!(g.groups.keys().collect::<Vec<_>>(), ["f"]);
        assert_eq!((g.n, g.selected), (40, 10));

        let mut labelled = Tally::new(
            &["gender"],
            Columns {
                labels: true,
                scores: false,
            },
        )
        .expect("tally");
        let e = labelled
            .add_counts(&[Some("f")], counts(5, 1, 3, 2))
            .expect_err("more selected positives than selected");
        assert!(e.to_string().contains("do not fit"), "{e}");
        let mut scored = Tally::new(
            &["gender"],
            Columns {
                labels: false,
                scores: true,
            },
        )
        .expect("tally");
        let e = scored
            .add_counts(&[Some("f")], counts(5, 1, 0, 0))
            .expect_err("scores");
        assert!(e.to_string().contains("one at a time"), "{e}");
    }
}
