//! Settings from the environment, with defaults that make a first start work.

#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite://…` (default: a file under `data/`) or `postgres://…`.
    pub database_url: String,
    pub max_connections: u32,
    /// The first admin, created when there are no accounts yet.
    pub admin_email: String,
    /// When unset, a password is generated and printed once.
    pub admin_password: Option<String>,
    /// How long a dashboard session lasts, in hours.
    pub session_hours: i64,
    /// Validations allowed per API key per minute.
    pub validate_per_key: u32,
    /// Validations allowed per user per minute: guessing codes for one user stays slow.
    pub validate_per_user: u32,
    /// The largest code file an upload may send, in bytes.
    pub max_upload_bytes: u64,
    /// How often each server looks for scheduled campaigns that are due; `None` turns it off.
    pub scheduler_tick: Option<std::time::Duration>,
}

impl Config {
    pub fn from_env() -> Config {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Config {
            database_url: var("DATABASE_URL").unwrap_or_else(|| "sqlite://data/couponry.db?mode=rwc".into()),
            max_connections: var("COUPONRY_DB_CONNECTIONS").and_then(|v| v.parse().ok()).unwrap_or(16),
            admin_email: var("COUPONRY_ADMIN_EMAIL").unwrap_or_else(|| "admin@couponry.local".into()),
            admin_password: var("COUPONRY_ADMIN_PASSWORD"),
            session_hours: var("COUPONRY_SESSION_HOURS").and_then(|v| v.parse().ok()).unwrap_or(12),
            validate_per_key: var("COUPONRY_VALIDATE_PER_KEY").and_then(|v| v.parse().ok()).unwrap_or(12_000),
            validate_per_user: var("COUPONRY_VALIDATE_PER_USER").and_then(|v| v.parse().ok()).unwrap_or(30),
            max_upload_bytes: var("COUPONRY_MAX_UPLOAD_MB").and_then(|v| v.parse::<u64>().ok()).unwrap_or(200) << 20,
            scheduler_tick: Some(std::time::Duration::from_millis(
                var("COUPONRY_SCHEDULER_MS").and_then(|v| v.parse().ok()).unwrap_or(5_000),
            ))
            .filter(|t| !t.is_zero()),
        }
    }
}
