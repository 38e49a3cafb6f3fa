//! Campaign rows: creating (and launching now), scheduled launches, cancelling, counts.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{Campaign, CampaignCounts, CampaignInput, CampaignStatus, Estimate};
use crate::accounts::audit::{self, Actor};
use crate::audience::assignments::{Reach, Run};
use crate::audience::segments::store as segments;
use crate::conditions::Rule;
use crate::coupons::definition::Activation;
use crate::coupons::status::CouponStatus;
use crate::coupons::summary::group;
use crate::coupons::{store as coupons, Coupon};
use crate::db::{now_ms, Db, StoreError, Tx};
use crate::fields::FieldErrors;

/// Why a campaign was not created, launched or cancelled.
#[derive(Debug, thiserror::Error)]
pub enum CampaignError {
    #[error("no such campaign")]
    NotFound,
    #[error("no such coupon")]
    NoSuchCoupon,
    #[error("no such segment")]
    NoSuchSegment,
    #[error("the campaign's fields are not valid")]
    Invalid(FieldErrors),
    #[error("{0}")]
    Refused(Refusal),
    #[error("only a scheduled campaign can be cancelled")]
    NotScheduled,
    #[error(transparent)]
    Coupon(#[from] crate::coupons::store::CouponError),
    #[error(transparent)]
    Store(#[from] StoreError),
}
crate::store_errors_into!(CampaignError);

/// Why a launch cannot go ahead; its text is kept as a failed campaign's message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    #[error("the coupon is {}: make it active (or draft) first", .0.as_str())]
    CouponStopped(CouponStatus),
    #[error("the segment matches no users")]
    NoUsers,
    #[error("{} users need a code but only {} codes are free: add at least {} codes first", group(*.wanted), group(*.free), group(.wanted - .free))]
    TooFewCodes { wanted: i64, free: i64 },
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    name: String,
    coupon_id: i64,
    coupon_name: String,
    coupon_time_zone: String,
    segment_id: i64,
    segment_name: String,
    rule: String,
    status: String,
    launch_at: i64,
    keep_in_sync: i64,
    created_by_label: String,
    created_at: i64,
    launched_at: Option<i64>,
    launched_by: Option<String>,
    matched: i64,
    already_held: i64,
    message: Option<String>,
}

const SELECT: &str = "SELECT c.id, c.name, c.coupon_id, k.name AS coupon_name, k.time_zone AS coupon_time_zone, c.segment_id, s.name AS segment_name,
        c.rule, c.status, c.launch_at, c.keep_in_sync, c.created_by_label, c.created_at, c.launched_at,
        c.launched_by, c.matched, c.already_held, c.message
    FROM campaigns c JOIN coupons k ON k.id = c.coupon_id JOIN segments s ON s.id = c.segment_id";

impl TryFrom<Row> for Campaign {
    type Error = StoreError;
    fn try_from(r: Row) -> Result<Campaign, StoreError> {
        Ok(Campaign {
            rule: serde_json::from_str(&r.rule).map_err(|e| StoreError::corrupt("a campaign's stored rule", e))?,
            status: CampaignStatus::parse(&r.status)
                .ok_or_else(|| StoreError::corrupt("a campaign's status", format!("unknown status {}", r.status)))?,
            id: r.id,
            name: r.name,
            coupon_id: r.coupon_id,
            coupon_name: r.coupon_name,
            coupon_time_zone: r.coupon_time_zone,
            segment_id: r.segment_id,
            segment_name: r.segment_name,
            launch_at: r.launch_at,
            keep_in_sync: r.keep_in_sync != 0,
            created_by: r.created_by_label,
            created_at: r.created_at,
            launched_at: r.launched_at,
            launched_by: r.launched_by,
            matched: r.matched,
            already_held: r.already_held,
            message: r.message,
        })
    }
}

pub async fn get(db: &Db, id: i64) -> Result<Campaign, CampaignError> {
    sqlx::query_as::<_, Row>(&format!("{SELECT} WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or(CampaignError::NotFound)?
        .try_into()
        .map_err(CampaignError::Store)
}

/// A page of campaigns (one coupon's, or all), newest first, after the campaign `after` (keyset
/// on creation time and id); says whether more follow.
pub async fn page(
    db: &Db,
    coupon_id: Option<i64>,
    after: Option<i64>,
    limit: i64,
) -> Result<(Vec<Campaign>, bool), StoreError> {
    let cursor = match after {
        Some(_) => "AND (c.created_at, c.id) < (SELECT created_at, id FROM campaigns WHERE id = $3)",
        None => "",
    };
    let sql = format!(
        "{SELECT} WHERE (CAST($2 AS BIGINT) IS NULL OR c.coupon_id = $2) {cursor}
         ORDER BY c.created_at DESC, c.id DESC LIMIT $1"
    );
    let mut query = sqlx::query_as::<_, Row>(&sql).bind(limit + 1).bind(coupon_id);
    if let Some(id) = after {
        query = query.bind(id);
    }
    let mut campaigns: Vec<Campaign> =
        query.fetch_all(db.pool()).await?.into_iter().map(Campaign::try_from).collect::<Result<_, _>>()?;
    let more = campaigns.len() as i64 > limit;
    campaigns.truncate(limit as usize);
    Ok((campaigns, more))
}

pub async fn counts(db: &Db, campaign: &Campaign) -> Result<CampaignCounts, CampaignError> {
    let launched_at = campaign.launched_at.unwrap_or(i64::MAX);
    let (assigned, synced, event_activated): (i64, i64, i64) = sqlx::query_as(
        "SELECT COUNT(*),
                CAST(COALESCE(SUM(CASE WHEN assigned_at > $2 THEN 1 ELSE 0 END), 0) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN activated_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT)
         FROM assignments WHERE campaign_id = $1",
    )
    .bind(campaign.id)
    .bind(launched_at)
    .fetch_one(db.pool())
    .await?;
    let redeemed: i64 = sqlx::query_scalar(
        "SELECT COUNT(DISTINCT r.user_id) FROM redemptions r
         JOIN assignments a ON a.coupon_id = r.coupon_id AND a.user_id = r.user_id
         WHERE a.campaign_id = $1 AND r.status = 'redeemed'",
    )
    .bind(campaign.id)
    .fetch_one(db.pool())
    .await?;
    // Time activation is the same moment for every assignment made before it.
    let coupon = coupons::get(db, campaign.coupon_id).await?;
    let activated = match &coupon.definition.activation {
        Activation::Event { .. } => event_activated,
        Activation::Time { from } => {
            let starts = from.map(|f| f.timestamp_millis()).or(coupon.live_since);
            if starts.is_some_and(|s| s <= now_ms()) {
                assigned
            } else {
                0
            }
        }
    };
    Ok(CampaignCounts { assigned, synced, activated, redeemed })
}

/// Why a coupon cannot be launched now, if it cannot.
fn coupon_refusal(coupon: &Coupon) -> Option<Refusal> {
    match coupon.status {
        CouponStatus::Paused | CouponStatus::Archived => Some(Refusal::CouponStopped(coupon.status)),
        CouponStatus::Draft | CouponStatus::Active => None,
    }
}

/// What a launch did.
pub struct Launched {
    pub matched: i64,
    pub already_held: i64,
    pub assigned: u64,
}

/// Launches inside `tx`: `Ok(Err(reason))` when it must be refused (nothing written is kept:
/// the caller rolls back).
#[tracing::instrument(name = "launch", skip_all, fields(campaign_id = campaign_id, coupon_id = coupon.id))]
async fn launch_in(
    tx: &mut Tx,
    campaign_id: i64,
    coupon: &Coupon,
    rule: &Rule,
    now: i64,
) -> Result<Result<Launched, Refusal>, StoreError> {
    if let Some(reason) = coupon_refusal(coupon) {
        return Ok(Err(reason));
    }
    let run = Run { coupon, campaign_id, rule, reach: Reach::Everyone, now };
    let matched = run.matched(tx).await?;
    if matched.users == 0 {
        return Ok(Err(Refusal::NoUsers));
    }
    let wanted = matched.new_users();
    if coupon.definition.uses_unique_codes() {
        let free = run.free_codes(tx).await?;
        if free < wanted {
            return Ok(Err(Refusal::TooFewCodes { wanted, free }));
        }
    }
    let assigned = run.assign(tx).await?;
    if assigned as i64 != wanted {
        return Err(StoreError::Raced { what: "users changed during the launch" });
    }
    sqlx::query("UPDATE campaigns SET matched = $1, already_held = $2 WHERE id = $3")
        .bind(matched.users)
        .bind(matched.holding)
        .bind(campaign_id)
        .execute(&mut **tx)
        .await?;
    Ok(Ok(Launched { matched: matched.users, already_held: matched.holding, assigned }))
}

/// What launching `coupon_id` to `segment_id` would do now, read in one snapshot; nothing is
/// written. The launch itself counts again inside its transaction.
pub async fn estimate(db: &Db, coupon_id: i64, segment_id: i64) -> Result<Estimate, CampaignError> {
    let coupon = coupons::get(db, coupon_id).await.map_err(|e| match e {
        coupons::CouponError::NotFound => CampaignError::NoSuchCoupon,
        e => e.into(),
    })?;
    let segment = segments::get(db, segment_id).await.map_err(|e| match e {
        segments::SegmentError::Store(e) => e.into(),
        _ => CampaignError::NoSuchSegment,
    })?;
    let mut tx = db.begin_read().await?;
    let run = Run { coupon: &coupon, campaign_id: 0, rule: &segment.rule, reach: Reach::Everyone, now: now_ms() };
    let matched = run.matched(&mut tx).await?;
    let free_codes = if coupon.definition.uses_unique_codes() { Some(run.free_codes(&mut tx).await?) } else { None };
    tx.commit().await?;
    Ok(Estimate { matched: matched.users, already_held: matched.holding, free_codes })
}

/// Creates a campaign: launched at once (all of it, or nothing stored and the reason returned),
/// or scheduled for its time.
pub async fn create(
    db: &Db,
    actor: &Actor,
    input: &CampaignInput,
    now: DateTime<Utc>,
) -> Result<Campaign, CampaignError> {
    let coupon = match input.coupon_id {
        Some(id) => Some(coupons::get(db, id).await.map_err(|e| match e {
            coupons::CouponError::NotFound => CampaignError::NoSuchCoupon,
            e => e.into(),
        })?),
        None => None,
    };
    let zone = coupon.as_ref().map_or(Tz::UTC, |c| c.definition.time_zone);
    let checked = input.parse(zone, now).map_err(CampaignError::Invalid)?;
    let coupon = coupon.ok_or(CampaignError::NoSuchCoupon)?;
    if let Some(reason) = coupon_refusal(&coupon) {
        return Err(CampaignError::Refused(reason));
    }
    let segment = segments::get(db, checked.segment_id).await.map_err(|e| match e {
        segments::SegmentError::Store(e) => e.into(),
        _ => CampaignError::NoSuchSegment,
    })?;
    let rule = serde_json::to_string(&segment.rule).map_err(|e| StoreError::corrupt("a segment rule as JSON", e))?;
    let at = now.timestamp_millis();
    let launch_now = checked.launch_at.is_none();
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO campaigns (name, coupon_id, segment_id, rule, status, launch_at, keep_in_sync,
                                created_by, created_by_label, created_at, launched_at, launched_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(&checked.name)
    .bind(coupon.id)
    .bind(segment.id)
    .bind(&rule)
    .bind(if launch_now { "launched" } else { "scheduled" })
    .bind(checked.launch_at.map_or(at, |t| t.timestamp_millis()))
    .bind(i64::from(checked.keep_in_sync))
    .bind(actor.account_id())
    .bind(&actor.label)
    .bind(at)
    .bind(launch_now.then_some(at))
    .bind(launch_now.then(|| actor.label.clone()))
    .fetch_one(&mut *tx)
    .await?;
    let action = if launch_now {
        match launch_in(&mut tx, id, &coupon, &segment.rule, at).await? {
            Ok(_) => "campaign.launch",
            Err(reason) => return Err(CampaignError::Refused(reason)),
        }
    } else {
        let run = Run { coupon: &coupon, campaign_id: id, rule: &segment.rule, reach: Reach::Everyone, now: at };
        if run.matched(&mut tx).await?.users == 0 {
            return Err(CampaignError::Refused(Refusal::NoUsers));
        }
        "campaign.schedule"
    };
    audit::record(&mut tx, actor, action, ("campaign", id.to_string()), None::<&()>, Some(&checked_summary(&checked)))
        .await?;
    tx.commit().await?;
    get(db, id).await
}

fn checked_summary(c: &super::Checked) -> serde_json::Value {
    serde_json::json!({
        "name": c.name,
        "coupon_id": c.coupon_id,
        "segment_id": c.segment_id,
        "launch_at": c.launch_at.map(|t| t.to_rfc3339()),
        "keep_in_sync": c.keep_in_sync,
    })
}

/// Launches every scheduled campaign whose time has come. Each launch claims its campaign with a
/// conditional write in the launch's own transaction, so with any number of servers running
/// this, each campaign launches exactly once; a server dying mid-launch rolls back, and the
/// campaign is launched by the next tick of any server.
pub async fn launch_due(db: &Db, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let due: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM campaigns WHERE status = 'scheduled' AND launch_at <= $1 ORDER BY launch_at, id LIMIT 20",
    )
    .bind(now.timestamp_millis())
    .fetch_all(db.pool())
    .await?;
    let mut launched = 0;
    for id in due {
        if launch_scheduled(db, id, now.timestamp_millis()).await? {
            launched += 1;
        }
    }
    Ok(launched)
}

async fn launch_scheduled(db: &Db, id: i64, now: i64) -> Result<bool, StoreError> {
    let mut tx = db.begin_write().await?;
    let claimed = sqlx::query(
        "UPDATE campaigns SET status = 'launched', launched_at = $1, launched_by = 'schedule set by ' || created_by_label
         WHERE id = $2 AND status = 'scheduled' AND launch_at <= $1",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if claimed == 0 {
        return Ok(false);
    }
    let (coupon_id, rule): (i64, String) =
        sqlx::query_as("SELECT coupon_id, rule FROM campaigns WHERE id = $1").bind(id).fetch_one(&mut *tx).await?;
    let rule: Rule = serde_json::from_str(&rule).map_err(|e| StoreError::corrupt("a campaign's stored rule", e))?;
    let coupon = coupons::find(&mut tx, coupon_id)
        .await?
        .ok_or_else(|| StoreError::corrupt("a campaign's coupon", format!("coupon {coupon_id} is gone")))?;
    match launch_in(&mut tx, id, &coupon, &rule, now).await? {
        Ok(launched) => {
            let after = serde_json::json!({"matched": launched.matched, "already_held": launched.already_held, "assigned": launched.assigned});
            audit::record(
                &mut tx,
                &Actor::system(),
                "campaign.launch",
                ("campaign", id.to_string()),
                None::<&()>,
                Some(&after),
            )
            .await?;
            tx.commit().await?;
            Ok(true)
        }
        Err(reason) => {
            drop(tx);
            fail(db, id, &reason.to_string()).await?;
            Ok(false)
        }
    }
}

/// Marks a scheduled campaign failed, with the reason, once.
async fn fail(db: &Db, id: i64, reason: &str) -> Result<(), StoreError> {
    let mut tx = db.begin_write().await?;
    let marked =
        sqlx::query("UPDATE campaigns SET status = 'failed', message = $1 WHERE id = $2 AND status = 'scheduled'")
            .bind(reason)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if marked == 1 {
        let after = serde_json::json!({ "reason": reason });
        audit::record(
            &mut tx,
            &Actor::system(),
            "campaign.fail",
            ("campaign", id.to_string()),
            None::<&()>,
            Some(&after),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Cancels a campaign that has not launched yet.
pub async fn cancel(db: &Db, actor: &Actor, id: i64) -> Result<Campaign, CampaignError> {
    let mut tx = db.begin_write().await?;
    let cancelled = sqlx::query("UPDATE campaigns SET status = 'cancelled' WHERE id = $1 AND status = 'scheduled'")
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if cancelled == 0 {
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT id FROM campaigns WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
        return Err(match exists {
            None => CampaignError::NotFound,
            Some(_) => CampaignError::NotScheduled,
        });
    }
    audit::record(&mut tx, actor, "campaign.cancel", ("campaign", id.to_string()), None::<&()>, None::<&()>).await?;
    tx.commit().await?;
    get(db, id).await
}
