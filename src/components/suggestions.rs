//! Suggestions for the names conditions and events use: the user properties and event names the
//! app has actually sent, and the facts every cart and item has. Inputs name a list by its id
//! (`user-properties`, `event-names`, `cart-facts`, `item-facts`); a page renders the lists once.
//!
//! Not mounted yet: lists filled in the browser under the builder's Suspense made hydration fail
//! now and then (names arriving while the Suspense was still hydrating). The names should come
//! with the page's own data, rendered the same on the server and in the browser.

use leptos::prelude::*;

use crate::audience::users::server::{sent_names, AppNames};

/// What every cart has (see `redemption::cart::Cart::facts`); fees and cart properties join them.
const CART_FACTS: [&str; 3] = ["subtotal", "item_count", "currency"];
/// What every item has.
const ITEM_FACTS: [&str; 4] = ["sku", "category", "quantity", "unit_price"];

fn options(names: Vec<String>) -> impl IntoView {
    names.into_iter().map(|n| view! { <option value=n /> }).collect_view()
}

/// The four lists. The app's names load in the browser and show once the page is live: the
/// server renders those lists empty, and they stay empty until this part of the page has
/// hydrated (an Effect runs only then), since names that arrive while a Suspense above is still
/// hydrating would not match the server's page. Until then, or on an error, they suggest nothing.
#[component]
pub fn Suggestions() -> impl IntoView {
    let sent = LocalResource::new(sent_names);
    let live = RwSignal::new(false);
    Effect::new(move |_| live.set(true));
    let names = move |pick: fn(AppNames) -> Vec<String>| {
        move || live.get().then(|| sent.get().and_then(Result::ok).map(|names| options(pick(names)))).flatten()
    };
    let owned = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    view! {
        <datalist id="cart-facts">{options(owned(&CART_FACTS))}</datalist>
        <datalist id="item-facts">{options(owned(&ITEM_FACTS))}</datalist>
        <datalist id="user-properties">{names(|n| n.properties)}</datalist>
        <datalist id="event-names">{names(|n| n.events)}</datalist>
    }
}
