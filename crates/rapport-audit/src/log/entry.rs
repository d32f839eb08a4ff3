//! Log entries: what a leaf of the audit log holds, and its canonical bytes.
//!
//! An entry is one JSON object in canonical form (see [`crate::canonical`]):
//!
//! ```text
//! {"body":{…},"kind":"import","log":"<log id>","occurred_at":"2026-…Z",
//!  "seq":12,"tenant":"acme","timestamp":"2026-…Z","v":1}
//! ```
//!
//! * `v`: the entry format version, [`ENTRY_VERSION`];
//! * `log`: the log's id (a tenant's 32-hex-digit id, or `platform` for the
//!   data directory's own log); `tenant`: the tenant's name (`null` for the
//!   platform log);
//! * `seq`: the entry's position in the log, from 0;
//! * `timestamp`: when the log accepted the entry (RFC 3339 UTC, never
//!   earlier than the entry before it); `occurred_at`: when the action it
//!   records committed;
//! * `kind` and a kind-specific `body` (documented in `docs/audit-log.md`).
//!
//! The bytes of the leaf are exactly these canonical bytes, so anyone can
//! recompute a leaf hash from an entry with any RFC 8785 implementation.
//! Bodies hold no plaintext personal data: subjects appear only as keyed
//! pseudonyms.

use serde_json::{Map, Value};

use crate::canonical::{self, CanonicalError};

/// The entry format written by this version.
pub const ENTRY_VERSION: u64 = 1;

/// The id of the data directory's own log (plugin publication, backups and
/// restores); tenant logs are named by the tenant's 32-hex-digit id.
pub const PLATFORM_LOG: &str = "platform";

/// What an entry records. The string forms are part of the entry format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryKind {
    /// A tenant was created; the first entry of every tenant log.
    TenantCreate,
    Import,
    NoticePublish,
    ConsentChange,
    PluginPublish,
    PluginInstall,
    PluginUpgrade,
    PluginUninstall,
    Run,
    Replay,
    PrivacyRequest,
    Export,
    Erasure,
    Rectification,
    RetentionSweep,
    Backup,
    Restore,
    /// A signed tree head, recorded in the log it describes.
    TreeHead,
    /// Action gate: a verdict on a requested action.
    Verdict,
    /// Action gate: a human approval of a held action.
    Approval,
    /// Action gate: a human rejection of a held action.
    Rejection,
    /// Action gate: an allowed or approved action was executed.
    Execution,
    /// Action gate: personal data left the platform to a recipient.
    Disclosure,
}

impl EntryKind {
    /// Every kind, in the order of the documentation.
    pub const ALL: [EntryKind; 23] = [
        EntryKind::TenantCreate,
        EntryKind::Import,
        EntryKind::NoticePublish,
        EntryKind::ConsentChange,
        EntryKind::PluginPublish,
        EntryKind::PluginInstall,
        EntryKind::PluginUpgrade,
        EntryKind::PluginUninstall,
        EntryKind::Run,
        EntryKind::Replay,
        EntryKind::PrivacyRequest,
        EntryKind::Export,
        EntryKind::Erasure,
        EntryKind::Rectification,
        EntryKind::RetentionSweep,
        EntryKind::Backup,
        EntryKind::Restore,
        EntryKind::TreeHead,
        EntryKind::Verdict,
        EntryKind::Approval,
        EntryKind::Rejection,
        EntryKind::Execution,
        EntryKind::Disclosure,
    ];

    /// The kind's name in entries.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::TenantCreate => "tenant_create",
            EntryKind::Import => "import",
            EntryKind::NoticePublish => "notice_publish",
            EntryKind::ConsentChange => "consent_change",
            EntryKind::PluginPublish => "plugin_publish",
            EntryKind::PluginInstall => "plugin_install",
            EntryKind::PluginUpgrade => "plugin_upgrade",
            EntryKind::PluginUninstall => "plugin_uninstall",
            EntryKind::Run => "run",
            EntryKind::Replay => "replay",
            EntryKind::PrivacyRequest => "privacy_request",
            EntryKind::Export => "export",
            EntryKind::Erasure => "erasure",
            EntryKind::Rectification => "rectification",
            EntryKind::RetentionSweep => "retention_sweep",
            EntryKind::Backup => "backup",
            EntryKind::Restore => "restore",
            EntryKind::TreeHead => "tree_head",
            EntryKind::Verdict => "verdict",
            EntryKind::Approval => "approval",
            EntryKind::Rejection => "rejection",
            EntryKind::Execution => "execution",
            EntryKind::Disclosure => "disclosure",
        }
    }

    /// The kind named `s`, if it is one.
    pub fn parse(s: &str) -> Option<EntryKind> {
        Self::ALL.iter().copied().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for EntryKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One log entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub version: u64,
    pub log: String,
    pub tenant: Option<String>,
    pub seq: u64,
    pub timestamp: String,
    pub occurred_at: String,
    pub kind: String,
    pub body: Value,
}

/// Why bytes are not a log entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("not JSON")]
    NotJson,
    #[error("not in canonical form (RFC 8785)")]
    NotCanonical,
    #[error("field `{0}` is missing or has the wrong type")]
    Field(&'static str),
    #[error("unknown fields: {0}")]
    UnknownFields(String),
    #[error("entry format version {0} is not supported (expected {ENTRY_VERSION})")]
    Version(u64),
    #[error("the body must be a JSON object")]
    Body,
    #[error(transparent)]
    Canonical(#[from] CanonicalError),
}

const FIELDS: [&str; 8] = [
    "body",
    "kind",
    "log",
    "occurred_at",
    "seq",
    "tenant",
    "timestamp",
    "v",
];

impl Entry {
    /// The entry as a JSON value.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("v".into(), Value::from(self.version));
        m.insert("log".into(), Value::from(self.log.clone()));
        m.insert(
            "tenant".into(),
            self.tenant.clone().map_or(Value::Null, Value::from),
        );
        m.insert("seq".into(), Value::from(self.seq));
        m.insert("timestamp".into(), Value::from(self.timestamp.clone()));
        m.insert("occurred_at".into(), Value::from(self.occurred_at.clone()));
        m.insert("kind".into(), Value::from(self.kind.clone()));
        m.insert("body".into(), self.body.clone());
        Value::Object(m)
    }

    /// The canonical bytes: what the leaf hash is computed over.
    pub fn to_bytes(&self) -> Result<Vec<u8>, EntryError> {
        if !self.body.is_object() {
            return Err(EntryError::Body);
        }
        Ok(canonical::to_vec(&self.to_value())?)
    }

    /// Parses stored bytes, which must be a canonical entry of a known
    /// format version.
    pub fn parse(bytes: &[u8]) -> Result<Entry, EntryError> {
        let v: Value = serde_json::from_slice(bytes).map_err(|_| EntryError::NotJson)?;
        if canonical::to_vec(&v)? != bytes {
            return Err(EntryError::NotCanonical);
        }
        let Value::Object(m) = v else {
            return Err(EntryError::Field("v"));
        };
        let unknown: Vec<&str> = m
            .keys()
            .map(String::as_str)
            .filter(|k| !FIELDS.contains(k))
            .collect();
        if !unknown.is_empty() {
            return Err(EntryError::UnknownFields(unknown.join(", ")));
        }
        let str_of = |name: &'static str| {
            m.get(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or(EntryError::Field(name))
        };
        let version = m
            .get("v")
            .and_then(Value::as_u64)
            .ok_or(EntryError::Field("v"))?;
        if version != ENTRY_VERSION {
            return Err(EntryError::Version(version));
        }
        let tenant = match m.get("tenant") {
            Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            _ => return Err(EntryError::Field("tenant")),
        };
        let body = m.get("body").cloned().ok_or(EntryError::Field("body"))?;
        if !body.is_object() {
            return Err(EntryError::Body);
        }
        Ok(Entry {
            version,
            log: str_of("log")?,
            tenant,
            seq: m
                .get("seq")
                .and_then(Value::as_u64)
                .ok_or(EntryError::Field("seq"))?,
            timestamp: str_of("timestamp")?,
            occurred_at: str_of("occurred_at")?,
            kind: str_of("kind")?,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Entry {
        Entry {
            version: ENTRY_VERSION,
            log: "00112233445566778899aabbccddeeff".into(),
            tenant: Some("acme".into()),
            seq: 3,
            timestamp: "2026-01-02T03:04:05Z".into(),
            occurred_at: "2026-01-02T03:04:04Z".into(),
            kind: EntryKind::Import.as_str().into(),
            body: serde_json::json!({"rows": 10, "import_kind": "customers"}),
        }
    }

    #[test]
    fn entries_serialize_canonically_and_parse_back() {
        let e = sample();
        let bytes = e.to_bytes().expect("canonical");
        assert_eq!(
            String::from_utf8(bytes.clone()).expect("utf-8"),
            "{\"body\":{\"import_kind\":\"customers\",\"rows\":10},\"kind\":\"import\",\
             \"log\":\"00112233445566778899aabbccddeeff\",\"occurred_at\":\"2026-01-02T03:04:04Z\",\
             \"seq\":3,\"tenant\":\"acme\",\"timestamp\":\"2026-01-02T03:04:05Z\",\"v\":1}"
        );
        assert_eq!(Entry::parse(&bytes).expect("parses"), e);
    }

    #[test]
    fn tampered_bytes_are_refused() {
        let bytes = sample().to_bytes().expect("canonical");
        let text = String::from_utf8(bytes).expect("utf-8");
        let spaced = text.replace(",\"kind\"", ", \"kind\"");
        assert_eq!(
            Entry::parse(spaced.as_bytes()),
            Err(EntryError::NotCanonical)
        );
        let extra = text.replace("\"v\":1}", "\"v\":1,\"z\":0}");
        assert!(matches!(
            Entry::parse(extra.as_bytes()),
            Err(EntryError::UnknownFields(_))
        ));
        let v2 = text.replace("\"v\":1}", "\"v\":2}");
        assert_eq!(Entry::parse(v2.as_bytes()), Err(EntryError::Version(2)));
        assert_eq!(Entry::parse(b"{"), Err(EntryError::NotJson));
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for k in EntryKind::ALL {
            assert_eq!(EntryKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(EntryKind::parse("nonsense"), None);
    }
}
