//! `POST /validate`, `POST /redemptions`, `GET /redemptions` (a filtered, paged listing),
//! `GET /redemptions/{id}`, `POST /redemptions/{id}/reverse`.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::caller::Caller;
use super::{parse_body, path_id, ApiError, ApiResult, ErrorBody};
use crate::accounts::keys::Scope;
use crate::activity::checks::Door;
use crate::fields::FieldErrors;
use crate::metadata::Metadata;
use crate::redemption::attempts;
use crate::redemption::bxgy::AddItem;
use crate::redemption::cart::CartInput;
use crate::redemption::decision::{Decision, FeeQuote, LineQuote, NextTier};
use crate::redemption::reasons::{Reason, Refusal};
use crate::redemption::returns::Return;
use crate::redemption::stack::{StackDecision, Totals, MAX_CODES};
use crate::redemption::store::{
    self, Filter, RedeemOutcome, Redemption, RedemptionStatus, Replayable, Request, Target,
};
use crate::state::AppState;
use crate::wire::Named;

/// A cart and the coupon to use on it: a `code` the shopper typed or a `coupon_id` (using the code
/// the user holds), or up to 5 `codes`/`coupon_ids` stacked on one cart.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemBody {
    #[serde(default)]
    user_id: String,
    /// The code as typed; case and surrounding spaces do not matter.
    code: Option<String>,
    coupon_id: Option<i64>,
    /// Several codes on one cart: the answer comes per coupon and in total.
    codes: Option<Vec<String>>,
    coupon_ids: Option<Vec<i64>>,
    cart: Option<CartInput>,
    /// Redeem only: one order redeems a coupon once.
    order_id: Option<String>,
    /// Redeem only: up to 50 keys of your own (strings, numbers, booleans), kept with each
    /// redemption and returned with it.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    metadata: Value,
}

const MAX_ORDER_ID: usize = 128;

/// The codes a body names, and whether it asked for a stack (`codes`/`coupon_ids`) rather than
/// one coupon, which shapes the answer.
fn targets(body: &mut RedeemBody, errors: &mut FieldErrors) -> (Vec<Target>, bool) {
    let single: Vec<Target> =
        body.code.take().map(Target::Code).into_iter().chain(body.coupon_id.take().map(Target::Coupon)).collect();
    let stacked = body.codes.is_some() || body.coupon_ids.is_some();
    let many: Vec<Target> = body
        .codes
        .take()
        .unwrap_or_default()
        .into_iter()
        .map(Target::Code)
        .chain(body.coupon_ids.take().unwrap_or_default().into_iter().map(Target::Coupon))
        .collect();
    match (single.len(), stacked) {
        (1, false) => return (single, false),
        (0, false) => errors.add("code", "send the code the shopper typed, or a coupon_id (or codes for several)"),
        (_, false) => errors.add("code", "send a code or a coupon_id, not both"),
        (0, true) if many.is_empty() => errors.add("codes", "send at least one code"),
        (0, true) if many.len() > MAX_CODES => {
            errors.add("codes", format!("at most {MAX_CODES} codes go on one cart, {} were sent", many.len()))
        }
        (0, true) => return (many, true),
        (_, true) => errors.add("codes", "send codes/coupon_ids, or a single code/coupon_id, not both"),
    }
    (Vec::new(), stacked)
}

fn request(mut body: RedeemBody) -> ApiResult<(Request, bool)> {
    let mut errors = FieldErrors::default();
    let user = errors.check("user_id", crate::audience::users::parse_user_id(&body.user_id));
    let (targets, stacked) = targets(&mut body, &mut errors);
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
    let metadata = Metadata::parse(&body.metadata, "metadata", &mut errors);
    match (user, cart, metadata) {
        (Some(user_id), Some(cart), Some(metadata)) if errors.is_empty() => {
            Ok((Request { user_id, targets, cart, order_id, metadata }, stacked))
        }
        _ => Err(ApiError::invalid(errors)),
    }
}

/// One reason a coupon was refused.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReasonOut {
    /// One of the fixed reason codes, most important first when sorted.
    pub code: Reason,
    pub message: String,
    /// In a stack's list of every reason: the coupon it is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coupon_id: Option<i64>,
}

/// What a valid coupon gives on the cart; absent when it is refused.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct QuoteOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The amount the reward was computed on, in minor units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eligible_amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cashback_points: Option<i64>,
    /// Each line's amount (what the coupons before this one left), discount and total.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<Vec<LineQuote>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fees: Option<Vec<FeeQuote>>,
    /// The tier of a tiered reward the cart reached (its index in `reward.tiers`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<usize>,
    /// The next tier up and what the cart lacks for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_tier: Option<NextTier>,
    /// How many times a buy-X-get-Y applied (each line says the units it `bought` and `got`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applications: Option<i64>,
    /// Free items to add to the cart (a buy-X-get-Y's units got that the cart lacks): add them
    /// and validate again, and they are discounted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub add_items: Option<Vec<AddItem>>,
}

/// The answer of validate for one coupon: valid or not, the money, and every reason.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Validation {
    pub valid: bool,
    pub coupon_id: Option<i64>,
    pub code: Option<String>,
    /// Every reason for refusing, most important first; empty when valid.
    pub reasons: Vec<ReasonOut>,
    #[serde(flatten)]
    pub quote: QuoteOut,
}

/// The cart after every coupon of a stack.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TotalsOut {
    pub currency: String,
    pub discount: i64,
    pub cashback_points: i64,
    /// Each line's amount, total discount from all coupons, and what is left to pay.
    pub lines: Vec<LineQuote>,
    pub fees: Vec<FeeQuote>,
}

/// The answer of validate for several codes: each coupon's answer, in the order sent, and the
/// totals when every one of them can be used.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StackValidation {
    pub valid: bool,
    /// Every reason of every coupon, most important first.
    pub reasons: Vec<ReasonOut>,
    pub coupons: Vec<Validation>,
    /// The cart after every coupon; present when the stack is valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub totals: Option<TotalsOut>,
}

/// A redeem of several codes: one redemption per coupon, all in one transaction.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StackRedemption {
    /// The id every coupon of this cart shares; reversing any of them reverses them all.
    pub group_id: i64,
    pub totals: TotalsOut,
    pub redemptions: Vec<Redemption>,
}

fn reason_out(r: &Refusal, coupon_id: Option<i64>) -> ReasonOut {
    ReasonOut { code: r.reason, message: r.message.clone(), coupon_id }
}

fn validation(d: &Decision) -> Validation {
    Validation {
        valid: d.valid(),
        coupon_id: (d.coupon_id > 0).then_some(d.coupon_id),
        code: d.code.clone(),
        reasons: d.refusals.iter().map(|r| reason_out(r, None)).collect(),
        quote: d.quote.as_ref().map_or_else(QuoteOut::default, |q| QuoteOut {
            currency: Some(q.currency.clone()),
            eligible_amount: Some(q.eligible),
            discount: Some(q.discount),
            cashback_points: Some(q.cashback),
            lines: Some(q.lines.clone()),
            fees: Some(q.fees.clone()),
            tier: q.tier,
            next_tier: q.next_tier.clone(),
            applications: q.applications,
            add_items: (!q.add_items.is_empty()).then(|| q.add_items.clone()),
        }),
    }
}

fn totals_out(t: &Totals) -> TotalsOut {
    TotalsOut {
        currency: t.currency.clone(),
        discount: t.discount,
        cashback_points: t.cashback,
        lines: t.lines.clone(),
        fees: t.fees.clone(),
    }
}

fn stack_validation(s: &StackDecision) -> StackValidation {
    StackValidation {
        valid: s.valid(),
        reasons: s
            .refusals()
            .into_iter()
            .map(|(d, r)| reason_out(r, (d.coupon_id > 0).then_some(d.coupon_id)))
            .collect(),
        coupons: s.decisions.iter().map(validation).collect(),
        totals: s.totals.as_ref().map(totals_out),
    }
}

/// The answer of validate: one coupon's for `code`/`coupon_id`, the stack's for `codes`/`coupon_ids`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum ValidateAnswer {
    One(Validation),
    Stack(StackValidation),
}

/// A recorded redemption: one, or a stack's.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum RedeemAnswer {
    One(Box<Redemption>),
    Stack(StackRedemption),
}

/// The answer in the shape the request asked for: one coupon's, or the stack's. A code held by
/// another user reads as one that does not exist: an app's answer must not tell a stranger which
/// codes are real.
fn answer(s: &StackDecision, stacked: bool) -> ValidateAnswer {
    let s = &s.concealed();
    match (stacked, s.decisions.first()) {
        (false, Some(d)) => ValidateAnswer::One(validation(d)),
        _ => ValidateAnswer::Stack(stack_validation(s)),
    }
}

#[utoipa::path(
    post, path = "/validate", tag = "checkout", request_body = RedeemBody,
    description = "Whether the coupon(s) can be used on the cart, with the discount per line and fee and \
        the cashback, or every reason not, most important first. Stores nothing about the cart; each coupon \
        checked is counted for the analytics (valid, or its first reason). Attempts that name a code \
        are rate limited per key and per user (shared with `POST /redemptions`); a code held by another user \
        is refused as `code_not_found`.",
    responses(
        (status = 200, body = ValidateAnswer, description = "The decision (valid or not)"),
        (status = 400, body = ErrorBody, description = "Malformed JSON"),
        (status = 422, body = ErrorBody, description = "Invalid fields, in `details.fields`"),
        (status = 429, body = ErrorBody, description = "Too many attempts; see `Retry-After`"),
    )
)]
pub async fn validate(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<ValidateAnswer>> {
    caller.require(Scope::Checkout)?;
    let (req, stacked) = request(parse_body(&headers, &body)?)?;
    let now = chrono::Utc::now();
    attempts::Attempts::of(&state.config, attempts::By::Key(caller.key_id), &req)
        .count(&state.db, now.timestamp_millis())
        .await?;
    let decision = store::validate(&state.db, &req, now).await?;
    count_decision(&state, Door::Validate, &decision, now.timestamp_millis());
    Ok(Json(answer(&decision, stacked)))
}

/// Counts a decision for `/metrics` and for the analytics, with its real reasons (before a
/// stranger's are concealed).
fn count_decision(state: &AppState, door: Door, s: &StackDecision, at_ms: i64) {
    let reasons: Vec<&'static str> = s.refusals().iter().map(|(_, r)| r.reason.code()).collect();
    crate::ops::metrics::get().decision(door.name(), &reasons);
    store::count_checks(&state.checks, door, s, at_ms);
}

fn outcome_response(outcome: &RedeemOutcome, stacked: bool, replayed: bool) -> Response {
    let response = match outcome {
        RedeemOutcome::Redeemed { redemptions, totals } => {
            let body = match (stacked, redemptions.first()) {
                (false, Some(one)) => RedeemAnswer::One(Box::new(one.clone())),
                _ => RedeemAnswer::Stack(StackRedemption {
                    group_id: redemptions.first().map_or(0, |r| r.group_id),
                    totals: totals_out(totals),
                    redemptions: redemptions.clone(),
                }),
            };
            (StatusCode::CREATED, Json(body)).into_response()
        }
        RedeemOutcome::Refused(s) => {
            let s = &s.concealed();
            let first = s.refusals().first().map(|(_, r)| r.message.clone()).unwrap_or_default();
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "redemption_refused", first)
                .with_details(json!(answer(s, stacked)))
                .into_response()
        }
    };
    super::mark_replayed(response, replayed)
}

#[utoipa::path(
    post, path = "/redemptions", tag = "checkout", request_body = RedeemBody,
    description = "Validates and records the redemption in one transaction: every limit, cap, budget and \
        single-use code is taken or none is. Several codes are recorded together or not at all. Attempts that \
        name a code count against the same rate limits as validate.",
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and the same JSON body (key order and spacing aside) get the first answer; another body is a 409")),
    responses(
        (status = 201, body = RedeemAnswer, description = "Redeemed"),
        (status = 409, body = ErrorBody, description = "The key was used with another body, or the order already redeemed the coupon"),
        (status = 422, body = ErrorBody, description = "Refused (`redemption_refused`, the decision in `details`) or invalid fields"),
        (status = 429, body = ErrorBody, description = "Too many attempts; see `Retry-After`. Nothing was stored"),
    )
)]
pub async fn redeem(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    caller.require(Scope::Checkout)?;
    let idempotency = super::idempotency(&headers, &caller, "POST /redemptions", &body)?;
    let (req, stacked) = request(parse_body(&headers, &body)?)?;
    let now = chrono::Utc::now();
    let attempts = attempts::Attempts::of(&state.config, attempts::By::Key(caller.key_id), &req);
    let outcome = store::redeem(&state.db, &req, idempotency.as_ref(), &attempts, now).await?;
    Ok(match outcome {
        Replayable::Fresh(o) => {
            match &o {
                RedeemOutcome::Redeemed { redemptions, .. } => {
                    crate::ops::metrics::get().decision("redeem", &[]);
                    crate::ops::metrics::get().redeemed(redemptions.len());
                }
                RedeemOutcome::Refused(s) => count_decision(&state, Door::Redeem, s, now.timestamp_millis()),
            }
            outcome_response(&o, stacked, false)
        }
        Replayable::Replay(o) => outcome_response(&o, stacked, true),
    })
}

/// Which redemptions to list; every filter given must hold.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RedemptionQuery {
    /// Only this coupon's redemptions.
    pub coupon_id: Option<i64>,
    /// Only this user's.
    pub user_id: Option<String>,
    /// Only this order's (as sent with the redeem).
    pub order_id: Option<String>,
    /// `redeemed` or `reversed`.
    pub status: Option<String>,
    /// Redeemed at or after this instant (RFC 3339).
    pub from: Option<String>,
    /// Redeemed before this instant (RFC 3339).
    pub to: Option<String>,
    /// Redemptions per page, 1 to 500 (default 100).
    pub limit: Option<i64>,
    /// The id of the last redemption of the page before: the page after it.
    pub starting_after: Option<i64>,
}

impl RedemptionQuery {
    fn filter(self) -> ApiResult<Filter> {
        let mut e = FieldErrors::default();
        let text = |t: Option<String>| t.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
        let user_id = text(self.user_id).and_then(|u| e.check("user_id", crate::audience::users::parse_user_id(&u)));
        let order_id = text(self.order_id);
        if order_id.as_ref().is_some_and(|o| o.len() > MAX_ORDER_ID) {
            e.add("order_id", format!("an order id has at most {MAX_ORDER_ID} characters"));
        }
        let status = text(self.status).and_then(|s| e.check("status", RedemptionStatus::named(&s)));
        let mut instant = |field: &str, t: Option<String>| {
            text(t).and_then(|t| {
                let at = chrono::DateTime::parse_from_rfc3339(&t)
                    .map_err(|_| format!("`{t}` is not an RFC 3339 date-time (2026-12-01T09:00:00Z)"))
                    .and_then(|at| crate::dates::check_instant(at.to_utc()));
                e.check(field, at).map(|at| at.timestamp_millis())
            })
        };
        let from = instant("from", self.from);
        let to = instant("to", self.to);
        if e.is_empty() {
            Ok(Filter { coupon_id: self.coupon_id, user_id, order_id, status, from, to })
        } else {
            Err(ApiError::invalid(e))
        }
    }
}

/// A page of redemptions, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RedemptionList {
    pub redemptions: Vec<Redemption>,
    /// More redemptions follow: ask again with `starting_after` the last one's id.
    pub has_more: bool,
}

#[utoipa::path(
    get, path = "/redemptions", tag = "checkout", params(RedemptionQuery),
    description = "Redemptions newest first, by coupon, user, order, status and time, a page at a time.",
    responses((status = 200, body = RedemptionList), (status = 422, body = ErrorBody))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<RedemptionQuery>,
) -> ApiResult<Json<RedemptionList>> {
    caller.require(Scope::Checkout)?;
    let limit = crate::coupons::page_size(query.limit);
    let after = query.starting_after;
    let (redemptions, has_more) = store::page(&state.db, &query.filter()?, after, limit).await?;
    Ok(Json(RedemptionList { redemptions, has_more }))
}

#[utoipa::path(
    get, path = "/redemptions/{id}", tag = "checkout",
    params(("id" = i64, Path, description = "The redemption's id")),
    responses((status = 200, body = Redemption), (status = 404, body = ErrorBody))
)]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Redemption>> {
    caller.require(Scope::Checkout)?;
    Ok(Json(store::get(&state.db, path_id(&id)?).await?))
}

/// Units of one cart line coming back.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LineReturn {
    /// The line's index in the redeemed cart (as in the answer's `quote.lines`).
    pub index: usize,
    pub quantity: i64,
}

/// A reverse: the whole redemption (send neither `amount` nor `lines`), or part of it.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ReverseBody {
    /// Part of the coupon's eligible amount (`quote.eligible_amount`) coming back, in minor
    /// units: its share of the discount and cashback is given back.
    amount: Option<i64>,
    /// Units of cart lines coming back: each line's share of its discount is given back, and of
    /// the cashback the share of the eligible amount they carried.
    lines: Option<Vec<LineReturn>>,
    /// Why, for the audit log (at most 500 characters).
    reason: Option<String>,
}

#[utoipa::path(
    post, path = "/redemptions/{id}/reverse", tag = "checkout", request_body = ReverseBody,
    description = "Without `amount` or `lines`: gives the use back to every limit and takes the cashback back; \
        coupons stacked on the same cart are reversed with it; reversing twice changes nothing. With them \
        (a partial refund): gives back that part's share of the discount (to the budget and the analytics) and \
        of the cashback (from the wallet), keeps the use counted, and moves only this redemption. What came back \
        so far is in `returned`; the redemption's `discount` and `cashback_points` are what is left. A partial \
        reverse needs an `Idempotency-Key`, so that a retry cannot return the part twice.",
    params(("id" = i64, Path, description = "The redemption's id")),
    responses(
        (status = 200, body = Redemption, description = "The redemption, reversed or with the part returned"),
        (status = 400, body = ErrorBody, description = "A partial reverse without an `Idempotency-Key`"),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "A partial reverse of a reversed redemption, or a key used with another body"),
        (status = 422, body = ErrorBody, description = "More than is left to return, or a line that is not there"),
    )
)]
pub async fn reverse(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    raw: Bytes,
) -> ApiResult<Response> {
    caller.require(Scope::Checkout)?;
    let id = path_id(&id)?;
    // Reverses were sent without a body before partial ones existed.
    let body: ReverseBody =
        if raw.iter().all(u8::is_ascii_whitespace) { ReverseBody::default() } else { parse_body(&headers, &raw)? };
    let reason = body.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
    let mut errors = FieldErrors::default();
    if reason.is_some_and(|r| r.chars().count() > store::MAX_REASON) {
        errors.add("reason", format!("at most {} characters", store::MAX_REASON));
    }
    let now = chrono::Utc::now();
    if body.amount.is_none() && body.lines.is_none() {
        errors.into_result(|| ()).map_err(ApiError::invalid)?;
        let (redemption, _) = store::reverse(&state.db, id, reason, &caller.actor(), now).await?;
        return Ok(Json(redemption).into_response());
    }
    let lines = body.lines.unwrap_or_default();
    if lines.len() > crate::redemption::cart::MAX_ITEMS {
        errors.add("lines", format!("at most {} lines", crate::redemption::cart::MAX_ITEMS));
    }
    errors.into_result(|| ()).map_err(ApiError::invalid)?;
    let ret = Return { lines: lines.iter().map(|l| (l.index, l.quantity)).collect(), amount: body.amount.unwrap_or(0) };
    let idempotency = super::idempotency(&headers, &caller, &format!("POST /redemptions/{id}/reverse"), &raw)?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "idempotency_key_required",
                "a partial reverse needs an Idempotency-Key header, so that a retry cannot return the part twice",
            )
        })?;
    let outcome =
        store::reverse_part(&state.db, id, &ret, reason, &caller.actor(), store::Once::Key(&idempotency), now).await?;
    Ok(match outcome {
        Replayable::Fresh(r) => Json(r).into_response(),
        Replayable::Replay(r) => super::mark_replayed(Json(r).into_response(), true),
    })
}
