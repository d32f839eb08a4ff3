//! One customer at a time: profile, consents, transactions, interactions and
//! the referral that brought them in.
//!
//! Each part draws from its own stream (`rng::stream(seed, index, tag)`),
//! so the data of customer `i` depends only on the options and `i`. Parts
//! that depend on each other pass values along instead of sharing a stream:
//! e-mail campaigns only go to customers whose marketing consent is in force,
//! web visits cluster on web purchase days, and the satisfaction that drives
//! support tickets also drives the NPS answer.
//!
//! Profile (shares are of all customers):
//! - country DE 14 %, FR 10 %, NL 6 %, IE 3 %, ES 8 %, IT 8 %, GB 15 %,
//!   US 36 % (states CA 38 %, TX 25 %, NY 20 %, VA 10 %, CO 7 %); region
//!   missing for 7 %;
//! - names from the country's naming traditions (and 12–20 % from all);
//!   e-mail `<name>.<index>@example.*`-style (unique through the index);
//!   phone missing 10 %, address missing 6 %;
//! - gender missing 4 %, else female 48.5 %, male 47 %, non-binary 1.2 %,
//!   undisclosed 3.3 %; birth date missing 5 % (age at signup
//!   `18 + Gamma(2.2, scale 9)` years, at most 95), `age_band` from the age
//!   on the window's last day;
//! - notes on 3 %.

use rapport_domain::rows::{
    CollectionMethod, ConsentRow, ConsentStatus, CustomerRow, InteractionKind, InteractionRow,
    LawfulBasis, ReferralRow, TransactionRow,
};

use crate::calendar::{self, push_padded};
use crate::names::{self, AddressStyle, Country, PhoneStyle, COUNTRIES, GROUPS};
use crate::rng::{stream, Rng, Tag};
use crate::{Ctx, GenerateError, Out};

/// Weights of quantities 1, 2, 3, 4, 5 per transaction.
pub const QUANTITY_WEIGHTS: [f64; 5] = [0.55, 0.22, 0.12, 0.07, 0.04];
/// Preferred sales channel of a customer: web, store, app.
pub const CHANNEL_WEIGHTS: [(&str, f64); 3] = [("web", 0.5), ("store", 0.35), ("app", 0.15)];
/// Share of a customer's purchases made in their preferred channel.
pub const PREFERRED_CHANNEL_SHARE: f64 = 0.8;

const GENDERS: [(&str, f64); 4] = [
    ("female", 0.485),
    ("male", 0.47),
    ("non-binary", 0.012),
    ("undisclosed", 0.033),
];
const GENDER_MISSING: f64 = 0.04;
const BIRTH_MISSING: f64 = 0.05;
const PHONE_MISSING: f64 = 0.10;
const ADDRESS_MISSING: f64 = 0.06;
const REGION_MISSING: f64 = 0.07;
const NOTES_SHARE: f64 = 0.03;

/// Share of customers referred by an earlier customer, and of those the
/// share whose referrer is drawn uniformly (the rest from the heavy-tailed
/// "advocate" rule).
const REFERRED_BY_CUSTOMER: f64 = 0.05;
const UNIFORM_REFERRER: f64 = 0.6;
/// Exponent `k` of the advocate rule `referrer = 1 + floor((i - 1) U^k)`.
const ADVOCATE_EXPONENT: f64 = 3.0;
/// Share of customers referred by a partner.
const REFERRED_BY_PARTNER: f64 = 0.01;

/// Reusable buffers, so that the per-customer loop does not allocate for
/// its working lists.
#[derive(Default)]
pub struct Scratch {
    /// (day, channel) of each purchase.
    purchases: Vec<(i64, usize)>,
    /// Interaction events before they are numbered.
    events: Vec<Event>,
}

struct Event {
    at: i64,
    kind: InteractionKind,
    channel: &'static str,
    nps: Option<i64>,
    sentiment: Option<f64>,
    text: Option<&'static str>,
}

/// What the consent records say about e-mail marketing, in seconds since
/// the epoch: campaigns are sent only inside `[from, until)`.
struct MarketingWindow {
    from: i64,
    until: i64,
}

/// The parts of a profile that later parts depend on.
struct Profile {
    id: String,
    country: &'static Country,
    region: Option<&'static str>,
    signup_day: i64,
    /// Signup instant, seconds since the epoch.
    signup_at: i64,
    /// Index into `CHANNEL_WEIGHTS`.
    channel: usize,
}

/// Writes every row that belongs to customer `index` (1-based).
pub(crate) fn write_customer(
    ctx: &Ctx,
    index: u64,
    out: &mut Out,
    scratch: &mut Scratch,
) -> Result<(), GenerateError> {
    let profile = write_profile(ctx, index, out)?;
    let marketing = write_consents(ctx, index, &profile, out)?;
    write_transactions(ctx, index, &profile, out, &mut scratch.purchases)?;
    write_interactions(ctx, index, &profile, marketing.as_ref(), scratch, out)?;
    write_referral(ctx, index, &profile, out)
}

/// `C` followed by the index, zero-padded to the context's width.
pub(crate) fn customer_id(ctx: &Ctx, index: u64) -> String {
    let mut s = String::with_capacity(ctx.id_width + 1);
    s.push('C');
    push_padded(&mut s, index, ctx.id_width);
    s
}

/// The signup day of customer `index`: evenly spread and non-decreasing in
/// the index, so that a referrer (an earlier index) never signs up after the
/// customer they referred.
fn signup_day(ctx: &Ctx, index: u64, u: f64) -> i64 {
    let n = ctx.customers.max(1) as f64;
    let offset = (ctx.signup_days as f64 * ((index - 1) as f64 + u) / n).floor() as i64;
    ctx.start + offset.clamp(0, ctx.signup_days - 1)
}

fn write_profile(ctx: &Ctx, index: u64, out: &mut Out) -> Result<Profile, GenerateError> {
    let mut rng = stream(ctx.seed, index, Tag::Profile);
    let id = customer_id(ctx, index);

    let country_weights: [f64; 8] = std::array::from_fn(|i| COUNTRIES[i].share);
    let country = &COUNTRIES[rng.weighted(&country_weights)];
    let city = if country.code == "US" {
        &country.cities[rng.weighted(&names::US_CITY_WEIGHTS)]
    } else {
        rng.pick(country.cities)
    };
    let region = (!rng.chance(REGION_MISSING)).then_some(city.region);

    let signup = signup_day(ctx, index, rng.uniform());
    let signup_at = signup * 86_400 + rng.between(8 * 3600, 21 * 3600);
    let channel_weights: [f64; 3] = std::array::from_fn(|i| CHANNEL_WEIGHTS[i].1);
    let channel = rng.weighted(&channel_weights);

    let gender = if rng.chance(GENDER_MISSING) {
        None
    } else {
        let w: [f64; 4] = std::array::from_fn(|i| GENDERS[i].1);
        Some(GENDERS[rng.weighted(&w)].0)
    };
    let group = pick_group(&mut rng, country);
    let first = match gender {
        Some("female") => *rng.pick(group.female),
        Some("male") => *rng.pick(group.male),
        _ => {
            if rng.chance(0.5) {
                *rng.pick(group.female)
            } else {
                *rng.pick(group.male)
            }
        }
    };
    // A second tradition for the family name now and then: mixed families.
    let last_group = if rng.chance(0.1) {
        pick_group(&mut rng, country)
    } else {
        group
    };
    let last = *rng.pick(last_group.last);
    let name = format!("{first} {last}");
    let email = email(&mut rng, first, last, index);
    let phone = (!rng.chance(PHONE_MISSING)).then(|| phone(&mut rng, country.phone));
    let address = (!rng.chance(ADDRESS_MISSING)).then(|| address(&mut rng, country, city));

    let (birth_date, age_band) = if rng.chance(BIRTH_MISSING) {
        (None, None)
    } else {
        let age_years = 18.0 + rng.gamma(2.2, 1.0 / 9.0).min(77.0);
        let birth = signup - (age_years * 365.2425).floor() as i64;
        let age = calendar::age_on(birth, ctx.end);
        (Some(calendar::date(birth)), Some(age_band(age)))
    };
    let notes = rng
        .chance(NOTES_SHARE)
        .then(|| (*rng.pick(&names::CUSTOMER_NOTES)).to_owned());

    out.customers.write(&CustomerRow {
        id: id.clone(),
        name: Some(name),
        email: Some(email),
        phone,
        address,
        birth_date,
        gender: gender.map(str::to_owned),
        age_band: age_band.map(str::to_owned),
        country: Some(country.code.to_owned()),
        region: region.map(str::to_owned),
        signup_date: Some(calendar::date(signup)),
        notes,
    })?;
    Ok(Profile {
        id,
        country,
        region,
        signup_day: signup,
        signup_at,
        channel,
    })
}

/// A naming tradition: the country's own by their weights, and for the
/// remaining share (the weights sum to less than one) any tradition.
pub(crate) fn pick_group(rng: &mut Rng, country: &Country) -> &'static names::NameGroup {
    let mut x = rng.uniform();
    for (g, w) in country.names {
        if x < *w {
            return &GROUPS[*g];
        }
        x -= w;
    }
    rng.pick(&GROUPS)
}

fn age_band(age: i64) -> &'static str {
    match age {
        ..=24 => "18-24",
        25..=34 => "25-34",
        35..=44 => "35-44",
        45..=54 => "45-54",
        55..=64 => "55-64",
        _ => "65+",
    }
}

/// `first.last<index>@domain` and variants; the index makes it unique (the
/// local part's trailing digits are exactly the index, and names have no
/// digits).
fn email(rng: &mut Rng, first: &str, last: &str, index: u64) -> String {
    let mut s = String::with_capacity(48);
    let mut f = String::with_capacity(16);
    names::ascii_fold(first, &mut f);
    let mut l = String::with_capacity(16);
    names::ascii_fold(last, &mut l);
    if f.is_empty() {
        f.push_str("customer");
    }
    if l.is_empty() {
        l.push('x');
    }
    match rng.below(4) {
        0 => {
            s.push_str(&f);
            s.push('.');
            s.push_str(&l);
        }
        1 => {
            s.push_str(&f[..1]);
            s.push_str(&l);
        }
        2 => {
            s.push_str(&f);
            s.push('_');
            s.push_str(&l);
        }
        _ => {
            s.push_str(&l);
            s.push('.');
            s.push_str(&f);
        }
    }
    push_padded(&mut s, index, 1);
    s.push('@');
    let domain: &&str = rng.pick(&names::EMAIL_DOMAINS);
    s.push_str(domain);
    s
}

pub(crate) fn phone(rng: &mut Rng, style: PhoneStyle) -> String {
    let mut s = String::with_capacity(20);
    match style {
        PhoneStyle::American => {
            // Only 555-0100..0199 is reserved for fiction.
            s.push_str(if rng.chance(0.7) { "+1 (" } else { "(" });
            push_padded(&mut s, rng.between(201, 989) as u64, 3);
            s.push_str(") 555-01");
            push_padded(&mut s, rng.below(100), 2);
        }
        PhoneStyle::British => {
            if rng.chance(0.6) {
                s.push_str("+44 7700 900");
            } else {
                s.push_str("+44 20 7946 0");
            }
            push_padded(&mut s, rng.below(1000), 3);
        }
        PhoneStyle::Generic(prefix) => {
            s.push_str(prefix);
            s.push(' ');
            push_padded(&mut s, rng.between(20, 899) as u64, 2);
            s.push(' ');
            push_padded(&mut s, rng.below(10_000), 4);
            s.push(' ');
            push_padded(&mut s, rng.below(10_000), 4);
        }
    }
    s
}

pub(crate) fn address(rng: &mut Rng, country: &Country, city: &names::City) -> String {
    let street = rng.pick(country.streets);
    let number = rng.between(1, 180);
    let mut s = String::with_capacity(64);
    let postcode = |s: &mut String, rng: &mut Rng, digits: usize| {
        s.push_str(city.postal);
        let rest = digits.saturating_sub(city.postal.len());
        push_padded(s, rng.below(10u64.pow(rest as u32)), rest);
    };
    let letter = |rng: &mut Rng| char::from(b'A' + rng.below(26) as u8);
    match country.address {
        AddressStyle::StreetNumberPostcodeCity => {
            s.push_str(street);
            s.push(' ');
            push_padded(&mut s, number as u64, 1);
            s.push_str(", ");
            postcode(&mut s, rng, 5);
            s.push(' ');
            s.push_str(city.name);
        }
        AddressStyle::NumberStreetPostcodeCity => {
            push_padded(&mut s, number as u64, 1);
            s.push(' ');
            s.push_str(street);
            s.push_str(", ");
            postcode(&mut s, rng, 5);
            s.push(' ');
            s.push_str(city.name);
        }
        AddressStyle::Dutch => {
            s.push_str(street);
            s.push(' ');
            push_padded(&mut s, number as u64, 1);
            s.push_str(", ");
            postcode(&mut s, rng, 4);
            s.push(' ');
            s.push(letter(rng));
            s.push(letter(rng));
            s.push(' ');
            s.push_str(city.name);
        }
        AddressStyle::NumberStreetCity => {
            push_padded(&mut s, number as u64, 1);
            s.push(' ');
            s.push_str(street);
            s.push_str(", ");
            s.push_str(city.name);
        }
        AddressStyle::British => {
            push_padded(&mut s, number as u64, 1);
            s.push(' ');
            s.push_str(street);
            s.push_str(", ");
            s.push_str(city.name);
            s.push(' ');
            s.push_str(city.postal);
            push_padded(&mut s, rng.between(1, 20) as u64, 1);
            s.push(' ');
            push_padded(&mut s, rng.below(10), 1);
            s.push(letter(rng));
            s.push(letter(rng));
        }
        AddressStyle::American => {
            push_padded(&mut s, rng.between(1, 9999) as u64, 1);
            s.push(' ');
            s.push_str(street);
            if rng.chance(0.2) {
                s.push_str(" Apt ");
                push_padded(&mut s, rng.between(1, 40) as u64, 1);
                s.push(letter(rng));
            }
            s.push_str(", ");
            s.push_str(city.name);
            s.push_str(", ");
            s.push_str(city.region);
            s.push(' ');
            postcode(&mut s, rng, 5);
        }
    }
    s
}

/// Purchases under BG/NBD with Gamma-Gamma spend; see the crate docs for
/// the exact parameterisation.
fn write_transactions(
    ctx: &Ctx,
    index: u64,
    profile: &Profile,
    out: &mut Out,
    purchases: &mut Vec<(i64, usize)>,
) -> Result<(), GenerateError> {
    let mut rng = stream(ctx.seed, index, Tag::Transactions);
    let lambda = rng.gamma(ctx.bg.r, ctx.bg.alpha);
    let p = rng.beta(ctx.bg.a, ctx.bg.b);
    let nu = rng.gamma(ctx.gg.q, ctx.gg.gamma);
    let horizon = (ctx.end - profile.signup_day) as f64 / 7.0;

    purchases.clear();
    // The trial purchase at signup, then repeats until the horizon or
    // dropout. A rate that underflowed to zero gives an infinite wait.
    let mut t = 0.0_f64;
    loop {
        let day = profile.signup_day + ((t * 7.0).round() as i64).min(ctx.end - profile.signup_day);
        let channel = if rng.chance(PREFERRED_CHANNEL_SHARE) {
            profile.channel
        } else {
            rng.below(CHANNEL_WEIGHTS.len() as u64) as usize
        };
        purchases.push((day, channel));
        let amount = rng.gamma(ctx.gg.p, nu);
        let amount = ((amount * 100.0).round() / 100.0).max(0.01);
        let quantity = rng.weighted(&QUANTITY_WEIGHTS) as i64 + 1;

        let mut id = String::with_capacity(ctx.id_width + 6);
        id.push('T');
        push_padded(&mut id, index, ctx.id_width);
        id.push('-');
        push_padded(&mut id, purchases.len() as u64, 3);
        out.transactions.write(&TransactionRow {
            id,
            customer_id: profile.id.clone(),
            date: calendar::date(day),
            quantity,
            amount,
            currency: Some(profile.country.currency.to_owned()),
            channel: Some(CHANNEL_WEIGHTS[channel].0.to_owned()),
        })?;

        // Dropout is decided after each repeat purchase, never after the
        // trial purchase (BG/NBD's assumption).
        if purchases.len() > 1 && rng.chance(p) {
            break;
        }
        t += rng.exponential(lambda);
        if t.is_nan() || t >= horizon {
            break;
        }
    }
    Ok(())
}

const PURPOSE_SERVICE: &str = "service_delivery";
const PURPOSE_ANALYTICS: &str = "analytics_profiling";
const PURPOSE_MARKETING: &str = "direct_marketing_email";
const PURPOSE_SALE: &str = "sale_of_data";
const PURPOSE_ADS: &str = "targeted_advertising";

const ANALYTICS_OBJECTED: f64 = 0.03;
const MARKETING_GRANTED: f64 = 0.60;
const MARKETING_REFUSED: f64 = 0.25;
const MARKETING_EXPIRES: f64 = 0.15;
const MARKETING_WITHDRAWN: f64 = 0.10;
const MARKETING_OBJECTED: f64 = 0.02;
const SALE_GRANTED_CA_CO: f64 = 0.10;
const GPC_CA_CO: f64 = 0.22;
const DO_NOT_SELL_LINK_CA: f64 = 0.03;

/// Builder of one customer's consent records with consecutive ids.
struct Consents<'a> {
    ctx: &'a Ctx,
    index: u64,
    subject: &'a str,
    jurisdiction: String,
    seq: u64,
}

/// How a consent record was collected, apart from purpose and status.
struct Collected {
    method: CollectionMethod,
    source: &'static str,
    actor: &'static str,
    evidence: bool,
}

impl Consents<'_> {
    #[allow(clippy::too_many_arguments)]
    fn write(
        &mut self,
        out: &mut Out,
        purpose: &str,
        basis: LawfulBasis,
        status: ConsentStatus,
        at: i64,
        expires: Option<i64>,
        how: &Collected,
    ) -> Result<(), GenerateError> {
        self.seq += 1;
        let mut id = String::with_capacity(self.ctx.id_width + 6);
        id.push_str("CN");
        push_padded(&mut id, self.index, self.ctx.id_width);
        id.push('-');
        push_padded(&mut id, self.seq, 2);
        let evidence_ref = how.evidence.then(|| format!("{}/{id}", how.source));
        let version = if at >= self.ctx.notice_v2 * 86_400 {
            2
        } else {
            1
        };
        out.consents.write(&ConsentRow {
            id,
            subject_id: self.subject.to_owned(),
            purpose: purpose.to_owned(),
            lawful_basis: basis,
            status,
            jurisdiction: self.jurisdiction.clone(),
            recorded_at: calendar::instant(at),
            expires_at: expires.map(calendar::instant),
            notice_id: Some("privacy-notice".to_owned()),
            notice_version: Some(version),
            method: how.method,
            source: Some(how.source.to_owned()),
            evidence_ref,
            actor: Some(how.actor.to_owned()),
            version: None,
            explicit: None,
            given_by: None,
        })
    }
}

/// An instant uniformly between `from` (inclusive) and the end of the window.
fn later(rng: &mut Rng, ctx: &Ctx, from: i64) -> Option<i64> {
    let end = (ctx.end + 1) * 86_400;
    (from < end).then(|| from + rng.below((end - from) as u64) as i64)
}

/// Consent records for one customer (shares in `describe_consents`); returns
/// when e-mail marketing is allowed.
fn write_consents(
    ctx: &Ctx,
    index: u64,
    profile: &Profile,
    out: &mut Out,
) -> Result<Option<MarketingWindow>, GenerateError> {
    let mut rng = stream(ctx.seed, index, Tag::Consents);
    let jurisdiction = match (profile.country.jurisdiction, profile.region) {
        ("US", Some(region)) => format!("US-{region}"),
        (j, _) => j.to_owned(),
    };
    let state = if profile.country.code == "US" {
        profile.region
    } else {
        None
    };
    let mut c = Consents {
        ctx,
        index,
        subject: &profile.id,
        jurisdiction,
        seq: 0,
    };
    let at = profile.signup_at;
    let signup = match CHANNEL_WEIGHTS[profile.channel].0 {
        "store" => Collected {
            method: CollectionMethod::InPerson,
            source: "store-till",
            actor: "store-staff",
            evidence: true,
        },
        "app" => Collected {
            method: CollectionMethod::Api,
            source: "mobile-app",
            actor: "app-backend",
            evidence: true,
        },
        _ => Collected {
            method: CollectionMethod::WebForm,
            source: "checkout-form",
            actor: "web-shop",
            evidence: true,
        },
    };
    let preferences = Collected {
        method: CollectionMethod::WebForm,
        source: "preference-centre",
        actor: "web-shop",
        evidence: true,
    };
    let unsubscribe = Collected {
        method: CollectionMethod::Email,
        source: "unsubscribe-link",
        actor: "mailer",
        evidence: true,
    };
    let service_desk = Collected {
        method: CollectionMethod::Phone,
        source: "customer-service",
        actor: "support-agent",
        evidence: false,
    };

    c.write(
        out,
        PURPOSE_SERVICE,
        LawfulBasis::Contract,
        ConsentStatus::Granted,
        at,
        None,
        &signup,
    )?;
    c.write(
        out,
        PURPOSE_ANALYTICS,
        LawfulBasis::LegitimateInterests,
        ConsentStatus::Granted,
        at,
        None,
        &signup,
    )?;
    if rng.chance(ANALYTICS_OBJECTED) {
        if let Some(t) = later(&mut rng, ctx, at + 86_400) {
            c.write(
                out,
                PURPOSE_ANALYTICS,
                LawfulBasis::LegitimateInterests,
                ConsentStatus::Objected,
                t,
                None,
                &preferences,
            )?;
        }
    }

    let end = (ctx.end + 1) * 86_400;
    let mut marketing = None;
    let u = rng.uniform();
    if u < MARKETING_GRANTED {
        // Most opt in at signup; some later from the preference centre.
        let (granted, how) = if rng.chance(0.8) {
            (at + 1, &signup)
        } else {
            (
                later(&mut rng, ctx, at + 86_400).unwrap_or(at + 1),
                &preferences,
            )
        };
        let expires = rng
            .chance(MARKETING_EXPIRES)
            .then_some(granted + 730 * 86_400);
        c.write(
            out,
            PURPOSE_MARKETING,
            LawfulBasis::Consent,
            ConsentStatus::Granted,
            granted,
            expires,
            how,
        )?;
        let mut until = expires.unwrap_or(end).min(end);
        let v = rng.uniform();
        let change = if v < MARKETING_WITHDRAWN {
            Some((ConsentStatus::Withdrawn, &unsubscribe))
        } else if v < MARKETING_WITHDRAWN + MARKETING_OBJECTED {
            Some((ConsentStatus::Objected, &service_desk))
        } else {
            None
        };
        if let Some((status, how)) = change {
            if let Some(t) = later(&mut rng, ctx, granted + 3600) {
                c.write(
                    out,
                    PURPOSE_MARKETING,
                    LawfulBasis::Consent,
                    status,
                    t,
                    None,
                    how,
                )?;
                until = until.min(t);
            }
        }
        marketing = Some(MarketingWindow {
            from: granted,
            until,
        });
    } else if u < MARKETING_GRANTED + MARKETING_REFUSED {
        c.write(
            out,
            PURPOSE_MARKETING,
            LawfulBasis::Consent,
            ConsentStatus::Refused,
            at + 1,
            None,
            &signup,
        )?;
    }

    // US states whose laws honour Global Privacy Control as an opt-out.
    if matches!(state, Some("CA") | Some("CO")) {
        let sale_granted = rng.chance(SALE_GRANTED_CA_CO);
        if sale_granted {
            let loyalty = Collected {
                method: CollectionMethod::WebForm,
                source: "loyalty-programme",
                actor: "web-shop",
                evidence: true,
            };
            c.write(
                out,
                PURPOSE_SALE,
                LawfulBasis::Consent,
                ConsentStatus::Granted,
                at + 2,
                None,
                &loyalty,
            )?;
        }
        if rng.chance(GPC_CA_CO) {
            if let Some(t) = later(&mut rng, ctx, at + 60) {
                let gpc = Collected {
                    method: CollectionMethod::GpcSignal,
                    source: "sec-gpc-header",
                    actor: "gpc-listener",
                    evidence: false,
                };
                // A signal can only opt out: it withdraws an earlier opt-in
                // and is an objection otherwise.
                let (basis, status) = if sale_granted {
                    (LawfulBasis::Consent, ConsentStatus::Withdrawn)
                } else {
                    (LawfulBasis::LegitimateInterests, ConsentStatus::Objected)
                };
                c.write(out, PURPOSE_SALE, basis, status, t, None, &gpc)?;
                c.write(
                    out,
                    PURPOSE_ADS,
                    LawfulBasis::LegitimateInterests,
                    ConsentStatus::Objected,
                    t,
                    None,
                    &gpc,
                )?;
            }
        } else if state == Some("CA") && rng.chance(DO_NOT_SELL_LINK_CA) {
            if let Some(t) = later(&mut rng, ctx, at + 60) {
                let link = Collected {
                    method: CollectionMethod::WebForm,
                    source: "do-not-sell-link",
                    actor: "web-shop",
                    evidence: true,
                };
                let (basis, status) = if sale_granted {
                    (LawfulBasis::Consent, ConsentStatus::Withdrawn)
                } else {
                    (LawfulBasis::LegitimateInterests, ConsentStatus::Objected)
                };
                c.write(out, PURPOSE_SALE, basis, status, t, None, &link)?;
            }
        }
    }
    Ok(marketing)
}

const EMAIL_EVERY_WEEKS: f64 = 26.0;
const WEB_VISITS_MEAN: f64 = 0.8;
const VISIT_BEFORE_WEB_PURCHASE: f64 = 0.4;
const TICKETS_MEAN: f64 = 0.25;
const TICKET_TEXT: f64 = 0.7;
const TICKET_CLOSED: f64 = 0.85;
const NPS_RESPONSE: f64 = 0.22;
const NPS_TEXT: f64 = 0.35;

/// E-mail campaigns, opens and clicks; web visits; support tickets; NPS
/// answers (shares in `describe_interactions`).
fn write_interactions(
    ctx: &Ctx,
    index: u64,
    profile: &Profile,
    marketing: Option<&MarketingWindow>,
    scratch: &mut Scratch,
    out: &mut Out,
) -> Result<(), GenerateError> {
    let mut rng = stream(ctx.seed, index, Tag::Interactions);
    let events = &mut scratch.events;
    events.clear();
    let start = profile.signup_at;
    let end = (ctx.end + 1) * 86_400;
    let between = |rng: &mut Rng, a: i64, b: i64| a + rng.below((b - a).max(1) as u64) as i64;
    // Latent satisfaction: happier customers open more mail, file fewer
    // tickets and answer NPS higher.
    let satisfaction = rng.normal();
    let plain = |at, kind, channel| Event {
        at,
        kind,
        channel,
        nps: None,
        sentiment: None,
        text: None,
    };

    if let Some(m) = marketing {
        if m.until > m.from {
            let weeks = (m.until - m.from) as f64 / (7.0 * 86_400.0);
            let open_rate = (rng.beta(2.0, 5.0) * (1.0 + 0.25 * satisfaction)).clamp(0.0, 0.95);
            for _ in 0..rng.poisson(weeks / EMAIL_EVERY_WEEKS) {
                let sent = between(&mut rng, m.from, m.until);
                events.push(plain(sent, InteractionKind::EmailSent, "email"));
                if rng.chance(open_rate) {
                    let opened = sent + 60 + rng.exponential(1.0 / (6.0 * 3600.0)) as i64;
                    if opened < end {
                        events.push(plain(opened, InteractionKind::EmailOpen, "email"));
                        if rng.chance(0.2) {
                            let clicked = opened + rng.between(5, 600);
                            if clicked < end {
                                events.push(plain(clicked, InteractionKind::EmailClick, "email"));
                            }
                        }
                    }
                }
            }
        }
    }

    for _ in 0..rng.poisson(WEB_VISITS_MEAN) {
        let at = between(&mut rng, start, end);
        events.push(plain(at, InteractionKind::WebVisit, "web"));
    }
    for &(day, channel) in &scratch.purchases {
        if CHANNEL_WEIGHTS[channel].0 != "store" && rng.chance(VISIT_BEFORE_WEB_PURCHASE) {
            let at = (day * 86_400 + rng.between(6 * 3600, 23 * 3600)).max(start);
            let channel = if CHANNEL_WEIGHTS[channel].0 == "app" {
                "app"
            } else {
                "web"
            };
            events.push(plain(at, InteractionKind::WebVisit, channel));
        }
    }

    let tickets = rng.poisson(TICKETS_MEAN * (-0.4 * satisfaction).exp());
    for _ in 0..tickets {
        let opened = between(&mut rng, start, end);
        let channel = *rng.pick(&["email", "phone", "chat"]);
        let text = rng
            .chance(TICKET_TEXT)
            .then(|| *rng.pick(&names::TICKET_TEXTS));
        let sentiment = text.map(|_| round2(rng.range_f64(-0.9, 0.1)));
        events.push(Event {
            at: opened,
            kind: InteractionKind::TicketOpened,
            channel,
            nps: None,
            sentiment,
            text,
        });
        if rng.chance(TICKET_CLOSED) {
            let closed = opened + 600 + rng.exponential(1.0 / (30.0 * 3600.0)) as i64;
            if closed < end {
                events.push(plain(closed, InteractionKind::TicketClosed, channel));
            }
        }
    }

    if rng.chance(NPS_RESPONSE) {
        let at = between(&mut rng, start + 7 * 86_400, end);
        let score = (7.3 + 2.0 * satisfaction + rng.normal())
            .round()
            .clamp(0.0, 10.0) as i64;
        let sentiment = round2(((score as f64 - 5.0) / 5.0 + 0.15 * rng.normal()).clamp(-1.0, 1.0));
        let text = rng.chance(NPS_TEXT).then(|| match score {
            0..=6 => *rng.pick(&names::NPS_DETRACTOR),
            7..=8 => *rng.pick(&names::NPS_PASSIVE),
            _ => *rng.pick(&names::NPS_PROMOTER),
        });
        events.push(Event {
            at: at.min(end - 1),
            kind: InteractionKind::NpsResponse,
            channel: if rng.chance(0.7) { "email" } else { "web" },
            nps: Some(score),
            sentiment: Some(sentiment),
            text,
        });
    }

    // Time order makes the ids read like a history.
    events.sort_by_key(|e| e.at);
    for (seq, e) in events.iter().enumerate() {
        let mut id = String::with_capacity(ctx.id_width + 6);
        id.push('I');
        push_padded(&mut id, index, ctx.id_width);
        id.push('-');
        push_padded(&mut id, seq as u64 + 1, 3);
        out.interactions.write(&InteractionRow {
            id,
            stakeholder_id: profile.id.clone(),
            occurred_at: calendar::instant(e.at.clamp(start, end - 1)),
            kind: e.kind,
            channel: Some(e.channel.to_owned()),
            nps: e.nps,
            sentiment: e.sentiment,
            text: e.text.map(str::to_owned),
        })?;
    }
    Ok(())
}

/// Rounds to two decimals, turning `-0` into `0`.
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0 + 0.0
}

/// About 5 % of customers were referred by an earlier customer: 60 % of
/// referrers uniform among earlier customers, 40 % by the advocate rule
/// `1 + floor((i - 1) U^3)`, which piles referrals onto a few early, loyal
/// customers (a heavy-tailed in-degree without storing anyone). About 1 %
/// were referred by a partner, partners again skewed (`floor(P U^2)`).
fn write_referral(
    ctx: &Ctx,
    index: u64,
    profile: &Profile,
    out: &mut Out,
) -> Result<(), GenerateError> {
    let mut rng = stream(ctx.seed, index, Tag::Referral);
    let u = rng.uniform();
    let referrer = if index >= 2 && u < REFERRED_BY_CUSTOMER {
        let earlier = index - 1;
        let j = if rng.chance(UNIFORM_REFERRER) {
            1 + rng.below(earlier)
        } else {
            1 + ((earlier as f64) * rng.uniform().powf(ADVOCATE_EXPONENT)).floor() as u64
        };
        customer_id(ctx, j.clamp(1, earlier))
    } else if u < REFERRED_BY_CUSTOMER + REFERRED_BY_PARTNER {
        let k = 1 + ((ctx.partners as f64) * rng.uniform().powi(2)).floor() as u64;
        crate::business::partner_id(k.clamp(1, ctx.partners))
    } else {
        return Ok(());
    };
    let mut id = String::with_capacity(ctx.id_width + 1);
    id.push('R');
    push_padded(&mut id, index, ctx.id_width);
    out.referrals.write(&ReferralRow {
        id,
        referrer_id: referrer,
        referred_id: profile.id.clone(),
        date: calendar::date(profile.signup_day),
    })
}

/// The profile shares, for `generator.json`.
pub(crate) fn describe() -> serde_json::Value {
    serde_json::json!({
        "id": "C + index zero-padded to max(7, digits of customers), 1-based",
        "countries": COUNTRIES.iter().map(|c| (c.code, c.share)).collect::<Vec<_>>(),
        "us_states": {"CA": 0.38, "TX": 0.25, "NY": 0.20, "VA": 0.10, "CO": 0.07},
        "region_missing": REGION_MISSING,
        "gender_missing": GENDER_MISSING,
        "genders": GENDERS,
        "birth_date_missing": BIRTH_MISSING,
        "age_at_signup_years": "18 + min(Gamma(shape 2.2, scale 9), 77)",
        "age_band_as_of": "window end",
        "phone_missing": PHONE_MISSING,
        "address_missing": ADDRESS_MISSING,
        "notes_share": NOTES_SHARE,
    })
}

pub(crate) fn describe_referrals() -> serde_json::Value {
    serde_json::json!({
        "referred_by_earlier_customer": REFERRED_BY_CUSTOMER,
        "uniform_referrer_share": UNIFORM_REFERRER,
        "advocate_rule": format!("referrer index = 1 + floor((i - 1) * U^{ADVOCATE_EXPONENT})"),
        "referred_by_partner": REFERRED_BY_PARTNER,
        "partner_rule": "partner index = 1 + floor(partners * U^2)",
        "date": "signup date of the referred customer",
    })
}

pub(crate) fn describe_consents(notice_v2: &str) -> serde_json::Value {
    serde_json::json!({
        "service_delivery": "contract, granted at signup (everyone)",
        "analytics_profiling": {"basis": "legitimate_interests, granted at signup", "objected_later": ANALYTICS_OBJECTED},
        "direct_marketing_email": {
            "basis": "consent",
            "granted": MARKETING_GRANTED,
            "refused": MARKETING_REFUSED,
            "no_record": 1.0 - MARKETING_GRANTED - MARKETING_REFUSED,
            "grants_with_expiry_730_days": MARKETING_EXPIRES,
            "grants_withdrawn_later": MARKETING_WITHDRAWN,
            "grants_objected_later": MARKETING_OBJECTED,
        },
        "us_ca_co": {
            "sale_of_data_granted_at_signup": SALE_GRANTED_CA_CO,
            "gpc_signal": GPC_CA_CO,
            "gpc_records": "sale_of_data (withdrawn if granted before, else objected) and targeted_advertising (objected), method gpc_signal",
            "ca_do_not_sell_link_without_gpc": DO_NOT_SELL_LINK_CA,
        },
        "jurisdiction": "EU for EU countries, GB, US-<state> (US when the state is missing)",
        "notice": {"id": "privacy-notice", "version_2_from": notice_v2},
    })
}

pub(crate) fn describe_interactions() -> serde_json::Value {
    serde_json::json!({
        "email_campaigns": format!("Poisson(weeks with marketing consent in force / {EMAIL_EVERY_WEEKS}); open rate per customer Beta(2,5) scaled by satisfaction; 20% of opens clicked"),
        "web_visits": format!("Poisson({WEB_VISITS_MEAN}) anywhere, plus one on {VISIT_BEFORE_WEB_PURCHASE} of web/app purchase days"),
        "tickets": format!("Poisson({TICKETS_MEAN} * exp(-0.4 * satisfaction)), text on {TICKET_TEXT}, closed {TICKET_CLOSED} after ~30 h"),
        "nps": format!("{NPS_RESPONSE} of customers answer once: round(7.3 + 2 * satisfaction + N(0,1)) clamped to 0..10; text on {NPS_TEXT}"),
        "satisfaction": "N(0, 1) per customer",
    })
}
