//! Redeem: all or nothing, in one write transaction. Either every bucket moved, the codes were
//! used, the redemptions and the cashback were recorded, or nothing was.

use chrono::{DateTime, Utc};

use super::counters::{buckets, take, Bucket};
use super::error::RedemptionError;
use super::facts::candidates;
use super::ledger::{record, RedeemOutcome, Redemption};
use crate::activity;
use crate::codes::lifecycle;
use crate::db::{Backend, Db, StoreError, Tx};
use crate::idempotency::{self, Idempotency};
use crate::redemption::attempts::Attempts;
use crate::redemption::decision::CodeKind;
use crate::redemption::reasons::{Reason, Refusal};
use crate::redemption::request::Request;
use crate::redemption::stack::{decide_stack, Candidate, Facts, StackDecision, Totals};

/// What a replayed idempotency key gives back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replayable<T> {
    Fresh(T),
    Replay(T),
}

/// Redeems, all or nothing: either every bucket moved, the code was used, the redemption and the
/// cashback were recorded, or nothing was.
/// Redeems, counting the attempt first: on PostgreSQL on its own (a key's bucket is one row that
/// every redemption of the key touches, so it must not be held for a whole transaction), on
/// SQLite inside the write transaction it takes anyway.
#[tracing::instrument(name = "redeem", skip_all, fields(user_id = %req.user_id, codes = req.targets.len()))]
pub async fn redeem(
    db: &Db,
    req: &Request,
    idempotency: Option<&Idempotency>,
    attempts: &Attempts,
    now: DateTime<Utc>,
) -> Result<Replayable<RedeemOutcome>, RedemptionError> {
    let in_tx = db.backend() == Backend::Sqlite;
    if !in_tx {
        attempts.count(db, now.timestamp_millis()).await?;
    }
    let mut tx = db.begin_write().await?;
    if in_tx {
        attempts.count_in(&mut tx, now.timestamp_millis()).await?;
    }
    if let Some(previous) = claim_key(&mut tx, idempotency, now).await? {
        tx.rollback().await?;
        return Ok(Replayable::Replay(previous));
    }
    let outcome = match redeem_in(&mut tx, req, now).await? {
        Ok((redemptions, totals)) => RedeemOutcome::Redeemed { redemptions, totals },
        Err(refused) => {
            // Undo any bucket moved before the refusal; keep only the idempotency record (and
            // the attempt, which a refusal counts as much as a success).
            tx.rollback().await?;
            tx = db.begin_write().await?;
            if in_tx {
                attempts.count_in(&mut tx, now.timestamp_millis()).await?;
            }
            if let Some(previous) = claim_key(&mut tx, idempotency, now).await? {
                tx.rollback().await?;
                return Ok(Replayable::Replay(previous));
            }
            RedeemOutcome::Refused(refused)
        }
    };
    if let Some(idem) = idempotency {
        let stored =
            serde_json::to_string(&outcome).map_err(|e| StoreError::corrupt("a redemption outcome as JSON", e))?;
        let status = if matches!(outcome, RedeemOutcome::Redeemed { .. }) { 201 } else { 422 };
        idempotency::finish(&mut tx, idem, status, &stored).await?;
    }
    tx.commit().await?;
    Ok(Replayable::Fresh(outcome))
}

/// A replay's stored outcome, when the key was used before; claims it otherwise.
async fn claim_key(
    tx: &mut Tx,
    idem: Option<&Idempotency>,
    now: DateTime<Utc>,
) -> Result<Option<RedeemOutcome>, RedemptionError> {
    let Some(idem) = idem else { return Ok(None) };
    match idempotency::claim(tx, idem, now).await? {
        Some(stored) => serde_json::from_str(&stored)
            .map(Some)
            .map_err(|e| StoreError::corrupt("a stored redemption outcome", e).into()),
        None => Ok(None),
    }
}

type Redeemed = (Vec<Redemption>, Totals);

async fn redeem_in(
    tx: &mut Tx,
    req: &Request,
    now: DateTime<Utc>,
) -> Result<Result<Redeemed, StackDecision>, RedemptionError> {
    let candidates = candidates(tx, req, now).await?;
    let stack = decide_stack(&candidates, &req.cart, now);
    let Some(totals) = stack.totals.clone() else {
        return Ok(Err(stack));
    };
    // A stack with totals has no missing code, so `found[i]` is `stack.decisions[i]`'s coupon.
    let found: Vec<&Facts> = candidates
        .iter()
        .filter_map(|c| match c {
            Candidate::Found(f) => Some(f.as_ref()),
            Candidate::Missing(_) => None,
        })
        .collect();
    // Rows only this cart touches come first: the codes, the redemption rows, who redeemed. The
    // coupon-wide counters and rollup rows, which every redemption of the coupon waits on, are
    // taken last and so held for as short as possible. Within each step coupons go in id order,
    // and every write path takes these kinds of rows in this order, so none deadlock.
    let mut by_id: Vec<usize> = (0..found.len()).collect();
    by_id.sort_by_key(|&i| found[i].coupon.id);
    let refuse = |i: usize, reason: Reason| {
        let mut refused = stack.clone();
        refused.totals = None;
        let d = &mut refused.decisions[i];
        d.refusals = vec![Refusal::new(reason)];
        d.quote = None;
        Ok(Err(refused))
    };
    for &i in &by_id {
        if !use_code(tx, found[i], &req.user_id, now).await? {
            return refuse(i, Reason::CodeAlreadyUsed);
        }
    }
    let taken: Vec<Vec<Bucket>> = found.iter().map(|f| buckets(&f.coupon.definition, &req.user_id, now)).collect();
    let mut redemptions: Vec<Redemption> = Vec::with_capacity(found.len());
    for (i, f) in found.iter().enumerate() {
        let quote = stack.decisions[i]
            .quote
            .clone()
            .ok_or_else(|| StoreError::corrupt("a valid decision", "it has no quote"))?;
        let group = redemptions.first().map(|r| r.id);
        redemptions.push(record(tx, f, quote, &taken[i], group, req, now).await?);
    }
    let counted: Vec<activity::Redeemed> = found
        .iter()
        .zip(&redemptions)
        .map(|(f, r)| activity::Redeemed {
            coupon_id: r.coupon_id,
            batch_id: f.code.as_ref().and_then(|c| c.batch_id).unwrap_or(0),
            user_id: &r.user_id,
            at: r.redeemed_at,
            discount: r.discount,
            cashback: r.cashback,
        })
        .collect();
    let changes = activity::redeemed(tx, &counted).await?;
    for &i in &by_id {
        let quote = stack.decisions[i]
            .quote
            .as_ref()
            .ok_or_else(|| StoreError::corrupt("a valid decision", "it has no quote"))?;
        if let Err(reason) = take(tx, found[i].coupon.id, &taken[i], quote).await? {
            return refuse(i, reason);
        }
    }
    // After the counters: a reversal takes the counters before the wallet, so this must too.
    for r in redemptions.iter().filter(|r| r.cashback > 0) {
        crate::wallet::credit_cashback(tx, &req.user_id, r.cashback, r.id, now).await?;
    }
    changes.write(tx).await?;
    Ok(Ok((redemptions, totals)))
}

/// Uses the coupon's unique code, if it has one; false when someone else used it first.
async fn use_code(tx: &mut Tx, f: &Facts, user_id: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
    match f.code.as_ref().filter(|c| c.kind == CodeKind::Unique) {
        Some(code) => lifecycle::redeem(tx, code.id, user_id, now.timestamp_millis()).await,
        None => Ok(true),
    }
}
