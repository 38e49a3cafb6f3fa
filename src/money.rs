//! Money as integer minor units and the ISO 4217 currencies Couponry accepts.

use serde::{Deserialize, Serialize};

pub use crate::values::{Amount, AmountError, MAX_MINOR};

/// An ISO 4217 currency known to Couponry, with its minor-unit exponent and display symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct Currency {
    code: &'static str,
    exponent: u8,
    symbol: &'static str,
}

const CURRENCIES: &[(&str, u8, &str)] = &[
    ("AED", 2, "AED "),
    ("ARS", 2, "ARS "),
    ("AUD", 2, "A$"),
    ("BDT", 2, "৳"),
    ("BHD", 3, "BHD "),
    ("BRL", 2, "R$"),
    ("CAD", 2, "CA$"),
    ("CHF", 2, "CHF "),
    ("CLP", 0, "CLP "),
    ("CNY", 2, "CN¥"),
    ("COP", 2, "COP "),
    ("CZK", 2, "CZK "),
    ("DKK", 2, "DKK "),
    ("EGP", 2, "EGP "),
    ("EUR", 2, "€"),
    ("GBP", 2, "£"),
    ("HKD", 2, "HK$"),
    ("HUF", 2, "HUF "),
    ("IDR", 2, "Rp"),
    ("ILS", 2, "₪"),
    ("INR", 2, "₹"),
    ("ISK", 0, "ISK "),
    ("JOD", 3, "JOD "),
    ("JPY", 0, "¥"),
    ("KES", 2, "KES "),
    ("KRW", 0, "₩"),
    ("KWD", 3, "KWD "),
    ("LKR", 2, "LKR "),
    ("MXN", 2, "MX$"),
    ("MYR", 2, "RM"),
    ("NGN", 2, "₦"),
    ("NOK", 2, "NOK "),
    ("NPR", 2, "NPR "),
    ("NZD", 2, "NZ$"),
    ("OMR", 3, "OMR "),
    ("PHP", 2, "₱"),
    ("PKR", 2, "PKR "),
    ("PLN", 2, "zł"),
    ("QAR", 2, "QAR "),
    ("RON", 2, "RON "),
    ("SAR", 2, "SAR "),
    ("SEK", 2, "SEK "),
    ("SGD", 2, "S$"),
    ("THB", 2, "฿"),
    ("TRY", 2, "₺"),
    ("TWD", 2, "NT$"),
    ("UAH", 2, "₴"),
    ("USD", 2, "$"),
    ("VND", 0, "₫"),
    ("ZAR", 2, "R"),
];

impl Currency {
    /// Looks a currency up by its ISO 4217 code (case-insensitive).
    pub fn parse(code: &str) -> Option<Currency> {
        let code = code.trim();
        CURRENCIES.iter().find(|(c, _, _)| c.eq_ignore_ascii_case(code)).map(|&(code, exponent, symbol)| Currency {
            code,
            exponent,
            symbol,
        })
    }

    pub fn all() -> impl Iterator<Item = Currency> {
        CURRENCIES.iter().map(|&(code, exponent, symbol)| Currency { code, exponent, symbol })
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn exponent(&self) -> u8 {
        self.exponent
    }

    fn scale(&self) -> i64 {
        10_i64.pow(u32::from(self.exponent))
    }

    /// Formats minor units for people: `₹1,200`, `$12.50`.
    pub fn format(&self, minor: i64) -> String {
        let sign = if minor < 0 { "-" } else { "" };
        let abs = minor.unsigned_abs();
        let scale = self.scale().unsigned_abs();
        let whole = group_thousands(abs / scale);
        let frac = abs % scale;
        if frac == 0 {
            format!("{sign}{}{whole}", self.symbol)
        } else {
            let width = usize::from(self.exponent);
            format!("{sign}{}{whole}.{frac:0width$}", self.symbol)
        }
    }

    /// Minor units as a plain decimal for form fields: `1200`, `12.5` → `"12.50"`.
    pub fn to_major_text(&self, minor: i64) -> String {
        let scale = self.scale();
        if self.exponent == 0 {
            return minor.to_string();
        }
        let width = usize::from(self.exponent);
        let sign = if minor < 0 { "-" } else { "" };
        let abs = minor.unsigned_abs();
        let scale = scale.unsigned_abs();
        if abs.is_multiple_of(scale) {
            format!("{sign}{}", abs / scale)
        } else {
            format!("{sign}{}.{:0width$}", abs / scale, abs % scale)
        }
    }

    /// Parses a decimal amount typed by a person (`12`, `12.5`, `1,200.00`) into minor units.
    /// Refuses more decimals than the currency has, so nothing is silently rounded.
    pub fn parse_major(&self, text: &str) -> Result<i64, String> {
        let cleaned: String = text.trim().chars().filter(|c| *c != ',' && *c != '_').collect();
        if cleaned.is_empty() {
            return Err("enter an amount".into());
        }
        let (whole, frac) = match cleaned.split_once('.') {
            Some((w, f)) => (w, f),
            None => (cleaned.as_str(), ""),
        };
        let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
        if !digits(whole) || (!frac.is_empty() && !digits(frac)) {
            return Err("enter a number such as 12 or 12.50".into());
        }
        if frac.len() > usize::from(self.exponent) {
            return Err(match self.exponent {
                0 => format!("{} has no minor unit: enter a whole number", self.code),
                n => format!("{} allows at most {n} decimals", self.code),
            });
        }
        let width = usize::from(self.exponent);
        let frac_padded = format!("{frac:0<width$}");
        let too_big = || "amount is too large".to_string();
        let whole: i64 = whole.parse().map_err(|_| too_big())?;
        let frac: i64 = if width == 0 { 0 } else { frac_padded.parse().map_err(|_| too_big())? };
        let minor = whole.checked_mul(self.scale()).and_then(|w| w.checked_add(frac)).ok_or_else(too_big)?;
        Amount::new(minor).map(Amount::minor).map_err(|e| e.to_string())
    }
}

/// `1234567` → `1,234,567`.
/// `minor` in the currency `code` names, or the bare number and code for a code no longer known.
pub fn format_in(code: &str, minor: i64) -> String {
    Currency::parse(code).map_or_else(|| format!("{minor} {code}"), |c| c.format(minor))
}

pub fn group_thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl TryFrom<String> for Currency {
    type Error = String;
    fn try_from(code: String) -> Result<Self, Self::Error> {
        Currency::parse(&code).ok_or_else(|| format!("unknown currency `{code}`"))
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Currency::try_from(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.code.to_string()
    }
}

impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_symbol_grouping_and_decimals() {
        let inr = Currency::parse("inr").unwrap();
        assert_eq!(inr.format(20_000), "₹200");
        assert_eq!(inr.format(123_456_789), "₹1,234,567.89");
        assert_eq!(Currency::parse("USD").unwrap().format(1_250), "$12.50");
        assert_eq!(Currency::parse("JPY").unwrap().format(500), "¥500");
    }

    #[test]
    fn parses_major_units_exactly() {
        let usd = Currency::parse("USD").unwrap();
        assert_eq!(usd.parse_major("12"), Ok(1_200));
        assert_eq!(usd.parse_major("12.5"), Ok(1_250));
        assert_eq!(usd.parse_major("1,200.05"), Ok(120_005));
        assert!(usd.parse_major("12.345").is_err());
        assert!(usd.parse_major("-3").is_err());
        assert!(usd.parse_major("abc").is_err());
        assert!(usd.parse_major("99999999999999999999").is_err());
        assert!(Currency::parse("JPY").unwrap().parse_major("1.5").is_err());
    }

    #[test]
    fn round_trips_major_text() {
        let kwd = Currency::parse("KWD").unwrap();
        assert_eq!(kwd.to_major_text(1_005), "1.005");
        assert_eq!(kwd.parse_major(&kwd.to_major_text(1_005)), Ok(1_005));
    }

    #[test]
    fn unknown_currency_is_refused() {
        assert!(Currency::parse("XYZ").is_none());
        assert!(Currency::try_from("ABC".to_string()).is_err());
    }
}
