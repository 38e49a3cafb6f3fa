//! The user's coupon tray: visible coupons they can use now (their own assignments and the
//! general coupons they qualify for), with code, expiry and uses left, soonest expiry first.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TrayEntry {
    pub coupon_id: i64,
    pub name: String,
    pub description: String,
    pub summary: String,
    pub code: Option<String>,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = DateTime))]
    #[serde(with = "crate::dates::rfc3339::option")]
    pub expires_at: Option<i64>,
    /// The fewest uses any limit still allows this user; `None` when nothing limits it.
    pub uses_left: Option<i64>,
    pub assigned: bool,
}

#[cfg(feature = "ssr")]
mod store {
    use chrono::{DateTime, Utc};
    use sqlx::AnyConnection;

    use super::TrayEntry;
    use crate::redemption::decision::Usage;
    use crate::redemption::reasons::Reason;

    use crate::coupons::summary::describe_definition;
    use crate::db::{Db, StoreError};
    use crate::redemption::cart::Cart;
    use crate::redemption::decision::decide;
    use crate::redemption::store::{load_facts, Target};

    /// Reasons that depend on the cart: the tray lists coupons before there is one.
    fn about_the_cart(reason: Reason) -> bool {
        matches!(
            reason,
            Reason::CartConditionsNotMet | Reason::NoEligibleItems | Reason::CurrencyMismatch | Reason::BudgetExhausted
        )
    }

    fn uses_left(limits: &crate::coupons::definition::Limits, usage: &Usage) -> Option<i64> {
        let per_user = limits.per_user.map(|l| i64::from(l) - usage.user_uses);
        let global = limits.global.map(|l| i64::from(l) - usage.global_uses);
        let caps = limits.caps.iter().zip(&usage.cap_uses).map(|(c, used)| Some(i64::from(c.limit) - used));
        [per_user, global].into_iter().chain(caps).flatten().min().map(|n| n.max(0))
    }

    async fn candidates(conn: &mut AnyConnection, user_id: &str) -> Result<Vec<(i64, bool)>, StoreError> {
        Ok(sqlx::query_as::<_, (i64, i64)>(
            "SELECT c.id, CASE WHEN a.id IS NULL THEN 0 ELSE 1 END FROM coupons c
         LEFT JOIN assignments a ON a.coupon_id = c.id AND a.user_id = $1
         WHERE c.status = 'active' AND c.visibility = 'visible'
           AND (a.id IS NOT NULL OR (c.audience = 'all_users' AND c.distribution = 'static'))
         ORDER BY c.id",
        )
        .bind(user_id)
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(|(id, assigned)| (id, assigned == 1))
        .collect())
    }

    pub async fn for_user(db: &Db, user_id: &str, now: DateTime<Utc>) -> Result<Vec<TrayEntry>, StoreError> {
        let mut conn = db.pool().acquire().await?;
        let mut tray = Vec::new();
        for (coupon_id, assigned) in candidates(&mut conn, user_id).await? {
            let Ok(facts) = load_facts(&mut conn, user_id, &Target::Coupon(coupon_id), now).await? else { continue };
            let d = &facts.coupon.definition;
            let empty = Cart { currency: d.currency, items: vec![], fees: vec![], properties: Default::default() };
            let decision = decide(&facts.coupon, facts.code.as_ref(), &facts.user, &empty, &facts.usage, now);
            if decision.refusals.iter().any(|r| !about_the_cart(r.reason)) {
                continue;
            }
            // The earlier of the coupon's (or assignment's) expiry and the code's own.
            let expires_at = [
                facts.coupon.expires_at(facts.user.assignment.as_ref()),
                facts.code.as_ref().and_then(|c| c.expires_at),
            ]
            .into_iter()
            .flatten()
            .min();
            let code = facts.code.map(|c| c.code).or_else(|| d.static_code().map(String::from));
            tray.push(TrayEntry {
                coupon_id,
                name: d.name.clone(),
                description: d.description.clone(),
                summary: describe_definition(d),
                code,
                expires_at,
                uses_left: uses_left(&d.limits, &facts.usage),
                assigned,
            });
        }
        tray.sort_by_key(|e| (e.expires_at.is_none(), e.expires_at, e.coupon_id));
        Ok(tray)
    }
}

#[cfg(feature = "ssr")]
pub use store::for_user;
