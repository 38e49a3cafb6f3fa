//! Cashback wallets: a ledger of entries and a balance the database keeps from going negative.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletEntry {
    pub id: i64,
    pub points: i64,
    pub kind: String,
    pub redemption_id: Option<i64>,
    pub shortfall: i64,
    pub note: Option<String>,
    pub created_at: i64,
}

#[cfg(feature = "ssr")]
mod store {
    use chrono::{DateTime, Utc};

    use super::WalletEntry;
    use crate::db::{Db, Tx};
    use crate::error::AppError;

    async fn entry(
        tx: &mut Tx,
        user_id: &str,
        points: i64,
        kind: &str,
        redemption_id: Option<i64>,
        shortfall: i64,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        sqlx::query(
            "INSERT INTO wallet_entries (user_id, points, kind, redemption_id, shortfall, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(user_id)
        .bind(points)
        .bind(kind)
        .bind(redemption_id)
        .bind(shortfall)
        .bind(now.timestamp_millis())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Credits a redemption's cashback.
    pub async fn credit_cashback(
        tx: &mut Tx,
        user_id: &str,
        points: i64,
        redemption_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        sqlx::query(
            "INSERT INTO wallets (user_id, balance, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (user_id) DO UPDATE SET balance = wallets.balance + excluded.balance, updated_at = excluded.updated_at",
        )
        .bind(user_id)
        .bind(points)
        .bind(now.timestamp_millis())
        .execute(&mut **tx)
        .await?;
        entry(tx, user_id, points, "cashback", Some(redemption_id), 0, now).await
    }

    /// Takes a reversed redemption's cashback back: what is still there, recording the rest as a
    /// shortfall (the shopper spent it already).
    pub async fn debit_reversal(
        tx: &mut Tx,
        user_id: &str,
        points: i64,
        redemption_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
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
        entry(tx, user_id, -taken, "reversal", Some(redemption_id), points - taken, now).await
    }

    pub async fn balance(db: &Db, user_id: &str) -> Result<i64, AppError> {
        let balance: Option<i64> = sqlx::query_scalar("SELECT balance FROM wallets WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(db.pool())
            .await?;
        Ok(balance.unwrap_or(0))
    }

    pub async fn entries(db: &Db, user_id: &str, limit: i64) -> Result<Vec<WalletEntry>, AppError> {
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
