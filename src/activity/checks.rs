//! What stops people: every checkout decision an app asks for, counted per coupon, quarter hour,
//! door and outcome (see migrations/*/0010_checks.sql). A validation is a read, and must stay one:
//! each server tallies in memory and adds its counts to the tables at every scheduler tick, in one
//! short write that waits behind checkouts. A server killed outright loses at most one tick of
//! these counts; redemptions and their rollups are never among them.

use std::collections::BTreeMap;

use crate::db::{Db, StoreError};
use crate::state::CheckCounts;

/// Which call asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Door {
    Validate,
    Redeem,
}

impl Door {
    pub fn name(self) -> &'static str {
        match self {
            Door::Validate => "validate",
            Door::Redeem => "redeem",
        }
    }
}

/// Counts one coupon's decision: accepted (`None`), or refused for `reason` first.
pub fn count(checks: &CheckCounts, coupon_id: i64, door: Door, reason: Option<&'static str>, at_ms: i64) {
    checks.add((coupon_id, super::quarter(at_ms), door.name(), reason.unwrap_or("")), 1);
}

/// Adds what this server counted since the last flush to the tables. When the write fails, the
/// counts stay for the next flush. Returns how many rows were written.
pub async fn flush(checks: &CheckCounts, db: &Db) -> Result<usize, StoreError> {
    let taken = checks.take();
    if taken.is_empty() {
        return Ok(0);
    }
    match write(db, &taken).await {
        Ok(()) => Ok(taken.len()),
        Err(e) => {
            checks.put_back(taken);
            Err(e)
        }
    }
}

type Key = (i64, i64, &'static str, &'static str);

/// Rows per upsert (five parameters each).
const ROWS_PER_STATEMENT: usize = 100;

/// One transaction for both tables, rows in key order (concurrent flushes of many servers lock
/// rows in one order and never deadlock); it waits behind checkouts on SQLite.
async fn write(db: &Db, counts: &BTreeMap<Key, i64>) -> Result<(), StoreError> {
    let mut totals: BTreeMap<(i64, &'static str, &'static str), i64> = BTreeMap::new();
    for (&(_, quarter, door, reason), n) in counts {
        *totals.entry((quarter, door, reason)).or_default() += n;
    }
    let per_coupon: Vec<[Value; 5]> = counts
        .iter()
        .map(|(&(coupon, quarter, door, reason), &n)| {
            [Value::Int(coupon), Value::Int(quarter), Value::Text(door), Value::Text(reason), Value::Int(n)]
        })
        .collect();
    let across: Vec<[Value; 4]> = totals
        .iter()
        .map(|(&(quarter, door, reason), &n)| {
            [Value::Int(quarter), Value::Text(door), Value::Text(reason), Value::Int(n)]
        })
        .collect();
    let mut tx = db.begin_write_later().await?;
    let coupon_checks = (
        "INSERT INTO coupon_checks (coupon_id, quarter, door, reason, n) VALUES",
        "ON CONFLICT (coupon_id, quarter, door, reason) DO UPDATE SET n = coupon_checks.n + excluded.n",
    );
    upsert(&mut tx, coupon_checks, &per_coupon).await?;
    let check_totals = (
        "INSERT INTO check_totals (quarter, door, reason, n) VALUES",
        "ON CONFLICT (quarter, door, reason) DO UPDATE SET n = check_totals.n + excluded.n",
    );
    upsert(&mut tx, check_totals, &across).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Copy)]
enum Value {
    Int(i64),
    Text(&'static str),
}

/// Adds `rows` to a table's counts: `(insert, on_conflict)` are the statement's two ends.
async fn upsert<const N: usize>(
    tx: &mut crate::db::Tx,
    (insert, on_conflict): (&str, &str),
    rows: &[[Value; N]],
) -> Result<(), StoreError> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", (1..=N).map(|c| format!("${}", i * N + c)).collect::<Vec<_>>().join(", ")))
            .collect();
        let sql = format!("{insert} {} {on_conflict}", values.join(", "));
        let mut query = sqlx::query(&sql);
        for value in chunk.iter().flatten() {
            query = match *value {
                Value::Int(v) => query.bind(v),
                Value::Text(v) => query.bind(v),
            };
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

/// The checks of a range of quarter hours `[from, to)`: of one coupon, or across coupons.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Coupons checked at validate (a cart of three codes checks three).
    pub validations: i64,
    /// Of those, the ones that could be used.
    pub valid: i64,
    /// Coupons refused at redeem.
    pub refused_redemptions: i64,
    /// Each reason with its refusals at validate and at redeem, most refusals first.
    pub reasons: Vec<(String, i64, i64)>,
}

pub async fn counts(
    conn: &mut sqlx::AnyConnection,
    coupon: Option<i64>,
    (from, to): (i64, i64),
) -> Result<Counts, StoreError> {
    let rows: Vec<(String, String, i64)> = match coupon {
        Some(id) => {
            sqlx::query_as(
                "SELECT door, reason, CAST(SUM(n) AS BIGINT) FROM coupon_checks
                 WHERE coupon_id = $1 AND quarter >= $2 AND quarter < $3 GROUP BY door, reason",
            )
            .bind(id)
            .bind(from)
            .bind(to)
            .fetch_all(conn)
            .await?
        }
        None => {
            sqlx::query_as(
                "SELECT door, reason, CAST(SUM(n) AS BIGINT) FROM check_totals
                 WHERE quarter >= $1 AND quarter < $2 GROUP BY door, reason",
            )
            .bind(from)
            .bind(to)
            .fetch_all(conn)
            .await?
        }
    };
    Ok(tally_rows(rows))
}

fn tally_rows(rows: Vec<(String, String, i64)>) -> Counts {
    let mut out = Counts::default();
    let mut reasons: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (door, reason, n) in rows {
        let validate = door == Door::Validate.name();
        if validate {
            out.validations += n;
        }
        match (reason.is_empty(), validate) {
            (true, true) => out.valid += n,
            (true, false) => {}
            (false, true) => reasons.entry(reason).or_default().0 += n,
            (false, false) => {
                out.refused_redemptions += n;
                reasons.entry(reason).or_default().1 += n;
            }
        }
    }
    out.reasons = reasons.into_iter().map(|(r, (v, d))| (r, v, d)).collect();
    out.reasons.sort_by(|a, b| (b.1 + b.2).cmp(&(a.1 + a.2)).then_with(|| a.0.cmp(&b.0)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_fold_into_counts_most_refusals_first() {
        let row = |d: &str, r: &str, n| (d.to_string(), r.to_string(), n);
        let counts = tally_rows(vec![
            row("validate", "", 7),
            row("validate", "expired", 2),
            row("validate", "cart_conditions_not_met", 3),
            row("redeem", "expired", 2),
            row("redeem", "", 1),
        ]);
        assert_eq!(counts.validations, 12);
        assert_eq!(counts.valid, 7);
        assert_eq!(counts.refused_redemptions, 2);
        assert_eq!(counts.reasons, vec![("expired".to_string(), 2, 2), ("cart_conditions_not_met".to_string(), 3, 0)]);
    }

    #[test]
    fn decisions_count_per_quarter_hour_door_and_reason() {
        let checks = CheckCounts::default();
        count(&checks, 3, Door::Validate, None, 0);
        count(&checks, 3, Door::Validate, None, 899_999);
        count(&checks, 3, Door::Validate, None, 900_000);
        count(&checks, 3, Door::Redeem, Some("expired"), 0);
        let taken = checks.take();
        assert_eq!(taken.get(&(3, 0, "validate", "")), Some(&2));
        assert_eq!(taken.get(&(3, 1, "validate", "")), Some(&1));
        assert_eq!(taken.get(&(3, 0, "redeem", "expired")), Some(&1));
        assert!(checks.take().is_empty(), "taken once");
        checks.put_back(taken);
        assert_eq!(checks.take().len(), 3, "put back for the next write");
    }
}
