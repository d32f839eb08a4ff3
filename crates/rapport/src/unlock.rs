//! How the keyring is unlocked: an age identity file, RAPPORT_PASSPHRASE, or
//! a prompt when attached to a terminal.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{bail, Context, Result};
use rapport_vault::Unlock;
use secrecy::SecretString;

/// The unlock for an existing keyring.
pub fn for_open(identity: Option<&Path>) -> Result<Unlock> {
    if let Some(path) = identity {
        return Ok(Unlock::IdentityFile(path.to_path_buf()));
    }
    if let Ok(p) = std::env::var("RAPPORT_PASSPHRASE") {
        return Ok(Unlock::Passphrase(SecretString::from(p)));
    }
    if std::io::stdin().is_terminal() {
        let p = rpassword::prompt_password("Keyring passphrase: ")
            .context("could not read the passphrase")?;
        return Ok(Unlock::Passphrase(SecretString::from(p)));
    }
    bail!("no way to unlock the keyring: pass --identity FILE, set RAPPORT_PASSPHRASE, or run on a terminal")
}

/// The unlock for a new keyring: as [`for_open`], but a prompted passphrase
/// is asked twice, and an identity file that does not exist yet is created.
pub fn for_create(identity: Option<&Path>) -> Result<(Unlock, Option<String>)> {
    if let Some(path) = identity {
        let mut created = None;
        if !path.exists() {
            let recipient = rapport_vault::generate_identity_file(path)
                .with_context(|| format!("could not create identity file {}", path.display()))?;
            created = Some(recipient);
        }
        return Ok((Unlock::IdentityFile(path.to_path_buf()), created));
    }
    if let Ok(p) = std::env::var("RAPPORT_PASSPHRASE") {
        if p.is_empty() {
            bail!("RAPPORT_PASSPHRASE is empty");
        }
        return Ok((Unlock::Passphrase(SecretString::from(p)), None));
    }
    if std::io::stdin().is_terminal() {
        let a = rpassword::prompt_password("New keyring passphrase: ")
            .context("could not read the passphrase")?;
        let b =
            rpassword::prompt_password("Repeat it: ").context("could not read the passphrase")?;
        if a != b {
            bail!("the two passphrases differ");
        }
        if a.is_empty() {
            bail!("the passphrase is empty");
        }
        return Ok((Unlock::Passphrase(SecretString::from(a)), None));
    }
    bail!("no way to protect the keyring: pass --identity FILE, set RAPPORT_PASSPHRASE, or run on a terminal")
}
