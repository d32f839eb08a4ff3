//! The rules the decision function applies, each with a stable id and the
//! provision it comes from.
//!
//! Ids are a compatibility boundary: the gate and the audit log store them,
//! and reports group by them, so an id never changes meaning; a changed rule
//! gets a new id. Citations name one provision each so a reviewer can check
//! the rule against the text. Rules marked "Rapport policy" go beyond what the
//! cited law strictly demands, always in the direction of refusing.

use serde::Serialize;

/// One rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// Stable id, e.g. `gdpr.art7.3.withdrawal`.
    pub id: &'static str,
    /// Where the rule comes from, e.g. `GDPR Art. 7(3)`.
    pub citation: &'static str,
    /// What it says, in one sentence.
    pub summary: &'static str,
}

macro_rules! rules {
    ($($name:ident = $id:literal, $cite:literal, $summary:literal;)*) => {
        $(
            #[doc = $summary]
            pub const $name: Rule = Rule { id: $id, citation: $cite, summary: $summary };
        )*
        /// Every rule, for documentation and for the test that each one has a
        /// scenario.
        pub const RULES: &[Rule] = &[$($name),*];
    };
}

rules! {
    LEDGER_ORDER = "ledger.order", "GDPR Art. 5(2), Art. 7(1)",
        "Records are evaluated in recorded_at order whatever order they arrive in; records after the instant are ignored; at equal instants a refusal outranks a grant.";
    LEDGER_SUPERSEDED = "ledger.superseded", "GDPR Art. 5(1)(d)",
        "A newer version of a record replaces the older versions of the same record id.";
    NO_BASIS = "gdpr.art6.1.no_basis", "GDPR Art. 6(1), Art. 5(2)",
        "No valid record establishes a lawful basis for the purpose, so processing is refused (fail closed).";
    SPECIFIC = "gdpr.art4.11.specific", "GDPR Art. 4(11), Art. 6(1)(a)",
        "A grant counts only for the purpose it names.";
    BASIS_NOT_LISTED = "gdpr.art6.1.basis_not_listed", "GDPR Art. 5(1)(b), Art. 6(1)",
        "A record whose lawful basis the purpose does not list establishes nothing.";
    CONSENT = "gdpr.art6.1a.consent", "GDPR Art. 6(1)(a), Art. 7",
        "A current, specific consent grant allows the purpose.";
    CONTRACT = "gdpr.art6.1b.contract", "GDPR Art. 6(1)(b)",
        "A current contract record allows a purpose necessary for the contract.";
    LEGAL_OBLIGATION = "gdpr.art6.1c.legal_obligation", "GDPR Art. 6(1)(c)",
        "A current legal-obligation record allows the purpose.";
    VITAL_INTERESTS = "gdpr.art6.1d.vital_interests", "GDPR Art. 6(1)(d)",
        "A current vital-interests record allows the purpose.";
    PUBLIC_TASK = "gdpr.art6.1e.public_task", "GDPR Art. 6(1)(e)",
        "A current public-task record allows the purpose.";
    LEGITIMATE_INTERESTS = "gdpr.art6.1f.legitimate_interests", "GDPR Art. 6(1)(f)",
        "A current legitimate-interests record allows the purpose.";
    LI_EXCLUDED = "gdpr.art6.1f.excluded", "GDPR Art. 9(1), Art. 6(1)(f), Recital 47",
        "Legitimate interests never covers special-category data or a sale of personal data.";
    EXPIRED = "consent.expired", "GDPR Art. 4(11), Art. 7(1)",
        "A grant past its expiry is no grant.";
    WITHDRAWAL = "gdpr.art7.3.withdrawal", "GDPR Art. 7(3)",
        "A withdrawal takes effect from its timestamp on; only a newer grant re-enables the purpose.";
    REFUSAL = "gdpr.art4.11.refusal", "GDPR Art. 4(11)",
        "A refusal stands until a newer grant; no notice change turns it into consent.";
    BASIS_SWAP = "gdpr.basis_swap", "EDPB Guidelines 05/2020 on consent, section 6",
        "After consent is withdrawn, a record on another basis does not re-enable the purpose; only new consent does.";
    DM_OBJECTION = "gdpr.art21.3.dm_objection", "GDPR Art. 21(2)-(3)",
        "An objection to direct marketing is absolute: only a newer explicit consent grant for the purpose re-enables it.";
    DM_PROFILING = "gdpr.art21.2.dm_profiling", "GDPR Art. 21(2)",
        "An objection to direct marketing also covers profiling related to direct marketing.";
    OBJECTION = "gdpr.art21.1.objection", "GDPR Art. 21(1)",
        "An objection to processing on legitimate interests or public task stops it (compelling grounds are not presumed); only a basis the objection does not reach re-enables it.";
    AUTOMATED_OBJECTION = "gdpr.art21.5.automated_objection", "GDPR Art. 21(5)",
        "A Global Privacy Control signal is an objection by automated means to selling and sharing.";
    EXPLICIT_SPECIAL = "gdpr.art9.2a.explicit", "GDPR Art. 9(1), Art. 9(2)(a)",
        "Special-category data needs explicit consent.";
    EXPLICIT_AUTOMATED = "gdpr.art22.2c.explicit", "GDPR Art. 22(2)(c)",
        "A solely automated decision with significant effect that rests on consent needs explicit consent.";
    HUMAN_REVIEW = "gdpr.art22.review", "GDPR Art. 22(1), Art. 22(3)",
        "A solely automated decision with legal or similarly significant effect goes to human review.";
    CONSENT_STANDARD = "gdpr.art4.11.standard", "GDPR Art. 4(11), Art. 7",
        "A grant collected under a non-GDPR jurisdiction's opt-in rules is not taken as GDPR consent.";
    NOTICE_CHANGED = "notice.material_change", "GDPR Art. 4(11), Art. 13(3); Cal. Civ. Code §1798.100(a)(1)",
        "A grant given under a notice version since superseded by a material change needs renewal.";
    NOTICE_UNKNOWN = "notice.unknown", "GDPR Art. 7(1)",
        "A grant that names a notice version the ledger does not hold cannot be shown to be informed.";
    UNKNOWN_JURISDICTION = "jurisdiction.unknown", "Rapport policy: unknown jurisdictions get the GDPR model",
        "A jurisdiction without its own rules here is judged by the strictest model (GDPR), failing closed.";
    CATEGORY_OPT_OUT = "policy.category_opt_out", "Rapport policy, after Cal. Civ. Code §1798.135(a)",
        "An opt-out of one sale, sharing, sensitive-data or significant-decision purpose opts out of every purpose in that category.";
    NEGATIVE_HONOURED = "policy.negative_honoured", "Rapport policy: recorded refusals are honoured everywhere",
        "A recorded withdrawal, refusal or objection blocks its purpose in every jurisdiction until a newer grant.";
    CCPA_OPT_OUT = "ccpa.1798.120.opt_out", "Cal. Civ. Code §1798.120(a), §1798.135(a)",
        "An opt-out of sale or of sharing stops both until the consumer opts back in.";
    CCPA_GPC = "ccpa.7025.gpc", "11 CCR §7025(b)-(c)",
        "A Global Privacy Control signal opts out of sale and sharing and overrides an earlier opt-in; only a newer affirmative grant opts back in.";
    CCPA_DEFAULT = "ccpa.1798.120.default", "Cal. Civ. Code §1798.120(a)",
        "For an adult (or a consumer of unknown age) sale and sharing are opt-out: allowed while no opt-out is recorded.";
    CCPA_MINOR = "ccpa.1798.120c.minor_13_15", "Cal. Civ. Code §1798.120(c)",
        "A consumer aged 13 to 15 must opt in to sale or sharing personally.";
    CCPA_CHILD = "ccpa.1798.120c.under_13", "Cal. Civ. Code §1798.120(c)",
        "Sale or sharing of a child under 13 needs the opt-in of a parent or guardian.";
    CCPA_LIMIT = "ccpa.1798.121.limit", "Cal. Civ. Code §1798.121(a)",
        "A request to limit the use of sensitive personal information stops every sensitive purpose.";
    CCPA_NO_BASIS = "ccpa.no_basis_required", "Cal. Civ. Code §1798.100(a)-(b)",
        "The CCPA requires notice, not a lawful basis, for other purposes: allowed while nothing is refused.";
    CO_OPT_OUT = "co.6-1-1306.opt_out", "C.R.S. 6-1-1306(1)(a)(I)",
        "A Colorado opt-out of targeted advertising, sale or significant profiling stops that category.";
    CO_UOOM = "co.6-1-1306.uoom", "C.R.S. 6-1-1306(1)(a)(IV)",
        "A universal opt-out mechanism (Global Privacy Control) opts out of targeted advertising and sale.";
    CO_DEFAULT = "co.6-1-1306.default", "C.R.S. 6-1-1306(1)(a)",
        "Colorado rights are opt-out: allowed while nothing is refused.";
    CO_SENSITIVE = "co.6-1-1308.7.sensitive", "C.R.S. 6-1-1308(7)",
        "Sensitive data needs consent, a known child's needs a parent's.";
    VA_OPT_OUT = "va.59.1-577.a5.opt_out", "Va. Code §59.1-577(A)(5)",
        "A Virginia opt-out of targeted advertising, sale or significant profiling stops that category.";
    VA_GPC = "va.gpc.honoured", "Rapport policy under Va. Code §59.1-577(A)(5)",
        "Virginia does not mandate universal opt-out signals; Rapport honours Global Privacy Control as an opt-out anyway.";
    VA_DEFAULT = "va.59.1-577.default", "Va. Code §59.1-577(A)(5)",
        "Virginia rights are opt-out: allowed while nothing is refused.";
    VA_SENSITIVE = "va.59.1-578.a5.sensitive", "Va. Code §59.1-578(A)(5)",
        "Sensitive data needs consent, a known child's needs a parent's (COPPA).";
}

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}
