//! Referral influence: who brings others in, directly and through the
//! people they referred, and who holds parts of the referral network
//! together.
//!
//! `fit` builds the referral graph of the whole population from
//! `referrals.referred` (an edge from each referrer to each customer they
//! referred) and computes, per customer:
//!
//! * **reach by hop**: customers first reached at 1, 2, …, `max_hops` hops
//!   along referral edges (breadth-first, each customer counted once, at
//!   their nearest hop);
//! * **brokerage**: treating referrals as ties in either direction, the
//!   groups that fall apart when the customer is taken out (articulation
//!   points, found with Tarjan's depth-first search in linear time). A
//!   **broker** is a customer whose removal separates at least two groups
//!   of at least `broker_min_group` customers; the customer pairs connected
//!   only through them (`Σ_{i<j} |g_i| |g_j|` over the separated groups)
//!   measure how much they bridge, and equal their betweenness centrality
//!   when the network has no cycles.
//!
//! The influence score is `Σ_d decay^(d−1) × reach_d`: a customer referred
//! directly counts 1, one referred by them `decay` (0.5), and so on. Its
//! explanation has one term per hop and sums to it. **Advocates** referred
//! at least `advocate_min_referrals` customers directly.
//!
//! The model handed to every `score` batch holds only the customers whose
//! output needs the graph (those with reach beyond their own referrals, and
//! brokers), sorted by handle for binary search; everyone else is scored
//! from their own record. See `README.md`.

use rapport_plugin_sdk::prelude::*;
use serde::{Deserialize, Serialize};

/// Labels, from the most to the least notable.
pub const ADVOCATE_AND_BROKER: &str = "advocate_and_broker";
/// Bridges groups, fewer direct referrals than an advocate.
pub const BROKER: &str = "broker";
/// Referred at least `advocate_min_referrals` customers.
pub const ADVOCATE: &str = "advocate";
/// Referred at least one customer.
pub const REFERRER: &str = "referrer";
/// Referred nobody and bridges nothing.
pub const NO_REFERRALS: &str = "no_referrals";
/// Every label, in order.
pub const LABELS: [&str; 5] = [
    ADVOCATE_AND_BROKER,
    BROKER,
    ADVOCATE,
    REFERRER,
    NO_REFERRALS,
];

/// Largest `max_hops`: beyond a few hops a referral says little about the
/// original referrer, and the model grows with it.
pub const MAX_HOPS: u32 = 6;

/// Names of the per-hop values, `reached_hop_1` to `reached_hop_6`, written
/// out so that scoring a customer formats no names.
const HOP_VALUES: [&str; MAX_HOPS as usize] = [
    "reached_hop_1",
    "reached_hop_2",
    "reached_hop_3",
    "reached_hop_4",
    "reached_hop_5",
    "reached_hop_6",
];

/// The plugin, exported as a `scorer`.
#[derive(Debug)]
pub struct ReferralInfluence;

impl Scorer for ReferralInfluence {
    type Config = Config;
    type Model = Model;

    fn fit(
        config: &Config,
        ctx: &Ctx,
        population: &[Customer],
    ) -> Result<Fitted<Model>, PluginError> {
        fit(config, ctx, population)
    }

    fn score(
        config: &Config,
        ctx: &Ctx,
        model: &Model,
        batch: &[Customer],
    ) -> Result<Scored, PluginError> {
        score(config, ctx, model, batch)
    }
}

rapport_plugin_sdk::export_scorer!(ReferralInfluence);

// ---------------------------------------------------------------------------
// Configuration

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default = "d_max_hops")]
    max_hops: u32,
    #[serde(default = "d_decay")]
    decay: f64,
    #[serde(default = "d_advocate_min")]
    advocate_min_referrals: u32,
    #[serde(default = "d_broker_min_group")]
    broker_min_group: u32,
}

fn d_max_hops() -> u32 {
    3
}
fn d_decay() -> f64 {
    0.5
}
fn d_advocate_min() -> u32 {
    3
}
fn d_broker_min_group() -> u32 {
    3
}

/// The validated configuration (see `config.schema.json`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "RawConfig")]
pub struct Config {
    /// Hops of indirect referrals that count.
    pub max_hops: u32,
    /// Weight of a customer one hop further away, relative to the hop
    /// before.
    pub decay: f64,
    /// Direct referrals that make an advocate.
    pub advocate_min_referrals: u32,
    /// Smallest group a broker must separate (two of them).
    pub broker_min_group: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config::from_json("{}").expect("the built-in configuration is valid")
    }
}

impl Config {
    /// Parses and validates the configuration JSON; an empty string is the
    /// default configuration.
    pub fn from_json(json: &str) -> Result<Self, PluginError> {
        rapport_plugin_sdk::run::parse_config(json)
    }
}

impl TryFrom<RawConfig> for Config {
    type Error = String;
    fn try_from(raw: RawConfig) -> Result<Self, String> {
        if !(1..=MAX_HOPS).contains(&raw.max_hops) {
            return Err(format!(
                "`max_hops` must be between 1 and {MAX_HOPS}, got {}",
                raw.max_hops
            ));
        }
        if !(raw.decay > 0.0 && raw.decay <= 1.0) {
            return Err(format!(
                "`decay` must be greater than 0 and at most 1, got {}",
                raw.decay
            ));
        }
        if raw.advocate_min_referrals == 0 {
            return Err("`advocate_min_referrals` must be at least 1".into());
        }
        if raw.broker_min_group == 0 {
            return Err("`broker_min_group` must be at least 1".into());
        }
        Ok(Config {
            max_hops: raw.max_hops,
            decay: raw.decay,
            advocate_min_referrals: raw.advocate_min_referrals,
            broker_min_group: raw.broker_min_group,
        })
    }
}

// ---------------------------------------------------------------------------
// The graph

/// Adjacency in compressed sparse rows: the neighbours of node `v` are
/// `targets[offsets[v]..offsets[v + 1]]`, ascending.
#[derive(Debug, Clone, Default)]
struct Csr {
    offsets: Vec<u32>,
    targets: Vec<u32>,
}

impl Csr {
    /// From sorted, deduplicated `(from, to)` pairs over `n` nodes.
    fn from_sorted(n: usize, edges: &[(u32, u32)]) -> Self {
        let mut offsets = vec![0u32; n + 1];
        for &(from, _) in edges {
            offsets[from as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        Self {
            offsets,
            targets: edges.iter().map(|&(_, to)| to).collect(),
        }
    }

    fn range(&self, v: u32) -> std::ops::Range<usize> {
        self.offsets[v as usize] as usize..self.offsets[v as usize + 1] as usize
    }

    fn neighbours(&self, v: u32) -> &[u32] {
        &self.targets[self.range(v)]
    }
}

/// The referral graph over the population and everyone they referred.
#[derive(Debug)]
pub struct Graph {
    /// Handle of each node, ascending; node `i` is `handles[i]`.
    handles: Vec<u64>,
    /// Referrer → referred.
    out: Csr,
    /// Either direction.
    ties: Csr,
    /// Referral edges after removing self-referrals and repeats.
    pub edges: u64,
    /// Referrals naming the referrer themselves (ignored).
    pub self_referrals: u64,
    /// Referrals repeating an earlier one (counted once).
    pub repeats: u64,
}

impl Graph {
    /// Builds the graph. Refuses referrals without a referred handle: the
    /// graph needs `referrals.referred`.
    pub fn build(population: &[Customer]) -> Result<Self, PluginError> {
        let mut handles: Vec<u64> = population.iter().map(|c| c.subject).collect();
        let mut unnamed = 0u64;
        let mut self_referrals = 0u64;
        let mut raw: Vec<(u64, u64)> = Vec::new();
        for c in population {
            for r in c.referrals.iter().flatten() {
                match r.referred {
                    None => unnamed += 1,
                    Some(h) if h == c.subject => self_referrals += 1,
                    Some(h) => raw.push((c.subject, h)),
                }
            }
        }
        if unnamed > 0 {
            return Err(PluginError::data(format!(
                "{unnamed} referrals do not name the referred customer, so the referral graph cannot be built. Is `referrals.referred` granted to this installation?"
            )));
        }
        if !population.is_empty() && population.iter().all(|c| c.referrals.is_none()) {
            return Err(PluginError::data(
                "no customer came with a referral list, so the referral graph cannot be built. Is `referrals.referred` granted to this installation?",
            ));
        }
        handles.extend(raw.iter().map(|&(_, to)| to));
        handles.sort_unstable();
        handles.dedup();
        let index = |h: u64| handles.binary_search(&h).map_or(0, |i| i as u32);
        let mut edges: Vec<(u32, u32)> = raw.iter().map(|&(a, b)| (index(a), index(b))).collect();
        let before = edges.len();
        edges.sort_unstable();
        edges.dedup();
        let repeats = (before - edges.len()) as u64;
        let n = handles.len();
        let out = Csr::from_sorted(n, &edges);
        let mut both: Vec<(u32, u32)> = Vec::with_capacity(edges.len() * 2);
        for &(a, b) in &edges {
            both.push((a, b));
            both.push((b, a));
        }
        both.sort_unstable();
        both.dedup();
        let ties = Csr::from_sorted(n, &both);
        Ok(Self {
            handles,
            out,
            ties,
            edges: edges.len() as u64,
            self_referrals,
            repeats,
        })
    }

    /// Handle of every node, ascending: the order of [`Graph::cuts`].
    pub fn handles(&self) -> &[u64] {
        &self.handles
    }

    /// Number of nodes: the population and everyone referred.
    pub fn nodes(&self) -> usize {
        self.handles.len()
    }

    fn node(&self, handle: u64) -> Option<u32> {
        self.handles.binary_search(&handle).ok().map(|i| i as u32)
    }

    /// Customers first reached at each hop `1..=max_hops` from `handle`.
    pub fn reach_of(&self, handle: u64, max_hops: u32) -> Vec<u32> {
        let mut seen = vec![0u32; self.nodes()];
        let mut buf = Reach::default();
        match self.node(handle) {
            Some(v) => self.reach(v, max_hops, &mut seen, 1, &mut buf),
            None => vec![0; max_hops as usize],
        }
    }

    /// Breadth-first search from `v` up to `max_hops` hops, counting nodes
    /// at their nearest hop. `seen[u] == stamp` marks a visited node, so the
    /// array is reused across searches without clearing.
    fn reach(
        &self,
        v: u32,
        max_hops: u32,
        seen: &mut [u32],
        stamp: u32,
        buf: &mut Reach,
    ) -> Vec<u32> {
        let mut counts = vec![0u32; max_hops as usize];
        seen[v as usize] = stamp;
        buf.frontier.clear();
        buf.frontier.push(v);
        for count in counts.iter_mut() {
            buf.next.clear();
            for &u in &buf.frontier {
                for &w in self.out.neighbours(u) {
                    if seen[w as usize] != stamp {
                        seen[w as usize] = stamp;
                        buf.next.push(w);
                    }
                }
            }
            *count = buf.next.len() as u32;
            if buf.next.is_empty() {
                break;
            }
            std::mem::swap(&mut buf.frontier, &mut buf.next);
        }
        counts
    }

    /// For every node, what its removal separates: the number of separated
    /// groups of at least `min_group` nodes, and the pairs of nodes
    /// connected only through it. Iterative Tarjan (no recursion, so deep
    /// referral chains cannot overflow the stack), linear in nodes + ties.
    pub fn cuts(&self, min_group: u32) -> Vec<Cut> {
        let n = self.nodes();
        const NONE: u32 = u32::MAX;
        let mut disc = vec![NONE; n];
        let mut low = vec![0u32; n];
        let mut parent = vec![NONE; n];
        let mut size = vec![1u32; n];
        let mut separated = vec![0u64; n];
        let mut squares = vec![0u64; n];
        let mut cuts = vec![Cut::default(); n];
        let mut time = 0u32;
        let mut stack: Vec<(u32, usize)> = Vec::new();
        let mut component: Vec<u32> = Vec::new();
        for root in 0..n as u32 {
            if disc[root as usize] != NONE || self.ties.range(root).is_empty() {
                continue;
            }
            component.clear();
            disc[root as usize] = time;
            low[root as usize] = time;
            time += 1;
            component.push(root);
            stack.push((root, self.ties.range(root).start));
            while let Some(top) = stack.last_mut() {
                let (v, next) = (top.0, top.1);
                if next < self.ties.range(v).end {
                    top.1 += 1;
                    let w = self.ties.targets[next];
                    if disc[w as usize] == NONE {
                        parent[w as usize] = v;
                        disc[w as usize] = time;
                        low[w as usize] = time;
                        time += 1;
                        component.push(w);
                        stack.push((w, self.ties.range(w).start));
                    } else if w != parent[v as usize] {
                        low[v as usize] = low[v as usize].min(disc[w as usize]);
                    }
                    continue;
                }
                stack.pop();
                let p = parent[v as usize];
                if p == NONE {
                    continue;
                }
                let (vi, pi) = (v as usize, p as usize);
                low[pi] = low[pi].min(low[vi]);
                size[pi] += size[vi];
                // Nothing in v's subtree reaches above p: without p, the
                // subtree is a group of its own.
                if low[vi] >= disc[pi] {
                    let s = u64::from(size[vi]);
                    separated[pi] += s;
                    squares[pi] += s * s;
                    if size[vi] >= min_group {
                        cuts[pi].groups += 1;
                    }
                }
            }
            // The rest of the component (the side of the parent) is one more
            // group for every node but the root.
            let total = component.len() as u64 - 1;
            for &v in &component {
                let vi = v as usize;
                if v != root {
                    let rest = total - separated[vi];
                    if rest > 0 {
                        squares[vi] += rest * rest;
                        if rest >= u64::from(min_group) {
                            cuts[vi].groups += 1;
                        }
                    }
                }
                cuts[vi].pairs = (total * total - squares[vi]) / 2;
            }
        }
        cuts
    }
}

#[derive(Debug, Default)]
struct Reach {
    frontier: Vec<u32>,
    next: Vec<u32>,
}

/// What removing one customer separates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cut {
    /// Separated groups of at least `broker_min_group` customers.
    pub groups: u32,
    /// Pairs of customers connected only through this one.
    pub pairs: u64,
}

impl Cut {
    /// Whether this makes a broker: two or more large groups.
    pub fn is_broker(&self) -> bool {
        self.groups >= 2
    }
}

// ---------------------------------------------------------------------------
// Model

/// What `fit` learns, kept small because every `score` batch receives it:
/// only the customers whose output needs the graph, sorted by handle, in
/// parallel arrays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    /// `max_hops` the reach was counted for.
    pub max_hops: u32,
    /// `broker_min_group` the brokers were found with.
    pub broker_min_group: u32,
    /// Handles of the customers kept, ascending.
    pub subjects: Vec<u64>,
    /// Reach by hop of each kept customer, `max_hops` numbers each.
    pub reach: Vec<u32>,
    /// Large groups each kept customer separates (brokers have 2 or more).
    pub groups: Vec<u32>,
    /// Pairs connected only through each kept customer (0 unless a broker).
    pub pairs: Vec<u64>,
}

impl Model {
    fn entry(&self, subject: u64) -> Option<(&[u32], Cut)> {
        let i = self.subjects.binary_search(&subject).ok()?;
        let k = self.max_hops as usize;
        let reach = self.reach.get(i * k..(i + 1) * k)?;
        let cut = Cut {
            groups: *self.groups.get(i)?,
            pairs: *self.pairs.get(i)?,
        };
        Some((reach, cut))
    }
}

/// Builds the graph and keeps what `score` cannot compute from a record.
pub fn fit(
    config: &Config,
    _ctx: &Ctx,
    population: &[Customer],
) -> Result<Fitted<Model>, PluginError> {
    let graph = Graph::build(population)?;
    let cuts = graph.cuts(config.broker_min_group);
    let mut seen = vec![0u32; graph.nodes()];
    let mut buf = Reach::default();
    let mut model = Model {
        max_hops: config.max_hops,
        broker_min_group: config.broker_min_group,
        subjects: Vec::new(),
        reach: Vec::new(),
        groups: Vec::new(),
        pairs: Vec::new(),
    };
    let (mut referrers, mut advocates, mut brokers) = (0u64, 0u64, 0u64);
    let mut members: Vec<u64> = population.iter().map(|c| c.subject).collect();
    members.sort_unstable();
    members.dedup();
    let mut stamp = 0u32;
    for &subject in &members {
        let Some(v) = graph.node(subject) else {
            continue;
        };
        let cut = cuts[v as usize];
        let direct = graph.out.neighbours(v).len() as u32;
        if direct > 0 {
            referrers += 1;
        }
        if direct >= config.advocate_min_referrals {
            advocates += 1;
        }
        if cut.is_broker() {
            brokers += 1;
        }
        // Customers whose referrals referred nobody need no search: their
        // reach is their own referrals, which `score` reads from the record.
        let indirect = graph
            .out
            .neighbours(v)
            .iter()
            .any(|&w| !graph.out.neighbours(w).is_empty());
        let needs_search = cut.is_broker() || (indirect && config.max_hops > 1);
        if !needs_search {
            continue;
        }
        stamp += 1;
        let reach = graph.reach(v, config.max_hops, &mut seen, stamp, &mut buf);
        if reach.iter().skip(1).all(|&n| n == 0) && !cut.is_broker() {
            continue;
        }
        model.subjects.push(subject);
        model.reach.extend_from_slice(&reach);
        model
            .groups
            .push(if cut.is_broker() { cut.groups } else { 0 });
        model
            .pairs
            .push(if cut.is_broker() { cut.pairs } else { 0 });
    }
    let kept = model.subjects.len();
    let outside = graph.nodes() - members.len();
    let mut fitted = Fitted::new(model).info(format!(
        "{} customers and {outside} referred people outside the population; {} referral edges; {referrers} referrers, {advocates} advocates, {brokers} brokers",
        members.len(),
        graph.edges
    ));
    fitted = fitted.info(format!(
        "the model keeps {kept} customers whose influence needs the graph"
    ));
    if graph.self_referrals > 0 {
        fitted = fitted.warning(format!(
            "{} referrals name the referrer themselves and are ignored",
            graph.self_referrals
        ));
    }
    if graph.repeats > 0 {
        fitted = fitted.info(format!(
            "{} referrals repeat an earlier referrer and referred pair and count once",
            graph.repeats
        ));
    }
    Ok(fitted)
}

/// Scores a batch: one output per customer, in batch order.
pub fn score(
    config: &Config,
    _ctx: &Ctx,
    model: &Model,
    batch: &[Customer],
) -> Result<Scored, PluginError> {
    if model.max_hops != config.max_hops || model.broker_min_group != config.broker_min_group {
        return Err(PluginError::new(
            "model",
            "the model was fitted with another `max_hops` or `broker_min_group`; fit again",
        ));
    }
    let k = config.max_hops as usize;
    let mut outputs = Vec::with_capacity(batch.len());
    let mut scratch: Vec<u64> = Vec::new();
    for c in batch {
        let (reach, cut) = match model.entry(c.subject) {
            Some((reach, cut)) => (reach.to_vec(), cut),
            None => {
                let mut reach = vec![0u32; k];
                reach[0] = direct_referrals(c, &mut scratch);
                (reach, Cut::default())
            }
        };
        outputs.push(output(config, c.subject, &reach, cut));
    }
    Ok(Scored::new(outputs))
}

/// Distinct customers `c` referred, not counting themselves.
fn direct_referrals(c: &Customer, scratch: &mut Vec<u64>) -> u32 {
    scratch.clear();
    scratch.extend(
        c.referrals
            .iter()
            .flatten()
            .filter_map(|r| r.referred)
            .filter(|&h| h != c.subject),
    );
    scratch.sort_unstable();
    scratch.dedup();
    scratch.len() as u32
}

/// `"1 customer"`, `"3 customers"`: a count with its noun.
fn count(n: impl Into<u64>, noun: &str) -> String {
    match n.into() {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

/// A weight with at most four decimals and no trailing zeros: `0.5`,
/// `0.125`, `0.027`.
fn short(x: f64) -> String {
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_owned()
}

/// The output of one customer from their reach by hop and their cut.
pub fn output(config: &Config, subject: u64, reach: &[u32], cut: Cut) -> Output {
    let direct = reach.first().copied().unwrap_or(0);
    let advocate = direct >= config.advocate_min_referrals;
    let broker = cut.is_broker();
    let mut terms: Vec<(String, f64)> = Vec::with_capacity(reach.len() + 1);
    let mut weight = 1.0;
    for (d, &n) in reach.iter().enumerate() {
        if n > 0 {
            let label = if d == 0 && advocate {
                format!(
                    "referred {} directly: an advocate (at least {})",
                    count(n, "customer"),
                    config.advocate_min_referrals
                )
            } else if d == 0 {
                format!("referred {} directly", count(n, "customer"))
            } else {
                format!(
                    "{} more {} {} referrals away (x {} each)",
                    n,
                    if n == 1 { "customer" } else { "customers" },
                    d + 1,
                    short(weight)
                )
            };
            terms.push((label, weight * f64::from(n)));
        }
        weight *= config.decay;
    }
    // Summed in explanation order, so the explanation adds up to exactly
    // the score.
    let score = terms.iter().fold(0.0, |acc, (_, v)| acc + v);
    let label = match (advocate, broker) {
        (true, true) => ADVOCATE_AND_BROKER,
        (false, true) => BROKER,
        (true, false) => ADVOCATE,
        (false, false) if direct > 0 => REFERRER,
        (false, false) => NO_REFERRALS,
    };
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    let mut out = Output::new(subject, score)
        .label(label)
        .value("influence", score)
        .value("direct_referrals", f64::from(direct))
        .value("reach", reach.iter().map(|&n| f64::from(n)).sum())
        .value("advocate", flag(advocate))
        .value("broker", flag(broker));
    for (name, &n) in HOP_VALUES.iter().zip(reach) {
        out = out.value(*name, f64::from(n));
    }
    if broker {
        out = out
            .value("bridged_groups", f64::from(cut.groups))
            .value("bridged_pairs", cut.pairs as f64);
    }
    if terms.is_empty() {
        out = out.because("referred nobody", 0.0);
    }
    for (label, v) in terms {
        out = out.because(label, v);
    }
    if broker {
        out = out.because(
            format!(
                "a broker: bridges {} groups of at least {} customers, {} pairs connected only through them (not part of the score)",
                cut.groups, config.broker_min_group, cut.pairs
            ),
            0.0,
        );
    }
    out
}
