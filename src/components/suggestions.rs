//! Suggestions for the names conditions and events use: the user properties and event names the
//! app has actually sent, and the facts every cart and item has. Inputs name a list by its id
//! (`user-properties`, `event-names`, `cart-facts`, `item-facts`); a page renders the lists once.

use leptos::prelude::*;

use crate::audience::users::server::sent_names;

/// What every cart has (see `redemption::cart::Cart::facts`); fees and cart properties join them.
const CART_FACTS: [&str; 3] = ["subtotal", "item_count", "currency"];
/// What every item has.
const ITEM_FACTS: [&str; 4] = ["sku", "category", "quantity", "unit_price"];

fn datalist(id: &'static str, names: Vec<String>) -> impl IntoView {
    view! { <datalist id=id>{names.into_iter().map(|n| view! { <option value=n /> }).collect_view()}</datalist> }
}

/// The four lists. The app's names load beside the page; until then (or on an error) their
/// lists are empty, which only means no suggestions.
#[component]
pub fn Suggestions() -> impl IntoView {
    let sent = Resource::new(|| (), |_| sent_names());
    let owned = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    view! {
        {datalist("cart-facts", owned(&CART_FACTS))}
        {datalist("item-facts", owned(&ITEM_FACTS))}
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let names = sent.await.unwrap_or_default();
                view! {
                    {datalist("user-properties", names.properties)}
                    {datalist("event-names", names.events)}
                }
            })}
        </Transition>
    }
}
