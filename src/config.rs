//! Settings from the environment, with defaults that make a first start work. A setting that is
//! set but cannot be read stops the server with a message naming it: a typo must not run the
//! shop with a default nobody chose.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite://…` (default: a file under `data/`) or `postgres://…`.
    pub database_url: String,
    /// A PostgreSQL read replica for analytics reports (`COUPONRY_READ_DATABASE_URL`); reports
    /// read the main database when unset.
    pub read_database_url: Option<String>,
    pub max_connections: u32,
    /// The first admin, created when there are no accounts yet.
    pub admin_email: String,
    /// When unset, a password is generated and printed once.
    pub admin_password: Option<String>,
    /// How long a dashboard session lasts, in hours.
    pub session_hours: i64,
    /// Attempts naming a code (validate, redeem, try it) allowed per API key or account per minute.
    pub validate_per_key: u32,
    /// Attempts naming a code allowed per user per minute: guessing codes for one user stays slow.
    pub validate_per_user: u32,
    /// The largest code or user file an upload may send, in bytes.
    pub max_upload_bytes: u64,
    /// The largest JSON body the API reads, in bytes.
    pub max_json_bytes: usize,
    /// How often each server launches scheduled campaigns that are due, folds new activity into
    /// the analytics rollups, and sweeps expired rows; `None` turns it off.
    pub scheduler_tick: Option<Duration>,
    /// Marks the session cookie `Secure` (and names it `__Host-…`): set it when the dashboard is
    /// served over HTTPS.
    pub secure_cookies: bool,
    /// Behind a reverse proxy: the header it puts the client's address in (`X-Forwarded-For`).
    pub client_ip_header: Option<String>,
    /// How long a client may take to send a request's headers, and then its body.
    pub header_timeout: Duration,
    pub body_timeout: Duration,
}

/// A setting that is set but not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}={value:?} is not valid: {expected}")]
pub struct ConfigError {
    pub name: String,
    pub value: String,
    pub expected: String,
}

impl Config {
    /// The settings of this process's environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_vars(|name| std::env::var(name).ok())
    }

    /// The defaults, on `database_url`: what tests and benchmarks start from.
    pub fn with_database(database_url: &str) -> Config {
        let mut config = Config::from_vars(|_| None).unwrap_or_else(|e| unreachable!("defaults are valid: {e}"));
        config.database_url = database_url.to_string();
        config
    }

    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let number = |name: &str, default: u64, min: u64, max: u64| -> Result<u64, ConfigError> {
            let Some(text) = var(name) else { return Ok(default) };
            text.trim().parse::<u64>().ok().filter(|n| (min..=max).contains(n)).ok_or_else(|| ConfigError {
                name: name.into(),
                value: text.clone(),
                expected: format!("a whole number from {min} to {max}"),
            })
        };
        let flag = |name: &str| -> Result<bool, ConfigError> {
            match var(name).map(|v| v.trim().to_lowercase()).as_deref() {
                None | Some("0" | "false" | "no" | "off") => Ok(false),
                Some("1" | "true" | "yes" | "on") => Ok(true),
                Some(other) => Err(ConfigError {
                    name: name.into(),
                    value: other.into(),
                    expected: "true or false (1/0, yes/no, on/off)".into(),
                }),
            }
        };
        let database_url = var("DATABASE_URL").unwrap_or_else(|| "sqlite://data/couponry.db?mode=rwc".into());
        if !["sqlite:", "postgres:", "postgresql:"].iter().any(|p| database_url.starts_with(p)) {
            return Err(ConfigError {
                name: "DATABASE_URL".into(),
                value: database_url,
                expected: "sqlite://path or postgres://user@host/database".into(),
            });
        }
        let read_database_url = var("COUPONRY_READ_DATABASE_URL");
        if let Some(url) = &read_database_url {
            let postgres = |u: &str| u.starts_with("postgres:") || u.starts_with("postgresql:");
            if !postgres(url) || !postgres(&database_url) {
                return Err(ConfigError {
                    name: "COUPONRY_READ_DATABASE_URL".into(),
                    value: url.clone(),
                    expected: "a postgres:// replica of a PostgreSQL DATABASE_URL".into(),
                });
            }
        }
        let client_ip_header = var("COUPONRY_CLIENT_IP_HEADER").map(|h| h.trim().to_lowercase());
        if let Some(header) = &client_ip_header {
            if axum::http::HeaderName::from_bytes(header.as_bytes()).is_err() {
                return Err(ConfigError {
                    name: "COUPONRY_CLIENT_IP_HEADER".into(),
                    value: header.clone(),
                    expected: "a header name such as X-Forwarded-For".into(),
                });
            }
        }
        let scheduler_ms = number("COUPONRY_SCHEDULER_MS", 2_000, 0, 3_600_000)?;
        Ok(Config {
            database_url,
            read_database_url,
            max_connections: number("COUPONRY_DB_CONNECTIONS", 16, 1, 1_000)? as u32,
            admin_email: var("COUPONRY_ADMIN_EMAIL").unwrap_or_else(|| "admin@couponry.local".into()),
            admin_password: var("COUPONRY_ADMIN_PASSWORD"),
            session_hours: number("COUPONRY_SESSION_HOURS", 12, 1, 24 * 366)? as i64,
            validate_per_key: number("COUPONRY_VALIDATE_PER_KEY", 12_000, 1, u64::from(u32::MAX))? as u32,
            validate_per_user: number("COUPONRY_VALIDATE_PER_USER", 30, 1, u64::from(u32::MAX))? as u32,
            max_upload_bytes: number("COUPONRY_MAX_UPLOAD_MB", 200, 1, 1 << 20)? << 20,
            max_json_bytes: number("COUPONRY_MAX_JSON_KB", 1_024, 1, 1 << 20)? as usize * 1024,
            scheduler_tick: Some(Duration::from_millis(scheduler_ms)).filter(|t| !t.is_zero()),
            secure_cookies: flag("COUPONRY_SECURE_COOKIES")?,
            client_ip_header,
            header_timeout: Duration::from_secs(number("COUPONRY_HEADER_TIMEOUT_S", 10, 1, 3_600)?),
            body_timeout: Duration::from_secs(number("COUPONRY_BODY_TIMEOUT_S", 300, 1, 86_400)?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        Config::from_vars(|name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn bad_settings_are_named() {
        for (name, value) in [
            ("COUPONRY_SESSION_HOURS", "-5"),
            ("COUPONRY_DB_CONNECTIONS", "abc"),
            ("COUPONRY_DB_CONNECTIONS", "0"),
            ("COUPONRY_MAX_UPLOAD_MB", "1e3"),
            ("COUPONRY_SECURE_COOKIES", "maybe"),
            ("COUPONRY_CLIENT_IP_HEADER", "bad header"),
            ("DATABASE_URL", "mysql://x"),
        ] {
            let error = with(&[(name, value)]).expect_err(name);
            assert_eq!(error.name, name);
            assert!(error.to_string().starts_with(&format!("{name}=")), "{error}");
        }
    }

    #[test]
    fn unset_and_blank_settings_take_the_defaults() {
        let config = with(&[("COUPONRY_SESSION_HOURS", " ")]).expect("defaults");
        assert_eq!(config.session_hours, 12);
        assert_eq!(config.max_connections, 16);
        assert!(!config.secure_cookies);
        let config = with(&[("COUPONRY_SECURE_COOKIES", "yes"), ("COUPONRY_SCHEDULER_MS", "0")]).expect("valid");
        assert!(config.secure_cookies);
        assert_eq!(config.scheduler_tick, None);
    }
}
