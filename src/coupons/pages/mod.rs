//! The coupon pages: list, builder (new, edit, duplicate) and detail.

pub mod activity;
pub mod builder;
pub mod detail;
pub mod editors;
pub mod list;
