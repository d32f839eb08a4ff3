//! Plain records that cross the store's interface. Personal fields arrive
//! already sealed by the vault; the store never sees their plaintext.

use rapport_domain::StakeholderKind;

/// A tenant: one client of the agency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tenant {
    /// Row id, used to scope every query.
    pub id: i64,
    /// Random id that binds the tenant's keys and ciphertexts.
    pub uuid: [u8; 16],
    /// Unique name chosen by the operator.
    pub name: String,
    /// RFC 3339 creation time.
    pub created_at: String,
}

/// The sealed personal fields of a stakeholder, by field name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SealedFields {
    pub name: Option<Vec<u8>>,
    pub contact_name: Option<Vec<u8>>,
    pub email: Option<Vec<u8>>,
    pub phone: Option<Vec<u8>>,
    pub address: Option<Vec<u8>>,
    pub birth_date: Option<Vec<u8>>,
    pub gender: Option<Vec<u8>>,
    pub age_band: Option<Vec<u8>>,
    pub notes: Option<Vec<u8>>,
}

impl SealedFields {
    /// The field names a stakeholder can carry, in column order.
    pub const NAMES: [&'static str; 9] = [
        "name",
        "contact_name",
        "email",
        "phone",
        "address",
        "birth_date",
        "gender",
        "age_band",
        "notes",
    ];

    /// Mutable slot for a field name, if it is one.
    pub fn slot(&mut self, field: &str) -> Option<&mut Option<Vec<u8>>> {
        Some(match field {
            "name" => &mut self.name,
            "contact_name" => &mut self.contact_name,
            "email" => &mut self.email,
            "phone" => &mut self.phone,
            "address" => &mut self.address,
            "birth_date" => &mut self.birth_date,
            "gender" => &mut self.gender,
            "age_band" => &mut self.age_band,
            "notes" => &mut self.notes,
            _ => return None,
        })
    }

    /// The sealed value of a field, if present.
    pub fn get(&self, field: &str) -> Option<&[u8]> {
        match field {
            "name" => self.name.as_deref(),
            "contact_name" => self.contact_name.as_deref(),
            "email" => self.email.as_deref(),
            "phone" => self.phone.as_deref(),
            "address" => self.address.as_deref(),
            "birth_date" => self.birth_date.as_deref(),
            "gender" => self.gender.as_deref(),
            "age_band" => self.age_band.as_deref(),
            "notes" => self.notes.as_deref(),
            _ => None,
        }
    }
}

/// A stakeholder as written by an import.
#[derive(Clone, Debug, PartialEq)]
pub struct StakeholderRecord {
    pub external_id: String,
    pub kind: StakeholderKind,
    pub subject: [u8; 16],
    pub fingerprint: [u8; 32],
    pub country: Option<String>,
    pub region: Option<String>,
    pub signup_date: Option<String>,
    pub category: Option<String>,
    pub partner_type: Option<String>,
    pub sealed: SealedFields,
}

/// What the importer needs to know about a stored stakeholder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StakeholderRef {
    pub id: i64,
    pub kind: StakeholderKind,
    pub subject: [u8; 16],
    pub fingerprint: [u8; 32],
    pub erased: bool,
}

/// A stakeholder read back, personal fields still sealed.
#[derive(Clone, Debug, PartialEq)]
pub struct StakeholderProfile {
    pub id: i64,
    pub external_id: String,
    pub kind: StakeholderKind,
    pub subject: [u8; 16],
    pub country: Option<String>,
    pub region: Option<String>,
    pub signup_date: Option<String>,
    pub category: Option<String>,
    pub partner_type: Option<String>,
    pub erased_at: Option<String>,
    pub sealed: SealedFields,
}

/// An interaction ready to store (instant normalised, text sealed).
#[derive(Clone, Debug, PartialEq)]
pub struct InteractionRecord {
    pub external_id: String,
    pub stakeholder_id: i64,
    pub occurred_at: String,
    pub kind: String,
    pub channel: Option<String>,
    pub nps: Option<i64>,
    pub sentiment: Option<f64>,
    pub fingerprint: [u8; 32],
    pub text_sealed: Option<Vec<u8>>,
}

/// A consent record ready to store (instants normalised).
#[derive(Clone, Debug, PartialEq)]
pub struct ConsentRecord {
    pub external_id: String,
    /// Version of the record id; a correction appends a higher version.
    pub version: i64,
    pub stakeholder_id: i64,
    pub purpose: String,
    pub lawful_basis: String,
    pub status: String,
    pub jurisdiction: String,
    pub recorded_at: String,
    pub expires_at: Option<String>,
    pub notice_id: Option<String>,
    pub notice_version: Option<i64>,
    pub method: String,
    pub source: Option<String>,
    pub evidence_ref: Option<String>,
    pub actor: Option<String>,
    pub explicit: bool,
    /// `subject` or `parent_or_guardian`.
    pub given_by: String,
    pub fingerprint: [u8; 32],
}

/// How many rows a write stored and how many it found already as they were.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteCounts {
    pub written: u64,
    pub unchanged: u64,
}

impl std::ops::AddAssign for WriteCounts {
    fn add_assign(&mut self, rhs: Self) {
        self.written += rhs.written;
        self.unchanged += rhs.unchanged;
    }
}

/// The log line of one committed import batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportRecord {
    pub kind: String,
    pub source: String,
    pub sha256: [u8; 32],
    pub rows: u64,
    pub written: u64,
    pub unchanged: u64,
    pub finished_at: String,
}

/// Row counts of one tenant's tables.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TenantCounts {
    pub customers: u64,
    pub suppliers: u64,
    pub partners: u64,
    pub transactions: u64,
    pub interactions: u64,
    pub deliveries: u64,
    pub referrals: u64,
    pub consents: u64,
    pub imports: u64,
}
