//! Segments and campaigns (scope `manage`): the same rules, counts and launches as the dashboard.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::caller::Caller;
use super::{parse_body, path_id, ApiError, ApiResult, ErrorBody};
use crate::accounts::keys::Scope;
use crate::audience::campaigns::{store as campaigns, Campaign, CampaignCounts, CampaignInput};
use crate::audience::segments::{store as segments, Preview, SegmentInput};
use crate::conditions::RuleInput;
use crate::state::AppState;

/// A segment as the API gives it; `rule` reads back as it is sent.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SegmentBody {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub rule: RuleInput,
    pub summary: String,
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    #[serde(with = "crate::dates::rfc3339")]
    pub created_at: i64,
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    #[serde(with = "crate::dates::rfc3339")]
    pub updated_at: i64,
}

impl From<crate::audience::segments::Segment> for SegmentBody {
    fn from(s: crate::audience::segments::Segment) -> Self {
        SegmentBody {
            rule: RuleInput::from(&s.rule),
            summary: s.rule.to_string(),
            id: s.id,
            name: s.name,
            description: s.description,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SegmentList {
    pub segments: Vec<SegmentBody>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PreviewBody {
    pub rule: RuleInput,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CampaignBody {
    #[serde(flatten)]
    pub campaign: Campaign,
    pub counts: CampaignCounts,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CampaignList {
    pub campaigns: Vec<Campaign>,
    /// More campaigns follow: ask again with `starting_after` the last one's id.
    pub has_more: bool,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CampaignQuery {
    /// Only this coupon's campaigns.
    pub coupon_id: Option<i64>,
    /// Campaigns per page, 1 to 500 (default 100).
    pub limit: Option<i64>,
    /// The id of the last campaign of the page before: the page after it.
    pub starting_after: Option<i64>,
}

#[utoipa::path(get, path = "/segments", tag = "audience", responses((status = 200, body = SegmentList)))]
pub async fn list_segments(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<SegmentList>> {
    caller.require(Scope::Manage)?;
    let segments = segments::all(&state.db).await?.into_iter().map(SegmentBody::from).collect();
    Ok(Json(SegmentList { segments }))
}

#[utoipa::path(
    post, path = "/segments", tag = "audience", request_body = SegmentInput,
    description = "Saves a named rule over user properties: groups of conditions joined by `all` (AND) or `any` (OR).",
    responses((status = 201, body = SegmentBody), (status = 422, body = ErrorBody, description = "Bad conditions, by field"))
)]
pub async fn create_segment(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<SegmentBody>)> {
    caller.require(Scope::Manage)?;
    let input: SegmentInput = parse_body(&headers, &body)?;
    let checked = input.parse().map_err(ApiError::invalid)?;
    let saved = segments::save(&state.db, &caller.actor(), None, &checked).await?;
    Ok((StatusCode::CREATED, Json(saved.into())))
}

#[utoipa::path(
    get, path = "/segments/{id}", tag = "audience", params(("id" = i64, Path)),
    responses((status = 200, body = SegmentBody), (status = 404, body = ErrorBody))
)]
pub async fn show_segment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<SegmentBody>> {
    caller.require(Scope::Manage)?;
    Ok(Json(segments::get(&state.db, path_id(&id)?).await?.into()))
}

#[utoipa::path(
    put, path = "/segments/{id}", tag = "audience", request_body = SegmentInput, params(("id" = i64, Path)),
    description = "Replaces a segment. Campaigns already scheduled or launched keep the rule they were made with.",
    responses((status = 200, body = SegmentBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
pub async fn update_segment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<SegmentBody>> {
    caller.require(Scope::Manage)?;
    let id = path_id(&id)?;
    let input: SegmentInput = parse_body(&headers, &body)?;
    let checked = input.parse().map_err(ApiError::invalid)?;
    Ok(Json(segments::save(&state.db, &caller.actor(), Some(id), &checked).await?.into()))
}

#[utoipa::path(
    post, path = "/segments/preview", tag = "audience", request_body = PreviewBody,
    description = "Counts the users a rule matches now, with a sample of them, without saving anything.",
    responses((status = 200, body = Preview), (status = 422, body = ErrorBody))
)]
pub async fn preview(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Preview>> {
    caller.require(Scope::Manage)?;
    let input: PreviewBody = parse_body(&headers, &body)?;
    let mut errors = crate::fields::FieldErrors::default();
    let rule = input.rule.parse("rule", &mut errors).ok_or_else(|| ApiError::invalid(errors))?;
    Ok(Json(segments::preview(&state.db, &rule).await?))
}

#[utoipa::path(
    get, path = "/campaigns", tag = "audience", params(CampaignQuery),
    description = "Campaigns newest first, in pages (`limit`, default 100, at most 500); the next page starts \
        after the last campaign's id (`starting_after`).",
    responses((status = 200, body = CampaignList))
)]
pub async fn list_campaigns(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<CampaignQuery>,
) -> ApiResult<Json<CampaignList>> {
    caller.require(Scope::Manage)?;
    let (campaigns, has_more) =
        campaigns::page(&state.db, query.coupon_id, query.starting_after, crate::coupons::page_size(query.limit))
            .await?;
    Ok(Json(CampaignList { campaigns, has_more }))
}

#[utoipa::path(
    post, path = "/campaigns", tag = "audience", request_body = CampaignInput,
    description = "Delivers a coupon to a segment: now (no `launch_at`), assigning it (and a code each, for \
        unique-code coupons) to every matching user who does not hold it, all or nothing; or at `launch_at`, \
        exactly once whatever the number of servers. Refused with the reason for a paused or archived coupon, \
        a segment that matches no one, or fewer free codes than users.",
    responses(
        (status = 201, body = CampaignBody),
        (status = 409, body = ErrorBody, description = "Fewer free codes than users (the numbers are in the message)"),
        (status = 422, body = ErrorBody, description = "Bad fields, a paused coupon, an empty segment"),
    )
)]
pub async fn create_campaign(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<CampaignBody>)> {
    caller.require(Scope::Manage)?;
    let input: CampaignInput = parse_body(&headers, &body)?;
    let campaign = campaigns::create(&state.db, &caller.actor(), &input, chrono::Utc::now()).await?;
    let counts = campaigns::counts(&state.db, &campaign).await?;
    Ok((StatusCode::CREATED, Json(CampaignBody { campaign, counts })))
}

#[utoipa::path(
    get, path = "/campaigns/{id}", tag = "audience", params(("id" = i64, Path)),
    responses((status = 200, body = CampaignBody), (status = 404, body = ErrorBody))
)]
pub async fn show_campaign(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<CampaignBody>> {
    caller.require(Scope::Manage)?;
    let campaign = campaigns::get(&state.db, path_id(&id)?).await?;
    let counts = campaigns::counts(&state.db, &campaign).await?;
    Ok(Json(CampaignBody { campaign, counts }))
}

#[utoipa::path(
    post, path = "/campaigns/{id}/cancel", tag = "audience", params(("id" = i64, Path)),
    responses((status = 200, body = Campaign), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "Not scheduled"))
)]
pub async fn cancel_campaign(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Campaign>> {
    caller.require(Scope::Manage)?;
    Ok(Json(campaigns::cancel(&state.db, &caller.actor(), path_id(&id)?).await?))
}
