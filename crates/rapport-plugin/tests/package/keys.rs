//! Publisher keys and signatures in minisign's formats.

use rapport_plugin::signing::{self, PublicKey, SecretKey, Signature, SigningError};

use crate::{publisher, stranger, PASSPHRASE};

#[test]
fn a_loaded_key_signs_what_its_public_key_verifies() {
    let keys = publisher();
    assert_eq!(keys.secret.key_id(), keys.public.key_id());
    assert_eq!(keys.secret.public_key(), &keys.public);

    let sig = keys.secret.sign(b"some statement", "rfm@0.1.0 comment");
    assert_eq!(sig.key_id(), keys.public.key_id());
    assert_eq!(sig.trusted_comment(), "rfm@0.1.0 comment");
    keys.public
        .verify(b"some statement", &sig)
        .expect("verifies");

    let err = keys
        .public
        .verify(b"some statemenT", &sig)
        .expect_err("other data");
    assert!(matches!(err, SigningError::BadSignature { .. }), "{err}");

    let err = stranger()
        .public
        .verify(b"some statement", &sig)
        .expect_err("other key");
    assert_eq!(
        err.to_string(),
        format!(
            "signature was made by key {}, not by key {}",
            keys.public.key_id(),
            stranger().public.key_id()
        )
    );
}

#[test]
fn the_secret_key_file_is_minisign_encrypted() {
    let text = publisher().file.as_str();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0], "untrusted comment: Rapport test publisher");
    // base64 of "Ed" + "Sc" (scrypt) + "B2" (blake2b checksum).
    assert!(lines[1].starts_with("RWRTY0Iy"), "{}", lines[1]);
    assert_eq!(
        format!("{:?}", publisher().file),
        "SecretKeyFile(encrypted)"
    );
    assert_eq!(
        format!("{:?}", publisher().secret),
        format!("SecretKey({})", publisher().public.key_id())
    );
}

#[test]
fn a_wrong_passphrase_is_a_clear_error() {
    let err = SecretKey::load(publisher().file.as_str(), "wrong horse").expect_err("wrong");
    assert_eq!(err, SigningError::WrongPassphrase);
    assert_eq!(err.to_string(), "wrong passphrase for this secret key");
}

#[test]
fn broken_secret_key_files_are_refused_without_panicking() {
    let text = publisher().file.as_str();
    let key_line = text.lines().nth(1).expect("key line");
    for broken in [
        String::new(),
        key_line.to_owned(),
        format!("untrusted comment: x\n{}", &key_line[..40]),
        format!("untrusted comment: x\n{}!", &key_line[..key_line.len() - 1]),
        format!("a comment\n{key_line}"),
    ] {
        let err = SecretKey::load(&broken, PASSPHRASE).expect_err("broken key file");
        assert!(
            matches!(err, SigningError::SecretKey(_)),
            "{broken:?}: {err}"
        );
    }
}

#[test]
fn an_empty_passphrase_is_refused() {
    assert_eq!(
        signing::generate("", "x").expect_err("empty passphrase"),
        SigningError::EmptyPassphrase
    );
}

#[test]
fn public_keys_parse_from_a_pub_file_or_the_bare_line() {
    let public = &publisher().public;
    let id = public.key_id();
    assert_eq!(id.len(), 16);
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)),
        "{id}"
    );

    let text = public.to_text();
    assert_eq!(
        text.lines().next(),
        Some(format!("untrusted comment: minisign public key {id}").as_str())
    );
    let from_file = PublicKey::parse(&text).expect("pub file");
    let from_line = PublicKey::parse(&format!("  {}\n", public.to_base64())).expect("bare line");
    assert_eq!(&from_file, public);
    assert_eq!(&from_line, public);
    assert_eq!(from_line.key_id(), id);
    assert_ne!(&stranger().public, public);

    for bad in ["", "not base64 at all", "a\nb\nc", "comment\nRWQ"] {
        assert!(
            matches!(PublicKey::parse(bad), Err(SigningError::PublicKey(_))),
            "{bad:?}"
        );
    }
    // A secret key line is not a public key.
    let secret_line = publisher().file.as_str().lines().nth(1).expect("line");
    assert!(PublicKey::parse(secret_line).is_err());
}

#[test]
fn signatures_round_trip_through_their_text() {
    let sig = publisher().secret.sign(b"data", "a\ncomment");
    assert_eq!(sig.trusted_comment(), "a comment", "newlines are folded");
    let text = sig.to_text();
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(
        text.lines()
            .nth(2)
            .is_some_and(|l| l == "trusted comment: a comment"),
        "{text}"
    );
    let parsed = Signature::parse(&text).expect("parses");
    assert_eq!(parsed, sig);
    publisher()
        .public
        .verify(b"data", &parsed)
        .expect("verifies");

    // An altered trusted comment breaks the signature.
    let altered = Signature::parse(&text.replace("a comment", "b comment")).expect("parses");
    assert!(publisher().public.verify(b"data", &altered).is_err());

    for bad in [
        "",
        "untrusted comment: x\n",
        &text.replace("trusted comment: ", "comment: "),
    ] {
        assert!(Signature::parse(bad).is_err(), "{bad:?}");
    }
    let mut lines: Vec<&str> = text.lines().collect();
    let short = &lines[1][..50].to_owned();
    lines[1] = short;
    assert!(Signature::parse(&lines.join("\n")).is_err());
}
