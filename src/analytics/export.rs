//! CSV export of the redemptions of a period, one coupon's or every coupon's, streamed page by
//! page (keyset paging on the time and id, so a million rows never sit in memory), with cells a
//! spreadsheet will not run as formulas.

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::TimeZone;
use chrono_tz::Tz;
use futures_util::Stream;

use super::PeriodInput;
use crate::accounts::auth::account_for_request;
use crate::accounts::Permission;
use crate::codes::export::row;
use crate::codes::http::csv_download;
use crate::db::Db;
use crate::error::AppError;
use crate::http_error::ApiError;
use crate::money::Currency;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/coupons/{id}/redemptions.csv", get(redemptions_csv))
        .route("/analytics/redemptions.csv", get(all_redemptions_csv))
}

const PAGE: i64 = 5000;

pub const HEADER: [&str; 11] = [
    "redemption_id",
    "redeemed_at",
    "user_id",
    "order_id",
    "code",
    "currency",
    "discount",
    "cashback",
    "status",
    "reversed_at",
    "group_id",
];

/// The columns an export across coupons starts with.
const COUPON_COLUMNS: [&str; 2] = ["coupon_id", "coupon"];

type Line = (i64, i64, String, Option<String>, Option<String>, String, i64, i64, String, Option<i64>, i64, i64, String);

fn local(tz: &Tz, ms: i64) -> String {
    tz.timestamp_millis_opt(ms).single().map(|t| t.format("%Y-%m-%d %H:%M:%S%:z").to_string()).unwrap_or_default()
}

fn line(tz: &Tz, l: &Line, across: bool) -> String {
    let (id, at, user, order, code, currency, discount, cashback, status, reversed, group, coupon_id, coupon) = l;
    let major = |minor: i64| Currency::parse(currency).map_or_else(|| minor.to_string(), |c| c.to_major_text(minor));
    let coupon_id = coupon_id.to_string();
    let coupon_cells: &[&str] = if across { &[&coupon_id, coupon] } else { &[] };
    row(&[
        coupon_cells,
        &[
            &id.to_string(),
            &local(tz, *at),
            user,
            order.as_deref().unwrap_or_default(),
            code.as_deref().unwrap_or_default(),
            currency,
            &major(*discount),
            &major(*cashback),
            status,
            &reversed.map(|r| local(tz, r)).unwrap_or_default(),
            &group.to_string(),
        ],
    ]
    .concat())
}

/// The CSV body: the header, then each redemption made in `[from, to)` in time order; with no
/// `coupon_id`, every coupon's, each line naming its coupon first.
pub fn redemptions(
    db: Db,
    coupon_id: Option<i64>,
    (from, to): (i64, i64),
    tz: Tz,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send {
    let across = coupon_id.is_none();
    let header = if across { [&COUPON_COLUMNS[..], &HEADER[..]].concat() } else { HEADER.to_vec() };
    let first = futures_util::stream::once(std::future::ready(Ok(Bytes::from(row(&header)))));
    // Across coupons the time index leads; for one coupon, its own (coupon, time) index.
    let scope = if across { "$1 = 0" } else { "r.coupon_id = $1" };
    let rest = futures_util::stream::unfold(Some((from, i64::MIN)), move |after| {
        let db = db.clone();
        async move {
            let (at, id) = after?;
            let page: Result<Vec<Line>, _> = sqlx::query_as(&format!(
                "SELECT r.id, r.redeemed_at, r.user_id, r.order_id, k.code, r.currency, r.discount, r.cashback,
                        r.status, r.reversed_at, COALESCE(r.group_id, r.id), r.coupon_id, c.name
                 FROM redemptions r JOIN coupons c ON c.id = r.coupon_id LEFT JOIN codes k ON k.id = r.code_id
                 WHERE {scope} AND r.redeemed_at < $2
                   AND (r.redeemed_at > $3 OR (r.redeemed_at = $3 AND r.id > $4))
                 ORDER BY r.redeemed_at, r.id
                 LIMIT $5"
            ))
            .bind(coupon_id.unwrap_or(0))
            .bind(to)
            .bind(at)
            .bind(id)
            .bind(PAGE)
            .fetch_all(db.pool())
            .await;
            let lines = match page {
                Ok(lines) => lines,
                Err(e) => {
                    tracing::error!(error = %e, "redemptions export failed");
                    return Some((Err(std::io::Error::other("the export failed")), None));
                }
            };
            let last = lines.last().map(|l| (l.1, l.0))?;
            let next = (lines.len() as i64 == PAGE).then_some(last);
            let body: String = lines.iter().map(|l| line(&tz, l, across)).collect();
            Some((Ok(Bytes::from(body)), next))
        }
    });
    futures_util::StreamExt::chain(first, rest)
}

async fn redemptions_csv(
    State(app): State<AppState>,
    Path(coupon_id): Path<i64>,
    Query(asked): Query<PeriodInput>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    account_for_request(&app.db, &app.config, &headers, Permission::ViewCoupons).await?;
    let coupon = crate::coupons::store::get(&app.db, coupon_id).await?;
    let period = asked.resolve(coupon.definition.time_zone.name(), chrono::Utc::now()).map_err(AppError::Invalid)?;
    let name = format!("coupon-{coupon_id}-redemptions-{}-to-{}.csv", period.from, period.to);
    let body = redemptions(app.db.clone(), Some(coupon_id), period.bounds_ms(), period.tz());
    Ok(csv_download(&name, Body::from_stream(body)))
}

/// Every coupon's redemptions in the period (in the zone most coupons use, unless asked).
async fn all_redemptions_csv(
    State(app): State<AppState>,
    Query(asked): Query<PeriodInput>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    account_for_request(&app.db, &app.config, &headers, Permission::ViewCoupons).await?;
    let zone = super::report::usual_zone(&app.db).await?;
    let period = asked.resolve(&zone, chrono::Utc::now()).map_err(AppError::Invalid)?;
    let name = format!("redemptions-{}-to-{}.csv", period.from, period.to);
    let body = redemptions(app.db.clone(), None, period.bounds_ms(), period.tz());
    Ok(csv_download(&name, Body::from_stream(body)))
}
