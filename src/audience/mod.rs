//! The audience: the app's users and their events, saved segments (rules over user properties),
//! campaigns that deliver a coupon to a segment, the assignments that record who holds which
//! coupon, and each user's tray of coupons.

#[cfg(feature = "ssr")]
pub mod assignments;
pub mod campaigns;
pub mod events;
pub mod segments;
pub mod tray;
pub mod users;
