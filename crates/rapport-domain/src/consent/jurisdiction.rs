//! Which body of law a jurisdiction code selects.
//!
//! Codes are those of `ConsentRow::jurisdiction`: `EU`, an ISO 3166-1 country
//! (`DE`, `GB`), or a country and subdivision (`US-CA`). Anything without
//! rules of its own here is [`Regime::Unknown`], which the decision function
//! judges by the GDPR model: the strictest one it has, so an unmapped code can
//! only ever refuse more, never allow more.

/// A body of privacy law with its own rules in [`super::decide`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Regime {
    /// The GDPR: the EU and the EEA.
    Gdpr,
    /// The UK GDPR, which keeps the GDPR's article numbers.
    UkGdpr,
    /// California: CCPA as amended by the CPRA.
    California,
    /// Colorado Privacy Act.
    Colorado,
    /// Virginia Consumer Data Protection Act.
    Virginia,
    /// No rules of its own: judged by the GDPR model.
    Unknown,
}

/// EU member states and the EEA states that apply the GDPR (`EL` is the EU's
/// own code for Greece).
const GDPR_COUNTRIES: &[&str] = &[
    "EU", "EEA", "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "EL",
    "HU", "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS",
    "LI", "NO",
];

impl Regime {
    /// The regime a jurisdiction code selects.
    pub fn of(code: &str) -> Self {
        match code {
            "US-CA" => Self::California,
            "US-CO" => Self::Colorado,
            "US-VA" => Self::Virginia,
            _ => {
                let country = code.split('-').next().unwrap_or(code);
                if country == "GB" {
                    Self::UkGdpr
                } else if GDPR_COUNTRIES.contains(&country) {
                    Self::Gdpr
                } else {
                    Self::Unknown
                }
            }
        }
    }

    /// Whether the decision applies the GDPR model (consent or another
    /// Art. 6(1) basis needed for everything).
    pub fn uses_gdpr_model(self) -> bool {
        matches!(self, Self::Gdpr | Self::UkGdpr | Self::Unknown)
    }

    /// Whether the regime is the GDPR or the UK GDPR itself.
    pub fn is_gdpr(self) -> bool {
        matches!(self, Self::Gdpr | Self::UkGdpr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_regimes() {
        assert_eq!(Regime::of("EU"), Regime::Gdpr);
        assert_eq!(Regime::of("DE-BY"), Regime::Gdpr);
        assert_eq!(Regime::of("GB"), Regime::UkGdpr);
        assert_eq!(Regime::of("US-CA"), Regime::California);
        assert_eq!(Regime::of("US-CO"), Regime::Colorado);
        assert_eq!(Regime::of("US-VA"), Regime::Virginia);
        assert_eq!(Regime::of("US-TX"), Regime::Unknown);
        assert_eq!(Regime::of(""), Regime::Unknown);
    }
}
