//! `GET/POST /coupons`, `GET/PATCH /coupons/{id}`, `GET /coupons/{id}/stats`: the same definition
//! type, parser and store as the builder, so the API and the dashboard cannot disagree.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::caller::Caller;
use super::{parse_body, path_id, ApiError, ApiResult, ErrorBody};
use crate::accounts::keys::Scope;
use crate::analytics::{Figures, Period, PeriodInput};
use crate::coupons::input::CouponInput;
use crate::coupons::status::CouponStatus;
use crate::coupons::summary::describe_definition;
use crate::coupons::{store, Coupon, CouponListItem, DisplayState, ListQuery};
use crate::db::now_ms;
use crate::error::AppError;
use crate::state::AppState;

/// A coupon as the API shows it: its definition in the builder's input form, so it can be sent back.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CouponView {
    pub id: i64,
    pub status: CouponStatus,
    /// What the status means now: e.g. an active coupon past its expiry is `expired`.
    pub state: DisplayState,
    /// Bumped by every change; send it back with a PATCH to refuse lost updates.
    pub version: i64,
    /// The coupon in one plain sentence.
    pub summary: String,
    pub definition: CouponInput,
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    #[serde(with = "crate::dates::rfc3339")]
    pub created_at: i64,
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    #[serde(with = "crate::dates::rfc3339")]
    pub updated_at: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CouponList {
    pub coupons: Vec<CouponListItem>,
    /// More coupons follow: ask again with `starting_after` the last one's id.
    pub has_more: bool,
}

async fn view(state: &AppState, coupon: &Coupon) -> ApiResult<CouponView> {
    let uses = store::global_uses(&state.db, coupon.id).await?;
    Ok(CouponView {
        id: coupon.id,
        status: coupon.status,
        state: DisplayState::of(coupon, uses, now_ms()),
        version: coupon.version,
        summary: describe_definition(&coupon.definition),
        definition: CouponInput::from(&coupon.definition),
        created_at: coupon.created_at,
        updated_at: coupon.updated_at,
    })
}

const ID: &str = "The coupon's id";

#[utoipa::path(
    get, path = "/coupons", tag = "coupons", params(ListQuery),
    description = "Coupons in pages (`limit`, default 100, at most 500), in the order `sort` asks; the next page \
        starts after the last coupon's id (`starting_after`).",
    responses((status = 200, body = CouponList))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<CouponList>> {
    caller.require(Scope::Manage)?;
    let page = store::list(&state.db, &query).await?;
    Ok(Json(CouponList { coupons: page.coupons, has_more: page.has_more }))
}

#[utoipa::path(
    post, path = "/coupons", tag = "coupons", request_body = CouponInput,
    description = "Creates a draft coupon from the same definition and checks as the dashboard's builder.",
    responses(
        (status = 201, body = CouponView),
        (status = 422, body = ErrorBody, description = "Every invalid setting, by field"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<CouponView>)> {
    caller.require(Scope::Manage)?;
    let input: CouponInput = parse_body(&headers, &body)?;
    let definition = input.parse().map_err(ApiError::invalid)?;
    let coupon = store::create(&state.db, &caller.actor(), &definition).await?;
    Ok((StatusCode::CREATED, Json(view(&state, &coupon).await?)))
}

#[utoipa::path(
    get, path = "/coupons/{id}", tag = "coupons", params(("id" = i64, Path, description = ID)),
    responses((status = 200, body = CouponView), (status = 404, body = ErrorBody))
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<CouponView>> {
    caller.require(Scope::Manage)?;
    let coupon = store::get(&state.db, path_id(&id)?).await?;
    Ok(Json(view(&state, &coupon).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Patch {
    /// The version the change was made from; a newer stored version refuses it (409).
    version: Option<i64>,
    /// `draft`, `active`, `paused` or `archived`.
    status: Option<String>,
    /// Settings to change, merged into the stored definition (JSON merge patch).
    #[schema(value_type = Option<Object>)]
    definition: Option<Value>,
}

/// RFC 7396 merge: objects merge key by key, `null` removes, anything else replaces.
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

#[utoipa::path(
    patch, path = "/coupons/{id}", tag = "coupons", request_body = Patch,
    params(("id" = i64, Path, description = ID)),
    responses(
        (status = 200, body = CouponView),
        (status = 409, body = ErrorBody, description = "Changed since `version`"),
        (status = 422, body = ErrorBody, description = "Every invalid setting, by field"),
    )
)]
pub async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<CouponView>> {
    caller.require(Scope::Manage)?;
    let id = path_id(&id)?;
    let patch: Patch = parse_body(&headers, &body)?;
    let next = match &patch.status {
        Some(status) => Some(CouponStatus::parse(status).ok_or_else(|| AppError::field("status", "unknown status"))?),
        None => None,
    };
    let actor = caller.actor();
    // One transaction for the whole patch: a refused status change leaves the definition as it was.
    let mut tx = state.db.begin_write().await.map_err(AppError::from)?;
    let mut coupon = store::lock(&mut tx, &state.db, id).await?;
    store::check_version(&coupon, patch.version)?;
    if let Some(changes) = &patch.definition {
        let mut current = serde_json::to_value(CouponInput::from(&coupon.definition))
            .map_err(|e| AppError::internal("api::coupons: cannot encode JSON", e))?;
        merge(&mut current, changes);
        let input: CouponInput = serde_json::from_value(current).map_err(|e| {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", format!("the definition could not be read: {e}"))
        })?;
        let definition = input.parse().map_err(ApiError::invalid)?;
        coupon = store::update_in(&mut tx, &actor, &coupon, &definition).await?;
    }
    if let Some(next) = next.filter(|n| *n != coupon.status) {
        coupon = store::set_status_in(&mut tx, &actor, &coupon, next).await?;
    }
    tx.commit().await.map_err(AppError::from)?;
    Ok(Json(view(&state, &coupon).await?))
}

/// A coupon's analytics figures for a period, with the period before for comparison.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StatsOut {
    pub coupon_id: i64,
    pub period: Period,
    pub figures: Figures,
    pub previous_period: Period,
    pub previous: Figures,
    /// People who redeemed in `period` (each once; reversed redemptions do not count). Exact:
    /// it reads the period's redemptions, where `figures` reads daily rollups.
    pub redeemers: i64,
    /// The same count for `previous_period`.
    pub previous_redeemers: i64,
    /// Why the coupon was refused at validate and redeem in the period, most refusals first.
    pub refusals: Vec<crate::analytics::RefusalCount>,
}

/// The analytics figures of a coupon (read from the rollups: as fast for ten million redemptions
/// as for ten). `from`/`to` are days in `zone`; defaults: the last 30 days in the coupon's zone.
#[utoipa::path(
    get, path = "/coupons/{id}/stats", tag = "coupons", params(("id" = i64, Path, description = ID), PeriodInput),
    responses((status = 200, body = StatsOut), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn stats(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(asked): Query<PeriodInput>,
) -> ApiResult<Json<StatsOut>> {
    caller.require(Scope::Manage)?;
    let id = path_id(&id)?;
    let coupon = store::get(&state.db, id).await?;
    let now = chrono::Utc::now();
    let period = asked.resolve(coupon.definition.time_zone.name(), now).map_err(ApiError::invalid)?;
    let r = crate::analytics::report::coupon(&state.db, &coupon, &period, now.timestamp_millis()).await?;
    let redeemers = crate::analytics::report::redeemers(&state.db, Some(id), period.bounds_ms()).await?;
    let previous_redeemers =
        crate::analytics::report::redeemers(&state.db, Some(id), period.previous().bounds_ms()).await?;
    Ok(Json(StatsOut {
        coupon_id: id,
        period: r.period,
        figures: r.current,
        previous_period: r.previous,
        previous: r.before,
        redeemers,
        previous_redeemers,
        refusals: r.refusals,
    }))
}
