//! `POST /validate`, `POST /redemptions`, `GET /redemptions/{id}`, `POST /redemptions/{id}/reverse`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::caller::Caller;
use super::{limits, parse_body, path_id, ApiError, ApiResult};
use crate::fields::FieldErrors;
use crate::keys::Scope;
use crate::redemption::cart::CartInput;
use crate::redemption::decision::Decision;
use crate::redemption::store::{self, Idempotency, Outcome, Replayable, Request, Target};
use crate::startup::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    #[serde(default)]
    user_id: String,
    code: Option<String>,
    coupon_id: Option<i64>,
    cart: Option<CartInput>,
    order_id: Option<String>,
}

const MAX_ORDER_ID: usize = 128;

fn request(body: Body) -> ApiResult<Request> {
    let mut errors = FieldErrors::default();
    let user = errors.check("user_id", crate::users::parse_user_id(&body.user_id));
    let target = match (body.code, body.coupon_id) {
        (Some(code), None) => Some(Target::Code(code)),
        (None, Some(id)) => Some(Target::Coupon(id)),
        (Some(_), Some(_)) => {
            errors.add("code", "send a code or a coupon_id, not both");
            None
        }
        (None, None) => {
            errors.add("code", "send the code the shopper typed, or a coupon_id");
            None
        }
    };
    let cart = match body.cart {
        Some(c) => c.parse("cart").map_err(|e| errors.0.extend(e.0)).ok(),
        None => {
            errors.add("cart", "send the cart");
            None
        }
    };
    let order_id = body.order_id.map(|o| o.trim().to_string());
    if order_id.as_ref().is_some_and(|o| o.is_empty() || o.chars().count() > MAX_ORDER_ID) {
        errors.add("order_id", format!("an order id has 1–{MAX_ORDER_ID} characters"));
    }
    match (user, target, cart) {
        (Some(user_id), Some(target), Some(cart)) if errors.is_empty() => {
            Ok(Request { user_id, target, cart, order_id })
        }
        _ => Err(ApiError::invalid(errors)),
    }
}

/// The answer of validate: valid or not, the money, and every reason.
fn decision_json(d: &Decision) -> Value {
    let reasons: Vec<Value> =
        d.refusals.iter().map(|r| json!({"code": r.reason.code(), "message": r.message})).collect();
    let mut answer = json!({
        "valid": d.valid(),
        "coupon_id": (d.coupon_id > 0).then_some(d.coupon_id),
        "code": d.code,
        "reasons": reasons,
    });
    if let Some(q) = &d.quote {
        answer["currency"] = json!(q.currency);
        answer["eligible_amount"] = json!(q.eligible);
        answer["discount"] = json!(q.discount);
        answer["cashback_points"] = json!(q.cashback);
        answer["lines"] = json!(q.lines);
        answer["fees"] = json!(q.fees);
    }
    answer
}

pub async fn validate(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    caller.require(Scope::Checkout)?;
    let req = request(parse_body(&headers, &body)?)?;
    let now = chrono::Utc::now();
    let ms = now.timestamp_millis();
    limits::hit(&state.db, &format!("validate:key:{}", caller.key_id), state.config.validate_per_key, ms).await?;
    limits::hit(&state.db, &format!("validate:user:{}", req.user_id), state.config.validate_per_user, ms).await?;
    let decision = store::validate(&state.db, &req, now).await?;
    Ok(Json(decision_json(&decision)))
}

const MAX_IDEMPOTENCY_KEY: usize = 255;

fn outcome_response(outcome: &Outcome, replayed: bool) -> Response {
    let mut response = match outcome {
        Outcome::Redeemed(r) => (StatusCode::CREATED, Json(json!(r))).into_response(),
        Outcome::Refused(d) => {
            let first = d.refusals.first().map(|r| r.message.clone()).unwrap_or_default();
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "redemption_refused", first)
                .with_details(decision_json(d))
                .into_response()
        }
    };
    if replayed {
        response.headers_mut().insert("idempotent-replayed", axum::http::HeaderValue::from_static("true"));
    }
    response
}

pub async fn redeem(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    caller.require(Scope::Checkout)?;
    let idempotency = match headers.get("idempotency-key") {
        None => None,
        Some(value) => {
            let key = value.to_str().map(str::trim).unwrap_or_default();
            if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_idempotency_key",
                    format!("an Idempotency-Key has 1–{MAX_IDEMPOTENCY_KEY} visible ASCII characters"),
                ));
            }
            Some(Idempotency {
                api_key_id: caller.key_id,
                key: key.to_string(),
                request_hash: hex::encode(Sha256::digest(&body)),
            })
        }
    };
    let req = request(parse_body(&headers, &body)?)?;
    let outcome = store::redeem(&state.db, &req, idempotency.as_ref(), chrono::Utc::now()).await?;
    Ok(match outcome {
        Replayable::Fresh(o) => outcome_response(&o, false),
        Replayable::Replay(o) => outcome_response(&o, true),
    })
}

pub async fn show(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    caller.require(Scope::Checkout)?;
    Ok(Json(json!(store::get(&state.db, path_id(&id)?).await?)))
}

pub async fn reverse(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    caller.require(Scope::Checkout)?;
    Ok(Json(json!(store::reverse(&state.db, path_id(&id)?, chrono::Utc::now()).await?)))
}
