//! Reverse: a redemption and the coupons stacked with it give back everything they took.

use chrono::{DateTime, Utc};

use super::counters::give_back;
use super::error::RedemptionError;
use super::ledger::{load, save_return, Redemption, RedemptionStatus};
use super::redeem::Replayable;
use crate::accounts::audit::{self, Actor};
use crate::activity;
use crate::codes::lifecycle;
use crate::db::{Db, StoreError, Tx};
use crate::idempotency::{self, Idempotency};
use crate::redemption::returns::Return;

/// Reverses a redemption and the coupons stacked with it on the same cart (their discounts were
/// computed on each other): every bucket each counted in gets its use, discount and cashback
/// back, a unique code becomes usable again by its user, and the cashback leaves the wallet.
/// Reversing a reversed redemption changes nothing and answers the same. Returns the redemption
/// asked for, and whether this call reversed it. The audit log records who reversed what.
pub async fn reverse(
    db: &Db,
    id: i64,
    reason: Option<&str>,
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
        let after = serde_json::json!({"status": "reversed", "reversed": flipped, "reason": reason});
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
    give_back(tx, redemption.coupon_id, &buckets, 1, redemption.discount, redemption.cashback).await?;
    lifecycle::unredeem(tx, id).await?;
    if redemption.cashback > 0 {
        crate::wallet::debit_reversal(tx, &redemption.user_id, redemption.cashback, id, now).await?;
    }
    Ok(Some(redemption))
}

/// What keeps one return from being given twice: the API's idempotency key (a retry answers the
/// first answer again), or, in the dashboard, the discount the form was made with (a second click
/// or a second person finds it changed and is refused).
#[derive(Debug, Clone, Copy)]
pub enum Once<'a> {
    Key(&'a Idempotency),
    Seen(i64),
}

/// Characters in the reason a reverse or a return gives, at most.
pub const MAX_REASON: usize = 500;

/// Gives back the part of a redemption that `ret` returns (a partial refund): its share of the
/// discount goes back to the budget buckets and the analytics, its share of the cashback leaves
/// the wallet; the use stays counted. With an idempotency key, a retry answers the first answer
/// again instead of returning the part twice. Only this redemption moves, not the coupons stacked
/// with it: each has its own eligible amount, so the app returns each one's part.
pub async fn reverse_part(
    db: &Db,
    id: i64,
    ret: &Return,
    reason: Option<&str>,
    actor: &Actor,
    once: Once<'_>,
    now: DateTime<Utc>,
) -> Result<Replayable<Redemption>, RedemptionError> {
    let mut tx = db.begin_write().await?;
    let idem = match once {
        Once::Key(idem) => Some(idem),
        Once::Seen(_) => None,
    };
    if let Some(stored) = match idem {
        Some(idem) => idempotency::claim(&mut tx, idem, now).await?,
        None => None,
    } {
        tx.rollback().await?;
        let previous = serde_json::from_str(&stored).map_err(|e| StoreError::corrupt("a stored partial reverse", e))?;
        return Ok(Replayable::Replay(previous));
    }
    // Touch the row first so that, on PostgreSQL, two returns of one redemption take turns.
    let found = sqlx::query("UPDATE redemptions SET status = status WHERE id = $1").bind(id).execute(&mut *tx).await?;
    if found.rows_affected() == 0 {
        return Err(RedemptionError::NotFound);
    }
    let (mut r, buckets) = load(&mut tx, id).await?.ok_or(RedemptionError::NotFound)?;
    if r.status != RedemptionStatus::Redeemed {
        return Err(RedemptionError::AlreadyReversed);
    }
    if matches!(once, Once::Seen(d) if d != r.discount) {
        return Err(RedemptionError::Changed);
    }
    let before = r.returned.clone();
    let (discount, cashback) = r.returned.add(&r.quote, ret).map_err(RedemptionError::Invalid)?;
    save_return(&mut tx, &r, &buckets, (discount, cashback)).await?;
    give_back(&mut tx, r.coupon_id, &buckets, 0, discount, cashback).await?;
    let part = activity::Reversed {
        coupon_id: r.coupon_id,
        redemption_id: id,
        redeemed_at: r.redeemed_at,
        discount,
        cashback,
    };
    activity::returned(&mut tx, &part).await?;
    if cashback > 0 {
        crate::wallet::debit_reversal(&mut tx, &r.user_id, cashback, id, now).await?;
    }
    r.discount -= discount;
    r.cashback -= cashback;
    let after = serde_json::json!({"returned": r.returned, "gave_back": {"discount": discount, "cashback_points": cashback}, "reason": reason});
    audit::record(&mut tx, actor, "redemption.return", ("redemption", id.to_string()), Some(&before), Some(&after))
        .await?;
    if let Some(idem) = idem {
        let stored = serde_json::to_string(&r).map_err(|e| StoreError::corrupt("a partial reverse as JSON", e))?;
        idempotency::finish(&mut tx, idem, 200, &stored).await?;
    }
    tx.commit().await?;
    Ok(Replayable::Fresh(r))
}
