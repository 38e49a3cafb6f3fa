//! The redemption rows: what was redeemed, by whom, for how much, and the buckets it counted in
//! (so that a reversal gives back exactly what it took).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use super::counters::Bucket;
use super::error::RedemptionError;
use crate::db::filters::{Arg, Filters};
use crate::db::{is_unique_violation, Db, StoreError, Tx};
use crate::metadata::Metadata;
use crate::redemption::decision::Quote;
use crate::redemption::request::Request;
use crate::redemption::returns::Returned;
use crate::redemption::stack::{Facts, StackDecision, Totals};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RedemptionStatus {
    Redeemed,
    Reversed,
}

crate::named! { RedemptionStatus: [Redeemed, Reversed] }

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Redemption {
    pub id: i64,
    /// The id of the first redemption recorded with it (itself when it was redeemed alone):
    /// coupons stacked on one cart share it, and are reversed together.
    pub group_id: i64,
    pub coupon_id: i64,
    pub code: Option<String>,
    pub user_id: String,
    pub order_id: Option<String>,
    pub currency: String,
    pub discount: i64,
    /// Named as in validate's answer and the totals.
    #[serde(rename = "cashback_points", alias = "cashback")]
    pub cashback: i64,
    pub status: RedemptionStatus,
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    #[serde(with = "crate::dates::rfc3339")]
    pub redeemed_at: i64,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = DateTime))]
    #[serde(with = "crate::dates::rfc3339::option")]
    pub reversed_at: Option<i64>,
    pub quote: Quote,
    /// What the app sent with the redeem, as it sent it.
    #[schema(value_type = Object)]
    pub metadata: Metadata,
    /// What partial reverses gave back so far; `discount` and `cashback_points` above are what is
    /// left after them.
    #[serde(default)]
    pub returned: Returned,
}

/// The answer to a redeem: every coupon recorded (in the order sent), or refused with every reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RedeemOutcome {
    Redeemed { redemptions: Vec<Redemption>, totals: Totals },
    Refused(StackDecision),
}

/// Writes the redemption row.
pub(super) async fn record(
    tx: &mut Tx,
    f: &Facts,
    quote: Quote,
    buckets: &[Bucket],
    group: Option<i64>,
    req: &Request,
    now: DateTime<Utc>,
) -> Result<Redemption, RedemptionError> {
    let detail = encode(&Detail {
        quote: quote.clone(),
        buckets,
        metadata: req.metadata.clone(),
        returned: Returned::default(),
    })?;
    let inserted = sqlx::query_scalar::<_, i64>(
        "INSERT INTO redemptions (coupon_id, code_id, user_id, order_id, currency, discount, cashback, detail, status, redeemed_at, group_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'redeemed', $9, $10) RETURNING id",
    )
    .bind(f.coupon.id)
    .bind(f.code.as_ref().map(|c| c.id))
    .bind(&req.user_id)
    .bind(&req.order_id)
    .bind(&quote.currency)
    .bind(quote.discount)
    .bind(quote.cashback)
    .bind(detail)
    .bind(now.timestamp_millis())
    .bind(group)
    .fetch_one(&mut **tx)
    .await;
    let id = match inserted {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => {
            return Err(RedemptionError::OrderTaken {
                order_id: req.order_id.clone().unwrap_or_default(),
                coupon_id: f.coupon.id,
            })
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Redemption {
        id,
        group_id: group.unwrap_or(id),
        coupon_id: f.coupon.id,
        code: f.code.as_ref().map(|c| c.code.clone()),
        user_id: req.user_id.clone(),
        order_id: req.order_id.clone(),
        currency: quote.currency.clone(),
        discount: quote.discount,
        cashback: quote.cashback,
        status: RedemptionStatus::Redeemed,
        redeemed_at: now.timestamp_millis(),
        reversed_at: None,
        quote,
        metadata: req.metadata.clone(),
        returned: Returned::default(),
    })
}

/// What a redemption remembers so that its reversal gives back exactly what it took.
#[derive(Serialize, Deserialize)]
struct Detail<B = Vec<Bucket>> {
    quote: Quote,
    buckets: B,
    #[serde(default, skip_serializing_if = "Metadata::is_empty")]
    metadata: Metadata,
    #[serde(default, skip_serializing_if = "Returned::is_empty")]
    returned: Returned,
}

fn encode<B: Serialize>(detail: &Detail<B>) -> Result<String, StoreError> {
    serde_json::to_string(detail).map_err(|e| StoreError::corrupt("a redemption's detail as JSON", e))
}

/// Records a partial reverse on the row: what is left of its discount and cashback, and what
/// came back in total. The caller moved the counters by `back`.
pub(super) async fn save_return(
    tx: &mut Tx,
    r: &Redemption,
    buckets: &[Bucket],
    back: (i64, i64),
) -> Result<(), StoreError> {
    let detail = encode(&Detail {
        quote: r.quote.clone(),
        buckets,
        metadata: r.metadata.clone(),
        returned: r.returned.clone(),
    })?;
    sqlx::query("UPDATE redemptions SET discount = discount - $1, cashback = cashback - $2, detail = $3 WHERE id = $4")
        .bind(back.0)
        .bind(back.1)
        .bind(detail)
        .bind(r.id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct RedemptionRow {
    id: i64,
    group_id: i64,
    coupon_id: i64,
    code: Option<String>,
    user_id: String,
    order_id: Option<String>,
    currency: String,
    discount: i64,
    cashback: i64,
    detail: String,
    status: String,
    redeemed_at: i64,
    reversed_at: Option<i64>,
}

impl RedemptionRow {
    fn into_redemption(self) -> Result<(Redemption, Vec<Bucket>), StoreError> {
        let detail: Detail =
            serde_json::from_str(&self.detail).map_err(|e| StoreError::corrupt("a redemption's stored detail", e))?;
        Ok((
            Redemption {
                id: self.id,
                group_id: self.group_id,
                coupon_id: self.coupon_id,
                code: self.code,
                user_id: self.user_id,
                order_id: self.order_id,
                currency: self.currency,
                discount: self.discount,
                cashback: self.cashback,
                status: if self.status == "reversed" { RedemptionStatus::Reversed } else { RedemptionStatus::Redeemed },
                redeemed_at: self.redeemed_at,
                reversed_at: self.reversed_at,
                quote: detail.quote,
                metadata: detail.metadata,
                returned: detail.returned,
            },
            detail.buckets,
        ))
    }
}

const REDEMPTION_SELECT: &str = "SELECT r.id, COALESCE(r.group_id, r.id) AS group_id, r.coupon_id, k.code, r.user_id, r.order_id, r.currency, r.discount,
        r.cashback, r.detail, r.status, r.redeemed_at, r.reversed_at
    FROM redemptions r LEFT JOIN codes k ON k.id = r.code_id";

pub(super) async fn load(conn: &mut AnyConnection, id: i64) -> Result<Option<(Redemption, Vec<Bucket>)>, StoreError> {
    sqlx::query_as::<_, RedemptionRow>(&format!("{REDEMPTION_SELECT} WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .map(RedemptionRow::into_redemption)
        .transpose()
}

pub async fn get(db: &Db, id: i64) -> Result<Redemption, RedemptionError> {
    let mut conn = db.pool().acquire().await?;
    Ok(load(&mut conn, id).await?.ok_or(RedemptionError::NotFound)?.0)
}

/// Which redemptions a listing shows: every filter given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub coupon_id: Option<i64>,
    pub user_id: Option<String>,
    pub order_id: Option<String>,
    pub status: Option<RedemptionStatus>,
    /// Redeemed at or after, Unix milliseconds.
    pub from: Option<i64>,
    /// Redeemed before, Unix milliseconds.
    pub to: Option<i64>,
}

impl Filter {
    pub fn coupon(id: i64) -> Filter {
        Filter { coupon_id: Some(id), ..Filter::default() }
    }

    pub fn user(id: &str) -> Filter {
        Filter { user_id: Some(id.to_string()), ..Filter::default() }
    }
}

/// One page of the redemptions `filter` picks, newest first: `limit` of them after the
/// redemption `after`, and whether more follow. Each filter reads through an index: the coupon's
/// or the user's (by time), the order id's, or time alone.
pub async fn page(
    db: &Db,
    filter: &Filter,
    after: Option<i64>,
    limit: i64,
) -> Result<(Vec<Redemption>, bool), StoreError> {
    let mut w = Filters::default();
    if let Some(id) = filter.coupon_id {
        w.and("r.coupon_id = ?", Arg::Int(id));
    }
    if let Some(user) = filter.user_id.as_deref() {
        w.and("r.user_id = ?", Arg::Text(user));
    }
    if let Some(order) = filter.order_id.as_deref() {
        w.and("r.order_id = ?", Arg::Text(order));
    }
    if let Some(status) = filter.status {
        w.and("r.status = ?", Arg::Text(crate::wire::name(&status)));
    }
    if let Some(from) = filter.from {
        w.and("r.redeemed_at >= ?", Arg::Int(from));
    }
    if let Some(to) = filter.to {
        w.and("r.redeemed_at < ?", Arg::Int(to));
    }
    if let Some(after) = after {
        w.and("(r.redeemed_at, r.id) < (SELECT redeemed_at, id FROM redemptions WHERE id = ?)", Arg::Int(after));
    }
    let limit_at = w.arg(Arg::Int(limit + 1));
    let sql = format!("{REDEMPTION_SELECT} {} ORDER BY r.redeemed_at DESC, r.id DESC LIMIT {limit_at}", w.sql());
    let rows = w.bind(sqlx::query_as::<_, RedemptionRow>(&sql)).fetch_all(db.pool()).await?;
    let mut redemptions: Vec<Redemption> =
        rows.into_iter().map(|r| r.into_redemption().map(|(r, _)| r)).collect::<Result<_, _>>()?;
    let more = redemptions.len() as i64 > limit;
    redemptions.truncate(limit.max(0) as usize);
    Ok((redemptions, more))
}
