//! A code's life, as named transitions: the only writes to `codes` outside this module's own
//! import, generation and voiding. available → assigned (handed out) → redeemed → assigned again
//! on reverse; a static code is claimed by its coupon and voided when the coupon stops using it.
//! Each transition is one conditional statement, so two servers racing for a code cannot both win.

use crate::db::{StoreError, Tx};

/// Codes of a batch still importing, or refused, are stored but not seen: an import writes in
/// short transactions and its batch turns "ready" in one. Every read that finds codes for a
/// shopper (a lookup, a free code, a pool) adds this test on its `batch_id` column.
pub fn seen(batch_id: &str) -> String {
    format!("COALESCE({batch_id}, 0) NOT IN (SELECT id FROM code_batches WHERE status IN ('importing', 'failed'))")
}

/// The free codes of a coupon, bound as `$1`: unique, unassigned, in a batch that is seen.
pub fn free_codes_of(coupon: &str) -> String {
    format!(
        "coupon_id = {coupon} AND kind = 'unique' AND status = 'available' AND user_id IS NULL AND {}",
        seen("batch_id")
    )
}

/// Hands the next free code of a coupon to a user. When two servers pick the same code, one
/// wins and the other tries the next. `None` when the coupon has no free code left.
pub async fn hand_out_next(
    tx: &mut Tx,
    coupon_id: i64,
    user_id: &str,
    at: i64,
) -> Result<Option<(i64, String)>, StoreError> {
    for _ in 0..20 {
        let candidate: Option<i64> =
            sqlx::query_scalar(&format!("SELECT id FROM codes WHERE {} ORDER BY id LIMIT 1", free_codes_of("$1")))
                .bind(coupon_id)
                .fetch_optional(&mut **tx)
                .await?;
        let Some(id) = candidate else { return Ok(None) };
        let claimed: Option<String> = sqlx::query_scalar(
            "UPDATE codes SET status = 'assigned', user_id = $1, assigned_at = $2
             WHERE id = $3 AND status = 'available' AND user_id IS NULL RETURNING code",
        )
        .bind(user_id)
        .bind(at)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(code) = claimed {
            return Ok(Some((id, code)));
        }
    }
    Err(StoreError::Raced { what: "codes are being handed out too fast" })
}

/// Hands out the codes that a campaign run's assignments (made at `at`) point to; returns how
/// many were still free. Fewer than the assignments means another writer took some meanwhile.
pub async fn hand_out_to_campaign(tx: &mut Tx, campaign_id: i64, at: i64) -> Result<u64, StoreError> {
    Ok(sqlx::query(
        "UPDATE codes SET status = 'assigned', user_id = a.user_id, assigned_at = $1
         FROM assignments a
         WHERE a.campaign_id = $2 AND a.assigned_at = $3 AND a.code_id = codes.id
           AND codes.status = 'available' AND codes.user_id IS NULL",
    )
    .bind(at)
    .bind(campaign_id)
    .bind(at)
    .execute(&mut **tx)
    .await?
    .rows_affected())
}

/// Uses a unique code for `user_id`'s redemption; false when it was used meanwhile, or is held
/// by someone else.
pub async fn redeem(tx: &mut Tx, code_id: i64, user_id: &str, at: i64) -> Result<bool, StoreError> {
    let used = sqlx::query(
        "UPDATE codes SET status = 'redeemed', redeemed_at = $1, user_id = COALESCE(user_id, $2)
         WHERE id = $3 AND status IN ('available', 'assigned') AND (user_id IS NULL OR user_id = $2)",
    )
    .bind(at)
    .bind(user_id)
    .bind(code_id)
    .execute(&mut **tx)
    .await?;
    Ok(used.rows_affected() == 1)
}

/// Gives the unique code of a reversed redemption back to the user who used it.
pub async fn unredeem(tx: &mut Tx, redemption_id: i64) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE codes SET status = 'assigned', redeemed_at = NULL
         WHERE id = (SELECT code_id FROM redemptions WHERE id = $1) AND kind = 'unique' AND status = 'redeemed'",
    )
    .bind(redemption_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Makes `code` (or none, when empty) the coupon's static code: a code no longer used is voided
/// (kept, so old redemptions still name it and it is never handed to another coupon); the new
/// one is claimed. False when another coupon holds it.
pub async fn set_static(tx: &mut Tx, coupon_id: i64, code: &str) -> Result<bool, StoreError> {
    sqlx::query(
        "UPDATE codes SET status = 'void' WHERE coupon_id = $1 AND kind = 'static' AND code <> $2 AND status <> 'void'",
    )
    .bind(coupon_id)
    .bind(code)
    .execute(&mut **tx)
    .await?;
    if code.is_empty() {
        return Ok(true);
    }
    let claimed: Option<i64> = sqlx::query_scalar(
        "INSERT INTO codes (code, coupon_id, kind, status) VALUES ($1, $2, 'static', 'available')
         ON CONFLICT (code) DO UPDATE SET status = 'available'
         WHERE codes.coupon_id = excluded.coupon_id AND codes.kind = 'static'
         RETURNING id",
    )
    .bind(code)
    .bind(coupon_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(claimed.is_some())
}
