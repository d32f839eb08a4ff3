//! The first-party plugins end to end: the signed packages built into the
//! binary are published into a real data directory, installed for a tenant
//! with a generated data set, and run "as of" the end of the generated
//! window. The stored outputs are checked against figures computed here,
//! independently, from the generated CSV files: labels from each plugin's
//! documented set, explanations that sum to the score, realised value,
//! open tickets and NPS recomputed from the raw rows, standings of
//! suppliers built to be good and bad, and advocates, reach and brokers
//! recomputed from the referral rows.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

use rapport_core::{ImportKind, Platform, RunOptions, RunView, ScoreView};

use crate::support::{import, Env};

const TENANT: &str = "acme";
/// The generated window ends on 2024-12-31; the runs are as of the next
/// midnight.
const AS_OF: &str = "2025-01-01T00:00:00Z";
const AS_OF_SECS: i64 = 1_735_689_600;
const DAY: i64 = 86_400;
const CUSTOMERS: u64 = 1_500;

/// A tenant with a generated data set (seed 42) imported, and the sample
/// files beside it.
async fn tenant(env: &Env) -> (Platform, PathBuf) {
    let mut p = env.init().await;
    p.create_tenant(TENANT).await.expect("tenant");
    let sample = env.tmp.path().join("sample");
    rapport_generate::generate(
        &rapport_generate::Options::new(CUSTOMERS, 42, sample.clone()),
        &|_| {},
    )
    .expect("generate");
    for kind in ImportKind::ALL {
        if kind == ImportKind::Consents {
            for text in ["notice v1", "notice v2"] {
                p.publish_notice(TENANT, "privacy-notice", text, false)
                    .await
                    .expect("notice");
            }
        }
        let file = sample.join(format!("{}.csv", kind.as_str()));
        import(&p, TENANT, kind, &file)
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
    }
    (p, sample)
}

/// Publishes the built-in packages, installs `plugin` for `purpose` with its
/// default configuration, runs it as of [`AS_OF`] in batches of 200 and
/// returns the run and its outputs by subject. The run must replay to the
/// same output.
async fn run(p: &Platform, plugin: &str, purpose: &str) -> (RunView, BTreeMap<String, ScoreView>) {
    let published = p
        .publish_first_party()
        .await
        .expect("publish the built-in packages");
    assert!(
        published.iter().any(|r| r.plugin.id == plugin),
        "{plugin} is built in"
    );
    let inst = p
        .install_plugin(TENANT, plugin, purpose, None, None)
        .await
        .expect("install");
    assert!(inst.withheld_fields.is_empty());
    let opts = RunOptions {
        as_of: Some(AS_OF.to_owned()),
        seed: 1,
        batch: Some(200),
    };
    let run = p.run_plugin(TENANT, plugin, &opts).await.expect("run");
    assert_eq!(run.status, "succeeded", "{:?}", run.failure);
    assert!(run.batches > 1 || run.subjects <= 200);
    let outputs: BTreeMap<String, ScoreView> = p
        .run_scores(TENANT, &run.run, None)
        .await
        .expect("scores")
        .outputs
        .into_iter()
        .map(|o| (o.subject.clone(), o))
        .collect();
    assert_eq!(outputs.len() as u64, run.subjects);
    let replay = p.replay_run(TENANT, &run.run).await.expect("replay");
    assert_eq!(replay.verdict, "reproduced", "{plugin}");
    (run, outputs)
}

fn value(o: &ScoreView, name: &str) -> Option<f64> {
    o.values.get(name).and_then(serde_json::Value::as_f64)
}

/// The explanation as (label, contribution) pairs.
fn explanation(o: &ScoreView) -> Vec<(String, f64)> {
    o.explanation
        .as_array()
        .expect("an explanation list")
        .iter()
        .map(|c| {
            (
                c["label"].as_str().expect("label").to_owned(),
                c["value"].as_f64().expect("value"),
            )
        })
        .collect()
}

fn assert_sums_to_score(o: &ScoreView) {
    let terms = explanation(o);
    assert!(!terms.is_empty(), "{}: no explanation", o.subject);
    let total: f64 = terms.iter().map(|t| t.1).sum();
    assert!(
        (total - o.score).abs() < 1e-9,
        "{}: explanation sums to {total}, score {}",
        o.subject,
        o.score
    );
}

fn rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).expect("csv");
    let headers = reader.headers().expect("headers").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("record");
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

/// Seconds of a `YYYY-MM-DD` date or `YYYY-MM-DDTHH:MM:SSZ` instant.
fn seconds(text: &str) -> i64 {
    let num = |a: usize, b: usize| -> i64 { text[a..b].parse().expect("digits") };
    let (y, m, d) = (num(0, 4), num(5, 7), num(8, 10));
    // Days from civil (H. Hinnant).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    let time = if text.len() >= 19 {
        num(11, 13) * 3600 + num(14, 16) * 60 + num(17, 19)
    } else {
        0
    };
    days * DAY + time
}

/// Referral edges (referrer, referred) between customers, deduplicated.
fn referral_edges(sample: &Path) -> BTreeSet<(String, String)> {
    rows(&sample.join("referrals.csv"))
        .into_iter()
        .filter(|r| r["referrer_id"].starts_with('C') && r["referrer_id"] != r["referred_id"])
        .filter(|r| seconds(&r["date"]) <= AS_OF_SECS)
        .map(|r| (r["referrer_id"].clone(), r["referred_id"].clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn value_potential_places_customers_on_the_grid_with_real_advocates() {
    let env = Env::new();
    let (p, sample) = tenant(&env).await;
    let (run, out) = run(&p, "value-potential", "analytics_profiling").await;
    assert!(run.subjects > CUSTOMERS / 2, "{} scored", run.subjects);

    // Realised value recomputed from the transaction rows: the last 365
    // days up to "as of".
    let start = AS_OF_SECS - 365 * DAY;
    let mut spend: BTreeMap<String, f64> = BTreeMap::new();
    for t in rows(&sample.join("transactions.csv")) {
        let at = seconds(&t["date"]);
        if at > start && at <= AS_OF_SECS {
            *spend.entry(t["customer_id"].clone()).or_default() +=
                t["amount"].parse::<f64>().expect("amount");
        }
    }
    let mut referred: BTreeMap<String, usize> = BTreeMap::new();
    for (from, _) in referral_edges(&sample) {
        *referred.entry(from).or_default() += 1;
    }
    let grid = [
        "high_value_high_potential",
        "high_value_low_potential",
        "low_value_high_potential",
        "low_value_low_potential",
    ];
    let mut seen = BTreeSet::new();
    for (subject, o) in &out {
        let label = o.label.as_deref().expect("a segment");
        assert!(grid.contains(&label) || label == "advocate", "{label}");
        seen.insert(label);
        let want = spend.get(subject).copied().unwrap_or(0.0);
        let got = value(o, "value").expect("value");
        assert!(
            (got - want).abs() < 1e-6,
            "{subject}: value {got}, rows say {want}"
        );
        let referrals = referred.get(subject).copied().unwrap_or(0);
        assert_eq!(value(o, "referrals"), Some(referrals as f64), "{subject}");
        // Advocates really referred at least three others, and everyone who
        // did is an advocate.
        assert_eq!(
            label == "advocate",
            referrals >= 3,
            "{subject}: {referrals} referrals"
        );
        let terms = explanation(o);
        assert_eq!(terms.len(), 5);
        assert_eq!(terms[0].1, 0.0, "the value term carries 0");
        assert_sums_to_score(o);
        assert!((0.0..=100.0).contains(&o.score));
    }
    for label in grid.iter().chain(&["advocate"]) {
        assert!(seen.contains(label), "no customer in {label}: {seen:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relationship_health_scores_tickets_and_nps_as_the_rows_say() {
    let env = Env::new();
    let (p, sample) = tenant(&env).await;
    let (_, out) = run(&p, "relationship-health", "analytics_profiling").await;

    // Open tickets and the latest NPS answer recomputed from the rows.
    let mut events: BTreeMap<String, Vec<(i64, String, Option<f64>)>> = BTreeMap::new();
    for i in rows(&sample.join("interactions.csv")) {
        let at = seconds(&i["occurred_at"]);
        if at <= AS_OF_SECS && i["stakeholder_id"].starts_with('C') {
            let nps = (!i["nps"].is_empty()).then(|| i["nps"].parse().expect("nps"));
            events
                .entry(i["stakeholder_id"].clone())
                .or_default()
                .push((at, i["kind"].clone(), nps));
        }
    }
    let bands = ["thriving", "healthy", "at_risk", "critical"];
    let mut seen = BTreeSet::new();
    let mut with_tickets = 0;
    for (subject, o) in &out {
        let label = o.label.as_deref().expect("a band");
        assert!(bands.contains(&label), "{label}");
        seen.insert(label);
        assert!((0.0..=100.0).contains(&o.score));
        assert_sums_to_score(o);
        let terms = explanation(o);
        assert_eq!(terms[0], ("baseline of 50 points".to_owned(), 50.0));
        assert_eq!(terms.len(), 7);
        // No previous run: no change yet.
        assert_eq!(value(o, "change_since_previous"), None);

        let mut mine = events.get(subject).cloned().unwrap_or_default();
        mine.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then((a.1 == "ticket_closed").cmp(&(b.1 == "ticket_closed")))
        });
        let mut open = 0u32;
        for (_, kind, _) in &mine {
            match kind.as_str() {
                "ticket_opened" => open += 1,
                "ticket_closed" => open = open.saturating_sub(1),
                _ => {}
            }
        }
        assert_eq!(value(o, "open_tickets"), Some(f64::from(open)), "{subject}");
        if open > 0 {
            with_tickets += 1;
            assert!(value(o, "points_open_tickets").expect("points") < 0.0);
        }
        let latest_nps = mine
            .iter()
            .filter(|(at, _, nps)| nps.is_some() && *at > AS_OF_SECS - 365 * DAY)
            .max_by_key(|(at, _, _)| *at)
            .and_then(|(_, _, nps)| *nps);
        assert_eq!(value(o, "nps"), latest_nps, "{subject}");
    }
    assert!(with_tickets > 0, "some customer has an open ticket");
    assert!(seen.len() >= 3, "bands seen: {seen:?}");
}

/// Suppliers built to be good, bad and new, beside the generated ones.
fn write_suppliers(dir: &Path) -> (PathBuf, PathBuf) {
    let suppliers = dir.join("extra-suppliers.csv");
    std::fs::write(
        &suppliers,
        "id,name,contact_name,email,phone,address,category,country,notes\n\
         S9001,Reliable Parts Ltd,,,,,electronics,GB,\n\
         S9002,Shaky Supplies Ltd,,,,,electronics,GB,\n\
         S9003,Newcomer Ltd,,,,,electronics,GB,\n",
    )
    .expect("suppliers");
    let mut d = String::from(
        "id,supplier_id,order_date,promised_date,delivered_date,quantity_ordered,quantity_delivered,quantity_accepted,unit_price,agreed_unit_price,response_hours\n",
    );
    let date = |secs: i64| -> String {
        let z = secs.div_euclid(DAY) + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        format!("{year:04}-{month:02}-{day:02}")
    };
    // Promised 5 to 85 days before "as of" (this quarter) and 100 to 170
    // days before (the previous quarter).
    for i in 0..8i64 {
        let promised = AS_OF_SECS - (5 + 10 * i) * DAY;
        let ordered = promised - 10 * DAY;
        // Good: on time, in full, all accepted, agreed price, quick answers.
        d.push_str(&format!(
            "G{i},S9001,{},{},{},100,100,100,10.00,10.00,2\n",
            date(ordered),
            date(promised),
            date(promised - DAY)
        ));
        // Bad: twelve days late, short, mostly rejected, overcharged, slow.
        d.push_str(&format!(
            "B{i},S9002,{},{},{},100,60,20,11.50,10.00,120\n",
            date(ordered),
            date(promised),
            date(promised + 12 * DAY)
        ));
    }
    for i in 0..6i64 {
        let promised = AS_OF_SECS - (100 + 12 * i) * DAY;
        let late = if i < 3 { 4 * DAY } else { 0 };
        d.push_str(&format!(
            "GP{i},S9001,{},{},{},100,100,100,10.00,10.00,2\n",
            date(promised - 10 * DAY),
            date(promised),
            date(promised + late)
        ));
    }
    d.push_str(&format!(
        "N0,S9003,{},{},{},100,100,100,10.00,10.00,2\n",
        date(AS_OF_SECS - 20 * DAY),
        date(AS_OF_SECS - 10 * DAY),
        date(AS_OF_SECS - 10 * DAY)
    ));
    let deliveries = dir.join("extra-deliveries.csv");
    std::fs::write(&deliveries, d).expect("deliveries");
    (suppliers, deliveries)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supplier_scorecard_ranks_good_and_bad_suppliers() {
    let env = Env::new();
    let (p, _) = tenant(&env).await;
    let (suppliers, deliveries) = write_suppliers(env.tmp.path());
    import(&p, TENANT, ImportKind::Suppliers, &suppliers)
        .await
        .expect("suppliers");
    import(&p, TENANT, ImportKind::Deliveries, &deliveries)
        .await
        .expect("deliveries");
    let (run, out) = run(&p, "supplier-scorecard", "service_delivery").await;
    let info = p.tenant_info(TENANT).await.expect("info");
    assert_eq!(run.subjects, info.suppliers);

    let good = &out["S9001"];
    assert_eq!(good.label.as_deref(), Some("strategic"));
    assert_eq!(good.score, 100.0);
    // Last quarter three of six were late: the trend is up.
    assert_eq!(value(good, "on_time_previous"), Some(0.5));
    let trend = value(good, "trend").expect("trend");
    let previous = value(good, "score_previous").expect("previous score");
    assert!(trend > 0.0);
    assert!((trend - (good.score - previous)).abs() < 1e-9);

    let bad = &out["S9002"];
    assert_eq!(bad.label.as_deref(), Some("at_risk"));
    assert!(bad.score < 10.0, "{}", bad.score);
    assert_eq!(value(bad, "on_time"), Some(0.0));
    assert_eq!(out["S9003"].label.as_deref(), Some("insufficient_data"));
    assert_eq!(out["S9003"].score, 0.0);

    let standings = [
        "strategic",
        "preferred",
        "transactional",
        "at_risk",
        "insufficient_data",
    ];
    for o in out.values() {
        assert!(
            standings.contains(&o.label.as_deref().unwrap_or("")),
            "{:?}",
            o.label
        );
        assert_sums_to_score(o);
        if o.label.as_deref() != Some("insufficient_data") {
            assert_eq!(explanation(o).len(), 6);
        }
    }
    // The generated suppliers have about one delivery a month: some are
    // scored on the last quarter.
    let generated_scored = out
        .iter()
        .filter(|(s, o)| !s.starts_with("S9") && o.label.as_deref() != Some("insufficient_data"))
        .count();
    assert!(generated_scored > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn referral_influence_agrees_with_the_referral_rows() {
    let env = Env::new();
    let (p, sample) = tenant(&env).await;
    let (_, out) = run(&p, "referral-influence", "analytics_profiling").await;

    // The plugin sees the referrals of the customers in its population:
    // rebuild that graph from the rows.
    let edges: Vec<(String, String)> = referral_edges(&sample)
        .into_iter()
        .filter(|(from, _)| out.contains_key(from))
        .collect();
    assert!(edges.len() > 20, "{} referrals", edges.len());
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut ties: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (a, b) in &edges {
        next.entry(a).or_default().push(b);
        ties.entry(a).or_default().insert(b);
        ties.entry(b).or_default().insert(a);
    }
    let component_sizes_without = |v: &str| -> Vec<usize> {
        let mut seen: BTreeSet<&str> = BTreeSet::from([v]);
        let mut sizes = Vec::new();
        for &start in ties.get(v).into_iter().flatten() {
            if !seen.insert(start) {
                continue;
            }
            let mut size = 1;
            let mut queue = VecDeque::from([start]);
            while let Some(u) = queue.pop_front() {
                for &w in ties.get(u).into_iter().flatten() {
                    if seen.insert(w) {
                        size += 1;
                        queue.push_back(w);
                    }
                }
            }
            sizes.push(size);
        }
        sizes
    };
    let labels = [
        "advocate_and_broker",
        "broker",
        "advocate",
        "referrer",
        "no_referrals",
    ];
    let (mut advocates, mut reached_beyond) = (0, 0);
    for (subject, o) in &out {
        let label = o.label.as_deref().expect("a label");
        assert!(labels.contains(&label), "{label}");
        assert_sums_to_score(o);
        // Reach by hop, breadth first over the rows.
        let mut hops = [0.0f64; 3];
        let mut seen: BTreeSet<&str> = BTreeSet::from([subject.as_str()]);
        let mut frontier = vec![subject.as_str()];
        for h in &mut hops {
            let mut found = Vec::new();
            for u in &frontier {
                for &w in next.get(u).into_iter().flatten() {
                    if seen.insert(w) {
                        found.push(w);
                    }
                }
            }
            *h = found.len() as f64;
            frontier = found;
        }
        for (d, want) in hops.iter().enumerate() {
            assert_eq!(
                value(o, &format!("reached_hop_{}", d + 1)),
                Some(*want),
                "{subject} hop {}",
                d + 1
            );
        }
        let influence = hops[0] + 0.5 * hops[1] + 0.25 * hops[2];
        assert!((o.score - influence).abs() < 1e-9, "{subject}");
        let advocate = hops[0] >= 3.0;
        assert_eq!(value(o, "advocate"), Some(if advocate { 1.0 } else { 0.0 }));
        advocates += usize::from(advocate);
        reached_beyond += usize::from(hops[1] > 0.0);
        let broker = component_sizes_without(subject)
            .iter()
            .filter(|&&s| s >= 3)
            .count()
            >= 2;
        assert_eq!(
            value(o, "broker"),
            Some(if broker { 1.0 } else { 0.0 }),
            "{subject}"
        );
        assert_eq!(label.contains("advocate"), advocate, "{subject}: {label}");
        assert_eq!(label.contains("broker"), broker, "{subject}: {label}");
    }
    assert!(advocates > 0, "the generated referrals have advocates");
    assert!(
        reached_beyond > 0,
        "some customer reaches beyond direct referrals"
    );
}
