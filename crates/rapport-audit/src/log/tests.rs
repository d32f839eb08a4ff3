//! Verification of in-memory logs: an intact log verifies; every way of
//! tampering with stored rows names the first bad entry, even when the
//! tamperer recomputes every hash.

use ed25519_dalek::{Signer, SigningKey};
use serde_json::json;

use super::*;

const LOG: &str = "00112233445566778899aabbccddeeff";

struct Built {
    key: SigningKey,
    rows: Vec<LogRow>,
    heads: Vec<HeadRow>,
    leaves: Vec<Hash>,
}

fn entry(seq: u64, kind: EntryKind, body: serde_json::Value) -> Entry {
    Entry {
        version: ENTRY_VERSION,
        log: LOG.into(),
        tenant: Some("acme".into()),
        seq,
        timestamp: format!("2026-01-01T00:00:{:02}Z", seq % 60),
        occurred_at: format!("2026-01-01T00:00:{:02}Z", seq % 60),
        kind: kind.as_str().into(),
        body,
    }
}

fn sign_head(key: &SigningKey, size: u64, root: Hash, ts: &str) -> SignedTreeHead {
    let head = TreeHead {
        log: LOG.into(),
        tenant: Some("acme".into()),
        size,
        root,
        timestamp: ts.into(),
        key_id: signed::key_id(&key.verifying_key().to_bytes()),
    };
    let signature = key.sign(&head.message().expect("canonical")).to_bytes();
    SignedTreeHead { head, signature }
}

/// A log of `n` import entries with a head after every fourth entry.
fn build(n: u64) -> Built {
    let key = SigningKey::from_bytes(&[42u8; 32]);
    let mut frontier = Frontier::new();
    let mut rows = Vec::new();
    let mut heads = Vec::new();
    let mut leaves = Vec::new();
    for seq in 0..n {
        let e = entry(seq, EntryKind::Import, json!({"rows": seq * 10}));
        let p = prepare_entry(&e, &frontier).expect("prepared");
        rows.push(LogRow {
            seq: seq as i64,
            entry: p.bytes.clone(),
            leaf_hash: p.leaf_hash.to_vec(),
            receipt: key.sign(&p.receipt_message).to_bytes().to_vec(),
        });
        frontier.push(p.leaf_hash);
        leaves.push(p.leaf_hash);
        if (seq + 1) % 4 == 0 {
            let h = sign_head(&key, frontier.size(), frontier.root(), &e.timestamp);
            heads.push(HeadRow {
                id: heads.len() as i64 + 1,
                size: h.head.size as i64,
                root: h.head.root.to_vec(),
                timestamp: h.head.timestamp.clone(),
                key_id: h.head.key_id.clone(),
                signature: h.signature.to_vec(),
            });
        }
    }
    Built {
        key,
        rows,
        heads,
        leaves,
    }
}

fn check(b: &Built, rows: &[LogRow], exported: Option<&SignedTreeHead>) -> LogReport {
    let pk = b.key.verifying_key().to_bytes();
    verify_log(&VerifyInput {
        log: LOG,
        tenant: Some("acme"),
        public_key: pk,
        stored_public_key: Some(pk.to_vec()),
        rows,
        heads: &b.heads,
        exported: exported.map(|h| (h, pk)),
    })
}

/// What a tamperer with file access does after changing entry bytes:
/// recompute the leaf hash column (the receipt cannot be recomputed).
fn rewrite(row: &mut LogRow, e: &Entry) {
    row.entry = e.to_bytes().expect("canonical");
    row.leaf_hash = merkle::leaf_hash(&row.entry).to_vec();
}

fn first_bad(r: &LogReport) -> (u64, Tamper) {
    let b = r.first_bad_entry.as_ref().expect("a bad entry is named");
    (b.seq, b.tamper)
}

#[test]
fn an_intact_log_verifies() {
    let b = build(11);
    let r = check(&b, &b.rows, None);
    assert!(r.ok, "{r:?}");
    assert_eq!(r.verified_entries, 11);
    assert_eq!(r.heads_checked, 2);
    assert_eq!(r.root, hex::encode(merkle::root(&b.leaves)));
}

#[test]
fn an_edited_entry_is_named() {
    let b = build(11);
    let mut rows = b.rows.clone();
    let mut e = Entry::parse(&rows[6].entry).expect("entry");
    e.body = json!({"rows": 999});
    rewrite(&mut rows[6], &e);
    assert_eq!(first_bad(&check(&b, &rows, None)), (6, Tamper::Edited));

    // A naive edit that leaves the leaf hash column alone says so too.
    let mut rows = b.rows.clone();
    let mut e = Entry::parse(&rows[2].entry).expect("entry");
    e.body = json!({"rows": 999});
    rows[2].entry = e.to_bytes().expect("canonical");
    let r = check(&b, &rows, None);
    assert_eq!(first_bad(&r).0, 2);
    assert!(r.first_bad_entry.expect("bad").detail.contains("leaf hash"));

    // Bytes that are not canonical are an edit as well.
    let mut rows = b.rows.clone();
    rows[0].entry.push(b' ');
    assert_eq!(first_bad(&check(&b, &rows, None)), (0, Tamper::Edited));
}

#[test]
fn a_deleted_entry_is_named_whether_or_not_the_rest_are_renumbered() {
    let b = build(11);
    let mut rows = b.rows.clone();
    rows.remove(5);
    assert_eq!(first_bad(&check(&b, &rows, None)), (5, Tamper::Deleted));

    // Renumbering the rest rewrites their bytes: entry 5 no longer matches
    // its receipt.
    for (pos, row) in rows.iter_mut().enumerate().skip(5) {
        let mut e = Entry::parse(&row.entry).expect("entry");
        e.seq = pos as u64;
        rewrite(row, &e);
        row.seq = pos as i64;
    }
    assert_eq!(first_bad(&check(&b, &rows, None)).0, 5);
}

#[test]
fn an_inserted_entry_is_named() {
    let b = build(11);
    // Insert at 3 and renumber the rest, as a careful tamperer would.
    let mut rows = b.rows.clone();
    let forged = entry(3, EntryKind::ConsentChange, json!({"status": "granted"}));
    let mut row = rows[3].clone();
    rewrite(&mut row, &forged);
    rows.insert(3, row);
    for (pos, row) in rows.iter_mut().enumerate().skip(4) {
        let mut e = Entry::parse(&row.entry).expect("entry");
        e.seq = pos as u64;
        rewrite(row, &e);
        row.seq = pos as i64;
    }
    assert_eq!(first_bad(&check(&b, &rows, None)).0, 3);

    // Insert a second entry 3 without renumbering.
    let mut rows = b.rows.clone();
    let mut row = rows[3].clone();
    rewrite(&mut row, &forged);
    rows.insert(4, row);
    assert_eq!(first_bad(&check(&b, &rows, None)), (4, Tamper::Inserted));
    let mut rows = b.rows.clone();
    let mut row = rows[3].clone();
    rewrite(&mut row, &forged);
    rows.insert(3, row);
    assert_eq!(first_bad(&check(&b, &rows, None)), (3, Tamper::Inserted));

    // An entry of another log.
    let mut rows = b.rows.clone();
    let mut e = Entry::parse(&rows[7].entry).expect("entry");
    e.log = "ffffffffffffffffffffffffffffffff".into();
    rewrite(&mut rows[7], &e);
    assert_eq!(first_bad(&check(&b, &rows, None)), (7, Tamper::Inserted));
}

#[test]
fn reordered_entries_are_named() {
    let b = build(11);
    let mut rows = b.rows.clone();
    rows.swap(4, 8);
    assert_eq!(first_bad(&check(&b, &rows, None)), (4, Tamper::Reordered));

    // Swapping the sequence numbers inside the entries too breaks the
    // first one's receipt.
    let mut rows = b.rows.clone();
    rows.swap(4, 5);
    for (pos, row) in rows.iter_mut().enumerate().take(6).skip(4) {
        let mut e = Entry::parse(&row.entry).expect("entry");
        e.seq = pos as u64;
        rewrite(row, &e);
    }
    assert_eq!(first_bad(&check(&b, &rows, None)), (4, Tamper::Edited));
}

#[test]
fn a_truncated_log_is_caught_by_a_head_that_covers_more() {
    let b = build(11);
    // The stored head of size 8 covers entries up to 7.
    let rows = b.rows[..6].to_vec();
    let r = check(&b, &rows, None);
    assert_eq!(first_bad(&r), (6, Tamper::Truncated));

    // Remove the stored heads too: only an exported head still tells.
    let mut bare = build(11);
    bare.heads.clear();
    assert!(
        check(&bare, &rows, None).ok,
        "receipts alone cannot see a cut tail"
    );
    let exported = sign_head(
        &bare.key,
        11,
        merkle::root(&bare.leaves),
        "2026-01-01T00:01:00Z",
    );
    let r = check(&bare, &rows, Some(&exported));
    assert_eq!(first_bad(&r), (6, Tamper::Truncated));
    assert!(check(&bare, &bare.rows, Some(&exported)).ok);
}

#[test]
fn forged_or_inconsistent_heads_are_problems() {
    let b = build(11);
    let mut tampered = build(11);
    tampered.heads[1].root[0] ^= 1;
    let r = check(&tampered, &tampered.rows, None);
    assert!(!r.ok);
    assert!(
        r.problems[0].contains("no valid signature"),
        "{:?}",
        r.problems
    );

    // A validly signed head whose root is not the log's (a split view).
    let other = sign_head(&b.key, 4, [7u8; 32], "2026-01-01T00:00:05Z");
    let r = check(&b, &b.rows, Some(&other));
    assert!(!r.ok);
    assert!(
        r.problems.iter().any(|p| p.contains("commits to root")),
        "{:?}",
        r.problems
    );

    // A head signed by another key.
    let stranger = SigningKey::from_bytes(&[1u8; 32]);
    let foreign = sign_head(
        &stranger,
        4,
        merkle::root(&b.leaves[..4]),
        "2026-01-01T00:00:05Z",
    );
    let pk = b.key.verifying_key().to_bytes();
    let r = verify_log(&VerifyInput {
        log: LOG,
        tenant: Some("acme"),
        public_key: pk,
        stored_public_key: Some(pk.to_vec()),
        rows: &b.rows,
        heads: &b.heads,
        exported: Some((&foreign, stranger.verifying_key().to_bytes())),
    });
    assert!(!r.ok);

    // A replaced public key in the log's own table.
    let r = verify_log(&VerifyInput {
        log: LOG,
        tenant: Some("acme"),
        public_key: pk,
        stored_public_key: Some(stranger.verifying_key().to_bytes().to_vec()),
        rows: &b.rows,
        heads: &b.heads,
        exported: None,
    });
    assert!(r.problems.iter().any(|p| p.contains("replaced")));
}

#[test]
fn receipts_under_another_key_do_not_verify() {
    // A tamperer who rebuilds the whole log with a key of their own.
    let b = build(5);
    let mut rebuilt = build(5);
    rebuilt.key = SigningKey::from_bytes(&[3u8; 32]);
    let r = check(&rebuilt, &b.rows, None);
    assert_eq!(first_bad(&r), (0, Tamper::Edited));
}

#[test]
fn proof_documents_check() {
    let b = build(9);
    let pk = b.key.verifying_key().to_bytes();
    let head = sign_head(&b.key, 9, merkle::root(&b.leaves), "2026-01-01T00:00:09Z");
    let exported = ExportedHead::new(&head, &pk);
    let entry_text = String::from_utf8(b.rows[5].entry.clone()).expect("utf-8");
    let doc = InclusionProofDoc {
        format: INCLUSION_PROOF_FORMAT.into(),
        log: LOG.into(),
        tenant: Some("acme".into()),
        leaf_index: 5,
        tree_size: 9,
        entry: entry_text,
        leaf_hash: hex::encode(b.leaves[5]),
        path: merkle::inclusion_proof(&b.leaves, 5)
            .expect("in range")
            .iter()
            .map(hex::encode)
            .collect(),
        root_hash: hex::encode(head.head.root),
        head: exported.clone(),
    };
    assert_eq!(doc.check(), Ok(pk));
    let mut wrong = doc.clone();
    wrong.leaf_index = 4;
    assert!(wrong.check().is_err());
    let mut wrong = doc.clone();
    wrong.entry.push(' ');
    assert_eq!(wrong.check(), Err(ProofDocError::LeafHash));

    let first = sign_head(
        &b.key,
        4,
        merkle::root(&b.leaves[..4]),
        "2026-01-01T00:00:03Z",
    );
    let c = ConsistencyProofDoc {
        format: CONSISTENCY_PROOF_FORMAT.into(),
        log: LOG.into(),
        tenant: Some("acme".into()),
        first_size: 4,
        first_root: hex::encode(first.head.root),
        second_size: 9,
        second_root: hex::encode(head.head.root),
        path: merkle::consistency_proof(&b.leaves, 4)
            .expect("in range")
            .iter()
            .map(hex::encode)
            .collect(),
        first_head: ExportedHead::new(&first, &pk),
        second_head: exported,
    };
    assert_eq!(c.check(), Ok(()));
    let mut swapped = c.clone();
    std::mem::swap(&mut swapped.first_head, &mut swapped.second_head);
    assert!(swapped.check().is_err());
}
