//! Cashback wallets: a ledger of entries and a balance the database keeps from going negative.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WalletEntry {
    pub id: i64,
    pub points: i64,
    pub kind: String,
    pub redemption_id: Option<i64>,
    pub shortfall: i64,
    pub note: Option<String>,
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    #[serde(with = "crate::dates::rfc3339")]
    pub created_at: i64,
}

/// The most points one transaction from the app may move.
pub const MAX_POINTS: i64 = 1_000_000_000_000;
const MAX_NOTE: usize = 200;

/// A credit or debit the app asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Positive to credit, negative to debit.
    pub points: i64,
    pub note: Option<String>,
}

impl Change {
    /// Checks a request's `type` (`credit` or `debit`), `points` and `note`.
    pub fn parse(kind: &str, points: i64, note: Option<String>) -> Result<Change, crate::fields::FieldErrors> {
        let mut errors = crate::fields::FieldErrors::default();
        let sign = match kind {
            "credit" => 1,
            "debit" => -1,
            _ => {
                errors.add("type", "credit or debit");
                0
            }
        };
        if !(1..=MAX_POINTS).contains(&points) {
            errors.add("points", format!("a whole number of points from 1 to {MAX_POINTS}"));
        }
        let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
        if note.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTE) {
            errors.add("note", format!("at most {MAX_NOTE} characters"));
        }
        if errors.is_empty() {
            Ok(Change { points: sign * points, note })
        } else {
            Err(errors)
        }
    }
}

/// A transaction the app made, and the balance after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Transaction {
    pub transaction: WalletEntry,
    pub balance: i64,
}

/// Why a wallet change was not made.
#[cfg(feature = "ssr")]
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    #[error("the balance is {balance} points, too few for a debit of {debit}")]
    TooFew { balance: i64, debit: i64 },
    #[error(transparent)]
    Idempotency(#[from] crate::idempotency::IdempotencyError),
    #[error(transparent)]
    Store(#[from] crate::db::StoreError),
}
#[cfg(feature = "ssr")]
crate::store_errors_into!(WalletError);

#[cfg(feature = "ssr")]
mod store {
    use chrono::{DateTime, Utc};

    use super::{Change, Transaction, WalletEntry, WalletError};
    use crate::db::{Db, StoreError, Tx};
    use crate::idempotency::{self, Idempotency};

    #[allow(clippy::too_many_arguments)]
    async fn entry(
        tx: &mut Tx,
        user_id: &str,
        points: i64,
        kind: &str,
        redemption_id: Option<i64>,
        shortfall: i64,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<WalletEntry, StoreError> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO wallet_entries (user_id, points, kind, redemption_id, shortfall, note, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(user_id)
        .bind(points)
        .bind(kind)
        .bind(redemption_id)
        .bind(shortfall)
        .bind(note)
        .bind(now.timestamp_millis())
        .fetch_one(&mut **tx)
        .await?;
        Ok(WalletEntry {
            id,
            points,
            kind: kind.to_string(),
            redemption_id,
            shortfall,
            note: note.map(str::to_string),
            created_at: now.timestamp_millis(),
        })
    }

    /// Adds points to a wallet, creating it; returns the new balance.
    async fn add(tx: &mut Tx, user_id: &str, points: i64, now: DateTime<Utc>) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO wallets (user_id, balance, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (user_id) DO UPDATE SET balance = wallets.balance + excluded.balance, updated_at = excluded.updated_at
             RETURNING balance",
        )
        .bind(user_id)
        .bind(points)
        .bind(now.timestamp_millis())
        .fetch_one(&mut **tx)
        .await?)
    }

    /// Credits or debits points for the app. A debit larger than the balance is refused whole
    /// (the conditional update is the check, so concurrent debits cannot overdraw). With an
    /// idempotency key, a retry answers the first transaction (`true`: a replay).
    pub async fn transact(
        db: &Db,
        user_id: &str,
        change: &Change,
        idem: Option<&Idempotency>,
        now: DateTime<Utc>,
    ) -> Result<(Transaction, bool), WalletError> {
        let mut tx = db.begin_write().await?;
        if let Some(idem) = idem {
            if let Some(stored) = idempotency::claim(&mut tx, idem, now).await? {
                tx.rollback().await?;
                let replay = serde_json::from_str(&stored)
                    .map_err(|e| StoreError::corrupt("wallet: stored JSON does not read back", e))?;
                return Ok((replay, true));
            }
        }
        let balance = if change.points > 0 {
            Some(add(&mut tx, user_id, change.points, now).await?)
        } else {
            sqlx::query_scalar(
                "UPDATE wallets SET balance = balance - $1, updated_at = $2 WHERE user_id = $3 AND balance >= $1
                 RETURNING balance",
            )
            .bind(-change.points)
            .bind(now.timestamp_millis())
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?
        };
        let Some(balance) = balance else {
            tx.rollback().await?;
            let balance = super::balance(db, user_id).await?;
            return Err(WalletError::TooFew { balance, debit: -change.points });
        };
        let kind = if change.points > 0 { "credit" } else { "debit" };
        let transaction = entry(&mut tx, user_id, change.points, kind, None, 0, change.note.as_deref(), now).await?;
        let answer = Transaction { transaction, balance };
        if let Some(idem) = idem {
            let stored =
                serde_json::to_string(&answer).map_err(|e| StoreError::corrupt("wallet: cannot encode JSON", e))?;
            idempotency::finish(&mut tx, idem, 201, &stored).await?;
        }
        tx.commit().await?;
        Ok((answer, false))
    }

    /// Credits a redemption's cashback.
    pub async fn credit_cashback(
        tx: &mut Tx,
        user_id: &str,
        points: i64,
        redemption_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        add(tx, user_id, points, now).await?;
        entry(tx, user_id, points, "cashback", Some(redemption_id), 0, None, now).await?;
        Ok(())
    }

    /// Takes a reversed redemption's cashback back: what is still there, recording the rest as a
    /// shortfall (the shopper spent it already).
    pub async fn debit_reversal(
        tx: &mut Tx,
        user_id: &str,
        points: i64,
        redemption_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        // This UPDATE locks the row (on PostgreSQL) so the balance read is the one debited.
        let balance: Option<i64> =
            sqlx::query_scalar("UPDATE wallets SET updated_at = $1 WHERE user_id = $2 RETURNING balance")
                .bind(now.timestamp_millis())
                .bind(user_id)
                .fetch_optional(&mut **tx)
                .await?;
        let taken = balance.unwrap_or(0).min(points);
        if taken > 0 {
            sqlx::query("UPDATE wallets SET balance = balance - $1 WHERE user_id = $2")
                .bind(taken)
                .bind(user_id)
                .execute(&mut **tx)
                .await?;
        }
        entry(tx, user_id, -taken, "reversal", Some(redemption_id), points - taken, None, now).await?;
        Ok(())
    }

    pub async fn balance(db: &Db, user_id: &str) -> Result<i64, StoreError> {
        let balance: Option<i64> = sqlx::query_scalar("SELECT balance FROM wallets WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(db.pool())
            .await?;
        Ok(balance.unwrap_or(0))
    }

    pub async fn entries(db: &Db, user_id: &str, limit: i64) -> Result<Vec<WalletEntry>, StoreError> {
        type Row = (i64, i64, String, Option<i64>, i64, Option<String>, i64);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, points, kind, redemption_id, shortfall, note, created_at FROM wallet_entries
             WHERE user_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(user_id)
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, points, kind, redemption_id, shortfall, note, created_at)| WalletEntry {
                id,
                points,
                kind,
                redemption_id,
                shortfall,
                note,
                created_at,
            })
            .collect())
    }
}

#[cfg(feature = "ssr")]
pub use store::*;
