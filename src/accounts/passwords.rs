//! Password hashing with argon2id (memory-hard), off the async threads.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

pub const MIN_PASSWORD_LEN: usize = 10;

/// Passwords of the allowed length that appear at the top of every leaked-password list: the
/// first ones a guesser tries.
const COMMON: &[&str] = &[
    "1234567890",
    "12345678910",
    "123456789a",
    "1234567890a",
    "0987654321",
    "1q2w3e4r5t",
    "1qaz2wsx3edc",
    "qwertyuiop",
    "qwerty1234",
    "qwerty12345",
    "qwerty123456",
    "asdfghjkl1",
    "zxcvbnm123",
    "password12",
    "password123",
    "password1234",
    "password!1",
    "passw0rd123",
    "p@ssw0rd12",
    "p@ssword123",
    "iloveyou12",
    "iloveyou123",
    "letmein123",
    "welcome123",
    "welcome1234",
    "admin12345",
    "admin123456",
    "administrator",
    "changeme123",
    "abc1234567",
    "abcdefghij",
    "abcd123456",
    "a123456789",
    "football123",
    "baseball123",
    "sunshine123",
    "princess123",
    "dragon1234",
    "monkey1234",
    "starwars123",
    "trustno1234",
    "superman123",
    "michael123",
    "computer123",
    "whatever123",
    "couponry123",
    "couponry1234",
    "coupons123",
];

/// Refuses passwords that are easy to guess: too short or long, only spaces, one character
/// repeated, a well-known one, or the account's email (or the part before the `@`).
pub fn check_strength(password: &str, email: &str) -> Result<(), String> {
    let length = password.chars().count();
    if password.trim().is_empty() && !password.is_empty() {
        return Err("a password cannot be only spaces".into());
    }
    if length < MIN_PASSWORD_LEN {
        return Err(format!("at least {MIN_PASSWORD_LEN} characters"));
    }
    if password.len() > 256 {
        return Err("at most 256 characters".into());
    }
    if password.chars().any(char::is_control) {
        return Err("a password cannot hold control characters".into());
    }
    let lower = password.trim().to_lowercase();
    let email = email.trim().to_lowercase();
    let local = email.split('@').next().unwrap_or_default();
    if lower == email || (!local.is_empty() && lower == local) {
        return Err("a password cannot be the email address".into());
    }
    let mut chars = lower.chars();
    let first = chars.next();
    if chars.all(|c| Some(c) == first) {
        return Err("a password cannot be one character repeated".into());
    }
    if COMMON.contains(&lower.as_str()) {
        return Err("this password is on every list of common passwords: choose another".into());
    }
    Ok(())
}

/// The argon2 hash of a password; the error says why hashing failed.
pub async fn hash(password: String) -> Result<String, String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| e.to_string())
}

/// Checks a password against a stored hash; any malformed hash counts as a mismatch.
pub async fn verify(password: String, stored: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// A random password for the bootstrap admin.
pub fn generate() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..20).map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())])).collect()
}

/// A real hash of a random password, to verify against when an email is unknown so that the
/// answer takes as long as for a real account (timing must not reveal which emails exist).
pub async fn decoy_hash() -> String {
    static DECOY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DECOY.get_or_init(|| async { hash(generate()).await.unwrap_or_default() }).await.clone()
}

#[cfg(test)]
mod tests {
    use super::check_strength;

    #[test]
    fn easy_passwords_are_refused() {
        let email = "jane.doe@example.com";
        let bad =
            ["            ", "short", "aaaaaaaaaaaa", "Password123", "jane.doe@example.com", " Jane.Doe@Example.com "];
        for password in bad.into_iter().chain(["ab\u{0}cdefghijk"]) {
            assert!(check_strength(password, email).is_err(), "{password:?} should be refused");
        }
        assert!(check_strength("jane.doe12", "jane.doe12@x.io").is_err());
        assert!(check_strength("correct horse battery", email).is_ok());
    }
}
