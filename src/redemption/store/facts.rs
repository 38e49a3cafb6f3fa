//! What a decision needs, read in one connection: the code named, its coupon, the user's
//! properties and assignment, and the buckets' usage so far.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use crate::coupons::definition::CapScope;
use crate::coupons::{store as coupons, Coupon};
use crate::db::{Db, StoreError};
use crate::redemption::decision::*;
use crate::redemption::periods::{period_key, period_name};
use crate::redemption::reasons::{Reason, Refusal};
use crate::redemption::request::{Request, Target};
use crate::redemption::stack::{decide_stack, Candidate, Facts, StackDecision};

#[derive(sqlx::FromRow)]
struct StoredCode {
    id: i64,
    code: String,
    coupon_id: i64,
    kind: String,
    user_id: Option<String>,
    status: String,
    expires_at: Option<i64>,
    batch_id: Option<i64>,
}

impl StoredCode {
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

async fn code_by_text(conn: &mut AnyConnection, code: &str) -> Result<Option<StoredCode>, StoreError> {
    let seen = crate::codes::store::seen("batch_id");
    Ok(sqlx::query_as::<_, StoredCode>(&format!("SELECT {CODE_COLUMNS} FROM codes WHERE code = $1 AND {seen}"))
        .bind(code)
        .fetch_optional(conn)
        .await?)
}

async fn code_by_id(conn: &mut AnyConnection, id: i64) -> Result<Option<StoredCode>, StoreError> {
    Ok(sqlx::query_as::<_, StoredCode>(&format!("SELECT {CODE_COLUMNS} FROM codes WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

async fn user_facts(conn: &mut AnyConnection, coupon_id: i64, user_id: &str) -> Result<UserFacts, StoreError> {
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
) -> Result<Usage, StoreError> {
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
) -> Result<Result<Facts, Decision>, StoreError> {
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
        (None, Some(held)) => code_by_id(conn, held).await?.map(StoredCode::facts),
        (None, None) => None,
    };
    let usage = usage(conn, &coupon, user_id, now).await?;
    Ok(Ok(Facts { coupon, code, user, usage }))
}

pub(super) async fn candidates(
    conn: &mut AnyConnection,
    req: &Request,
    now: DateTime<Utc>,
) -> Result<Vec<Candidate>, StoreError> {
    let mut all = Vec::with_capacity(req.targets.len());
    for target in &req.targets {
        all.push(match load_facts(conn, &req.user_id, target, now).await? {
            Ok(f) => Candidate::Found(Box::new(f)),
            Err(refused) => Candidate::Missing(Box::new(refused)),
        });
    }
    Ok(all)
}

/// Answers whether the request would redeem, and with what; writes nothing.
pub async fn validate(db: &Db, req: &Request, now: DateTime<Utc>) -> Result<StackDecision, StoreError> {
    let mut conn = db.pool().acquire().await?;
    let candidates = candidates(&mut conn, req, now).await?;
    Ok(decide_stack(&candidates, &req.cart, now))
}
