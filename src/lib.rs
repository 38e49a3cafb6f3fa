//! Couponry: a self-hosted coupon engine with a marketer dashboard.

// The builder's view types are deep: the optimized wasm build needs more than the default 128.
#![recursion_limit = "256"]

pub mod accounts;
#[cfg(feature = "ssr")]
pub mod activity;
pub mod analytics;
#[cfg(feature = "ssr")]
pub mod answers;
#[cfg(feature = "ssr")]
pub mod api;
pub mod app;
pub mod audience;
pub mod codes;
pub mod components;
pub mod conditions;
#[cfg(feature = "ssr")]
pub mod config;
pub mod coupons;
pub mod dates;
#[cfg(feature = "ssr")]
pub mod db;
pub mod error;
pub mod fields;
#[cfg(feature = "ssr")]
pub mod housekeeping;
#[cfg(feature = "ssr")]
pub mod http_error;
#[cfg(feature = "ssr")]
pub mod idempotency;
pub mod metadata;
pub mod money;
#[cfg(feature = "ssr")]
pub mod ops;
pub mod redemption;
pub mod reference;
#[cfg(feature = "ssr")]
pub mod serve;
#[cfg(feature = "ssr")]
pub mod startup;
#[cfg(feature = "ssr")]
pub mod state;
pub mod text;
#[cfg(feature = "ssr")]
pub mod throttle;
#[cfg(feature = "ssr")]
pub mod uploads;
pub mod values;
pub mod wallet;
pub mod wire;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // Lets tests (and curious people) see that the page is live.
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
