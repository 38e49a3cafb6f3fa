//! The limit buckets (`usage_counters`): one row per coupon, user and calendar period, moved by
//! a conditional upsert so the row itself refuses a use past its limit or budget.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::coupons::definition::{CapScope, CouponDefinition};
use crate::db::{Db, StoreError, Tx};
use crate::redemption::decision::Quote;
use crate::redemption::periods::{period_key, period_name};
use crate::redemption::reasons::Reason;
use crate::redemption::{CapUsage, Usage};

/// One row of `usage_counters` that a redemption counts in, with the limit it must stay under.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Bucket {
    /// Empty for the coupon-wide counters.
    pub user_id: String,
    pub period: String,
    pub key: i64,
    #[serde(skip)]
    pub limit: Option<i64>,
    /// Only the coupon-wide all-time bucket carries the budgets.
    #[serde(skip)]
    pub budgets: (Option<i64>, Option<i64>),
}

/// Every bucket a redemption by `user_id` at `at` counts in, in a fixed order (so concurrent
/// transactions lock rows in the same order and never deadlock).
pub fn buckets(d: &CouponDefinition, user_id: &str, at: DateTime<Utc>) -> Vec<Bucket> {
    let l = &d.limits;
    let mut all = vec![
        Bucket {
            user_id: String::new(),
            period: "all".into(),
            key: 0,
            limit: l.global.map(i64::from),
            budgets: (l.budget_discount, l.budget_cashback),
        },
        Bucket {
            user_id: user_id.to_string(),
            period: "all".into(),
            key: 0,
            limit: l.per_user.map(i64::from),
            budgets: (None, None),
        },
    ];
    for cap in &l.caps {
        let user = match cap.scope {
            CapScope::Global => String::new(),
            CapScope::PerUser => user_id.to_string(),
        };
        let period = period_name(cap.period).to_string();
        let key = period_key(cap.period, d.time_zone, at);
        let limit = i64::from(cap.limit);
        match all.iter_mut().find(|b| b.user_id == user && b.period == period) {
            Some(b) => b.limit = Some(b.limit.map_or(limit, |l| l.min(limit))),
            None => all.push(Bucket { user_id: user, period, key, limit: Some(limit), budgets: (None, None) }),
        }
    }
    all.sort();
    all
}

/// The coupon-wide counters as they stand at `at`: all-time uses and money, and each global
/// cap's current period (a period nobody has redeemed in yet reads as zero).
pub async fn usage(db: &Db, coupon_id: i64, d: &CouponDefinition, at: DateTime<Utc>) -> Result<Usage, StoreError> {
    let read = |period: &'static str, key: i64| {
        sqlx::query_as::<_, (i64, i64, i64)>(
            "SELECT uses, discount, cashback FROM usage_counters
             WHERE coupon_id = $1 AND user_id = '' AND period = $2 AND period_key = $3",
        )
        .bind(coupon_id)
        .bind(period)
        .bind(key)
        .fetch_optional(db.pool())
    };
    let (uses, discount, cashback) = read("all", 0).await?.unwrap_or_default();
    let mut caps = Vec::new();
    for cap in d.limits.caps.iter().filter(|c| c.scope == CapScope::Global) {
        let (used, _, _) =
            read(period_name(cap.period), period_key(cap.period, d.time_zone, at)).await?.unwrap_or_default();
        caps.push(CapUsage { period: cap.period, used, limit: i64::from(cap.limit) });
    }
    Ok(Usage { uses, discount, cashback, caps })
}

/// Moves every bucket the coupon counts in; `Err` names the limit that was full.
pub(super) async fn take(
    tx: &mut Tx,
    coupon_id: i64,
    buckets: &[Bucket],
    quote: &Quote,
) -> Result<Result<(), Reason>, StoreError> {
    for b in buckets {
        if !count_use(tx, coupon_id, b, quote.discount, quote.cashback).await? {
            return Ok(Err(bucket_reason(tx, coupon_id, b, quote).await?));
        }
    }
    Ok(Ok(()))
}

/// Adds one use (and the discount and cashback) to a bucket, unless that would pass its limit
/// or budget. The check and the write are one statement: the database row decides.
async fn count_use(tx: &mut Tx, coupon_id: i64, b: &Bucket, discount: i64, cashback: i64) -> Result<bool, StoreError> {
    let moved: Option<i64> = sqlx::query_scalar(
        "INSERT INTO usage_counters (coupon_id, user_id, period, period_key, uses, discount, cashback)
         VALUES ($1, $2, $3, $4, 1, $5, $6)
         ON CONFLICT (coupon_id, user_id, period, period_key) DO UPDATE SET
             uses = usage_counters.uses + 1,
             discount = usage_counters.discount + excluded.discount,
             cashback = usage_counters.cashback + excluded.cashback
         WHERE (CAST($7 AS BIGINT) IS NULL OR usage_counters.uses < CAST($7 AS BIGINT))
           AND (CAST($8 AS BIGINT) IS NULL OR usage_counters.discount + excluded.discount <= CAST($8 AS BIGINT))
           AND (CAST($9 AS BIGINT) IS NULL OR usage_counters.cashback + excluded.cashback <= CAST($9 AS BIGINT))
         RETURNING uses",
    )
    .bind(coupon_id)
    .bind(&b.user_id)
    .bind(&b.period)
    .bind(b.key)
    .bind(discount)
    .bind(cashback)
    .bind(b.limit)
    .bind(b.budgets.0)
    .bind(b.budgets.1)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(moved.is_some())
}

/// Which limit a full bucket stands for.
async fn bucket_reason(tx: &mut Tx, coupon_id: i64, b: &Bucket, quote: &Quote) -> Result<Reason, StoreError> {
    Ok(match (b.user_id.is_empty(), b.period.as_str()) {
        (false, "all") => Reason::PerUserLimitReached,
        (true, "all") => {
            let uses: i64 = sqlx::query_scalar(
                "SELECT uses FROM usage_counters WHERE coupon_id = $1 AND user_id = '' AND period = 'all' AND period_key = 0",
            )
            .bind(coupon_id)
            .fetch_one(&mut **tx)
            .await?;
            if b.limit.is_some_and(|l| uses >= l) || quote.discount == 0 && quote.cashback == 0 {
                Reason::GlobalLimitReached
            } else {
                Reason::BudgetExhausted
            }
        }
        _ => Reason::PeriodCapReached,
    })
}

/// Gives a reversed redemption's use, discount and cashback back to every bucket it counted in.
pub(super) async fn give_back(
    tx: &mut Tx,
    coupon_id: i64,
    buckets: &[Bucket],
    uses: i64,
    discount: i64,
    cashback: i64,
) -> Result<(), StoreError> {
    for b in buckets {
        sqlx::query(
            "UPDATE usage_counters SET uses = uses - $7, discount = discount - $1, cashback = cashback - $2
             WHERE coupon_id = $3 AND user_id = $4 AND period = $5 AND period_key = $6",
        )
        .bind(discount)
        .bind(cashback)
        .bind(coupon_id)
        .bind(&b.user_id)
        .bind(&b.period)
        .bind(b.key)
        .bind(uses)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
