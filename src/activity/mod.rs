//! The activity ledger, below everything that writes it: every assignment, activation,
//! redemption and reversal adds itself to its coupon's quarter-hour row (`coupon_activity`)
//! inside the transaction that made it, so the rollups can never disagree with the raw tables,
//! and analytics (which only reads) costs O(quarter hours). `derived` folds the marked rows
//! into the day and total rollups the reports across coupons read.

pub mod checks;
pub mod derived;

use std::collections::BTreeMap;

use crate::db::{StoreError, Tx};

/// A quarter hour in milliseconds: the rollup grain (see migrations/*/0006_analytics.sql).
pub const QUARTER_MS: i64 = 900_000;

/// Quarter hours in a UTC day.
pub const DAY_QUARTERS: i64 = 96;

/// The quarter hour an instant falls in, as SQL computes it (`at / 900000`).
pub fn quarter(at_ms: i64) -> i64 {
    at_ms.div_euclid(QUARTER_MS)
}

/// Where a change is counted: the coupon, the quarter hour, the code batch (0 for none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub coupon_id: i64,
    pub quarter: i64,
    pub batch_id: i64,
}

/// What is added to one row.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delta {
    pub assigned: i64,
    pub activated: i64,
    pub redeemed: i64,
    pub discount: i64,
    pub cashback: i64,
    pub reversals: i64,
    pub new_redeemers: i64,
    pub new_customers: i64,
}

impl Delta {
    fn plus(self, o: Delta) -> Delta {
        Delta {
            assigned: self.assigned + o.assigned,
            activated: self.activated + o.activated,
            redeemed: self.redeemed + o.redeemed,
            discount: self.discount + o.discount,
            cashback: self.cashback + o.cashback,
            reversals: self.reversals + o.reversals,
            new_redeemers: self.new_redeemers + o.new_redeemers,
            new_customers: self.new_customers + o.new_customers,
        }
    }
}

/// The changes one transaction makes, written in key order so that concurrent transactions lock
/// rollup rows in one order and never deadlock. Write them last: a row stays locked until commit.
#[derive(Debug, Default)]
pub struct Changes(BTreeMap<Key, Delta>);

impl Changes {
    pub fn add(&mut self, key: Key, delta: Delta) {
        let row = self.0.entry(key).or_default();
        *row = row.plus(delta);
    }

    /// One statement for every row (a transaction touches one to a few), in key order. Each row
    /// written is marked `dirty` for the derived rollups (see `derived`).
    pub async fn write(self, tx: &mut Tx) -> Result<(), StoreError> {
        let rows: Vec<(Key, Delta)> = self.0.into_iter().collect();
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let p: Vec<String> = (1..=11).map(|n| format!("${}", i * 11 + n)).collect();
                    format!("({}, 1)", p.join(", "))
                })
                .collect();
            let sql = format!(
                "INSERT INTO coupon_activity (coupon_id, quarter, batch_id, assigned, activated, redeemed, discount,
                                              cashback, reversals, new_redeemers, new_customers, dirty)
                 VALUES {}
                 ON CONFLICT (coupon_id, quarter, batch_id) DO UPDATE SET
                     assigned = coupon_activity.assigned + excluded.assigned,
                     activated = coupon_activity.activated + excluded.activated,
                     redeemed = coupon_activity.redeemed + excluded.redeemed,
                     discount = coupon_activity.discount + excluded.discount,
                     cashback = coupon_activity.cashback + excluded.cashback,
                     reversals = coupon_activity.reversals + excluded.reversals,
                     new_redeemers = coupon_activity.new_redeemers + excluded.new_redeemers,
                     new_customers = coupon_activity.new_customers + excluded.new_customers,
                     dirty = 1",
                values.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for (k, d) in chunk {
                query = query
                    .bind(k.coupon_id)
                    .bind(k.quarter)
                    .bind(k.batch_id)
                    .bind(d.assigned)
                    .bind(d.activated)
                    .bind(d.redeemed)
                    .bind(d.discount)
                    .bind(d.cashback)
                    .bind(d.reversals)
                    .bind(d.new_redeemers)
                    .bind(d.new_customers);
            }
            query.execute(&mut **tx).await?;
        }
        Ok(())
    }
}

/// Rows per upsert: 11 parameters each stays well inside both databases' limits, and short
/// enough for SQLite's `$N` lookup (see `Backend::param`).
const ROWS_PER_STATEMENT: usize = 64;

/// One redemption just recorded in this transaction.
pub struct Redeemed<'a> {
    pub coupon_id: i64,
    /// The code's batch (0 for none).
    pub batch_id: i64,
    pub user_id: &'a str,
    pub at: i64,
    pub discount: i64,
    pub cashback: i64,
}

/// Counts the redemptions of one cart (one user), returning the rollup changes for the caller to
/// write last. The primary keys of `coupon_redeemers` and `redeemers` decide who is redeeming for
/// the first time, whatever runs beside this.
pub async fn redeemed(tx: &mut Tx, cart: &[Redeemed<'_>]) -> Result<Changes, StoreError> {
    let mut changes = Changes::default();
    let mut customer_counted = false;
    let mut by_coupon: Vec<&Redeemed> = cart.iter().collect();
    by_coupon.sort_by_key(|r| r.coupon_id);
    for r in by_coupon {
        let (batch_id, q) = (r.batch_id, quarter(r.at));
        let delta = Delta { redeemed: 1, discount: r.discount, cashback: r.cashback, ..Delta::default() };
        changes.add(Key { coupon_id: r.coupon_id, quarter: q, batch_id }, delta);
        let first_of_coupon = sqlx::query(
            "INSERT INTO coupon_redeemers (coupon_id, user_id, first_at) VALUES ($1, $2, $3)
             ON CONFLICT (coupon_id, user_id) DO NOTHING",
        )
        .bind(r.coupon_id)
        .bind(r.user_id)
        .bind(r.at)
        .execute(&mut **tx)
        .await?
        .rows_affected()
            == 1;
        if !first_of_coupon {
            continue;
        }
        let first_ever = !customer_counted
            && sqlx::query(
                "INSERT INTO redeemers (user_id, coupon_id, first_at) VALUES ($1, $2, $3)
                 ON CONFLICT (user_id) DO NOTHING",
            )
            .bind(r.user_id)
            .bind(r.coupon_id)
            .bind(r.at)
            .execute(&mut **tx)
            .await?
            .rows_affected()
                == 1;
        customer_counted |= first_ever;
        let delta = Delta { new_redeemers: 1, new_customers: i64::from(first_ever), ..Delta::default() };
        changes.add(Key { coupon_id: r.coupon_id, quarter: q, batch_id: 0 }, delta);
    }
    Ok(changes)
}

/// One redemption just reversed in this transaction.
pub struct Reversed {
    pub coupon_id: i64,
    pub redemption_id: i64,
    pub redeemed_at: i64,
    pub discount: i64,
    pub cashback: i64,
}

/// Takes reversed redemptions out of the quarter hour they were made in, and counts the
/// reversals in the quarter hour of `now`.
pub async fn reversed(tx: &mut Tx, reversed: &[Reversed], now: i64) -> Result<(), StoreError> {
    let mut changes = Changes::default();
    for r in reversed {
        let batch_id = batch_of(tx, r.redemption_id).await?;
        let back = Delta { redeemed: -1, discount: -r.discount, cashback: -r.cashback, ..Delta::default() };
        changes.add(Key { coupon_id: r.coupon_id, quarter: quarter(r.redeemed_at), batch_id }, back);
        changes.add(
            Key { coupon_id: r.coupon_id, quarter: quarter(now), batch_id },
            Delta { reversals: 1, ..Delta::default() },
        );
    }
    changes.write(tx).await
}

/// The batch a redemption's code came in (0 for none), which its rollup rows are keyed by.
async fn batch_of(tx: &mut Tx, redemption_id: i64) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT COALESCE(k.batch_id, 0) FROM redemptions r LEFT JOIN codes k ON k.id = r.code_id WHERE r.id = $1",
    )
    .bind(redemption_id)
    .fetch_one(&mut **tx)
    .await?)
}

/// Takes what a partial reverse gave back out of the quarter hour the redemption was made in; the
/// redemption itself still counts.
pub async fn returned(tx: &mut Tx, r: &Reversed) -> Result<(), StoreError> {
    let batch_id = batch_of(tx, r.redemption_id).await?;
    let mut changes = Changes::default();
    let back = Delta { discount: -r.discount, cashback: -r.cashback, ..Delta::default() };
    changes.add(Key { coupon_id: r.coupon_id, quarter: quarter(r.redeemed_at), batch_id }, back);
    changes.write(tx).await
}

/// Which assignments a write just made (or activated).
pub enum Assignments {
    /// One assignment, by id.
    One(i64),
    /// The assignments a campaign launch made at `at`.
    Launch { campaign_id: i64, at: i64 },
    /// The assignments an upload of pre-assigned codes made.
    Batch(i64),
}

impl Assignments {
    fn filter(&self) -> (&'static str, i64, Option<i64>) {
        match *self {
            Assignments::One(id) => ("a.id = $1", id, None),
            Assignments::Launch { campaign_id, at } => {
                ("a.campaign_id = $1 AND a.assigned_at = $2", campaign_id, Some(at))
            }
            Assignments::Batch(batch) => {
                ("a.source = 'code' AND a.code_id IN (SELECT id FROM codes WHERE batch_id = $1)", batch, None)
            }
        }
    }
}

/// Counts assignments just made, and the activations they came with, into `changes` (which the
/// caller writes once, after its last assignment).
pub async fn assigned(tx: &mut Tx, which: Assignments, changes: &mut Changes) -> Result<(), StoreError> {
    count_assignments(tx, &which, true, changes).await
}

/// Counts the activation of assignments made earlier.
pub async fn activated(tx: &mut Tx, which: Assignments, changes: &mut Changes) -> Result<(), StoreError> {
    count_assignments(tx, &which, false, changes).await
}

async fn count_assignments(
    tx: &mut Tx,
    which: &Assignments,
    assigned: bool,
    changes: &mut Changes,
) -> Result<(), StoreError> {
    let (filter, first, second) = which.filter();
    // Grouped in the database: a launch to a million users is a few rows here.
    let sql = format!(
        "SELECT a.coupon_id, {{at}} / 900000 AS q, COALESCE(k.batch_id, 0) AS b, COUNT(*)
         FROM assignments a LEFT JOIN codes k ON k.id = a.code_id
         WHERE {filter} AND {{at}} IS NOT NULL
         GROUP BY a.coupon_id, {{at}} / 900000, COALESCE(k.batch_id, 0)"
    );
    let columns: &[(&str, bool)] =
        if assigned { &[("a.assigned_at", true), ("a.activated_at", false)] } else { &[("a.activated_at", false)] };
    for &(at, is_assignment) in columns {
        let text = sql.replace("{at}", at);
        let mut query = sqlx::query_as::<_, (i64, i64, i64, i64)>(&text).bind(first);
        if let Some(second) = second {
            query = query.bind(second);
        }
        for (coupon_id, quarter, batch_id, n) in query.fetch_all(&mut **tx).await? {
            let delta = if is_assignment {
                Delta { assigned: n, ..Delta::default() }
            } else {
                Delta { activated: n, ..Delta::default() }
            };
            changes.add(Key { coupon_id, quarter, batch_id }, delta);
        }
    }
    Ok(())
}

/// Marks every rollup row of a coupon for the derived rollups to recount, which file its sums
/// under the coupon's currency: for when that currency changes.
pub async fn recount_coupon(tx: &mut Tx, coupon_id: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE coupon_activity SET dirty = 1 WHERE coupon_id = $1").bind(coupon_id).execute(&mut **tx).await?;
    Ok(())
}
