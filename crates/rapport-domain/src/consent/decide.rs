//! The decision function: may this person's data be processed for this
//! purpose, under this jurisdiction, at this instant?
//!
//! It is a pure function of the ledger, the notices, the purpose registry and
//! the subject's facts, so any verdict can be re-derived from the evidence the
//! gate pinned. It fails closed: with no record, a purpose that needs a basis
//! is refused; with an unknown jurisdiction, the GDPR model applies.
//!
//! # How a decision is made
//!
//! 1. **Visible records.** Records after `at` are ignored, and so are record
//!    versions hidden by a newer version of the same id. Records may arrive in
//!    any order: every comparison below is on `recorded_at`, so input order
//!    never matters (`ledger.order`).
//! 2. **Refusals.** Every withdrawal, refusal, objection and Global Privacy
//!    Control signal that reaches the purpose (its own, or a category-wide one
//!    such as an opt-out of sale) blocks it *unless a grant strictly later in
//!    time lifts it*. What can lift depends on the kind of refusal: an
//!    objection to direct marketing needs explicit consent, an opt-out of sale
//!    or a GPC signal needs an affirmative consent grant, a consent withdrawal
//!    needs new consent (no swapping to another basis). At equal timestamps the
//!    refusal wins: when the order is unknown, refusing is the safe side.
//! 3. **Basis.** Only grants newer than the latest refusal count. Under the
//!    GDPR model one of them must establish a basis the purpose lists, be
//!    unexpired, and, for consent, be given under a notice version that no
//!    material change has superseded. Under the US laws the default is
//!    opt-out, so nothing more is needed except where the law asks for opt-in
//!    (minors' sale in California, sensitive data in Colorado and Virginia).
//!
//! The ledger is scanned a few times instead of being sorted: a subject has a
//! handful of records, and scanning borrowed slices allocates nothing, which
//! keeps a decision well under a microsecond.

use std::borrow::Cow;

use serde::Serialize;
use time::OffsetDateTime;

use super::jurisdiction::Regime;
use super::ledger::{ConsentEvent, GivenBy, Notice, SubjectFacts};
use super::policy::{Purpose, PurposeRegistry};
use super::rules::{self, Rule};
use crate::rows::{ConsentStatus, LawfulBasis};

/// A record a decision relied on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RecordRef<'a> {
    /// Record id.
    pub id: &'a str,
    /// Record version.
    pub version: u32,
}

/// One step of the reasoning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason<'a> {
    /// Stable rule id (see [`rules::RULES`]).
    pub rule: &'static str,
    /// The provision the rule comes from.
    pub citation: &'static str,
    /// Whether this step speaks for (true) or against (false) processing.
    pub allowed: bool,
    /// The jurisdiction the step was judged under.
    pub jurisdiction: &'a str,
    /// What happened, in words that never repeat personal data.
    pub message: Cow<'static, str>,
}

/// The answer, as `rapport consent check --json` prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision<'a> {
    /// Whether the purpose may be processed.
    pub allowed: bool,
    /// Whether a human must review the outcome before it takes effect (GDPR
    /// Art. 22). Set only on allowed decisions; the gate acts on it.
    pub requires_human_review: bool,
    /// Why, step by step.
    pub reasons: Vec<Reason<'a>>,
    /// The records the decision relied on.
    pub records: Vec<RecordRef<'a>>,
}

impl<'a> Decision<'a> {
    fn new() -> Self {
        Self {
            allowed: false,
            requires_human_review: false,
            reasons: Vec::new(),
            records: Vec::new(),
        }
    }

    /// Whether any reason has this rule id.
    pub fn has_rule(&self, id: &str) -> bool {
        self.reasons.iter().any(|r| r.rule == id)
    }

    fn reason(&mut self, rule: &Rule, allowed: bool, jurisdiction: &'a str, message: &'static str) {
        // One reason per rule and jurisdiction: several records breaking the
        // same rule add records, not repeated sentences.
        if self
            .reasons
            .iter()
            .any(|r| r.rule == rule.id && r.jurisdiction == jurisdiction)
        {
            return;
        }
        self.reasons.push(Reason {
            rule: rule.id,
            citation: rule.citation,
            allowed,
            jurisdiction,
            message: Cow::Borrowed(message),
        });
    }

    fn record(&mut self, e: &'a ConsentEvent) {
        let r = RecordRef {
            id: &e.id,
            version: e.version,
        };
        if !self.records.contains(&r) {
            self.records.push(r);
        }
    }
}

/// How a record says "no" to the purpose being decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// The purpose's own consent or basis was withdrawn.
    Withdrawn,
    /// The purpose was refused.
    Refused,
    /// The purpose itself was objected to.
    Objected,
    /// A direct-marketing purpose was objected to and this purpose is
    /// profiling for direct marketing (GDPR Art. 21(2)).
    MarketingObjection,
    /// A Global Privacy Control signal and this purpose sells or shares.
    Gpc,
    /// Another purpose of the same opt-out category (sale and sharing,
    /// sensitive data, significant decisions) was refused.
    Category,
}

/// The records and facts one decision reads, bundled so helpers stay short.
struct Ctx<'a, 'b> {
    registry: &'b PurposeRegistry,
    ledger: &'a [ConsentEvent],
    notices: &'b [Notice],
    purpose: &'b Purpose,
    jurisdiction: &'a str,
    regime: Regime,
    at: OffsetDateTime,
    /// Whether any two records may be versions of one another; when every
    /// version is equal no record hides another and the check is skipped.
    versioned: bool,
}

impl<'a> Ctx<'a, '_> {
    /// `ledger.order` and `ledger.superseded`: whether a record exists at `at`.
    fn visible(&self, e: &ConsentEvent) -> bool {
        e.recorded_at <= self.at
            && !(self.versioned
                && self
                    .ledger
                    .iter()
                    .any(|o| o.version > e.version && o.recorded_at <= self.at && o.id == e.id))
    }

    /// Whether `g` is a grant for this purpose. A GPC signal is never a grant:
    /// it can only opt out (11 CCR §7025).
    fn own_grant(&self, g: &ConsentEvent) -> bool {
        g.status == ConsentStatus::Granted
            && !g.is_gpc()
            && g.purpose == self.purpose.id
            && self.visible(g)
    }

    /// How `e` refuses this purpose, if it does.
    fn refusal(&self, e: &ConsentEvent) -> Option<Refusal> {
        let p = self.purpose;
        if e.is_gpc() && p.is_sale_or_sharing() {
            return Some(Refusal::Gpc);
        }
        if !e.is_negative() {
            return None;
        }
        if e.purpose == p.id {
            return Some(match e.status {
                ConsentStatus::Withdrawn => Refusal::Withdrawn,
                ConsentStatus::Objected => Refusal::Objected,
                ConsentStatus::Refused | ConsentStatus::Granted => Refusal::Refused,
            });
        }
        // Only these flags let another purpose's refusal reach this one; the
        // registry lookup is skipped for every other purpose.
        if !(p.is_sale_or_sharing()
            || p.special_category
            || p.significant_automated_decision
            || p.marketing_profiling)
        {
            return None;
        }
        let q = self.registry.get(&e.purpose)?;
        if (p.is_sale_or_sharing() && q.is_sale_or_sharing())
            || (p.special_category && q.special_category)
            || (p.significant_automated_decision && q.significant_automated_decision)
        {
            Some(Refusal::Category)
        } else if p.marketing_profiling && q.direct_marketing && e.status == ConsentStatus::Objected
        {
            Some(Refusal::MarketingObjection)
        } else {
            None
        }
    }

    /// Whether grant `g` lifts refusal `n` of kind `kind`.
    fn lifts(&self, kind: Refusal, n: &ConsentEvent, g: &ConsentEvent) -> bool {
        let p = self.purpose;
        let consent = g.lawful_basis == LawfulBasis::Consent;
        match kind {
            // EDPB Guidelines 05/2020 §6: after consent is withdrawn the
            // controller may not swap to another basis; an opt-out of sale
            // needs an affirmative opt-in (Cal. Civ. Code §1798.135(c)(4)).
            Refusal::Withdrawn | Refusal::Refused => {
                if p.is_sale_or_sharing() || n.lawful_basis == LawfulBasis::Consent {
                    consent
                } else {
                    true
                }
            }
            // GDPR Art. 21(3): after an objection to direct marketing the data
            // "shall no longer be processed for such purposes". We read it
            // strictly: only the subject's later *explicit* consent to the
            // purpose overrides it, never a legitimate-interests record.
            Refusal::Objected if p.direct_marketing || p.marketing_profiling => {
                consent && g.explicit
            }
            Refusal::MarketingObjection => consent && g.explicit,
            Refusal::Objected if p.is_sale_or_sharing() => consent,
            // GDPR Art. 21(1) reaches only processing on Art. 6(1)(e) or (f);
            // a later record on another basis (consent, contract) is not
            // touched by the objection.
            Refusal::Objected => !matches!(
                g.lawful_basis,
                LawfulBasis::LegitimateInterests | LawfulBasis::PublicTask
            ),
            // 11 CCR §7025(c): a GPC overrides an earlier opt-in and a later
            // visit without the signal does not opt back in; only a newer,
            // affirmative consent grant does.
            Refusal::Gpc | Refusal::Category => consent,
        }
    }

    /// The rule a refusal breaks under this regime.
    fn refusal_rule(&self, kind: Refusal) -> &'static Rule {
        let p = self.purpose;
        let opt_out_category = p.is_sale_or_sharing() || p.significant_automated_decision;
        match self.regime {
            Regime::Gdpr | Regime::UkGdpr | Regime::Unknown => match kind {
                Refusal::Withdrawn => &rules::WITHDRAWAL,
                Refusal::Refused => &rules::REFUSAL,
                Refusal::Objected if p.direct_marketing => &rules::DM_OBJECTION,
                Refusal::Objected if p.marketing_profiling => &rules::DM_PROFILING,
                Refusal::Objected => &rules::OBJECTION,
                Refusal::MarketingObjection => &rules::DM_PROFILING,
                Refusal::Gpc => &rules::AUTOMATED_OBJECTION,
                Refusal::Category => &rules::CATEGORY_OPT_OUT,
            },
            Regime::California => match kind {
                Refusal::Gpc => &rules::CCPA_GPC,
                _ if p.is_sale_or_sharing() => &rules::CCPA_OPT_OUT,
                _ if p.special_category => &rules::CCPA_LIMIT,
                Refusal::Category => &rules::CATEGORY_OPT_OUT,
                _ => &rules::NEGATIVE_HONOURED,
            },
            Regime::Colorado => match kind {
                Refusal::Gpc => &rules::CO_UOOM,
                _ if opt_out_category => &rules::CO_OPT_OUT,
                Refusal::Category => &rules::CATEGORY_OPT_OUT,
                _ => &rules::NEGATIVE_HONOURED,
            },
            Regime::Virginia => match kind {
                Refusal::Gpc => &rules::VA_GPC,
                _ if opt_out_category => &rules::VA_OPT_OUT,
                Refusal::Category => &rules::CATEGORY_OPT_OUT,
                _ => &rules::NEGATIVE_HONOURED,
            },
        }
    }

    /// Why a consent grant cannot be relied on at `at`, if it cannot:
    /// expiry and the notice it was given under.
    fn grant_problem(&self, g: &ConsentEvent) -> Option<(&'static Rule, &'static str)> {
        if g.expires_at.is_some_and(|e| e <= self.at) {
            return Some((&rules::EXPIRED, "the grant has expired"));
        }
        if g.lawful_basis != LawfulBasis::Consent {
            return None;
        }
        let Some(n) = &g.notice else {
            // A grant with no notice reference is taken as given: imported
            // records often lack one, and their evidence is held elsewhere.
            return None;
        };
        if !self
            .notices
            .iter()
            .any(|x| x.id == n.id && x.version == n.version)
        {
            return Some((
                &rules::NOTICE_UNKNOWN,
                "the grant names a notice version the ledger does not hold",
            ));
        }
        let superseded = self.notices.iter().any(|x| {
            x.material_change && x.version > n.version && x.published_at <= self.at && x.id == n.id
        });
        if superseded {
            return Some((
                &rules::NOTICE_CHANGED,
                "the notice changed materially since the grant; consent must be renewed",
            ));
        }
        None
    }
}

/// Decides whether `purpose` may be processed for the subject whose `ledger`
/// this is, under `jurisdiction`, at `at`.
///
/// `ledger` holds the subject's records for every purpose, in any order.
/// `registry` supplies the other purposes' flags, because an opt-out of one
/// sale purpose, or an objection to direct marketing, reaches other purposes.
pub fn decide<'a>(
    registry: &PurposeRegistry,
    ledger: &'a [ConsentEvent],
    notices: &[Notice],
    purpose: &Purpose,
    subject: &SubjectFacts,
    jurisdiction: &'a str,
    at: OffsetDateTime,
) -> Decision<'a> {
    let first_version = ledger.first().map_or(1, |e| e.version);
    let cx = Ctx {
        registry,
        ledger,
        notices,
        purpose,
        jurisdiction,
        regime: Regime::of(jurisdiction),
        at,
        versioned: ledger.iter().any(|e| e.version != first_version),
    };
    let mut d = Decision::new();
    if cx.regime == Regime::Unknown {
        d.reason(
            &rules::UNKNOWN_JURISDICTION,
            true,
            jurisdiction,
            "no rules for this jurisdiction; the GDPR model applies",
        );
    }

    // Step 2: refusals. `latest_refusal` bounds which grants count in step 3.
    let mut latest_refusal: Option<OffsetDateTime> = None;
    let mut blocked = false;
    for n in ledger {
        let Some(kind) = cx.refusal(n) else { continue };
        if !cx.visible(n) {
            continue;
        }
        latest_refusal = latest_refusal.max(Some(n.recorded_at));
        let lifted = ledger
            .iter()
            .any(|g| g.recorded_at > n.recorded_at && cx.own_grant(g) && cx.lifts(kind, n, g));
        if lifted {
            continue;
        }
        blocked = true;
        d.reason(
            cx.refusal_rule(kind),
            false,
            jurisdiction,
            refusal_message(kind),
        );
        d.record(n);
        if kind == Refusal::Withdrawn
            && n.lawful_basis == LawfulBasis::Consent
            && cx.regime.uses_gdpr_model()
        {
            // Name the tempting mistake: a newer record on another basis exists
            // but cannot replace withdrawn consent.
            if let Some(g) = ledger.iter().find(|g| {
                g.recorded_at > n.recorded_at
                    && cx.own_grant(g)
                    && g.lawful_basis != LawfulBasis::Consent
            }) {
                d.reason(
                    &rules::BASIS_SWAP,
                    false,
                    jurisdiction,
                    "a newer record on another basis cannot replace withdrawn consent",
                );
                d.record(g);
            }
        }
    }
    if blocked {
        return d;
    }

    // Step 3: a basis, among grants newer than every refusal.
    let newer = |g: &ConsentEvent| latest_refusal.is_none_or(|t| g.recorded_at > t);
    d.allowed = match cx.regime {
        Regime::Gdpr | Regime::UkGdpr | Regime::Unknown => gdpr_basis(&cx, &mut d, &newer),
        Regime::California => {
            if purpose.is_sale_or_sharing() {
                match subject.age_at(at) {
                    // §1798.120(c) applies on actual knowledge of age; an
                    // unknown birth date means adult rules.
                    Some(age) if age < 13 => opt_in(
                        &cx,
                        &mut d,
                        &newer,
                        &rules::CCPA_CHILD,
                        Some(GivenBy::ParentOrGuardian),
                    ),
                    Some(age) if age < 16 => opt_in(
                        &cx,
                        &mut d,
                        &newer,
                        &rules::CCPA_MINOR,
                        Some(GivenBy::Subject),
                    ),
                    _ => {
                        d.reason(
                            &rules::CCPA_DEFAULT,
                            true,
                            jurisdiction,
                            "sale and sharing are opt-out for this consumer and no opt-out is recorded",
                        );
                        true
                    }
                }
            } else {
                d.reason(
                    &rules::CCPA_NO_BASIS,
                    true,
                    jurisdiction,
                    "no lawful basis is required and nothing is refused",
                );
                true
            }
        }
        Regime::Colorado | Regime::Virginia => {
            let co = cx.regime == Regime::Colorado;
            if purpose.special_category {
                let rule = if co {
                    &rules::CO_SENSITIVE
                } else {
                    &rules::VA_SENSITIVE
                };
                // A known child's sensitive data needs a parent's consent
                // (C.R.S. 6-1-1308(7); Va. Code §59.1-578(A)(5) via COPPA).
                let giver = match subject.age_at(at) {
                    Some(age) if age < 13 => Some(GivenBy::ParentOrGuardian),
                    _ => None,
                };
                opt_in(&cx, &mut d, &newer, rule, giver)
            } else {
                let rule = if co {
                    &rules::CO_DEFAULT
                } else {
                    &rules::VA_DEFAULT
                };
                d.reason(
                    rule,
                    true,
                    jurisdiction,
                    "opt-out rights only, and nothing is refused",
                );
                true
            }
        }
    };
    if d.allowed && purpose.significant_automated_decision && cx.regime.uses_gdpr_model() {
        d.requires_human_review = true;
        d.reason(
            &rules::HUMAN_REVIEW,
            true,
            jurisdiction,
            "a solely automated decision with significant effect: a human must review it",
        );
    }
    d
}

fn refusal_message(kind: Refusal) -> &'static str {
    match kind {
        Refusal::Withdrawn => "withdrawn for this purpose, and no newer grant lifts it",
        Refusal::Refused => "refused for this purpose, and no newer grant lifts it",
        Refusal::Objected => "objected to for this purpose, and no newer grant lifts it",
        Refusal::MarketingObjection => "an objection to direct marketing covers this profiling",
        Refusal::Gpc => "a Global Privacy Control signal opts out of sale and sharing",
        Refusal::Category => "an opt-out of another purpose of the same category covers this one",
    }
}

/// The lawful-basis rule a grant on `basis` satisfies.
fn basis_rule(basis: LawfulBasis) -> &'static Rule {
    match basis {
        LawfulBasis::Consent => &rules::CONSENT,
        LawfulBasis::Contract => &rules::CONTRACT,
        LawfulBasis::LegalObligation => &rules::LEGAL_OBLIGATION,
        LawfulBasis::VitalInterests => &rules::VITAL_INTERESTS,
        LawfulBasis::PublicTask => &rules::PUBLIC_TASK,
        LawfulBasis::LegitimateInterests => &rules::LEGITIMATE_INTERESTS,
    }
}

/// GDPR model: some grant newer than every refusal must establish a basis.
/// Every basis, not only consent, needs a record: the ledger is the
/// controller's evidence (Art. 5(2)), and without evidence we fail closed.
fn gdpr_basis<'a>(
    cx: &Ctx<'a, '_>,
    d: &mut Decision<'a>,
    newer: &dyn Fn(&ConsentEvent) -> bool,
) -> bool {
    let p = cx.purpose;
    let j = cx.jurisdiction;
    let mut chosen: Option<&'a ConsentEvent> = None;
    let mut any_own = false;
    for g in cx.ledger {
        if !(cx.own_grant(g) && newer(g)) {
            continue;
        }
        any_own = true;
        let consent = g.lawful_basis == LawfulBasis::Consent;
        let problem = if g.lawful_basis == LawfulBasis::LegitimateInterests
            && (p.special_category || p.ccpa == super::policy::CcpaClass::Sale)
        {
            Some((
                &rules::LI_EXCLUDED,
                "legitimate interests never covers special-category data or a sale",
            ))
        } else if !p.allows_basis(g.lawful_basis) {
            Some((
                &rules::BASIS_NOT_LISTED,
                "the purpose does not list this record's lawful basis",
            ))
        } else if p.special_category && !(consent && g.explicit) {
            Some((
                &rules::EXPLICIT_SPECIAL,
                "special-category data needs explicit consent",
            ))
        } else if p.significant_automated_decision && consent && !g.explicit {
            Some((
                &rules::EXPLICIT_AUTOMATED,
                "a solely automated decision on consent needs explicit consent",
            ))
        } else if consent && !Regime::of(&g.jurisdiction).is_gdpr() && g.jurisdiction != j {
            Some((
                &rules::CONSENT_STANDARD,
                "the grant was collected under another jurisdiction's opt-in rules",
            ))
        } else {
            cx.grant_problem(g)
        };
        match problem {
            Some((rule, message)) => {
                d.reason(rule, false, j, message);
                d.record(g);
            }
            None => {
                // Rely on the newest valid grant; the order of the ledger
                // slice must not change which record a verdict cites.
                if chosen.is_none_or(|c| (g.recorded_at, &g.id) > (c.recorded_at, &c.id)) {
                    chosen = Some(g);
                }
            }
        }
    }
    match chosen {
        Some(g) => {
            d.reason(
                basis_rule(g.lawful_basis),
                true,
                j,
                "a current record establishes this lawful basis",
            );
            d.record(g);
            true
        }
        None => {
            if !any_own
                && cx.ledger.iter().any(|g| {
                    g.status == ConsentStatus::Granted && g.purpose != p.id && cx.visible(g)
                })
            {
                d.reason(
                    &rules::SPECIFIC,
                    false,
                    j,
                    "grants exist only for other purposes",
                );
            }
            d.reason(
                &rules::NO_BASIS,
                false,
                j,
                "no valid record establishes a lawful basis",
            );
            false
        }
    }
}

/// Opt-in under a US law: a valid consent grant for the purpose, newer than
/// every refusal, given by `giver` when the law names who must give it.
fn opt_in<'a>(
    cx: &Ctx<'a, '_>,
    d: &mut Decision<'a>,
    newer: &dyn Fn(&ConsentEvent) -> bool,
    rule: &'static Rule,
    giver: Option<GivenBy>,
) -> bool {
    let j = cx.jurisdiction;
    let mut chosen: Option<&'a ConsentEvent> = None;
    for g in cx.ledger {
        if !(cx.own_grant(g) && newer(g) && g.lawful_basis == LawfulBasis::Consent) {
            continue;
        }
        if giver.is_some_and(|who| g.given_by != who) {
            d.record(g);
            continue;
        }
        if let Some((problem, message)) = cx.grant_problem(g) {
            d.reason(problem, false, j, message);
            d.record(g);
            continue;
        }
        if chosen.is_none_or(|c| (g.recorded_at, &g.id) > (c.recorded_at, &c.id)) {
            chosen = Some(g);
        }
    }
    match chosen {
        Some(g) => {
            d.reason(rule, true, j, "opted in as the law requires");
            d.record(g);
            true
        }
        None => {
            d.reason(
                rule,
                false,
                j,
                "opt-in required and none is recorded from the right person",
            );
            false
        }
    }
}

/// Decides under every jurisdiction that protects the subject: the purpose
/// is allowed only if each allows it (the strictest wins), and human review
/// is needed if any asks for it. A subject with no jurisdiction is judged
/// under the GDPR model, failing closed.
pub fn decide_all<'a>(
    registry: &PurposeRegistry,
    ledger: &'a [ConsentEvent],
    notices: &[Notice],
    purpose: &Purpose,
    subject: &'a SubjectFacts,
    at: OffsetDateTime,
) -> Decision<'a> {
    if subject.jurisdictions.is_empty() {
        return decide(registry, ledger, notices, purpose, subject, "unknown", at);
    }
    let mut out = Decision::new();
    out.allowed = true;
    for j in &subject.jurisdictions {
        let d = decide(registry, ledger, notices, purpose, subject, j, at);
        out.allowed &= d.allowed;
        out.requires_human_review |= d.requires_human_review;
        out.reasons.extend(d.reasons);
        for r in d.records {
            if !out.records.contains(&r) {
                out.records.push(r);
            }
        }
    }
    // Review is a condition on an allowed decision; a refusal needs none.
    out.requires_human_review &= out.allowed;
    out
}
