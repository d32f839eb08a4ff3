//! The README's first command works on a fresh machine.

use crate::support::{json, rapport};

#[test]
fn quickstart_runs_end_to_end() {
    let tmp = tempfile::tempdir().expect("tmp");
    let data = tmp.path().join("qs");
    let v = json(rapport(&data).args(["quickstart", "--customers", "400"]));
    assert_eq!(v["tenant"], "demo");
    assert_eq!(v["plaintext_emails_found_on_disk"], 0);
    assert!(v["emails_checked"].as_u64().unwrap_or(0) > 100);
    let imports = v["imports"].as_array().expect("imports");
    assert_eq!(imports.len(), 8, "every import kind");
    assert_eq!(v["audit_log"]["ok"], true, "{}", v["audit_log"]);
    assert!(v["audit_log"]["logs"][0]["entries"].as_u64() > Some(12));
    for i in imports {
        assert!(i["rows"].as_u64().unwrap_or(0) > 0, "{i}");
        assert_eq!(i["rows"], i["written"], "{i}");
    }
    // Running it again on the same directory refuses rather than mixing data.
    let out = rapport(&data).args(["quickstart"]).output().expect("run");
    assert!(!out.status.success());
}
