//! Codes: what a shopper types. Normalization and the code alphabet live here.

pub const MIN_CODE_LEN: usize = 3;
pub const MAX_CODE_LEN: usize = 64;

/// Normalizes a code as typed (trimmed, upper-cased) and checks it is 3–64 characters of
/// `A–Z 0–9 - _`. Codes match case-insensitively because every stored code went through here.
pub fn normalize(text: &str) -> Result<String, String> {
    let code = text.trim().to_uppercase();
    if code.is_empty() {
        return Err("enter a code".into());
    }
    let len = code.chars().count();
    if len < MIN_CODE_LEN {
        return Err(format!("at least {MIN_CODE_LEN} characters"));
    }
    if len > MAX_CODE_LEN {
        return Err(format!("at most {MAX_CODE_LEN} characters"));
    }
    if let Some(bad) = code.chars().find(|c| !(c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '-' || *c == '_'))
    {
        return Err(format!("`{bad}` is not allowed: use A–Z, 0–9, `-` and `_`"));
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn trims_and_upper_cases() {
        assert_eq!(normalize("  diwali-10_x ").as_deref(), Ok("DIWALI-10_X"));
    }

    #[test]
    fn refuses_bad_lengths_and_characters() {
        assert!(normalize("").is_err());
        assert!(normalize("AB").is_err());
        assert!(normalize(&"A".repeat(65)).is_err());
        assert!(normalize(&"A".repeat(64)).is_ok());
        assert!(normalize("SAVE 10").is_err());
        assert!(normalize("CAFÉ").is_err());
        assert!(normalize("ab$c").is_err());
    }
}
