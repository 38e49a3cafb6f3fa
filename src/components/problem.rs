//! A page that could not be shown: the reason, and on the server the status that fits it.

use leptos::prelude::*;
use leptos_meta::Title;

use super::not_found::NotFound;
use crate::error::AppError;

#[component]
pub fn Problem(error: AppError) -> impl IntoView {
    if error == AppError::NotFound {
        return view! { <NotFound /> }.into_any();
    }
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(error.status());
    }
    let title = match error {
        AppError::Forbidden => "Not allowed",
        AppError::Unauthenticated => "Please log in",
        _ => "Something went wrong",
    };
    view! {
        <Title text=title />
        <div class="empty-state" role="alert">
            <h1>{title}</h1>
            <p>{error.to_string()}</p>
            <a class="button" href="/coupons">
                "Go to coupons"
            </a>
        </div>
    }
    .into_any()
}
