//! The 404 page, with a 404 status when rendered on the server.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found" />
        <div class="empty-state">
            <h1>"Not found"</h1>
            <p>"There is nothing at this address. It may have been removed, or the link is wrong."</p>
            <a class="button" href="/coupons">"Go to coupons"</a>
        </div>
    }
}
