//! Reads a report from the rollups: one grouped query over the quarter hours of the period and
//! the period before it, bucketed into days and hours of the period's zone here.

use std::collections::BTreeMap;

use chrono::{Datelike, TimeZone, Timelike};

use super::rollup::QUARTER_MS;
use super::{charts, Amount, BatchUse, Day, Figures, Period, Report, TopCoupon};
use crate::coupons::Coupon;
use crate::db::Db;
use crate::error::AppError;

/// Which coupons a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Coupon(i64),
    All,
}

impl Scope {
    fn filter(self) -> &'static str {
        match self {
            Scope::Coupon(_) => "a.coupon_id = $3 AND ",
            Scope::All => "",
        }
    }
}

/// One quarter hour's sums, in one currency.
#[derive(Debug, Clone, sqlx::FromRow)]
struct QuarterRow {
    quarter: i64,
    currency: String,
    assigned: i64,
    activated: i64,
    redeemed: i64,
    discount: i64,
    cashback: i64,
    reversals: i64,
    new_redeemers: i64,
    new_customers: i64,
}

/// The sums of each quarter hour in `[from_q, to_q)`, one currency at a time: coupons in one
/// currency (the usual case) are summed with no join at all, and the overview's scan reads only
/// the covering index on `quarter`.
async fn quarters(db: &Db, scope: Scope, from_q: i64, to_q: i64) -> Result<Vec<QuarterRow>, AppError> {
    let currencies: Vec<String> = match scope {
        Scope::Coupon(id) => {
            sqlx::query_scalar("SELECT currency FROM coupons WHERE id = $1").bind(id).fetch_all(db.pool()).await?
        }
        Scope::All => {
            sqlx::query_scalar("SELECT DISTINCT currency FROM coupons ORDER BY currency").fetch_all(db.pool()).await?
        }
    };
    let filter = match (scope, currencies.len()) {
        (Scope::Coupon(_), _) => "a.coupon_id = $3 AND ",
        (Scope::All, 1) => "",
        (Scope::All, _) => "a.coupon_id IN (SELECT id FROM coupons WHERE currency = $3) AND ",
    };
    // PostgreSQL sums BIGINT into NUMERIC: cast back so both databases answer integers.
    let sql = format!(
        "SELECT a.quarter, '' AS currency,
                CAST(SUM(a.assigned) AS BIGINT) AS assigned, CAST(SUM(a.activated) AS BIGINT) AS activated,
                CAST(SUM(a.redeemed) AS BIGINT) AS redeemed, CAST(SUM(a.discount) AS BIGINT) AS discount,
                CAST(SUM(a.cashback) AS BIGINT) AS cashback, CAST(SUM(a.reversals) AS BIGINT) AS reversals,
                CAST(SUM(a.new_redeemers) AS BIGINT) AS new_redeemers,
                CAST(SUM(a.new_customers) AS BIGINT) AS new_customers
         FROM coupon_activity a
         WHERE {filter}a.quarter >= $1 AND a.quarter < $2
         GROUP BY a.quarter"
    );
    let mut rows = Vec::new();
    for currency in currencies {
        let mut query = sqlx::query_as::<_, QuarterRow>(&sql).bind(from_q).bind(to_q);
        match scope {
            Scope::Coupon(id) => query = query.bind(id),
            Scope::All if !filter.is_empty() => query = query.bind(currency.clone()),
            Scope::All => {}
        }
        let mut part = query.fetch_all(db.pool()).await?;
        for row in &mut part {
            row.currency.clone_from(&currency);
        }
        rows.append(&mut part);
    }
    Ok(rows)
}

async fn codes_issued(db: &Db, scope: Scope, (from, to): (i64, i64)) -> Result<i64, AppError> {
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(a.row_count), 0) AS BIGINT) FROM code_batches a
         WHERE {}a.status IN ('ready', 'voided') AND a.created_at >= $1 AND a.created_at < $2",
        scope.filter()
    );
    let mut query = sqlx::query_scalar::<_, i64>(&sql).bind(from).bind(to);
    if let Scope::Coupon(id) = scope {
        query = query.bind(id);
    }
    Ok(query.fetch_one(db.pool()).await?)
}

/// Each coupon's sums over a range: the top coupons, and the overview's redemption rate.
struct CouponSums {
    top: TopCoupon,
    assigned: i64,
    new_redeemers: i64,
}

async fn per_coupon(db: &Db, (from_q, to_q): (i64, i64)) -> Result<Vec<CouponSums>, AppError> {
    type Row = (i64, String, String, i64, i64, i64, i64);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT a.coupon_id, c.name, c.currency, CAST(SUM(a.redeemed) AS BIGINT), CAST(SUM(a.discount) AS BIGINT),
                CAST(SUM(a.assigned) AS BIGINT), CAST(SUM(a.new_redeemers) AS BIGINT)
         FROM coupon_activity a JOIN coupons c ON c.id = a.coupon_id
         WHERE a.quarter >= $1 AND a.quarter < $2
         GROUP BY a.coupon_id, c.name, c.currency
         ORDER BY 4 DESC, 1",
    )
    .bind(from_q)
    .bind(to_q)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, currency, redemptions, minor, assigned, new_redeemers)| CouponSums {
            top: TopCoupon { id, name, redemptions, discount: Amount { currency, minor } },
            assigned,
            new_redeemers,
        })
        .collect())
}

/// Across coupons, the rate counts only coupons that were assigned in the range: people
/// redeeming a coupon open to everyone were never in any funnel.
fn assigned_rate(coupons: &[CouponSums]) -> Option<f64> {
    let (redeemers, assigned) =
        coupons.iter().filter(|c| c.assigned > 0).fold((0, 0), |(r, a), c| (r + c.new_redeemers, a + c.assigned));
    (assigned > 0).then(|| redeemers as f64 / assigned as f64)
}

/// The code batches with the most redemptions in the period (of the coupon, or of all).
async fn batch_usage(db: &Db, scope: Scope, (from_q, to_q): (i64, i64)) -> Result<Vec<BatchUse>, AppError> {
    let sql = format!(
        "SELECT a.batch_id, b.coupon_id, c.name, b.kind, b.file_name, b.row_count,
                CAST(SUM(a.assigned) AS BIGINT), CAST(SUM(a.redeemed) AS BIGINT)
         FROM coupon_activity a JOIN code_batches b ON b.id = a.batch_id JOIN coupons c ON c.id = b.coupon_id
         WHERE {}a.batch_id <> 0 AND a.quarter >= $1 AND a.quarter < $2
         GROUP BY a.batch_id, b.coupon_id, c.name, b.kind, b.file_name, b.row_count
         ORDER BY 8 DESC, 7 DESC, 1 DESC
         LIMIT 12",
        scope.filter()
    );
    type Row = (i64, i64, String, String, Option<String>, i64, i64, i64);
    let mut query = sqlx::query_as::<_, Row>(&sql).bind(from_q).bind(to_q);
    if let Scope::Coupon(id) = scope {
        query = query.bind(id);
    }
    Ok(query
        .fetch_all(db.pool())
        .await?
        .into_iter()
        .map(|(id, coupon_id, coupon_name, kind, file_name, codes, assigned, redeemed)| BatchUse {
            id,
            coupon_id,
            coupon_name,
            label: match file_name {
                Some(name) if kind == "uploaded" => format!("#{id} {name}"),
                _ => format!("#{id} {kind}"),
            },
            codes,
            assigned,
            redeemed,
        })
        .collect())
}

/// Sums quarter rows into a period's figures.
#[derive(Default)]
struct Sums {
    assigned: i64,
    activated: i64,
    redeemed: i64,
    reversals: i64,
    redeemers: i64,
    discount: BTreeMap<String, i64>,
    cashback: BTreeMap<String, i64>,
}

impl Sums {
    fn add(&mut self, r: &QuarterRow, scope: Scope) {
        self.assigned += r.assigned;
        self.activated += r.activated;
        self.redeemed += r.redeemed;
        self.reversals += r.reversals;
        self.redeemers += if scope == Scope::All { r.new_customers } else { r.new_redeemers };
        *self.discount.entry(r.currency.clone()).or_default() += r.discount;
        *self.cashback.entry(r.currency.clone()).or_default() += r.cashback;
    }

    fn figures(self, codes_issued: i64, currencies: &[String]) -> Figures {
        let amounts = |m: &BTreeMap<String, i64>| -> Vec<Amount> {
            currencies.iter().map(|c| Amount { currency: c.clone(), minor: m.get(c).copied().unwrap_or(0) }).collect()
        };
        Figures {
            codes_issued,
            assignments: self.assigned,
            activations: self.activated,
            redemptions: self.redeemed,
            reversals: self.reversals,
            unique_redeemers: self.redeemers,
            discount_given: amounts(&self.discount),
            cashback_given: amounts(&self.cashback),
            redemption_rate: (self.assigned > 0).then(|| self.redeemers as f64 / self.assigned as f64),
        }
    }
}

fn quarter_bounds((from, to): (i64, i64)) -> (i64, i64) {
    (from.div_euclid(QUARTER_MS), to.div_euclid(QUARTER_MS))
}

/// A coupon's report.
pub async fn coupon(db: &Db, coupon: &Coupon, period: &Period, now_ms: i64) -> Result<Report, AppError> {
    let title = (coupon.id, coupon.definition.name.clone());
    let base = vec![coupon.definition.currency.code().to_string()];
    build(db, Scope::Coupon(coupon.id), Some(title), period, base, now_ms).await
}

/// The time zone most coupons use (UTC when there are none): the overview's default.
pub async fn usual_zone(db: &Db) -> Result<String, AppError> {
    let zone: Option<String> = sqlx::query_scalar(
        "SELECT time_zone FROM coupons GROUP BY time_zone ORDER BY COUNT(*) DESC, time_zone LIMIT 1",
    )
    .fetch_optional(db.pool())
    .await?;
    Ok(zone.unwrap_or_else(|| "UTC".into()))
}

/// The report across coupons.
pub async fn overview(db: &Db, period: &Period, now_ms: i64) -> Result<Report, AppError> {
    build(db, Scope::All, None, period, Vec::new(), now_ms).await
}

async fn build(
    db: &Db,
    scope: Scope,
    coupon: Option<(i64, String)>,
    period: &Period,
    mut currencies: Vec<String>,
    now_ms: i64,
) -> Result<Report, AppError> {
    let previous = period.previous();
    let (now_ms_bounds, before_ms_bounds) = (period.bounds_ms(), previous.bounds_ms());
    let (from_q, to_q) = quarter_bounds(now_ms_bounds);
    let before_from_q = quarter_bounds(before_ms_bounds).0;
    let rows = quarters(db, scope, before_from_q, to_q).await?;

    let tz = period.tz();
    let day_count = period.days() as usize;
    let mut current = Sums::default();
    let mut before = Sums::default();
    let mut per_day: Vec<(i64, i64, BTreeMap<String, i64>)> = vec![(0, 0, BTreeMap::new()); day_count];
    let mut heat = vec![vec![0i64; 24]; 7];
    for r in &rows {
        if r.quarter < from_q {
            before.add(r, scope);
            continue;
        }
        current.add(r, scope);
        let Some(local) = tz.timestamp_millis_opt(r.quarter * QUARTER_MS).single() else { continue };
        let index = (local.date_naive() - period.from).num_days();
        if let Some(day) = usize::try_from(index).ok().and_then(|i| per_day.get_mut(i)) {
            day.0 += r.redeemed;
            day.1 += r.reversals;
            *day.2.entry(r.currency.clone()).or_default() += r.discount;
        }
        heat[local.weekday().num_days_from_monday() as usize][local.hour() as usize] += r.redeemed;
    }
    // Currencies with the most discount first; a coupon's own currency always shows.
    let mut by_discount: Vec<(String, i64)> = current.discount.iter().map(|(c, m)| (c.clone(), *m)).collect();
    by_discount.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (c, _) in by_discount {
        if !currencies.contains(&c) {
            currencies.push(c);
        }
    }
    let days: Vec<Day> = period
        .each_day()
        .zip(per_day)
        .map(|(date, (redemptions, reversals, discount))| Day {
            date,
            redemptions,
            reversals,
            discount: currencies.iter().map(|c| discount.get(c).copied().unwrap_or(0)).collect(),
        })
        .collect();
    let batches = batch_usage(db, scope, (from_q, to_q)).await?;
    let mut current = current.figures(codes_issued(db, scope, now_ms_bounds).await?, &currencies);
    let mut before = before.figures(codes_issued(db, scope, before_ms_bounds).await?, &currencies);
    let top = match scope {
        Scope::All => {
            let now_coupons = per_coupon(db, (from_q, to_q)).await?;
            current.redemption_rate = assigned_rate(&now_coupons);
            before.redemption_rate = assigned_rate(&per_coupon(db, (before_from_q, from_q)).await?);
            now_coupons.into_iter().map(|c| c.top).filter(|t| t.redemptions > 0).take(10).collect()
        }
        Scope::Coupon(_) => Vec::new(),
    };
    let mut report = Report {
        coupon,
        period: period.clone(),
        previous,
        current,
        before,
        currencies,
        days,
        heat,
        top,
        batches,
        charts: Default::default(),
        as_of: now_ms,
    };
    report.charts = charts::all(&report);
    Ok(report)
}
