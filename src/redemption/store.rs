//! Validate, redeem and reverse against the database. Redeem re-reads everything inside one write
//! transaction and moves every limit bucket with a conditional upsert, so no limit, cap, budget or
//! single-use code can be exceeded, whatever the number of requests or servers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use super::attempts::Attempts;
use super::cart::Cart;
use super::decision::*;
use super::periods::{period_key, period_name};
use super::reasons::{Reason, Refusal};
use super::stack::{decide_stack, Candidate, Facts, StackDecision, Totals};
use crate::accounts::audit::{self, Actor};
use crate::activity;
use crate::coupons::definition::{CapScope, CouponDefinition};
use crate::coupons::{store as coupons, Coupon};
use crate::db::{is_unique_violation, Backend, Db, Tx};
use crate::error::AppError;
use crate::idempotency::{self, Idempotency};

/// What the shopper used: a code they typed, or a coupon by id (using the code they hold).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Code(String),
    Coupon(i64),
}

/// A validate or redeem: one user, one cart, 1 to [`MAX_CODES`] codes or coupons.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub user_id: String,
    pub targets: Vec<Target>,
    pub cart: Cart,
    pub order_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RedemptionStatus {
    Redeemed,
    Reversed,
}

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
    pub cashback: i64,
    pub status: RedemptionStatus,
    pub redeemed_at: i64,
    pub reversed_at: Option<i64>,
    pub quote: Quote,
}

/// The answer to a redeem: every coupon recorded (in the order sent), or refused with every reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Redeemed { redemptions: Vec<Redemption>, totals: Totals },
    Refused(StackDecision),
}

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

#[derive(sqlx::FromRow)]
struct CodeRow {
    id: i64,
    code: String,
    coupon_id: i64,
    kind: String,
    user_id: Option<String>,
    status: String,
    expires_at: Option<i64>,
    batch_id: Option<i64>,
}

impl CodeRow {
    fn facts(self) -> CodeFacts {
        CodeFacts {
            id: self.id,
            code: self.code,
            kind: if self.kind == "static" { CodeKind::Static } else { CodeKind::Unique },
            user_id: self.user_id,
            status: match self.status.as_str() {
                "available" => CodeStatus::Available,
                "assigned" => CodeStatus::Assigned,
                "redeemed" => CodeStatus::Redeemed,
                _ => CodeStatus::Void,
            },
            expires_at: self.expires_at,
            batch_id: self.batch_id,
        }
    }
}

const CODE_COLUMNS: &str = "id, code, coupon_id, kind, user_id, status, expires_at, batch_id";

async fn code_by_text(conn: &mut AnyConnection, code: &str) -> Result<Option<CodeRow>, AppError> {
    let seen = crate::codes::store::seen("batch_id");
    Ok(sqlx::query_as::<_, CodeRow>(&format!("SELECT {CODE_COLUMNS} FROM codes WHERE code = $1 AND {seen}"))
        .bind(code)
        .fetch_optional(conn)
        .await?)
}

async fn code_by_id(conn: &mut AnyConnection, id: i64) -> Result<Option<CodeRow>, AppError> {
    Ok(sqlx::query_as::<_, CodeRow>(&format!("SELECT {CODE_COLUMNS} FROM codes WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

async fn user_facts(conn: &mut AnyConnection, coupon_id: i64, user_id: &str) -> Result<UserFacts, AppError> {
    let properties: Option<String> = sqlx::query_scalar("SELECT properties FROM app_users WHERE user_id = $1")
        .bind(user_id)
        .fetch_optional(&mut *conn)
        .await?;
    let properties = properties.and_then(|p| serde_json::from_str(&p).ok()).unwrap_or_default();
    let assignment: Option<(i64, Option<i64>, Option<i64>)> = sqlx::query_as(
        "SELECT assigned_at, activated_at, code_id FROM assignments WHERE coupon_id = $1 AND user_id = $2",
    )
    .bind(coupon_id)
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(UserFacts {
        user_id: user_id.to_string(),
        properties,
        assignment: assignment.map(|(assigned_at, activated_at, code_id)| AssignmentFacts {
            assigned_at,
            activated_at,
            code_id,
        }),
    })
}

async fn usage(
    conn: &mut AnyConnection,
    coupon: &Coupon,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<Usage, AppError> {
    let rows: Vec<(String, String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT user_id, period, period_key, uses, discount, cashback FROM usage_counters
         WHERE coupon_id = $1 AND (user_id = '' OR user_id = $2)",
    )
    .bind(coupon.id)
    .bind(user_id)
    .fetch_all(conn)
    .await?;
    let find = |user: &str, period: &str, key: i64| {
        rows.iter().find(|r| r.0 == user && r.1 == period && r.2 == key).map(|r| (r.3, r.4, r.5)).unwrap_or_default()
    };
    let d = &coupon.definition;
    let global = find("", "all", 0);
    Ok(Usage {
        user_uses: find(user_id, "all", 0).0,
        global_uses: global.0,
        discount_given: global.1,
        cashback_given: global.2,
        cap_uses: d
            .limits
            .caps
            .iter()
            .map(|cap| {
                let user = if cap.scope == CapScope::PerUser { user_id } else { "" };
                find(user, period_name(cap.period), period_key(cap.period, d.time_zone, now)).0
            })
            .collect(),
    })
}

/// Finds the coupon and code a request names; `Err` is the decision for a code that leads nowhere.
pub async fn load_facts(
    conn: &mut AnyConnection,
    user_id: &str,
    target: &Target,
    now: DateTime<Utc>,
) -> Result<Result<Facts, Decision>, AppError> {
    let (coupon_id, typed_code) = match target {
        Target::Code(text) => {
            let Ok(normal) = crate::codes::normalize(text) else {
                return Ok(Err(Decision::code_not_found(text)));
            };
            match code_by_text(conn, &normal).await? {
                Some(row) => (row.coupon_id, Some(row.facts())),
                None => return Ok(Err(Decision::code_not_found(&normal))),
            }
        }
        Target::Coupon(id) => (*id, None),
    };
    let Some(coupon) = coupons::find(conn, coupon_id).await? else {
        return Ok(Err(Decision {
            coupon_id,
            code: None,
            refusals: vec![Refusal::new(Reason::CodeNotFound)],
            quote: None,
        }));
    };
    let user = user_facts(conn, coupon.id, user_id).await?;
    // A coupon named by id is used with the code the user holds, if any.
    let code = match (typed_code, user.assignment.as_ref().and_then(|a| a.code_id)) {
        (Some(code), _) => Some(code),
        (None, Some(held)) => code_by_id(conn, held).await?.map(CodeRow::facts),
        (None, None) => None,
    };
    let usage = usage(conn, &coupon, user_id, now).await?;
    Ok(Ok(Facts { coupon, code, user, usage }))
}

async fn candidates(conn: &mut AnyConnection, req: &Request, now: DateTime<Utc>) -> Result<Vec<Candidate>, AppError> {
    let mut all = Vec::with_capacity(req.targets.len());
    for target in &req.targets {
        all.push(match load_facts(conn, &req.user_id, target, now).await? {
            Ok(f) => Candidate::Found(Box::new(f)),
            Err(refused) => Candidate::Missing(refused),
        });
    }
    Ok(all)
}

/// Answers whether the request would redeem, and with what; writes nothing.
pub async fn validate(db: &Db, req: &Request, now: DateTime<Utc>) -> Result<StackDecision, AppError> {
    let mut conn = db.pool().acquire().await?;
    let candidates = candidates(&mut conn, req, now).await?;
    Ok(decide_stack(&candidates, &req.cart, now))
}

/// What a replayed idempotency key gives back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replayable<T> {
    Fresh(T),
    Replay(T),
}

/// Redeems, all or nothing: either every bucket moved, the code was used, the redemption and the
/// cashback were recorded, or nothing was.
/// Redeems, counting the attempt first: on PostgreSQL on its own (a key's bucket is one row that
/// every redemption of the key touches, so it must not be held for a whole transaction), on
/// SQLite inside the write transaction it takes anyway.
#[tracing::instrument(name = "redeem", skip_all, fields(user_id = %req.user_id, codes = req.targets.len()))]
pub async fn redeem(
    db: &Db,
    req: &Request,
    idempotency: Option<&Idempotency>,
    attempts: &Attempts,
    now: DateTime<Utc>,
) -> Result<Replayable<Outcome>, AppError> {
    let in_tx = db.backend() == Backend::Sqlite;
    if !in_tx {
        attempts.count(db, now.timestamp_millis()).await?;
    }
    let mut tx = db.begin_write().await?;
    if in_tx {
        attempts.count_in(&mut tx, now.timestamp_millis()).await?;
    }
    if let Some(idem) = idempotency {
        if let Some(previous) = claim_key(&mut tx, idem, now).await? {
            tx.rollback().await?;
            return Ok(Replayable::Replay(previous));
        }
    }
    let outcome = match redeem_in(&mut tx, req, now).await? {
        Ok((redemptions, totals)) => Outcome::Redeemed { redemptions, totals },
        Err(refused) => {
            // Undo any bucket moved before the refusal; keep only the idempotency record (and
            // the attempt, which a refusal counts as much as a success).
            tx.rollback().await?;
            tx = db.begin_write().await?;
            if in_tx {
                attempts.count_in(&mut tx, now.timestamp_millis()).await?;
            }
            if let Some(idem) = idempotency {
                if let Some(previous) = claim_key(&mut tx, idem, now).await? {
                    tx.rollback().await?;
                    return Ok(Replayable::Replay(previous));
                }
            }
            Outcome::Refused(refused)
        }
    };
    if let Some(idem) = idempotency {
        let stored = serde_json::to_string(&outcome)
            .map_err(|e| AppError::internal("redemption::store: cannot encode JSON", e))?;
        let status = if matches!(outcome, Outcome::Redeemed { .. }) { 201 } else { 422 };
        idempotency::finish(&mut tx, idem, status, &stored).await?;
    }
    tx.commit().await?;
    Ok(Replayable::Fresh(outcome))
}

/// A replay's stored outcome.
async fn claim_key(tx: &mut Tx, idem: &Idempotency, now: DateTime<Utc>) -> Result<Option<Outcome>, AppError> {
    match idempotency::claim(tx, idem, now).await? {
        Some(stored) => serde_json::from_str(&stored)
            .map(Some)
            .map_err(|e| AppError::internal("redemption::store: stored JSON does not read back", e)),
        None => Ok(None),
    }
}

type Redeemed = (Vec<Redemption>, Totals);

async fn redeem_in(
    tx: &mut Tx,
    req: &Request,
    now: DateTime<Utc>,
) -> Result<Result<Redeemed, StackDecision>, AppError> {
    let candidates = candidates(tx, req, now).await?;
    let stack = decide_stack(&candidates, &req.cart, now);
    let Some(totals) = stack.totals.clone() else {
        return Ok(Err(stack));
    };
    // A stack with totals has no missing code, so `found[i]` is `stack.decisions[i]`'s coupon.
    let found: Vec<&Facts> = candidates
        .iter()
        .filter_map(|c| match c {
            Candidate::Found(f) => Some(f.as_ref()),
            Candidate::Missing(_) => None,
        })
        .collect();
    // Rows only this cart touches come first: the codes, the redemption rows, who redeemed. The
    // coupon-wide counters and rollup rows, which every redemption of the coupon waits on, are
    // taken last and so held for as short as possible. Within each step coupons go in id order,
    // and every write path takes these kinds of rows in this order, so none deadlock.
    let mut by_id: Vec<usize> = (0..found.len()).collect();
    by_id.sort_by_key(|&i| found[i].coupon.id);
    let refuse = |i: usize, reason: Reason| {
        let mut refused = stack.clone();
        refused.totals = None;
        let d = &mut refused.decisions[i];
        d.refusals = vec![Refusal::new(reason)];
        d.quote = None;
        Ok(Err(refused))
    };
    for &i in &by_id {
        if !use_code(tx, found[i], &req.user_id, now).await? {
            return refuse(i, Reason::CodeAlreadyUsed);
        }
    }
    let taken: Vec<Vec<Bucket>> = found.iter().map(|f| buckets(&f.coupon.definition, &req.user_id, now)).collect();
    let mut redemptions: Vec<Redemption> = Vec::with_capacity(found.len());
    for (i, f) in found.iter().enumerate() {
        let quote = stack.decisions[i]
            .quote
            .clone()
            .ok_or_else(|| AppError::internal("redeem", "a valid decision without a quote"))?;
        let group = redemptions.first().map(|r| r.id);
        redemptions.push(record(tx, f, quote, &taken[i], group, req, now).await?);
    }
    let counted: Vec<activity::Redeemed> = found
        .iter()
        .zip(&redemptions)
        .map(|(f, r)| activity::Redeemed {
            coupon_id: r.coupon_id,
            batch_id: f.code.as_ref().and_then(|c| c.batch_id).unwrap_or(0),
            user_id: &r.user_id,
            at: r.redeemed_at,
            discount: r.discount,
            cashback: r.cashback,
        })
        .collect();
    let changes = activity::redeemed(tx, &counted).await?;
    for &i in &by_id {
        let quote = stack.decisions[i]
            .quote
            .as_ref()
            .ok_or_else(|| AppError::internal("redeem", "a valid decision without a quote"))?;
        if let Err(reason) = take(tx, found[i].coupon.id, &taken[i], quote).await? {
            return refuse(i, reason);
        }
    }
    // After the counters: a reversal takes the counters before the wallet, so this must too.
    for r in redemptions.iter().filter(|r| r.cashback > 0) {
        crate::wallet::credit_cashback(tx, &req.user_id, r.cashback, r.id, now).await?;
    }
    changes.write(tx).await?;
    Ok(Ok((redemptions, totals)))
}

/// Moves every bucket the coupon counts in; `Err` names the limit that was full.
async fn take(tx: &mut Tx, coupon_id: i64, buckets: &[Bucket], quote: &Quote) -> Result<Result<(), Reason>, AppError> {
    for b in buckets {
        if !count_use(tx, coupon_id, b, quote.discount, quote.cashback).await? {
            return Ok(Err(bucket_reason(tx, coupon_id, b, quote).await?));
        }
    }
    Ok(Ok(()))
}

/// Uses the coupon's unique code, if it has one; false when someone else used it first.
async fn use_code(tx: &mut Tx, f: &Facts, user_id: &str, now: DateTime<Utc>) -> Result<bool, AppError> {
    let Some(code) = f.code.as_ref().filter(|c| c.kind == CodeKind::Unique) else { return Ok(true) };
    let used = sqlx::query(
        "UPDATE codes SET status = 'redeemed', redeemed_at = $1, user_id = COALESCE(user_id, $2)
         WHERE id = $3 AND status IN ('available', 'assigned') AND (user_id IS NULL OR user_id = $2)",
    )
    .bind(now.timestamp_millis())
    .bind(user_id)
    .bind(code.id)
    .execute(&mut **tx)
    .await?;
    Ok(used.rows_affected() == 1)
}

/// Writes the redemption row.
async fn record(
    tx: &mut Tx,
    f: &Facts,
    quote: Quote,
    buckets: &[Bucket],
    group: Option<i64>,
    req: &Request,
    now: DateTime<Utc>,
) -> Result<Redemption, AppError> {
    let detail = serde_json::to_string(&Detail { quote: quote.clone(), buckets })
        .map_err(|e| AppError::internal("redemption::store: cannot encode JSON", e))?;
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
            return Err(AppError::Conflict(format!(
                "order {} has already redeemed coupon {}",
                req.order_id.as_deref().unwrap_or_default(),
                f.coupon.id
            )))
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
    })
}

/// What a redemption remembers so that its reversal gives back exactly what it took.
#[derive(Serialize, Deserialize)]
struct Detail<B = Vec<Bucket>> {
    quote: Quote,
    buckets: B,
}

/// Adds one use (and the discount and cashback) to a bucket, unless that would pass its limit
/// or budget. The check and the write are one statement: the database row decides.
async fn count_use(tx: &mut Tx, coupon_id: i64, b: &Bucket, discount: i64, cashback: i64) -> Result<bool, AppError> {
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
async fn bucket_reason(tx: &mut Tx, coupon_id: i64, b: &Bucket, quote: &Quote) -> Result<Reason, AppError> {
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
    fn into_redemption(self) -> Result<(Redemption, Vec<Bucket>), AppError> {
        let detail: Detail = serde_json::from_str(&self.detail)
            .map_err(|e| AppError::internal("redemption::store: stored JSON does not read back", e))?;
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
            },
            detail.buckets,
        ))
    }
}

const REDEMPTION_SELECT: &str = "SELECT r.id, COALESCE(r.group_id, r.id) AS group_id, r.coupon_id, k.code, r.user_id, r.order_id, r.currency, r.discount,
        r.cashback, r.detail, r.status, r.redeemed_at, r.reversed_at
    FROM redemptions r LEFT JOIN codes k ON k.id = r.code_id";

async fn load(conn: &mut AnyConnection, id: i64) -> Result<Option<(Redemption, Vec<Bucket>)>, AppError> {
    sqlx::query_as::<_, RedemptionRow>(&format!("{REDEMPTION_SELECT} WHERE r.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .map(RedemptionRow::into_redemption)
        .transpose()
}

pub async fn get(db: &Db, id: i64) -> Result<Redemption, AppError> {
    let mut conn = db.pool().acquire().await?;
    Ok(load(&mut conn, id).await?.ok_or(AppError::NotFound)?.0)
}

/// A user's redemptions, newest first.
pub async fn list_for_user(db: &Db, user_id: &str, limit: i64) -> Result<Vec<Redemption>, AppError> {
    let rows = sqlx::query_as::<_, RedemptionRow>(&format!(
        "{REDEMPTION_SELECT} WHERE r.user_id = $1 ORDER BY r.redeemed_at DESC, r.id DESC LIMIT $2"
    ))
    .bind(user_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.into_iter().map(|r| r.into_redemption().map(|(r, _)| r)).collect()
}

/// Reverses a redemption and the coupons stacked with it on the same cart (their discounts were
/// computed on each other): every bucket each counted in gets its use, discount and cashback
/// back, a unique code becomes usable again by its user, and the cashback leaves the wallet.
/// Reversing a reversed redemption changes nothing and answers the same. Returns the redemption
/// asked for, and whether this call reversed it. The audit log records who reversed what.
pub async fn reverse(db: &Db, id: i64, actor: &Actor, now: DateTime<Utc>) -> Result<(Redemption, bool), AppError> {
    let mut tx = db.begin_write().await?;
    let group: i64 = sqlx::query_scalar("SELECT COALESCE(group_id, id) FROM redemptions WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(AppError::NotFound)?;
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
    let (redemption, _) = load(&mut tx, id).await?.ok_or(AppError::NotFound)?;
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
async fn reverse_one(tx: &mut Tx, id: i64, now: DateTime<Utc>) -> Result<Option<Redemption>, AppError> {
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
    let (redemption, buckets) = load(tx, id).await?.ok_or(AppError::NotFound)?;
    for b in &buckets {
        sqlx::query(
            "UPDATE usage_counters SET uses = uses - 1, discount = discount - $1, cashback = cashback - $2
             WHERE coupon_id = $3 AND user_id = $4 AND period = $5 AND period_key = $6",
        )
        .bind(redemption.discount)
        .bind(redemption.cashback)
        .bind(redemption.coupon_id)
        .bind(&b.user_id)
        .bind(&b.period)
        .bind(b.key)
        .execute(&mut **tx)
        .await?;
    }
    sqlx::query(
        "UPDATE codes SET status = 'assigned', redeemed_at = NULL
         WHERE id = (SELECT code_id FROM redemptions WHERE id = $1) AND kind = 'unique' AND status = 'redeemed'",
    )
    .bind(id)
    .execute(&mut **tx)
    .await?;
    if redemption.cashback > 0 {
        crate::wallet::debit_reversal(tx, &redemption.user_id, redemption.cashback, id, now).await?;
    }
    Ok(Some(redemption))
}
