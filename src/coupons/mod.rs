//! Coupons: the definition with every setting, its parser, its summary, its lifecycle, its
//! storage and its pages.

pub mod definition;
pub mod input;
pub mod status;
pub mod summary;

#[cfg(test)]
mod input_tests;
