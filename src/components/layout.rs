//! The dashboard frame: navigation for what the role may do, and the signed-in account.

use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};
use leptos_router::hooks::use_location;

use crate::accounts::server::{me, Logout};
use crate::accounts::{Account, Permission};
use crate::components::not_found::NotFound;

/// The signed-in account, provided to every dashboard page.
pub fn use_account() -> Option<Account> {
    use_context::<Account>()
}

/// Whether the signed-in account may do `permission`: pages hide what it may not.
pub fn allowed(permission: Permission) -> bool {
    use_account().is_some_and(|a| a.can(permission))
}

/// The frame around the route's page, for a signed-in person.
#[component]
pub fn Dashboard() -> impl IntoView {
    view! { <SignedIn page=|| view! { <Outlet /> }.into_any() /> }
}

/// An unknown address: the 404 inside the frame, so the person can go on from there.
#[component]
pub fn FramedNotFound() -> impl IntoView {
    view! { <SignedIn page=|| view! { <NotFound /> }.into_any() /> }
}

#[component]
fn SignedIn(page: fn() -> AnyView) -> impl IntoView {
    let account = Resource::new(|| (), |_| me());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match account.await {
                    Ok(Some(account)) => view! { <Frame account page /> }.into_any(),
                    Ok(None) => view! { <Redirect path="/login" /> }.into_any(),
                    Err(e) => view! { <p class="banner error">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Frame(account: Account, page: fn() -> AnyView) -> impl IntoView {
    provide_context(account.clone());
    let logout = ServerAction::<Logout>::new();
    let admin = account.can(Permission::ManageAccounts);
    let audit = account.can(Permission::ViewAudit);
    let keys = account.can(Permission::ManageKeys);
    // The navigation folds behind a menu button on narrow screens (CSS decides when).
    let menu_open = RwSignal::new(false);
    let path = use_location().pathname;
    // After a client-side navigation, focus moves to the new page (as a full load would do)
    // and the folded menu closes; the first run is the page load itself. Focus moves once the
    // frame is drawn, after the menu (and the link that had focus) is hidden.
    Effect::new(move |previous: Option<String>| {
        let now = path.get();
        if previous.is_some_and(|p| p != now) {
            menu_open.set(false);
            request_animation_frame(|| {
                use leptos::wasm_bindgen::JsCast;
                let main = document().get_element_by_id("main");
                if let Some(main) = main.and_then(|m| m.dyn_into::<leptos::web_sys::HtmlElement>().ok()) {
                    let _ = main.focus();
                }
            });
        }
        now
    });
    // Built in parts, each erased to `AnyView`: one nested type for the whole frame is deeper
    // than the compiler lays out.
    let nav = view! {
        <nav aria-label="Main">
            <A href="/coupons">"Coupons"</A>
            <A href="/codes">"Codes"</A>
            <A href="/segments">"Segments"</A>
            <A href="/campaigns">"Campaigns"</A>
            <A href="/analytics">"Analytics"</A>
            <A href="/users">"Users"</A>
            <Show when=move || admin>
                <A href="/accounts">"Accounts"</A>
            </Show>
            <Show when=move || keys>
                <A href="/api-keys">"API keys"</A>
            </Show>
            <Show when=move || audit>
                <A href="/audit">"Audit log"</A>
            </Show>
            <A href="/api">"API"</A>
        </nav>
    }
    .into_any();
    let who = view! {
        <div class="who">
            <span class="who-name">{account.name.clone()}</span>
            <span class="role-badge">{account.role.as_str()}</span>
            <ActionForm action=logout>
                <button type="submit" class="link">
                    "Log out"
                </button>
            </ActionForm>
        </div>
    }
    .into_any();
    let header = view! {
        <header class="topbar" class:menu-open=move || menu_open.get()>
            <a class="brand" href="/coupons">
                <span class="logo" aria-hidden="true">
                    "%"
                </span>
                "Couponry"
            </a>
            <button
                type="button"
                class="menu-toggle"
                aria-controls="site-menu"
                aria-expanded=move || menu_open.get().to_string()
                on:click=move |_| menu_open.update(|open| *open = !*open)
            >
                <span aria-hidden="true">"☰"</span>
                " Menu"
            </button>
            <div class="site-menu" id="site-menu">
                {nav}
                {who}
            </div>
        </header>
    }
    .into_any();
    view! {
        <a class="skip-link" href="#main">
            "Skip to content"
        </a>
        <div class="app">
            {header}
            <main class="content" id="main" tabindex="-1">
                {page()}
            </main>
        </div>
    }
}
