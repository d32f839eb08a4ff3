//! Publisher keys and signatures, in minisign's formats.
//!
//! A publisher signs a package statement with an Ed25519 key. Public keys,
//! secret key files and signatures are byte-for-byte minisign's, so anyone can
//! check a statement with the `minisign` tool:
//!
//! ```text
//! minisign -Vm statement.txt -p publisher.pub -x rapport-plugin.minisig
//! ```
//!
//! Secret keys are only ever stored encrypted with a passphrase (minisign's
//! scrypt-derived key stream, with a checksum that tells a wrong passphrase
//! apart from a good one). Neither the `Debug` output nor the errors of this
//! module carry key material.

use std::fmt;
use std::io::Cursor;

/// Longest passphrase minisign accepts, in bytes.
const PASSPHRASE_MAX_BYTES: usize = 1024;
/// Minisign's prefix of the first line of every key and signature file.
const UNTRUSTED_PREFIX: &str = "untrusted comment: ";
/// Signature algorithm tag of an Ed25519 minisign key.
const SIG_ALG: &[u8; 2] = b"Ed";

/// What went wrong with a key or a signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigningError {
    #[error("a publisher key needs a non-empty passphrase")]
    EmptyPassphrase,
    #[error("the passphrase is longer than {PASSPHRASE_MAX_BYTES} bytes")]
    PassphraseTooLong,
    #[error("could not generate a key pair: {0}")]
    Generate(String),
    #[error("not a minisign public key: {0}")]
    PublicKey(String),
    #[error("not a minisign secret key: {0}")]
    SecretKey(String),
    #[error("the secret key file is not encrypted; only passphrase-protected keys are accepted")]
    UnencryptedSecretKey,
    #[error("wrong passphrase for this secret key")]
    WrongPassphrase,
    #[error("not a minisign signature: {0}")]
    Signature(String),
    #[error("signature was made by key {signer}, not by key {key}")]
    OtherKey { signer: String, key: String },
    #[error("signature does not verify with key {key_id}")]
    BadSignature { key_id: String },
}

/// Minisign prints key ids as the key number read little-endian, in
/// upper-case hex.
fn key_id_of(keynum: &[u8]) -> String {
    let mut bytes = [0u8; 8];
    let n = keynum.len().min(8);
    bytes[..n].copy_from_slice(&keynum[..n]);
    format!("{:016X}", u64::from_le_bytes(bytes))
}

fn check_passphrase(passphrase: &str) -> Result<(), SigningError> {
    if passphrase.is_empty() {
        return Err(SigningError::EmptyPassphrase);
    }
    if passphrase.len() > PASSPHRASE_MAX_BYTES {
        return Err(SigningError::PassphraseTooLong);
    }
    Ok(())
}

/// Folds a comment onto one line: minisign comments end at the first newline.
fn one_line(comment: &str) -> String {
    comment
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect()
}

/// Generates a publisher key pair. The secret key comes back as the text of a
/// minisign secret key file, encrypted with `passphrase`; `comment` becomes
/// the file's untrusted comment (e.g. the publisher's name).
pub fn generate(
    passphrase: &str,
    comment: &str,
) -> Result<(SecretKeyFile, PublicKey), SigningError> {
    check_passphrase(passphrase)?;
    let pair = minisign::KeyPair::generate_encrypted_keypair(Some(passphrase.to_owned()))
        .map_err(|e| SigningError::Generate(e.to_string()))?;
    let text = pair
        .sk
        .to_box(Some(&one_line(comment)))
        .map_err(|e| SigningError::Generate(e.to_string()))?
        .into_string();
    Ok((SecretKeyFile { text }, PublicKey { inner: pair.pk }))
}

/// The text of an encrypted minisign secret key file (`*.key`).
#[derive(Clone)]
pub struct SecretKeyFile {
    text: String,
}

impl SecretKeyFile {
    /// The file's text, to be written to disk as is.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn into_string(self) -> String {
        self.text
    }
}

impl fmt::Debug for SecretKeyFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKeyFile(encrypted)")
    }
}

/// A publisher's public key.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    inner: minisign::PublicKey,
}

impl PublicKey {
    /// Parses a minisign `.pub` file (an untrusted comment line, then the key)
    /// or the bare base64 key line.
    pub fn parse(text: &str) -> Result<PublicKey, SigningError> {
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let encoded = match lines.as_slice() {
            [key] => *key,
            [comment, key] if comment.starts_with(UNTRUSTED_PREFIX) => *key,
            [comment, _] => {
                return Err(SigningError::PublicKey(format!(
                    "the first of two lines must start with `{UNTRUSTED_PREFIX}`, found `{}`",
                    truncate(comment, 40)
                )))
            }
            [] => return Err(SigningError::PublicKey("the text is empty".to_owned())),
            _ => {
                return Err(SigningError::PublicKey(format!(
                    "expected one or two lines, found {}",
                    lines.len()
                )))
            }
        };
        let inner = minisign::PublicKey::from_base64(encoded)
            .map_err(|e| SigningError::PublicKey(e.to_string()))?;
        if inner.to_bytes().get(..2) != Some(&SIG_ALG[..]) {
            return Err(SigningError::PublicKey(
                "the key is not an Ed25519 minisign key".to_owned(),
            ));
        }
        Ok(PublicKey { inner })
    }

    /// The key id, as minisign prints it (16 upper-case hex digits).
    pub fn key_id(&self) -> String {
        key_id_of(self.inner.keynum())
    }

    /// The bare base64 key line.
    pub fn to_base64(&self) -> String {
        self.inner.to_base64()
    }

    /// The text of a minisign `.pub` file.
    pub fn to_text(&self) -> String {
        format!(
            "{UNTRUSTED_PREFIX}minisign public key {}\n{}\n",
            self.key_id(),
            self.to_base64()
        )
    }

    /// Checks that `signature` was made by this key over `data`, trusted
    /// comment included.
    pub fn verify(&self, data: &[u8], signature: &Signature) -> Result<(), SigningError> {
        let signer = signature.key_id();
        if signer != self.key_id() {
            return Err(SigningError::OtherKey {
                signer,
                key: self.key_id(),
            });
        }
        minisign::verify(
            &self.inner,
            &signature.inner,
            Cursor::new(data),
            true,
            false,
            false,
        )
        .map_err(|_| SigningError::BadSignature {
            key_id: self.key_id(),
        })
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.key_id())
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base64())
    }
}

/// A decrypted publisher secret key, ready to sign.
pub struct SecretKey {
    inner: minisign::SecretKey,
    public: PublicKey,
}

impl SecretKey {
    /// Decrypts a minisign secret key file with its passphrase.
    pub fn load(text: &str, passphrase: &str) -> Result<SecretKey, SigningError> {
        if passphrase.len() > PASSPHRASE_MAX_BYTES {
            return Err(SigningError::PassphraseTooLong);
        }
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let [comment, encoded] = lines.as_slice() else {
            return Err(SigningError::SecretKey(format!(
                "expected two lines (a comment and the key), found {}",
                lines.len()
            )));
        };
        if !comment.starts_with(UNTRUSTED_PREFIX) {
            return Err(SigningError::SecretKey(format!(
                "the first line must start with `{UNTRUSTED_PREFIX}`"
            )));
        }
        // Read the header, which is stored in the clear, first: it tells an
        // unencrypted or foreign key apart before any key derivation.
        let raw = decode_base64(encoded)
            .map_err(|e| SigningError::SecretKey(format!("the key line is not base64 ({e})")))?;
        // sig alg (2), kdf alg (2), checksum alg (2), salt (32), opslimit (8),
        // memlimit (8), then the key number (8), secret key (64), checksum (32).
        const KEYNUM_AT: usize = 2 + 2 + 2 + 32 + 8 + 8;
        const LEN: usize = KEYNUM_AT + 8 + 64 + 32;
        if raw.len() != LEN {
            return Err(SigningError::SecretKey(format!(
                "the key is {} bytes long, expected {LEN}",
                raw.len()
            )));
        }
        if raw[..2] != SIG_ALG[..] {
            return Err(SigningError::SecretKey(
                "the key is not an Ed25519 minisign key".to_owned(),
            ));
        }
        match &raw[2..4] {
            [0, 0] => return Err(SigningError::UnencryptedSecretKey),
            b"Sc" => {}
            _ => {
                return Err(SigningError::SecretKey(
                    "the key is encrypted with an unknown algorithm".to_owned(),
                ))
            }
        }
        // The key number is stored encrypted too, so a failed decryption
        // cannot name the key.
        let boxed = minisign::SecretKeyBox::from_string(&format!("{comment}\n{encoded}\n"))
            .map_err(|e| SigningError::SecretKey(e.to_string()))?;
        let inner = minisign::SecretKey::from_box(boxed, Some(passphrase.to_owned())).map_err(
            |e| match e.kind() {
                // The checksum over the decrypted key did not match.
                minisign::ErrorKind::Verify => SigningError::WrongPassphrase,
                _ => SigningError::SecretKey(e.to_string()),
            },
        )?;
        let public = minisign::PublicKey::from_secret_key(&inner)
            .map_err(|e| SigningError::SecretKey(e.to_string()))?;
        Ok(SecretKey {
            inner,
            public: PublicKey { inner: public },
        })
    }

    /// The id of this key (and of its public key).
    pub fn key_id(&self) -> String {
        self.public.key_id()
    }

    /// The matching public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Signs `data` (minisign's pre-hashed Ed25519 signature) with a trusted
    /// comment, which the signature also covers. Newlines in the comment are
    /// folded into spaces.
    pub fn sign(&self, data: &[u8], trusted_comment: &str) -> Signature {
        let comment = one_line(trusted_comment);
        let untrusted = format!("signature from rapport publisher key {}", self.key_id());
        let inner = minisign::sign(
            Some(&self.public.inner),
            &self.inner,
            Cursor::new(data),
            Some(&comment),
            Some(&untrusted),
        )
        // The key was decrypted and checked against its checksum at load, so
        // signing can fail only if the operating system has no randomness.
        .expect("a decrypted minisign key signs");
        Signature { inner }
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({})", self.key_id())
    }
}

/// A minisign signature with its trusted comment.
#[derive(Clone)]
pub struct Signature {
    inner: minisign::SignatureBox,
}

impl Signature {
    /// Parses the text of a `.minisig` file.
    pub fn parse(text: &str) -> Result<Signature, SigningError> {
        let lines: Vec<&str> = text.lines().collect();
        if lines.len() != 4 && !(lines.len() == 5 && lines[4].trim().is_empty()) {
            return Err(SigningError::Signature(format!(
                "expected four lines, found {}",
                lines.len()
            )));
        }
        if lines[1].trim().len() != 100 {
            return Err(SigningError::Signature(
                "the signature line has the wrong length".to_owned(),
            ));
        }
        if lines[3].trim().len() != 88 {
            return Err(SigningError::Signature(
                "the global signature line has the wrong length".to_owned(),
            ));
        }
        let inner = minisign::SignatureBox::from_string(text)
            .map_err(|e| SigningError::Signature(e.to_string()))?;
        if !inner.is_prehashed() {
            return Err(SigningError::Signature(
                "legacy (not pre-hashed) signatures are not accepted".to_owned(),
            ));
        }
        inner
            .trusted_comment()
            .map_err(|e| SigningError::Signature(e.to_string()))?;
        Ok(Signature { inner })
    }

    /// The text of a `.minisig` file.
    pub fn to_text(&self) -> String {
        self.inner.to_string()
    }

    /// The id of the key that made the signature.
    pub fn key_id(&self) -> String {
        key_id_of(self.inner.keynum())
    }

    /// The trusted comment. Authentic only once the signature has verified.
    pub fn trusted_comment(&self) -> String {
        // Parsing and signing both guarantee a trusted comment is present.
        self.inner.trusted_comment().unwrap_or_default()
    }
}

impl PartialEq for Signature {
    fn eq(&self, other: &Self) -> bool {
        self.to_text() == other.to_text()
    }
}

impl Eq for Signature {}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Signature(key {}, trusted comment {:?})",
            self.key_id(),
            self.trusted_comment()
        )
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}

/// Standard base64 with padding, as minisign writes it.
fn decode_base64(s: &str) -> Result<Vec<u8>, &'static str> {
    fn value(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    }
    let bytes = s.trim().as_bytes();
    if bytes.len() % 4 != 0 {
        return Err("length is not a multiple of 4");
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for (i, chunk) in bytes.chunks(4).enumerate() {
        let last = i + 1 == bytes.len() / 4;
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return Err("misplaced padding");
        }
        let mut acc = 0u32;
        for &c in &chunk[..4 - pad] {
            acc = (acc << 6) | value(c).ok_or("invalid character")?;
        }
        acc <<= 6 * pad as u32;
        let three = [(acc >> 16) as u8, (acc >> 8) as u8, acc as u8];
        out.extend_from_slice(&three[..3 - pad]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_padded_input() {
        assert_eq!(decode_base64("TWFu").unwrap(), b"Man");
        assert_eq!(decode_base64("TWE=").unwrap(), b"Ma");
        assert_eq!(decode_base64("TQ==").unwrap(), b"M");
        assert!(decode_base64("TQ=").is_err());
        assert!(decode_base64("T===").is_err());
        assert!(decode_base64("TQ==TWFu").is_err());
        assert!(decode_base64("T*Fu").is_err());
    }

    #[test]
    fn key_ids_read_little_endian() {
        assert_eq!(
            key_id_of(&[0x01, 0x02, 0, 0, 0, 0, 0, 0xAB]),
            "AB00000000000201"
        );
    }
}
