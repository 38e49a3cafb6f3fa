//! Coupon rows: the definition as JSON plus the columns other modules query by, kept in step in
//! one transaction with the static code and the audit log.

use super::definition::*;
use super::status::CouponStatus;
use super::{page_size, Coupon, CouponListItem, CouponPage, ListQuery};
use crate::accounts::audit::{self, Actor};
use crate::db::{now_ms, Db, StoreError, Tx};
use crate::wire::Named;

/// Why a coupon was not read or changed.
#[derive(Debug, thiserror::Error)]
pub enum CouponError {
    #[error("no such coupon")]
    NotFound,
    #[error("{code} is already a code of another coupon")]
    CodeTaken { code: String },
    #[error("someone else changed this coupon since you opened it: reload to see their version")]
    Stale,
    #[error("an archived coupon cannot be changed; duplicate it instead")]
    Archived,
    #[error("the coupon changed meanwhile: reload")]
    ChangedMeanwhile,
    #[error("a {from} coupon cannot become {to}")]
    CannotBecome { from: CouponStatus, to: CouponStatus },
    #[error(transparent)]
    Store(#[from] StoreError),
}
crate::store_errors_into!(CouponError);

#[derive(Debug, sqlx::FromRow)]
struct CouponRow {
    id: i64,
    status: String,
    definition: String,
    version: i64,
    created_at: i64,
    updated_at: i64,
    live_since: Option<i64>,
}

impl TryFrom<CouponRow> for Coupon {
    type Error = StoreError;
    fn try_from(r: CouponRow) -> Result<Self, StoreError> {
        let definition: CouponDefinition = serde_json::from_str(&r.definition)
            .map_err(|e| StoreError::corrupt("a coupon's stored definition", format!("coupon {}: {e}", r.id)))?;
        Ok(Coupon {
            id: r.id,
            status: CouponStatus::parse(&r.status)
                .ok_or_else(|| StoreError::corrupt("a coupon's status", format!("unknown status {}", r.status)))?,
            definition,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
            live_since: r.live_since,
        })
    }
}

const COLUMNS: &str = "id, status, definition, version, created_at, updated_at, live_since";

/// The columns derived from the definition, for queries that must not parse JSON.
struct Derived {
    json: String,
    reward_type: &'static str,
    distribution: &'static str,
    audience: &'static str,
    visibility: &'static str,
    trigger_event: Option<String>,
    activation_event: Option<String>,
    starts_at: Option<i64>,
    ends_at: Option<i64>,
}

fn derive(d: &CouponDefinition) -> Result<Derived, StoreError> {
    let ms = |t: &chrono::DateTime<chrono::Utc>| t.timestamp_millis();
    let activation_from = match &d.activation {
        Activation::Time { from } => from.as_ref().map(ms),
        Activation::Event { .. } => None,
    };
    let window_start = d.window.and_then(|w| w.start).as_ref().map(ms);
    let window_end = d.window.and_then(|w| w.end).as_ref().map(ms);
    let fixed_expiry = match &d.expiry {
        Expiry::Fixed { at } => Some(ms(at)),
        _ => None,
    };
    Ok(Derived {
        json: serde_json::to_string(d).map_err(|e| StoreError::corrupt("a coupon definition as JSON", e))?,
        reward_type: d.reward.kind().wire(),
        distribution: d.distribution.kind().wire(),
        audience: d.audience.wire(),
        visibility: d.visibility.wire(),
        trigger_event: match &d.distribution {
            Distribution::EventTriggered { event, .. } => Some(event.clone()),
            _ => None,
        },
        activation_event: match &d.activation {
            Activation::Event { event } => Some(event.clone()),
            _ => None,
        },
        starts_at: activation_from.max(window_start),
        ends_at: match (fixed_expiry, window_end) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        },
    })
}

type RowQuery<'q> = sqlx::query::QueryAs<'q, sqlx::Any, CouponRow, sqlx::any::AnyArguments<'q>>;

/// Binds `$1`–`$16`: the definition's columns, in the order INSERT and UPDATE both list them.
fn bind_columns<'q>(q: RowQuery<'q>, d: &'q CouponDefinition, x: &'q Derived) -> RowQuery<'q> {
    q.bind(&d.name)
        .bind(&x.json)
        .bind(d.currency.code())
        .bind(d.time_zone.name())
        .bind(x.reward_type)
        .bind(x.distribution)
        .bind(x.audience)
        .bind(x.visibility)
        .bind(&x.trigger_event)
        .bind(&x.activation_event)
        .bind(x.starts_at)
        .bind(x.ends_at)
        .bind(d.limits.per_user.map(i64::from))
        .bind(d.limits.global.map(i64::from))
        .bind(d.limits.budget_discount)
        .bind(d.limits.budget_cashback)
}

/// Makes the coupon's static code match its definition, unless another coupon holds it.
async fn sync_static_code(tx: &mut Tx, coupon_id: i64, d: &CouponDefinition) -> Result<(), CouponError> {
    let code = d.static_code().unwrap_or_default();
    if crate::codes::lifecycle::set_static(tx, coupon_id, code).await? {
        Ok(())
    } else {
        Err(CouponError::CodeTaken { code: code.to_string() })
    }
}

pub async fn create(db: &Db, actor: &Actor, d: &CouponDefinition) -> Result<Coupon, CouponError> {
    let x = derive(d)?;
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    let sql = format!(
        "INSERT INTO coupons (name, status, definition, currency, time_zone, reward_type, distribution, audience,
             visibility, trigger_event, activation_event, starts_at, ends_at, per_user_limit, global_limit,
             budget_discount, budget_cashback, version, created_by, created_at, updated_at)
         VALUES ($1, 'draft', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 1, $17, $18, $18)
         RETURNING {COLUMNS}"
    );
    let row = bind_columns(sqlx::query_as(&sql), d, &x).bind(actor.account_id()).bind(now).fetch_one(&mut *tx).await?;
    let coupon = Coupon::try_from(row)?;
    sync_static_code(&mut tx, coupon.id, d).await?;
    audit::record(&mut tx, actor, "coupon.create", ("coupon", coupon.id.to_string()), None::<&()>, Some(&coupon))
        .await?;
    tx.commit().await?;
    Ok(coupon)
}

/// Reads a coupon on any connection (a pool's, or a transaction's so it sees its own writes).
pub async fn find(conn: &mut sqlx::AnyConnection, id: i64) -> Result<Option<Coupon>, StoreError> {
    sqlx::query_as::<_, CouponRow>(&format!("SELECT {COLUMNS} FROM coupons WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .map(Coupon::try_from)
        .transpose()
}

/// Reads a coupon for changing it: its row stays locked until the transaction ends (SQLite's
/// write transaction already holds the whole database), so what is checked is what is changed.
pub async fn lock(tx: &mut Tx, db: &Db, id: i64) -> Result<Coupon, CouponError> {
    sqlx::query_as::<_, CouponRow>(&format!("SELECT {COLUMNS} FROM coupons WHERE id = $1{}", db.backend().for_update()))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .map(Coupon::try_from)
        .transpose()?
        .ok_or(CouponError::NotFound)
}

pub async fn get(db: &Db, id: i64) -> Result<Coupon, CouponError> {
    find(&mut *db.pool().acquire().await?, id).await?.ok_or(CouponError::NotFound)
}

/// Refuses a change made from a version older than the stored one.
pub fn check_version(coupon: &Coupon, expected: Option<i64>) -> Result<(), CouponError> {
    if expected.is_some_and(|v| v != coupon.version) {
        return Err(CouponError::Stale);
    }
    Ok(())
}

/// Replaces a coupon's definition. `expected_version` guards against overwriting an edit made
/// meanwhile by someone else.
pub async fn update(
    db: &Db,
    actor: &Actor,
    id: i64,
    expected_version: Option<i64>,
    d: &CouponDefinition,
) -> Result<Coupon, CouponError> {
    let mut tx = db.begin_write().await?;
    let before = lock(&mut tx, db, id).await?;
    check_version(&before, expected_version)?;
    let after = update_in(&mut tx, actor, &before, d).await?;
    tx.commit().await?;
    Ok(after)
}

/// Replaces the definition of a coupon read by [`lock`] in the same transaction. The UPDATE is
/// conditional on the version read as well, so no edit is lost even without the row lock.
pub async fn update_in(
    tx: &mut Tx,
    actor: &Actor,
    before: &Coupon,
    d: &CouponDefinition,
) -> Result<Coupon, CouponError> {
    if !before.status.editable() {
        return Err(CouponError::Archived);
    }
    let x = derive(d)?;
    let id = before.id;
    let sql = format!(
        "UPDATE coupons SET name = $1, definition = $2, currency = $3, time_zone = $4, reward_type = $5,
             distribution = $6, audience = $7, visibility = $8, trigger_event = $9, activation_event = $10,
             starts_at = $11, ends_at = $12, per_user_limit = $13, global_limit = $14, budget_discount = $15,
             budget_cashback = $16, version = version + 1, updated_at = $17
         WHERE id = $18 AND version = $19 RETURNING {COLUMNS}"
    );
    let row = bind_columns(sqlx::query_as(&sql), d, &x)
        .bind(now_ms())
        .bind(id)
        .bind(before.version)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(CouponError::ChangedMeanwhile)?;
    let after = Coupon::try_from(row)?;
    if after.definition.currency != before.definition.currency {
        crate::activity::recount_coupon(tx, id).await?;
    }
    sync_static_code(tx, id, d).await?;
    audit::record(tx, actor, "coupon.update", ("coupon", id.to_string()), Some(before), Some(&after)).await?;
    Ok(after)
}

/// Moves a coupon along its lifecycle, refusing moves the lifecycle does not allow.
pub async fn set_status(db: &Db, actor: &Actor, id: i64, next: CouponStatus) -> Result<Coupon, CouponError> {
    set_status_at(db, actor, id, next, now_ms()).await
}

/// [`set_status`] as of `now` (UTC milliseconds): the demo's coupons went live months ago.
pub async fn set_status_at(
    db: &Db,
    actor: &Actor,
    id: i64,
    next: CouponStatus,
    now: i64,
) -> Result<Coupon, CouponError> {
    let mut tx = db.begin_write().await?;
    let before = lock(&mut tx, db, id).await?;
    let after = change_status(&mut tx, actor, &before, next, now).await?;
    tx.commit().await?;
    Ok(after)
}

/// The status change of a coupon read by [`lock`] in the same transaction. The write is
/// conditional on the status and version read, so two people clicking at once cannot skip a step.
pub async fn set_status_in(
    tx: &mut Tx,
    actor: &Actor,
    before: &Coupon,
    next: CouponStatus,
) -> Result<Coupon, CouponError> {
    change_status(tx, actor, before, next, now_ms()).await
}

async fn change_status(
    tx: &mut Tx,
    actor: &Actor,
    before: &Coupon,
    next: CouponStatus,
    now: i64,
) -> Result<Coupon, CouponError> {
    if !before.status.can_become(next) {
        return Err(CouponError::CannotBecome { from: before.status, to: next });
    }
    let row = sqlx::query_as::<_, CouponRow>(&format!(
        "UPDATE coupons SET status = $1, updated_at = $2, version = version + 1,
             live_since = CASE WHEN $1 = 'active' AND live_since IS NULL THEN $2 ELSE live_since END
         WHERE id = $3 AND status = $4 AND version = $5 RETURNING {COLUMNS}"
    ))
    .bind(next.as_str())
    .bind(now)
    .bind(before.id)
    .bind(before.status.as_str())
    .bind(before.version)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(CouponError::ChangedMeanwhile)?;
    let after = Coupon::try_from(row)?;
    audit::record(
        tx,
        actor,
        &format!("coupon.{}", next.as_str()),
        ("coupon", before.id.to_string()),
        Some(&serde_json::json!({"status": before.status})),
        Some(&serde_json::json!({"status": after.status})),
    )
    .await?;
    Ok(after)
}

#[derive(Debug, sqlx::FromRow)]
struct ListRow {
    #[sqlx(flatten)]
    coupon: CouponRow,
    code: Option<String>,
    uses: Option<i64>,
}

/// A page of the coupon list: keyset paging on the order's columns and the id, read from the
/// cursor coupon's own row, so a page costs the same however deep it is.
pub async fn list(db: &Db, q: &ListQuery) -> Result<CouponPage, StoreError> {
    // (order, what comes after the cursor row `s` in that order)
    let (order, after) = match q.sort.as_str() {
        "name" => ("LOWER(c.name) ASC, c.id ASC", "(LOWER(c.name), c.id) > (s.lname, s.id)"),
        "created" => ("c.created_at DESC, c.id DESC", "(c.created_at, c.id) < (s.created_at, s.id)"),
        "status" => (
            "c.status ASC, c.updated_at DESC, c.id DESC",
            "(c.status > s.status OR (c.status = s.status AND (c.updated_at, c.id) < (s.updated_at, s.id)))",
        ),
        _ => ("c.updated_at DESC, c.id DESC", "(c.updated_at, c.id) < (s.updated_at, s.id)"),
    };
    let (cursor, after) = match q.starting_after {
        Some(_) => (
            " JOIN (SELECT id, status, created_at, updated_at, LOWER(name) AS lname FROM coupons WHERE id = $6) s ON 1 = 1",
            format!("AND {after}"),
        ),
        None => ("", String::new()),
    };
    let limit = page_size(q.limit);
    let search = q.search.trim();
    let sql = format!(
        "SELECT c.id, c.status, c.definition, c.version, c.created_at, c.updated_at, c.live_since,
                (SELECT code FROM codes k WHERE k.coupon_id = c.id AND k.kind = 'static' AND k.status <> 'void' LIMIT 1) AS code,
                u.uses
         FROM coupons c{cursor}
         LEFT JOIN usage_counters u ON u.coupon_id = c.id AND u.user_id = '' AND u.period = 'all' AND u.period_key = 0
         WHERE ($1 = '' OR c.status = $1)
           AND ($2 = '' OR LOWER(c.name) LIKE $3 OR c.id IN (SELECT coupon_id FROM codes WHERE code LIKE $4))
           {after}
         ORDER BY {order} LIMIT $5"
    );
    let mut query = sqlx::query_as::<_, ListRow>(&sql)
        .bind(q.status.as_str())
        .bind(search)
        .bind(format!("%{}%", search.to_lowercase().replace(['%', '_'], "")))
        .bind(format!("{}%", search.to_uppercase().replace(['%', '_'], "")))
        .bind(limit + 1);
    if let Some(id) = q.starting_after {
        query = query.bind(id);
    }
    let rows = query.fetch_all(db.pool()).await?;
    let now = now_ms();
    let has_more = rows.len() as i64 > limit;
    let coupons = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| {
            let coupon = Coupon::try_from(r.coupon)?;
            Ok(CouponListItem::new(coupon, r.code, r.uses.unwrap_or(0), now))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(CouponPage { coupons, has_more })
}

/// Coupon names by id, for pages that list other things (a user's redemptions, say).
pub async fn names(db: &Db, ids: &[i64]) -> Result<std::collections::HashMap<i64, String>, StoreError> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let sql = format!("SELECT id, name FROM coupons WHERE id IN ({})", db.backend().params(1, ids.len()));
    let mut query = sqlx::query_as::<_, (i64, String)>(&sql);
    for id in ids {
        query = query.bind(*id);
    }
    Ok(query.fetch_all(db.pool()).await?.into_iter().collect())
}

/// Uses counted against the global limit so far.
pub async fn global_uses(db: &Db, id: i64) -> Result<i64, StoreError> {
    let uses: Option<i64> = sqlx::query_scalar(
        "SELECT uses FROM usage_counters WHERE coupon_id = $1 AND user_id = '' AND period = 'all' AND period_key = 0",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?;
    Ok(uses.unwrap_or(0))
}
