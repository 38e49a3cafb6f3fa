//! Reads a report from the rollups: a coupon's own quarter hours, or across coupons the totals
//! per quarter hour, grouped by the database into days and hours of the period's zone, and each
//! coupon's sums over the period from its days; for the period and the period before it.

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeZone};

use super::{charts, Amount, BatchUse, Day, Figures, Period, RefusalCount, Report, TopCoupon};
use crate::activity::checks::{self, Counts};
use crate::activity::{DAY_QUARTERS, QUARTER_MS};
use crate::coupons::Coupon;
use crate::redemption::reasons::Reason;
use sqlx::AnyConnection;

use crate::db::{Bind, Db, Sql, StoreError, Tx};

/// Which coupons a report covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Across {
    Coupon(i64),
    All,
}

impl Across {
    fn filter(self) -> &'static str {
        match self {
            Across::Coupon(_) => "a.coupon_id = $3 AND ",
            Across::All => "",
        }
    }
}

/// A stretch of quarter hours `[from, to)` over which the zone's offset from UTC stays `offset`
/// quarter hours: there, local days and hours are plain integer arithmetic the database can
/// group by, so a year of rollups comes back as a few hundred rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stretch {
    from: i64,
    to: i64,
    offset: i64,
}

fn offset_at(tz: &chrono_tz::Tz, quarter: i64) -> i64 {
    use chrono::Offset;
    tz.timestamp_millis_opt(quarter * QUARTER_MS)
        .single()
        .map_or(0, |t| i64::from(t.offset().fix().local_minus_utc()) / 900)
}

/// Splits `[from, to)` where the zone's offset changes (a few times a year at most), found by
/// checking each day and narrowing down to the quarter hour.
fn stretches(tz: &chrono_tz::Tz, from: i64, to: i64) -> Vec<Stretch> {
    const DAY: i64 = 96;
    let mut out = Vec::new();
    let (mut start, mut offset) = (from, offset_at(tz, from));
    let mut probe = from;
    while probe < to {
        let next = (probe + DAY).min(to);
        if next < to && offset_at(tz, next) != offset || next == to && offset_at(tz, to - 1) != offset {
            // The change lies in (probe, next]: the first quarter with another offset.
            let (mut lo, mut hi) = (probe, next.min(to - 1));
            while hi - lo > 1 {
                let mid = (lo + hi) / 2;
                if offset_at(tz, mid) == offset {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out.push(Stretch { from: start, to: hi, offset });
            start = hi;
            offset = offset_at(tz, hi);
            probe = hi;
            continue;
        }
        probe = next;
    }
    out.push(Stretch { from: start, to, offset });
    out
}

/// One local day's sums in one currency; `day` counts days since 1970-01-01 in the zone.
#[derive(Debug, Clone, sqlx::FromRow)]
struct DayRow {
    day: i64,
    /// Read across coupons; a coupon's own rows are in its currency.
    #[sqlx(default)]
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

/// Where a scope's quarter hours are read: one coupon's own rows (`$4` the coupon), or the
/// totals across coupons, one row per currency. Gives the source and the currency column.
fn quarters_of(scope: Across) -> (&'static str, &'static str) {
    match scope {
        Across::Coupon(_) => ("coupon_activity a WHERE a.coupon_id = $4 AND", ""),
        Across::All => ("activity_totals a WHERE", ", a.currency"),
    }
}

/// Runs a grouped read of a scope's quarter hours once per stretch: `$1`/`$2` the stretch, `$3`
/// its offset, `$4` the coupon.
async fn per_stretch<T>(
    conn: &mut AnyConnection,
    scope: Across,
    sql: &str,
    spans: Vec<Stretch>,
) -> Result<Vec<T>, StoreError>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let (source, currency) = quarters_of(scope);
    let sql = sql.replace("{source}", source).replace("{currency}", currency);
    let mut rows = Vec::new();
    for span in spans {
        let mut query = sqlx::query_as::<_, T>(&sql).bind(span.from).bind(span.to).bind(span.offset);
        if let Across::Coupon(id) = scope {
            query = query.bind(id);
        }
        rows.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(rows)
}

/// The sums of each local day (per currency across coupons). PostgreSQL sums BIGINT into
/// NUMERIC: cast back so both databases answer integers.
async fn day_rows(conn: &mut AnyConnection, scope: Across, spans: Vec<Stretch>) -> Result<Vec<DayRow>, StoreError> {
    let sql = "SELECT (a.quarter + $3) / 96 AS day{currency},
                CAST(SUM(a.assigned) AS BIGINT) AS assigned, CAST(SUM(a.activated) AS BIGINT) AS activated,
                CAST(SUM(a.redeemed) AS BIGINT) AS redeemed, CAST(SUM(a.discount) AS BIGINT) AS discount,
                CAST(SUM(a.cashback) AS BIGINT) AS cashback, CAST(SUM(a.reversals) AS BIGINT) AS reversals,
                CAST(SUM(a.new_redeemers) AS BIGINT) AS new_redeemers,
                CAST(SUM(a.new_customers) AS BIGINT) AS new_customers
         FROM {source} a.quarter >= $1 AND a.quarter < $2
         GROUP BY (a.quarter + $3) / 96{currency}";
    per_stretch(conn, scope, sql, spans).await
}

/// Redemptions by local weekday (Monday first) and hour. Hour 0 of 1970-01-01 was a Thursday.
async fn heat_rows(conn: &mut AnyConnection, scope: Across, spans: Vec<Stretch>) -> Result<Vec<Vec<i64>>, StoreError> {
    let sql = "SELECT ((a.quarter + $3) / 4) % 168 AS hour, CAST(SUM(a.redeemed) AS BIGINT) AS redeemed
         FROM {source} a.quarter >= $1 AND a.quarter < $2
         GROUP BY ((a.quarter + $3) / 4) % 168";
    let mut heat = vec![vec![0i64; 24]; 7];
    for (hour, redeemed) in per_stretch::<(i64, i64)>(conn, scope, sql, spans).await? {
        let weekday = (hour / 24 + 3).rem_euclid(7) as usize;
        heat[weekday][hour.rem_euclid(24) as usize] += redeemed;
    }
    Ok(heat)
}

async fn codes_issued(conn: &mut AnyConnection, scope: Across, (from, to): (i64, i64)) -> Result<i64, StoreError> {
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(a.row_count), 0) AS BIGINT) FROM code_batches a
         WHERE {}a.status IN ('ready', 'voided') AND a.created_at >= $1 AND a.created_at < $2",
        scope.filter()
    );
    let mut query = sqlx::query_scalar::<_, i64>(&sql).bind(from).bind(to);
    if let Across::Coupon(id) = scope {
        query = query.bind(id);
    }
    Ok(query.fetch_one(conn).await?)
}

/// Each coupon's sums over a range: the top coupons, and the overview's redemption rate.
struct CouponSums {
    top: TopCoupon,
    assigned: i64,
    new_redeemers: i64,
}

/// Pushes each coupon's and batch's rows over the quarter hours `[from, to)` as a subquery `s`
/// with `coupon_id`, `batch_id`, `assigned`, `redeemed`, `discount`, `new_redeemers`: the whole
/// UTC days from `coupon_days`, the quarter hours before the first and after the last from
/// `coupon_activity`. So a year costs about as much as a day.
fn push_range_rows(sql: &mut Sql, scope: Across, (from, to): (i64, i64)) {
    let (first_day, end_day) = ((from + DAY_QUARTERS - 1).div_euclid(DAY_QUARTERS), to.div_euclid(DAY_QUARTERS));
    let (days, head, tail) = if first_day >= end_day {
        ((0, 0), (from, to), (0, 0))
    } else {
        ((first_day, end_day), (from, first_day * DAY_QUARTERS), (end_day * DAY_QUARTERS, to))
    };
    let columns = "SELECT coupon_id, batch_id, assigned, redeemed, discount, new_redeemers FROM";
    let parts =
        [("coupon_days", "day", days), ("coupon_activity", "quarter", head), ("coupon_activity", "quarter", tail)];
    sql.push("(");
    for (i, (table, column, (lo, hi))) in parts.into_iter().enumerate() {
        if i > 0 {
            sql.push(" UNION ALL ");
        }
        sql.push(&format!("{columns} {table} WHERE "));
        if let Across::Coupon(id) = scope {
            sql.push("coupon_id = ").bind(Bind::Int(id)).push(" AND ");
        }
        sql.push(&format!("{column} >= ")).bind(Bind::Int(lo)).push(&format!(" AND {column} < ")).bind(Bind::Int(hi));
    }
    sql.push(") s");
}

async fn per_coupon(tx: &mut Tx, range: (i64, i64)) -> Result<Vec<CouponSums>, StoreError> {
    type Row = (i64, String, String, i64, i64, i64, i64);
    let mut sql = Sql::new(tx.backend());
    sql.push(
        "SELECT s.coupon_id, c.name, c.currency, CAST(SUM(s.redeemed) AS BIGINT), CAST(SUM(s.discount) AS BIGINT),
                CAST(SUM(s.assigned) AS BIGINT), CAST(SUM(s.new_redeemers) AS BIGINT)
         FROM ",
    );
    push_range_rows(&mut sql, Across::All, range);
    sql.push(" JOIN coupons c ON c.id = s.coupon_id GROUP BY s.coupon_id, c.name, c.currency ORDER BY 4 DESC, 1");
    let rows: Vec<Row> = sqlx::query_as_with(sql.text(), sql.arguments()?).fetch_all(&mut **tx).await?;
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
async fn batch_usage(tx: &mut Tx, scope: Across, range: (i64, i64)) -> Result<Vec<BatchUse>, StoreError> {
    let mut sql = Sql::new(tx.backend());
    sql.push(
        "SELECT s.batch_id, b.coupon_id, c.name, b.kind, b.file_name, b.row_count,
                CAST(SUM(s.assigned) AS BIGINT), CAST(SUM(s.redeemed) AS BIGINT)
         FROM ",
    );
    push_range_rows(&mut sql, scope, range);
    sql.push(
        " JOIN code_batches b ON b.id = s.batch_id JOIN coupons c ON c.id = b.coupon_id
         GROUP BY s.batch_id, b.coupon_id, c.name, b.kind, b.file_name, b.row_count
         ORDER BY 8 DESC, 7 DESC, 1 DESC
         LIMIT 12",
    );
    type Row = (i64, i64, String, String, Option<String>, i64, i64, i64);
    let rows: Vec<Row> = sqlx::query_as_with(sql.text(), sql.arguments()?).fetch_all(&mut **tx).await?;
    Ok(rows
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
    fn add(&mut self, r: &DayRow, scope: Across) {
        self.assigned += r.assigned;
        self.activated += r.activated;
        self.redeemed += r.redeemed;
        self.reversals += r.reversals;
        self.redeemers += if scope == Across::All { r.new_customers } else { r.new_redeemers };
        *self.discount.entry(r.currency.clone()).or_default() += r.discount;
        *self.cashback.entry(r.currency.clone()).or_default() += r.cashback;
    }

    fn figures(self, codes_issued: i64, checks: &Counts, currencies: &[String]) -> Figures {
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
            validations: checks.validations,
            valid_validations: checks.valid,
            refused_redemptions: checks.refused_redemptions,
        }
    }
}

/// The reasons of `counts` in words, most refusals first.
fn refusal_counts(counts: &Counts) -> Vec<RefusalCount> {
    counts
        .reasons
        .iter()
        .map(|(code, validate, redeem)| RefusalCount {
            label: Reason::ALL
                .iter()
                .find(|r| r.code() == code)
                .map_or_else(|| code.replace('_', " "), |r| r.describe().to_string()),
            reason: code.clone(),
            validate: *validate,
            redeem: *redeem,
        })
        .collect()
}

fn quarter_bounds((from, to): (i64, i64)) -> (i64, i64) {
    (from.div_euclid(QUARTER_MS), to.div_euclid(QUARTER_MS))
}

/// A coupon's report.
#[tracing::instrument(name = "report", skip_all, fields(coupon_id = coupon.id))]
pub async fn coupon(db: &Db, coupon: &Coupon, period: &Period, now_ms: i64) -> Result<Report, StoreError> {
    let title = (coupon.id, coupon.definition.name.clone());
    let base = vec![coupon.definition.currency.code().to_string()];
    build(db, Across::Coupon(coupon.id), Some(title), period, base, now_ms).await
}

/// The people who redeemed in `[from, to)` (milliseconds), each counted once, of one coupon or
/// across coupons; redemptions reversed since do not count. Exact, read from the redemptions
/// through their time indexes, so it costs O(redemptions in the range): the pages ask for it
/// apart from the report, which stays O(days).
pub async fn redeemers(db: &Db, coupon_id: Option<i64>, (from, to): (i64, i64)) -> Result<i64, StoreError> {
    let (filter, id) = match coupon_id {
        Some(id) => ("coupon_id = $3 AND", id),
        None => ("$3 = 0 AND", 0),
    };
    Ok(sqlx::query_scalar(&format!(
        "SELECT COUNT(DISTINCT user_id) FROM redemptions
         WHERE {filter} redeemed_at >= $1 AND redeemed_at < $2 AND status = 'redeemed'"
    ))
    .bind(from)
    .bind(to)
    .bind(id)
    .fetch_one(db.read_pool())
    .await?)
}

/// The time zone most coupons use (UTC when there are none): the overview's default.
pub async fn usual_zone(db: &Db) -> Result<String, StoreError> {
    let zone: Option<String> = sqlx::query_scalar(
        "SELECT time_zone FROM coupons GROUP BY time_zone ORDER BY COUNT(*) DESC, time_zone LIMIT 1",
    )
    .fetch_optional(db.read_pool())
    .await?;
    Ok(zone.unwrap_or_else(|| "UTC".into()))
}

/// The report across coupons.
#[tracing::instrument(name = "report", skip_all, fields(coupon_id = "all"))]
pub async fn overview(db: &Db, period: &Period, now_ms: i64) -> Result<Report, StoreError> {
    build(db, Across::All, None, period, Vec::new(), now_ms).await
}

async fn build(
    db: &Db,
    scope: Across,
    coupon: Option<(i64, String)>,
    period: &Period,
    mut currencies: Vec<String>,
    now_ms: i64,
) -> Result<Report, StoreError> {
    let previous = period.previous();
    let (now_ms_bounds, before_ms_bounds) = (period.bounds_ms(), previous.bounds_ms());
    let (from_q, to_q) = quarter_bounds(now_ms_bounds);
    let before_from_q = quarter_bounds(before_ms_bounds).0;
    let tz = period.tz();
    // One snapshot, read only (on the replica when there is one): the scheduler's tick folds
    // new activity into the rollups, so a report never writes.
    let mut tx = db.begin_read().await?;
    let mut rows = day_rows(&mut tx, scope, stretches(&tz, before_from_q, to_q)).await?;
    if let Some(currency) = currencies.first() {
        rows.iter_mut().for_each(|r| r.currency.clone_from(currency));
    }
    let heat = heat_rows(&mut tx, scope, stretches(&tz, from_q, to_q)).await?;

    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    let day_count = period.days() as usize;
    let mut current = Sums::default();
    let mut before = Sums::default();
    let mut per_day: Vec<(i64, i64, BTreeMap<String, i64>)> = vec![(0, 0, BTreeMap::new()); day_count];
    for r in &rows {
        let date = epoch + chrono::Days::new(r.day.max(0) as u64);
        if date < period.from {
            before.add(r, scope);
            continue;
        }
        current.add(r, scope);
        let index = (date - period.from).num_days();
        if let Some(day) = usize::try_from(index).ok().and_then(|i| per_day.get_mut(i)) {
            day.0 += r.redeemed;
            day.1 += r.reversals;
            *day.2.entry(r.currency.clone()).or_default() += r.discount;
        }
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
    let batches = batch_usage(&mut tx, scope, (from_q, to_q)).await?;
    let coupon_id = match scope {
        Across::Coupon(id) => Some(id),
        Across::All => None,
    };
    let checks_now = checks::counts(&mut tx, coupon_id, (from_q, to_q)).await?;
    let checks_before = checks::counts(&mut tx, coupon_id, (before_from_q, from_q)).await?;
    let mut current = current.figures(codes_issued(&mut tx, scope, now_ms_bounds).await?, &checks_now, &currencies);
    let mut before = before.figures(codes_issued(&mut tx, scope, before_ms_bounds).await?, &checks_before, &currencies);
    let top = match scope {
        Across::All => {
            let now_coupons = per_coupon(&mut tx, (from_q, to_q)).await?;
            current.redemption_rate = assigned_rate(&now_coupons);
            before.redemption_rate = assigned_rate(&per_coupon(&mut tx, (before_from_q, from_q)).await?);
            now_coupons.into_iter().map(|c| c.top).filter(|t| t.redemptions > 0).take(10).collect()
        }
        Across::Coupon(_) => Vec::new(),
    };
    tx.rollback().await?;
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
        refusals: refusal_counts(&checks_now),
        charts: Default::default(),
        as_of: now_ms,
    };
    report.charts = charts::all(&report);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(y: i32, m: u32, d: u32, h: u32) -> i64 {
        chrono::Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap().timestamp_millis() / QUARTER_MS
    }

    #[test]
    fn a_year_splits_where_the_clocks_change() {
        let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
        let spans = stretches(&berlin, q(2026, 1, 1, 0), q(2027, 1, 1, 0));
        let offsets: Vec<i64> = spans.iter().map(|s| s.offset).collect();
        assert_eq!(offsets, vec![4, 8, 4], "winter, summer, winter (quarter hours east of UTC)");
        assert_eq!(spans[1].from, q(2026, 3, 29, 1), "01:00 UTC on the last Sunday of March");
        assert_eq!(spans[1].to, q(2026, 10, 25, 1));
        assert!(spans.windows(2).all(|w| w[0].to == w[1].from), "no gaps, no overlaps");
        let kathmandu: chrono_tz::Tz = "Asia/Kathmandu".parse().unwrap();
        assert_eq!(
            stretches(&kathmandu, q(2026, 1, 1, 0), q(2026, 2, 1, 0)),
            vec![Stretch { from: q(2026, 1, 1, 0), to: q(2026, 2, 1, 0), offset: 23 }]
        );
    }
}
