//! Encryption of exports to a recipient's age public key: a data subject's
//! copy of their data (GDPR Art. 15, 20) or a file for a partner. Only the
//! holder of the matching identity can read the result, with any age
//! implementation (the `age` command-line tool included).

use std::io::Write;
use std::iter;
use std::str::FromStr;

use age::x25519;

use crate::VaultError;

/// Encrypts `plaintext` to one age X25519 recipient (`age1…`), producing the
/// binary age format.
pub fn encrypt_to_recipient(recipient: &str, plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
    // The recipient is a public key, so naming it in an error is harmless;
    // the parser's own message is not echoed in case it quotes more.
    let r = x25519::Recipient::from_str(recipient.trim()).map_err(|_| VaultError::Recipient {
        reason: "not an age X25519 public key (expected `age1…`, as printed by `age-keygen -y`)",
    })?;
    let encryptor = age::Encryptor::with_recipients(iter::once(&r as &dyn age::Recipient))
        .map_err(|_| VaultError::Recipient {
            reason: "age refused the recipient",
        })?;
    let mut out = Vec::with_capacity(plaintext.len() + 256);
    let write = |out: &mut Vec<u8>| -> std::io::Result<()> {
        let mut writer = encryptor.wrap_output(out)?;
        writer.write_all(plaintext)?;
        writer.finish()?;
        Ok(())
    };
    write(&mut out).map_err(|e| VaultError::Export {
        reason: e.kind().to_string(),
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use age::secrecy::ExposeSecret;
    use std::io::Read;

    #[test]
    fn round_trips_to_the_identity_and_refuses_bad_recipients() {
        let id = x25519::Identity::generate();
        let recipient = id.to_public().to_string();
        let sealed = encrypt_to_recipient(&recipient, b"hello subject").expect("encrypt");
        assert!(sealed.starts_with(b"age-encryption.org/v1"));
        let d = age::Decryptor::new(&sealed[..]).expect("header");
        let mut r = d
            .decrypt(iter::once(&id as &dyn age::Identity))
            .expect("decrypt");
        let mut out = Vec::new();
        r.read_to_end(&mut out).expect("read");
        assert_eq!(out, b"hello subject");
        assert!(!id.to_string().expose_secret().is_empty());

        let err = encrypt_to_recipient("age1notakey", b"x").expect_err("bad key");
        assert!(err.to_string().contains("age X25519 public key"), "{err}");
    }
}
