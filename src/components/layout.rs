//! The dashboard frame: navigation for what the role may do, and the signed-in account.

use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};

use crate::accounts::server::{me, Logout};
use crate::accounts::{Account, Permission};

/// The signed-in account, provided to every dashboard page.
pub fn use_account() -> Option<Account> {
    use_context::<Account>()
}

/// Whether the signed-in account may do `permission`: pages hide what it may not.
pub fn allowed(permission: Permission) -> bool {
    use_account().is_some_and(|a| a.can(permission))
}

#[component]
pub fn Dashboard() -> impl IntoView {
    let account = Resource::new(|| (), |_| me());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match account.await {
                    Ok(Some(account)) => view! { <Frame account /> }.into_any(),
                    Ok(None) => view! { <Redirect path="/login" /> }.into_any(),
                    Err(e) => view! { <p class="banner error">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Frame(account: Account) -> impl IntoView {
    provide_context(account.clone());
    let logout = ServerAction::<Logout>::new();
    let admin = account.can(Permission::ManageAccounts);
    let audit = account.can(Permission::ViewAudit);
    let keys = account.can(Permission::ManageKeys);
    view! {
        <div class="app">
            <header class="topbar">
                <a class="brand" href="/coupons">
                    <span class="logo">"%"</span>
                    "Couponry"
                </a>
                <nav>
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
                <div class="who">
                    <span class="who-name">{account.name.clone()}</span>
                    <span class="role-badge">{account.role.as_str()}</span>
                    <ActionForm action=logout>
                        <button type="submit" class="link">
                            "Log out"
                        </button>
                    </ActionForm>
                </div>
            </header>
            <main class="content">
                <Outlet />
            </main>
        </div>
    }
}
