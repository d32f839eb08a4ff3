//! Suppliers with their deliveries, and partners: the few business
//! stakeholders, generated before the customers.
//!
//! Each supplier has its own reliability profile, so scorecards differ:
//! - on-time probability `~ Beta(8, 2)` (late deliveries arrive
//!   `1 + Poisson(4)` days after the promised date, on-time ones up to two
//!   days early but never before the order);
//! - in-full probability `~ Beta(12, 1.5)` (short deliveries bring 60–98 %
//!   of the units);
//! - defect rate `~ Beta(1.2, 40)` (rejected units `~ Poisson(delivered ×
//!   rate)`, at most the units delivered);
//! - price-drift probability `~ Beta(2, 10)` (a drifting delivery is billed
//!   `agreed × (1 + N(0.03, 0.03))`);
//! - mean response time `~ Gamma(2, scale 12)` hours.
//!
//! Deliveries per supplier: `20 + Poisson(12)` over the window, order dates
//! uniform, lead time 3–21 days (per supplier). A delivery due after the
//! window's end is outstanding: no delivered date, nothing delivered.

use rapport_domain::rows::{DeliveryRow, InteractionKind, InteractionRow, PartnerRow, SupplierRow};

use crate::calendar::{self, push_padded};
use crate::customers::{address, phone, pick_group};
use crate::names::{self, COUNTRIES};
use crate::rng::{stream, Rng, Tag};
use crate::{Ctx, GenerateError, Out};

const SUPPLIER_NOTES: [&str; 6] = [
    "Net 30 payment terms.",
    "Minimum order 500 units.",
    "Framework agreement renewed, see contract folder.",
    "Second source for critical items.",
    "Ships from two warehouses; check which one on the order.",
    "Ask for \"priority lane\" on urgent orders.",
];

const CONTACT_TEXTS: [&str; 6] = [
    "Quarterly business review.",
    "Discussed late deliveries last month.",
    "Negotiated the price list for next year.",
    "Quality issue with one batch, credit note agreed.",
    "Introduced a new account manager.",
    "Joint marketing plan for the spring campaign.",
];

/// `S` followed by the supplier index, zero-padded to 4 digits.
pub(crate) fn supplier_id(index: u64) -> String {
    let mut s = String::with_capacity(6);
    s.push('S');
    push_padded(&mut s, index, 4);
    s
}

/// `P` followed by the partner index, zero-padded to 4 digits.
pub(crate) fn partner_id(index: u64) -> String {
    let mut s = String::with_capacity(6);
    s.push('P');
    push_padded(&mut s, index, 4);
    s
}

/// A company: trading name, contact person, e-mail, phone, address.
struct Company {
    country: &'static names::Country,
    name: String,
    contact: String,
    email: String,
    phone: String,
    address: String,
}

fn company(rng: &mut Rng, kind_word: &str, index: u64) -> Company {
    let weights: [f64; 8] = std::array::from_fn(|i| COUNTRIES[i].share);
    let country = &COUNTRIES[rng.weighted(&weights)];
    let city = rng.pick(country.cities);
    let suffix = rng.pick(country.company_suffix);
    let word = *rng.pick(&names::COMPANY_WORDS);
    let group = pick_group(rng, country);
    let name = if rng.chance(0.5) {
        format!("{word} {kind_word} {suffix}")
    } else {
        let other = pick_group(rng, country);
        format!(
            "{} & {} {suffix}",
            rng.pick(group.last),
            rng.pick(other.last)
        )
    };
    let first = if rng.chance(0.5) {
        *rng.pick(group.female)
    } else {
        *rng.pick(group.male)
    };
    let last = *rng.pick(group.last);
    let mut email = String::new();
    names::ascii_fold(first, &mut email);
    email.push('.');
    names::ascii_fold(last, &mut email);
    email.push('@');
    names::ascii_fold(word, &mut email);
    push_padded(&mut email, index, 1);
    email.push_str(".example.com");
    Company {
        country,
        name,
        contact: format!("{first} {last}"),
        email,
        phone: phone(rng, country.phone),
        address: address(rng, country, city),
    }
}

/// A title-case word for a category, used in company names.
fn category_word(category: &str) -> String {
    category
        .split(' ')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Writes every supplier, its deliveries and its interactions.
pub(crate) fn write_suppliers(ctx: &Ctx, out: &mut Out) -> Result<(), GenerateError> {
    for index in 1..=ctx.suppliers {
        let mut rng = stream(ctx.seed, index, Tag::Supplier);
        let id = supplier_id(index);
        let (category, low, high) = *rng.pick(&names::SUPPLIER_CATEGORIES);
        let c = company(&mut rng, &category_word(category), index);
        let notes = rng
            .chance(0.2)
            .then(|| (*rng.pick(&SUPPLIER_NOTES)).to_owned());
        out.suppliers.write(&SupplierRow {
            id: id.clone(),
            name: c.name,
            contact_name: Some(c.contact),
            email: Some(c.email),
            phone: Some(c.phone),
            address: Some(c.address),
            category: Some(category.to_owned()),
            country: Some(c.country.code.to_owned()),
            notes,
        })?;

        let profile = Reliability {
            on_time: rng.beta(8.0, 2.0),
            in_full: rng.beta(12.0, 1.5),
            defect_rate: rng.beta(1.2, 40.0),
            price_drift: rng.beta(2.0, 10.0),
            response_hours: rng.gamma(2.0, 1.0 / 12.0),
            lead_days: rng.between(3, 21),
            base_price: rng.range_f64(low, high),
        };
        write_deliveries(ctx, index, &id, &profile, out)?;
        write_contacts(ctx, index, &id, Tag::SupplierInteractions, "IS", out)?;
    }
    Ok(())
}

/// One supplier's reliability profile.
struct Reliability {
    on_time: f64,
    in_full: f64,
    defect_rate: f64,
    price_drift: f64,
    response_hours: f64,
    lead_days: i64,
    base_price: f64,
}

fn cents(x: f64) -> f64 {
    ((x * 100.0).round() / 100.0).max(0.01)
}

fn write_deliveries(
    ctx: &Ctx,
    index: u64,
    supplier: &str,
    r: &Reliability,
    out: &mut Out,
) -> Result<(), GenerateError> {
    let mut rng = stream(ctx.seed, index, Tag::Deliveries);
    let count = 20 + rng.poisson(12.0);
    let mut orders: Vec<i64> = (0..count)
        .map(|_| rng.between(ctx.start, ctx.end))
        .collect();
    orders.sort_unstable();
    for (seq, order) in orders.into_iter().enumerate() {
        let promised = order + (r.lead_days + rng.between(-2, 2)).max(1);
        let arrives = if rng.chance(r.on_time) {
            (promised - rng.between(0, 2)).max(order)
        } else {
            promised + 1 + rng.poisson(4.0) as i64
        };
        let ordered = 10 * rng.between(1, 100);
        let (delivered_date, delivered, accepted) = if arrives > ctx.end {
            (None, 0, 0)
        } else {
            let delivered = if rng.chance(r.in_full) {
                ordered
            } else {
                ((ordered as f64) * rng.range_f64(0.6, 0.98)).floor() as i64
            };
            let rejected =
                (rng.poisson((delivered as f64 * r.defect_rate).min(500.0)) as i64).min(delivered);
            (
                Some(calendar::date(arrives)),
                delivered,
                delivered - rejected,
            )
        };
        let agreed = cents(r.base_price * rng.range_f64(0.95, 1.05));
        let unit_price = if rng.chance(r.price_drift) {
            cents(agreed * (1.0 + 0.03 + 0.03 * rng.normal()))
        } else {
            agreed
        };
        let agreed_unit_price = (!rng.chance(0.05)).then_some(agreed);
        let response_hours = rng
            .chance(0.7)
            .then(|| (rng.gamma(2.0, 2.0 / r.response_hours) * 10.0).round() / 10.0);
        let mut id = String::with_capacity(12);
        id.push('D');
        id.push_str(&supplier[1..]);
        id.push('-');
        push_padded(&mut id, seq as u64 + 1, 4);
        out.deliveries.write(&DeliveryRow {
            id,
            supplier_id: supplier.to_owned(),
            order_date: calendar::date(order),
            promised_date: calendar::date(promised),
            delivered_date,
            quantity_ordered: ordered,
            quantity_delivered: delivered,
            quantity_accepted: accepted,
            unit_price,
            agreed_unit_price,
            response_hours,
        })?;
    }
    Ok(())
}

/// Calls, meetings and e-mails with a business stakeholder.
fn write_contacts(
    ctx: &Ctx,
    index: u64,
    stakeholder: &str,
    tag: Tag,
    prefix: &str,
    out: &mut Out,
) -> Result<(), GenerateError> {
    let mut rng = stream(ctx.seed, index, tag);
    let start = ctx.start * 86_400;
    let span = ((ctx.end + 1 - ctx.start) * 86_400) as u64;
    let mut times: Vec<i64> = (0..1 + rng.poisson(3.0))
        .map(|_| start + rng.below(span) as i64)
        .collect();
    times.sort_unstable();
    for (seq, at) in times.into_iter().enumerate() {
        let (kind, channel) = *rng.pick(&[
            (InteractionKind::Call, "phone"),
            (InteractionKind::Meeting, "in_person"),
            (InteractionKind::EmailSent, "email"),
        ]);
        let text = rng
            .chance(0.4)
            .then(|| (*rng.pick(&CONTACT_TEXTS)).to_owned());
        let mut id = String::with_capacity(12);
        id.push_str(prefix);
        id.push_str(&stakeholder[1..]);
        id.push('-');
        push_padded(&mut id, seq as u64 + 1, 2);
        out.interactions.write(&InteractionRow {
            id,
            stakeholder_id: stakeholder.to_owned(),
            occurred_at: calendar::instant(at),
            kind,
            channel: Some(channel.to_owned()),
            nps: None,
            sentiment: None,
            text,
        })?;
    }
    Ok(())
}

/// Writes every partner and its interactions.
pub(crate) fn write_partners(ctx: &Ctx, out: &mut Out) -> Result<(), GenerateError> {
    for index in 1..=ctx.partners {
        let mut rng = stream(ctx.seed, index, Tag::Partner);
        let id = partner_id(index);
        let weights: [f64; 6] = std::array::from_fn(|i| names::PARTNER_TYPES[i].1);
        let partner_type = names::PARTNER_TYPES[rng.weighted(&weights)].0;
        let c = company(&mut rng, "Partners", index);
        let notes = rng
            .chance(0.15)
            .then(|| "Commission 8 %, paid quarterly.".to_owned());
        out.partners.write(&PartnerRow {
            id: id.clone(),
            name: c.name,
            contact_name: Some(c.contact),
            email: Some(c.email),
            phone: Some(c.phone),
            partner_type: Some(partner_type.to_owned()),
            country: Some(c.country.code.to_owned()),
            notes,
        })?;
        write_contacts(ctx, index, &id, Tag::PartnerInteractions, "IP", out)?;
    }
    Ok(())
}

/// The supplier model, for `generator.json`.
pub(crate) fn describe() -> serde_json::Value {
    serde_json::json!({
        "count": "max(5, customers / 1000); partners max(3, customers / 2000)",
        "on_time_probability": "Beta(8, 2) per supplier; late = promised + 1 + Poisson(4) days",
        "in_full_probability": "Beta(12, 1.5) per supplier; short deliveries bring 60-98% of units",
        "defect_rate": "Beta(1.2, 40) per supplier; rejected ~ Poisson(delivered * rate)",
        "price_drift_probability": "Beta(2, 10) per supplier; drifted price = agreed * (1 + N(0.03, 0.03))",
        "mean_response_hours": "Gamma(2, scale 12) per supplier; per delivery Gamma(2, scale mean/2), present on 70%",
        "deliveries_per_supplier": "20 + Poisson(12)",
        "lead_time_days": "3..21 per supplier, +-2 per order",
        "outstanding": "deliveries arriving after the window end have no delivered date and 0 units",
    })
}
