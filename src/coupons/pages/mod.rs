//! The coupon pages: list, builder (new, edit, duplicate) and detail.

pub mod builder;
pub mod detail;
pub mod editors;
pub mod list;
