//! A process killed with SIGKILL in the middle of a large import leaves the
//! store consistent: the batch is either wholly there or absent, and the next
//! command works.

use std::time::{Duration, Instant};

use crate::support::{json, ok, rapport};

#[cfg(unix)]
#[test]
fn sigkill_during_a_large_import_leaves_the_store_consistent() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("data");
    let sample = tmp.path().join("sample");
    let identity = tmp.path().join("id.txt");
    ok(rapport(&data)
        .args(["generate", "--customers", "30000", "--seed", "3", "--out"])
        .arg(&sample));
    ok(rapport(&data).arg("--identity").arg(&identity).arg("init"));
    ok(rapport(&data)
        .arg("--identity")
        .arg(&identity)
        .args(["tenant", "create", "acme"]));
    ok(rapport(&data)
        .arg("--identity")
        .arg(&identity)
        .args(["import", "--tenant", "acme", "--kind", "customers"])
        .arg(sample.join("customers.csv")));
    let expected_tx = std::fs::read_to_string(sample.join("transactions.csv"))
        .expect("read")
        .lines()
        .count() as u64
        - 1;

    // Kill at several points: early, mid-way and late.
    let mut killed = 0;
    for delay_ms in [150u64, 600, 1500] {
        let mut child = rapport(&data)
            .arg("--identity")
            .arg(&identity)
            .args(["import", "--tenant", "acme", "--kind", "transactions"])
            .arg(sample.join("transactions.csv"))
            .spawn()
            .expect("spawn");
        let started = Instant::now();
        while started.elapsed() < Duration::from_millis(delay_ms) {
            if child.try_wait().expect("try_wait").is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        if child.try_wait().expect("try_wait").is_none() {
            child.kill().expect("SIGKILL");
            killed += 1;
        }
        child.wait().expect("reap");
        let t = json(
            rapport(&data)
                .arg("--identity")
                .arg(&identity)
                .args(["tenant", "list"]),
        );
        let n = t[0]["transactions"].as_u64().expect("count");
        assert!(
            n == 0 || n == expected_tx,
            "a killed import left {n} of {expected_tx} transactions"
        );
        assert_eq!(t[0]["customers"], 30000);
        if n == expected_tx {
            break;
        }
    }
    assert!(
        killed > 0,
        "the import finished before it could be killed; make the data set larger"
    );
    // The next import works and completes the batch.
    ok(rapport(&data)
        .arg("--identity")
        .arg(&identity)
        .args(["import", "--tenant", "acme", "--kind", "transactions"])
        .arg(sample.join("transactions.csv")));
    let t = json(
        rapport(&data)
            .arg("--identity")
            .arg(&identity)
            .args(["tenant", "list"]),
    );
    assert_eq!(t[0]["transactions"].as_u64(), Some(expected_tx));
}
