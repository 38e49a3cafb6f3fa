//! The coupon as a client sends it (builder page or API), and the one parser that turns it into
//! a [`crate::coupons::definition::CouponDefinition`] or names every field that is wrong.
//!
//! `values` holds the parsers of single values that other forms share (money, percent, time
//! zones, date-times, event names); `parse` checks a whole input; `render` turns a stored
//! definition back into the input the builder edits.

mod parse;
mod render;
mod types;
mod values;

pub use parse::PartialDefinition;
pub use types::*;
pub use values::{parse_datetime, parse_event_name, parse_time_zone, MAX_DESCRIPTION_LEN, MAX_NAME_LEN};
