//! Keep in sync: users who come to match a launched campaign's rule after its launch get its
//! coupon too, in the transaction that changed their properties.

use crate::audience::assignments::{Reach, Run};
use crate::audience::users::{self, AppUser};
use crate::conditions::Properties;
use crate::conditions::Rule;
use crate::coupons::store as coupons;
use crate::db::{now_ms, Db, StoreError, Tx};

/// Creates the user or replaces their properties, and assigns the coupons of the keep-in-sync
/// campaigns they now match, in one transaction.
pub async fn save_user(db: &Db, user_id: &str, properties: &Properties) -> Result<AppUser, StoreError> {
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    let user = users::upsert(&mut tx, user_id, properties, now).await?;
    users_changed(&mut tx, Changed::One(user_id), now).await?;
    tx.commit().await?;
    Ok(user)
}

/// Whose properties just changed.
#[derive(Debug, Clone, Copy)]
pub enum Changed<'a> {
    One(&'a str),
    /// Every user written at or after this instant (a bulk import).
    Since(i64),
}

/// Assigns the coupons of keep-in-sync campaigns to the changed users they now match. A
/// unique-code coupon whose codes ran out reaches as many as it has codes for; the coupon page
/// shows the empty pool.
pub async fn users_changed(tx: &mut Tx, changed: Changed<'_>, now: i64) -> Result<u64, StoreError> {
    let campaigns: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT c.id, c.coupon_id, c.rule FROM campaigns c JOIN coupons k ON k.id = c.coupon_id
         WHERE c.status = 'launched' AND c.keep_in_sync = 1 AND k.status IN ('draft', 'active')
         ORDER BY c.id",
    )
    .fetch_all(&mut **tx)
    .await?;
    let reach = match changed {
        Changed::One(user_id) => Reach::User(user_id),
        Changed::Since(at) => Reach::UpdatedSince(at),
    };
    let mut assigned = 0;
    for (campaign_id, coupon_id, rule) in campaigns {
        let rule: Rule = serde_json::from_str(&rule)
            .map_err(|e| StoreError::corrupt("campaigns::sync: stored JSON does not read back", e))?;
        let Some(coupon) = coupons::find(tx, coupon_id).await? else { continue };
        let run = Run { coupon: &coupon, campaign_id, rule: &rule, reach, now };
        assigned += run.assign(tx).await?;
    }
    Ok(assigned)
}
