//! The store layer's error: the database failed, or data did not encode or read back. Domain
//! errors wrap it; the edges turn it into an answer and log it there, once, with its context.

use std::fmt::Display;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A value that does not encode, or a stored row that does not read back: a bug to look at.
    #[error("{what}: {detail}")]
    Corrupt { what: &'static str, detail: String },
    /// Another writer changed what this one counted on; trying again helps.
    #[error("{what}")]
    Raced { what: &'static str },
}

impl StoreError {
    pub fn corrupt(what: &'static str, detail: impl Display) -> StoreError {
        StoreError::Corrupt { what, detail: detail.to_string() }
    }

    /// What kind of failure this is, for the answer it gets.
    pub fn fault(&self) -> Fault {
        match self {
            StoreError::Database(e) => fault(e),
            StoreError::Corrupt { .. } => Fault::Bug,
            StoreError::Raced { .. } => Fault::Raced,
        }
    }
}

/// `From<sqlx::Error>` for a domain error whose `Store` variant wraps [`StoreError`], so `?` on
/// a query works in its functions.
#[macro_export]
macro_rules! store_errors_into {
    ($($error:ty),+ $(,)?) => {$(
        impl From<sqlx::Error> for $error {
            fn from(e: sqlx::Error) -> Self {
                <$error>::Store(e.into())
            }
        }
    )+};
}

/// What kind of failure a database error is, for the answer it gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Waiting helps: the pool is exhausted, the server unreachable, the file locked, a
    /// deadlock or serialization failure was rolled back.
    Unavailable,
    /// No room left to store the change.
    Full,
    /// Another writer won a race this one cares about: the caller may try again.
    Raced,
    /// Anything else: a bug to look at.
    Bug,
}

pub fn fault(err: &sqlx::Error) -> Fault {
    use sqlx::Error as E;
    match err {
        E::PoolTimedOut | E::PoolClosed | E::Io(_) | E::Tls(_) | E::WorkerCrashed => Fault::Unavailable,
        E::Database(db) => {
            let code = db.code().unwrap_or_default();
            // SQLite's primary result code is the low byte of its extended one.
            let sqlite = code.parse::<i32>().ok().map(|c| c & 0xff);
            match (sqlite, code.as_ref()) {
                // SQLITE_FULL; PostgreSQL's disk_full.
                (Some(13), _) | (_, "53100") => Fault::Full,
                // SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_PROTOCOL.
                (Some(5 | 6 | 10 | 14 | 15), _) => Fault::Unavailable,
                // PostgreSQL: connection exceptions, serialization failure, deadlock, too many
                // connections, shutting down or starting up, query cancelled for a conflict.
                (None, c) if c.starts_with("08") || c.starts_with("57P") || c.starts_with("53") => Fault::Unavailable,
                (None, "40001" | "40P01") => Fault::Unavailable,
                _ => Fault::Bug,
            }
        }
        _ => Fault::Bug,
    }
}
