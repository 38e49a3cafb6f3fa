//! Suggestions for the names conditions and events use: the user properties and event names the
//! app has actually sent, and the facts every cart and item has. Inputs name a list by its id
//! (`user-properties`, `event-names`, `cart-facts`, `item-facts`); a page renders the lists once.
//!
//! The names come with the page's own data (a resource awaited in the same `Suspend` as the
//! form), so the server and the browser render the same lists and hydration matches. Filled in
//! the browser after hydration instead, they made hydration fail now and then.

use leptos::prelude::*;

use crate::audience::users::server::AppNames;

/// What every cart has (see `redemption::cart::Cart::facts`); fees and cart properties join them.
const CART_FACTS: [&str; 3] = ["subtotal", "item_count", "currency"];
/// What every item has.
const ITEM_FACTS: [&str; 4] = ["sku", "category", "quantity", "unit_price"];

fn options(names: Vec<String>) -> impl IntoView {
    names.into_iter().map(|n| view! { <option value=n /> }).collect_view()
}

/// The four lists; `names` is what the app has sent (nothing on an error: suggestions are a help,
/// never a reason for the form to fail).
#[component]
pub fn Suggestions(names: AppNames) -> impl IntoView {
    let owned = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    view! {
        <datalist id="cart-facts">{options(owned(&CART_FACTS))}</datalist>
        <datalist id="item-facts">{options(owned(&ITEM_FACTS))}</datalist>
        <datalist id="user-properties">{options(names.properties)}</datalist>
        <datalist id="event-names">{options(names.events)}</datalist>
    }
}
