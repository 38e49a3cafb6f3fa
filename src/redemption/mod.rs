//! Redemption: the cart, the pure decision (validate and redeem alike), the calendar periods that
//! caps count in, and the money arithmetic that spreads a discount exactly.

pub mod allocate;
#[cfg(feature = "ssr")]
pub mod attempts;
pub mod cart;
pub mod decision;
pub mod periods;
pub mod reasons;
pub mod request;
pub mod server;
pub mod stack;
pub mod try_panel;

#[cfg(test)]
mod decision_tests;
#[cfg(test)]
mod stack_tests;
#[cfg(feature = "ssr")]
pub mod store;
