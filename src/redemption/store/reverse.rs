//! Reverse: a redemption and the coupons stacked with it give back everything they took.

use chrono::{DateTime, Utc};

use super::counters::give_back;
use super::error::RedemptionError;
use super::ledger::{load, Redemption};
use crate::accounts::audit::{self, Actor};
use crate::activity;
use crate::codes::lifecycle;
use crate::db::{Db, Tx};

/// Reverses a redemption and the coupons stacked with it on the same cart (their discounts were
/// computed on each other): every bucket each counted in gets its use, discount and cashback
/// back, a unique code becomes usable again by its user, and the cashback leaves the wallet.
/// Reversing a reversed redemption changes nothing and answers the same. Returns the redemption
/// asked for, and whether this call reversed it. The audit log records who reversed what.
pub async fn reverse(
    db: &Db,
    id: i64,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(Redemption, bool), RedemptionError> {
    let mut tx = db.begin_write().await?;
    let group: i64 = sqlx::query_scalar("SELECT COALESCE(group_id, id) FROM redemptions WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(RedemptionError::NotFound)?;
    let members: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM redemptions WHERE id = $1 OR group_id = $1 ORDER BY coupon_id, id")
            .bind(group)
            .fetch_all(&mut *tx)
            .await?;
    let mut flipped = Vec::new();
    let mut counted = Vec::new();
    for member in members {
        if let Some(r) = reverse_one(&mut tx, member, now).await? {
            flipped.push(member);
            counted.push(activity::Reversed {
                coupon_id: r.coupon_id,
                redemption_id: r.id,
                redeemed_at: r.redeemed_at,
                discount: r.discount,
                cashback: r.cashback,
            });
        }
    }
    activity::reversed(&mut tx, &counted, now.timestamp_millis()).await?;
    let (redemption, _) = load(&mut tx, id).await?.ok_or(RedemptionError::NotFound)?;
    if !flipped.is_empty() {
        let after = serde_json::json!({"status": "reversed", "reversed": flipped});
        audit::record(&mut tx, actor, "redemption.reverse", ("redemption", id.to_string()), None::<&()>, Some(&after))
            .await?;
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    Ok((redemption, !flipped.is_empty()))
}

/// Reverses one redemption, unless it was reversed already; returns it as it was.
async fn reverse_one(tx: &mut Tx, id: i64, now: DateTime<Utc>) -> Result<Option<Redemption>, RedemptionError> {
    let flipped = sqlx::query(
        "UPDATE redemptions SET status = 'reversed', reversed_at = $1 WHERE id = $2 AND status = 'redeemed'",
    )
    .bind(now.timestamp_millis())
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        == 1;
    if !flipped {
        return Ok(None);
    }
    let (redemption, buckets) = load(tx, id).await?.ok_or(RedemptionError::NotFound)?;
    give_back(tx, redemption.coupon_id, &buckets, redemption.discount, redemption.cashback).await?;
    lifecycle::unredeem(tx, id).await?;
    if redemption.cashback > 0 {
        crate::wallet::debit_reversal(tx, &redemption.user_id, redemption.cashback, id, now).await?;
    }
    Ok(Some(redemption))
}
