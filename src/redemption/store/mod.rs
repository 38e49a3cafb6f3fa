//! Validate, redeem and reverse against the database. Redeem re-reads everything inside one write
//! transaction and moves every limit bucket with a conditional upsert, so no limit, cap, budget or
//! single-use code can be exceeded, whatever the number of requests or servers.
//!
//! `facts` reads what a decision needs, `counters` owns the limit buckets, `ledger` the
//! redemption rows; `redeem` and `reverse` are the two writes that move them together.

mod counters;
mod error;
mod facts;
mod ledger;
mod redeem;
mod reverse;

pub use super::request::{Request, Target};
pub use counters::{buckets, usage, Bucket};
pub use error::RedemptionError;
pub use facts::{load_facts, validate};
pub use ledger::{get, page, Filter, RedeemOutcome, Redemption, RedemptionStatus};
pub use redeem::{redeem, Replayable};
pub use reverse::{reverse, reverse_part, Once, MAX_REASON};

use super::stack::StackDecision;
use crate::activity::checks::{self, Door};
use crate::state::CheckCounts;

/// Counts a decision for the analytics' "what stops people": each coupon once, under the reason
/// its shopper is shown first; at redeem only the coupons refused (a redemption is counted by the
/// rollups).
pub fn count_checks(counts: &CheckCounts, door: Door, s: &StackDecision, at_ms: i64) {
    for d in &s.decisions {
        let first = d.refusals.first().map(|r| r.reason.code());
        if door == Door::Validate || first.is_some() {
            checks::count(counts, d.coupon_id, door, first, at_ms);
        }
    }
}
