//! The rollups derived from `coupon_activity` for reads across coupons and over long ranges:
//! each coupon's UTC days (`coupon_days`) and each quarter hour's sums across coupons, by
//! currency (`activity_totals`). Writes only mark the quarter-hour rows they change (`dirty`), so
//! no redemption waits on a row that every coupon shares; every server's scheduler tick folds the
//! marked rows into the two, so reports only read.

use super::DAY_QUARTERS;
use crate::db::{Db, StoreError};

const SUMS: &str = "assigned, activated, redeemed, discount, cashback, reversals, new_redeemers, new_customers";

fn summed() -> String {
    SUMS.split(", ").map(|c| format!("SUM(a.{c})")).collect::<Vec<_>>().join(", ")
}

/// Marked rows cleared per statement (three parameters each).
const KEYS_PER_STATEMENT: usize = 200;

/// Stretches `[from, to)` covering every value of `sorted` (ascending, no repeats). Values up
/// to `gap` apart share a stretch: recomputing an unchanged value is harmless, and one statement
/// for a stretch is cheaper than one per value.
fn stretches(sorted: &[i64], gap: i64) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = Vec::new();
    for &v in sorted {
        match out.last_mut() {
            Some((_, to)) if v - *to < gap => *to = v + 1,
            _ => out.push((v, v + 1)),
        }
    }
    out
}

/// Brings `coupon_days` and `activity_totals` up to date with every marked row of
/// `coupon_activity`. One refresh runs at a time.
pub async fn refresh(db: &Db) -> Result<(), StoreError> {
    let marked: Option<i64> = sqlx::query_scalar("SELECT coupon_id FROM coupon_activity WHERE dirty = 1 LIMIT 1")
        .fetch_optional(db.pool())
        .await?;
    if marked.is_none() {
        return Ok(());
    }
    let mut tx = db.begin_alone("activity_totals").await?;
    // Locked in key order, the order writes lock them in: until commit these rows cannot change,
    // so what is recomputed from them below stays true, and exactly they are unmarked. A row
    // marked meanwhile stays marked for the next refresh.
    let keys: Vec<(i64, i64, i64)> = sqlx::query_as(&format!(
        "SELECT coupon_id, quarter, batch_id FROM coupon_activity WHERE dirty = 1
         ORDER BY coupon_id, quarter, batch_id{}",
        db.backend().for_update()
    ))
    .fetch_all(&mut *tx)
    .await?;

    let mut quarters: Vec<i64> = keys.iter().map(|k| k.1).collect();
    quarters.sort_unstable();
    quarters.dedup();
    let totals = format!(
        "INSERT INTO activity_totals (quarter, currency, {SUMS})
         SELECT a.quarter, c.currency, {}
         FROM coupon_activity a JOIN coupons c ON c.id = a.coupon_id
         WHERE a.quarter >= $1 AND a.quarter < $2
         GROUP BY a.quarter, c.currency",
        summed()
    );
    for (from, to) in stretches(&quarters, DAY_QUARTERS) {
        sqlx::query("DELETE FROM activity_totals WHERE quarter >= $1 AND quarter < $2")
            .bind(from)
            .bind(to)
            .execute(&mut *tx)
            .await?;
        sqlx::query(&totals).bind(from).bind(to).execute(&mut *tx).await?;
    }

    let days = format!(
        "INSERT INTO coupon_days (coupon_id, day, batch_id, {SUMS})
         SELECT a.coupon_id, a.quarter / {DAY_QUARTERS}, a.batch_id, {}
         FROM coupon_activity a
         WHERE a.coupon_id = $1 AND a.quarter >= $2 AND a.quarter < $3
         GROUP BY a.coupon_id, a.quarter / {DAY_QUARTERS}, a.batch_id",
        summed()
    );
    // Keys are sorted by coupon, then quarter: so each coupon's days come sorted too.
    let mut coupon_days: Vec<(i64, i64)> = keys.iter().map(|k| (k.0, k.1.div_euclid(DAY_QUARTERS))).collect();
    coupon_days.dedup();
    let mut by_coupon: Vec<(i64, Vec<i64>)> = Vec::new();
    for (coupon_id, day) in coupon_days {
        match by_coupon.last_mut() {
            Some((id, days)) if *id == coupon_id => days.push(day),
            _ => by_coupon.push((coupon_id, vec![day])),
        }
    }
    for (coupon_id, days_of_coupon) in by_coupon {
        for (from, to) in stretches(&days_of_coupon, 7) {
            sqlx::query("DELETE FROM coupon_days WHERE coupon_id = $1 AND day >= $2 AND day < $3")
                .bind(coupon_id)
                .bind(from)
                .bind(to)
                .execute(&mut *tx)
                .await?;
            sqlx::query(&days)
                .bind(coupon_id)
                .bind(from * DAY_QUARTERS)
                .bind(to * DAY_QUARTERS)
                .execute(&mut *tx)
                .await?;
        }
    }

    for chunk in keys.chunks(KEYS_PER_STATEMENT) {
        let values: Vec<String> =
            (0..chunk.len()).map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3)).collect();
        let sql = format!(
            "UPDATE coupon_activity SET dirty = 0 WHERE (coupon_id, quarter, batch_id) IN (VALUES {})",
            values.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for &(coupon_id, quarter, batch_id) in chunk {
            query = query.bind(coupon_id).bind(quarter).bind(batch_id);
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::stretches;

    #[test]
    fn close_values_share_a_stretch() {
        assert_eq!(stretches(&[], 7), vec![]);
        assert_eq!(stretches(&[5], 7), vec![(5, 6)]);
        assert_eq!(stretches(&[1, 2, 3, 9, 30], 7), vec![(1, 10), (30, 31)]);
        assert_eq!(stretches(&[1, 2, 3, 9, 30], 1), vec![(1, 4), (9, 10), (30, 31)]);
    }
}
