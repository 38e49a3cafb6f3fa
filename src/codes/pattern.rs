//! Code patterns: `DIWALI-####-??` (`#` a digit, `?` a letter, `*` either, the rest literal), or
//! a prefix with a length and a charset. The generated characters leave out look-alikes, so a
//! shopper reading a code off a poster cannot mistake 0 for O or 1 for I or L.

use serde::{Deserialize, Serialize};

use super::{MAX_CODE_LEN, MIN_CODE_LEN};

/// Digits without 0 and 1.
pub const DIGITS: &[u8] = b"23456789";
/// Letters without I, L and O.
pub const LETTERS: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ";
/// Both of the above.
pub const EITHER: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// A code is asked to be at least this many times rarer than the codes issued: a guesser needs
/// on average this many tries per hit.
pub const SPACE_FACTOR: u128 = 100;

/// The most codes one request may generate.
pub const MAX_GENERATE: u64 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Charset {
    Digits,
    Letters,
    Mixed,
}

impl Charset {
    pub const ALL: [Charset; 3] = [Charset::Mixed, Charset::Digits, Charset::Letters];

    pub fn as_str(self) -> &'static str {
        crate::wire::name(&self)
    }

    pub fn parse(text: &str) -> Option<Charset> {
        crate::wire::parse(text)
    }

    fn symbol(self) -> char {
        match self {
            Charset::Digits => '#',
            Charset::Letters => '?',
            Charset::Mixed => '*',
        }
    }

    pub fn alphabet(self) -> &'static [u8] {
        match self {
            Charset::Digits => DIGITS,
            Charset::Letters => LETTERS,
            Charset::Mixed => EITHER,
        }
    }
}

/// One position of a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Literal(u8),
    Random(Charset),
}

/// A checked pattern: 3–64 positions, at least one random, literals from the code alphabet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    slots: Vec<Slot>,
}

impl Pattern {
    /// Reads `DIWALI-####-??`. Literal letters are upper-cased, as codes are.
    pub fn parse(text: &str) -> Result<Pattern, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("enter a pattern, e.g. DIWALI-####-??".into());
        }
        let mut slots = Vec::with_capacity(text.len());
        for c in text.chars() {
            slots.push(match c {
                '#' => Slot::Random(Charset::Digits),
                '?' => Slot::Random(Charset::Letters),
                '*' => Slot::Random(Charset::Mixed),
                c if c.is_ascii_alphanumeric() || c == '-' || c == '_' => Slot::Literal(c.to_ascii_uppercase() as u8),
                c => return Err(format!("`{c}` cannot be in a code: use A–Z, 0–9, `-`, `_` and # ? *")),
            });
        }
        Pattern::checked(slots)
    }

    /// `prefix` followed by `length` random characters from `charset`.
    pub fn from_prefix(prefix: &str, length: usize, charset: Charset) -> Result<Pattern, String> {
        let prefix = prefix.trim();
        if let Some(bad) = prefix.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_')) {
            return Err(format!("`{bad}` cannot be in a code prefix: use A–Z, 0–9, `-` and `_`"));
        }
        if length == 0 {
            return Err("the random part needs at least one character".into());
        }
        let text: String =
            prefix.chars().chain(std::iter::repeat_n(charset.symbol(), length.min(MAX_CODE_LEN + 1))).collect();
        Pattern::parse(&text)
    }

    fn checked(slots: Vec<Slot>) -> Result<Pattern, String> {
        if slots.len() < MIN_CODE_LEN || slots.len() > MAX_CODE_LEN {
            return Err(format!(
                "codes must be {MIN_CODE_LEN}–{MAX_CODE_LEN} characters; this pattern makes {}",
                slots.len()
            ));
        }
        if !slots.iter().any(|s| matches!(s, Slot::Random(_))) {
            return Err("add random positions: # for a digit, ? for a letter, * for either".into());
        }
        Ok(Pattern { slots })
    }

    /// The pattern as written with `#`, `?` and `*`.
    pub fn text(&self) -> String {
        self.slots
            .iter()
            .map(|s| match s {
                Slot::Literal(b) => *b as char,
                Slot::Random(c) => c.symbol(),
            })
            .collect()
    }

    /// How many different codes the pattern can make (saturating: 31^64 does not fit anywhere).
    pub fn space(&self) -> u128 {
        self.slots.iter().fold(1u128, |n, s| match s {
            Slot::Literal(_) => n,
            Slot::Random(c) => n.saturating_mul(c.alphabet().len() as u128),
        })
    }

    /// A SQL `LIKE` pattern matching every code this pattern can make (`_` per random position;
    /// literal `_` and `%` escaped with `\`).
    pub fn like(&self) -> String {
        let mut out = String::with_capacity(self.slots.len() * 2);
        for s in &self.slots {
            match s {
                Slot::Literal(b'_') => out.push_str("\\_"),
                Slot::Literal(b) => out.push(*b as char),
                Slot::Random(_) => out.push('_'),
            }
        }
        out
    }

    /// Refuses a request whose codes would be guessable: the space must hold at least
    /// [`SPACE_FACTOR`] times the codes of this shape once these are added.
    pub fn check_space(&self, count: u64, existing: u64) -> Result<(), String> {
        let needed = (count as u128 + existing as u128).saturating_mul(SPACE_FACTOR);
        if self.space() < needed {
            let existing_note = if existing > 0 {
                format!(" (with the {} codes of this shape already issued)", amount(existing.into()))
            } else {
                String::new()
            };
            return Err(format!(
                "`{}` can make {} codes; {} codes{} need at least {} ({}×) so they cannot be guessed: \
                 add random positions",
                self.text(),
                amount(self.space()),
                amount(count.into()),
                existing_note,
                amount(needed),
                SPACE_FACTOR
            ));
        }
        Ok(())
    }

    /// One code from the pattern, drawn from `rng` (the thread's CSPRNG in production).
    pub fn generate(&self, rng: &mut impl FnMut(usize) -> usize) -> String {
        self.slots
            .iter()
            .map(|s| match s {
                Slot::Literal(b) => *b as char,
                Slot::Random(c) => {
                    let alphabet = c.alphabet();
                    alphabet[rng(alphabet.len())] as char
                }
            })
            .collect()
    }
}

/// A number of codes for people: 12,345, or a power of ten past a trillion (nobody reads
/// 1.2e30 as a count anyway).
pub fn amount(n: u128) -> String {
    match u64::try_from(n) {
        Ok(n) if n < 1_000_000_000_000 => crate::money::group_thousands(n),
        _ => format!("about 10^{}", n.ilog10()),
    }
}

/// The count asked for: 1 to [`MAX_GENERATE`].
pub fn check_count(count: i64) -> Result<u64, String> {
    if count < 1 {
        return Err("generate at least one code".into());
    }
    if count as u64 > MAX_GENERATE {
        return Err(format!("at most {MAX_GENERATE} codes per batch"));
    }
    Ok(count as u64)
}

/// A generation request as a form or the API sends it: a count, and either a pattern or a
/// prefix with a length and a charset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GenerateInput {
    /// How many codes: 1 to 1,000,000.
    pub count: i64,
    /// `#` a digit, `?` a letter, `*` either, anything else literal, e.g. `DIWALI-####-??`.
    #[serde(default)]
    pub pattern: Option<String>,
    /// Without a pattern: literal text the codes start with.
    #[serde(default)]
    pub prefix: Option<String>,
    /// Without a pattern: how many random characters follow the prefix.
    #[serde(default)]
    pub length: Option<i64>,
    /// Without a pattern: `mixed` (default), `digits` or `letters`.
    #[serde(default)]
    pub charset: Option<String>,
}

impl GenerateInput {
    /// The count and the pattern, or every problem by field.
    pub fn parse(&self) -> Result<(u64, Pattern), crate::fields::FieldErrors> {
        let mut errors = crate::fields::FieldErrors::default();
        let count = check_count(self.count).map_err(|e| errors.add("count", e)).ok();
        let pattern = match self.pattern.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(text) => Pattern::parse(text).map_err(|e| errors.add("pattern", e)).ok(),
            None => {
                let charset = match self.charset.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
                    None => Some(Charset::Mixed),
                    Some(text) => {
                        let parsed = Charset::parse(text);
                        if parsed.is_none() {
                            errors.add("charset", "choose mixed, digits or letters");
                        }
                        parsed
                    }
                };
                match (self.length, charset) {
                    (None, _) => {
                        errors.add("length", "enter how many random characters, or a pattern");
                        None
                    }
                    (Some(n), _) if !(1..=MAX_CODE_LEN as i64).contains(&n) => {
                        errors.add("length", format!("1 to {MAX_CODE_LEN} characters"));
                        None
                    }
                    (Some(n), Some(charset)) => {
                        Pattern::from_prefix(self.prefix.as_deref().unwrap_or(""), n as usize, charset)
                            .map_err(|e| errors.add("prefix", e))
                            .ok()
                    }
                    (Some(_), None) => None,
                }
            }
        };
        match (count, pattern) {
            (Some(count), Some(pattern)) if errors.is_empty() => Ok((count, pattern)),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_patterns_and_counts_their_space() {
        let p = Pattern::parse("diwali-####-??").unwrap();
        assert_eq!(p.text(), "DIWALI-####-??");
        assert_eq!(p.space(), 8u128.pow(4) * 23u128.pow(2));
        assert_eq!(p.like(), "DIWALI-____-__");
        assert_eq!(Pattern::parse("A_*").unwrap().like(), "A\\__");
    }

    #[test]
    fn refuses_bad_patterns() {
        assert!(Pattern::parse("").is_err());
        assert!(Pattern::parse("ABCDEF").unwrap_err().contains("random"));
        assert!(Pattern::parse("AB CD##").unwrap_err().contains("` `"));
        assert!(Pattern::parse("#").unwrap_err().contains("3–64"));
        assert!(Pattern::parse(&"#".repeat(65)).is_err());
        assert!(Pattern::from_prefix("SALE", 0, Charset::Mixed).is_err());
        assert!(Pattern::from_prefix("SA LE", 6, Charset::Mixed).is_err());
        assert_eq!(Pattern::from_prefix("sale-", 4, Charset::Digits).unwrap().text(), "SALE-####");
        assert!(Pattern::from_prefix("X", 100, Charset::Digits).is_err());
    }

    #[test]
    fn refuses_guessable_requests_with_the_numbers() {
        let p = Pattern::parse("SALE-##").unwrap(); // 64 codes
        let e = p.check_space(1, 0).unwrap_err();
        assert!(e.contains("64") && e.contains("100"), "{e}");
        let p = Pattern::parse("SALE-####").unwrap(); // 4096
        assert!(p.check_space(40, 0).is_ok());
        assert!(p.check_space(41, 0).is_err());
        assert!(p.check_space(30, 11).unwrap_err().contains("11 codes"));
        let huge = Pattern::parse(&"*".repeat(64)).unwrap();
        assert_eq!(huge.space(), u128::MAX);
        assert_eq!(amount(1_234_567), "1,234,567");
        assert_eq!(amount(u128::MAX), "about 10^38");
        assert!(huge.check_space(MAX_GENERATE, u64::MAX).is_ok());
    }

    #[test]
    fn generated_codes_fit_the_pattern_and_avoid_look_alikes() {
        let p = Pattern::parse("X-*****-##??").unwrap();
        let mut state = 7usize;
        let mut rng = |n: usize| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        for _ in 0..500 {
            let code = p.generate(&mut rng);
            assert_eq!(code.len(), 12);
            assert!(code.starts_with("X-"));
            assert!(!code[2..].contains(['0', 'O', '1', 'I', 'L']), "{code}");
            assert!(code[8..10].bytes().all(|b| b.is_ascii_digit()));
            assert!(code[10..].bytes().all(|b| b.is_ascii_uppercase()));
            assert_eq!(crate::codes::normalize(&code).as_deref(), Ok(code.as_str()));
        }
    }

    #[test]
    fn generation_requests_name_their_bad_fields() {
        let input =
            |pattern: Option<&str>, prefix: Option<&str>, length: Option<i64>, charset: Option<&str>| GenerateInput {
                count: 10,
                pattern: pattern.map(Into::into),
                prefix: prefix.map(Into::into),
                length,
                charset: charset.map(Into::into),
            };
        let (count, p) = input(Some("A-####"), None, None, None).parse().unwrap();
        assert_eq!((count, p.text().as_str()), (10, "A-####"));
        let (_, p) = input(None, Some("X-"), Some(6), Some("letters")).parse().unwrap();
        assert_eq!(p.text(), "X-??????");
        assert!(input(None, None, None, None).parse().unwrap_err().get("length").is_some());
        assert!(input(None, None, Some(6), Some("emoji")).parse().unwrap_err().get("charset").is_some());
        assert!(input(None, Some("A B"), Some(6), None).parse().unwrap_err().get("prefix").is_some());
        let mut zero = input(Some("A-####"), None, None, None);
        zero.count = 0;
        assert!(zero.parse().unwrap_err().get("count").is_some());
    }

    #[test]
    fn counts_are_bounded() {
        assert!(check_count(0).is_err());
        assert!(check_count(-5).is_err());
        assert_eq!(check_count(10), Ok(10));
        assert!(check_count(MAX_GENERATE as i64 + 1).is_err());
    }
}
