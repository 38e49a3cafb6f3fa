//! The login page, the accounts page (admins) and the audit log page (admins).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::server::{list_accounts, list_audit, CreateAccount, Login, UpdateAccount};
use super::{Permission, Role};
use crate::components::fields::{Field, FieldMessage};
use crate::components::format_ms;
use crate::components::layout::allowed;
use crate::components::problem::Problem;
use crate::error::AppError;
use crate::fields::FieldErrors;

fn errors_of<T: 'static>(
    value: impl Fn() -> Option<Result<T, AppError>> + Send + Sync + 'static,
) -> Signal<FieldErrors> {
    Signal::derive(move || match value() {
        Some(Err(e)) => e.field_errors(),
        _ => FieldErrors::default(),
    })
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let errors = errors_of(move || login.value().get());
    let next = use_query_map().with_untracked(|q| q.get("next")).unwrap_or_else(|| "/coupons".into());
    view! {
        <Title text="Log in" />
        <div class="login-page">
            <div class="login-card">
                <div class="brand big">
                    <span class="logo">"%"</span>
                    "Couponry"
                </div>
                <h1>"Log in"</h1>
                <ActionForm action=login>
                    <input type="hidden" name="next" value=next />
                    <Field label="Email" field="email" errors>
                        <input type="email" name="email" autocomplete="username" required />
                    </Field>
                    <Field label="Password" field="password" errors>
                        <input type="password" name="password" autocomplete="current-password" required />
                    </Field>
                    <button type="submit" class="primary wide" disabled=move || login.pending().get()>
                        "Log in"
                    </button>
                </ActionForm>
            </div>
        </div>
    }
}

#[component]
pub fn AccountsPage() -> impl IntoView {
    let is_admin = allowed(Permission::ManageAccounts);
    let create = ServerAction::<CreateAccount>::new();
    let update = ServerAction::<UpdateAccount>::new();
    let accounts = Resource::new(move || (create.version().get(), update.version().get()), |_| list_accounts());
    let errors = errors_of(move || create.value().get());
    let update_error = move || match update.value().get() {
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    view! {
        <Title text="Accounts" />
        <div class="page-head">
            <h1>"Accounts"</h1>
        </div>
        {move || update_error().map(|e| view! { <p class="banner error">{e}</p> })}
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match accounts.await {
                    Err(e) => view! { <Problem error=e /> }.into_any(),
                    Ok(list) => {
                        view! {
                            <table class="table">
                                <thead>
                                    <tr>
                                        <th>"Name"</th>
                                        <th>"Email"</th>
                                        <th>"Role"</th>
                                        <th>"Status"</th>
                                        <th>"Since"</th>
                                        <th></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list
                                        .into_iter()
                                        .map(|a| {
                                            let email = a.email.clone();
                                            view! {
                                                <tr data-email=email>
                                                    <td>{a.name.clone()}</td>
                                                    <td>{a.email.clone()}</td>
                                                    <td colspan="2">
                                                        <ActionForm action=update attr:class="inline">
                                                            <input type="hidden" name="id" value=a.id />
                                                            <select name="role">
                                                                {Role::ALL
                                                                    .into_iter()
                                                                    .map(|r| {
                                                                        view! {
                                                                            <option value=r.as_str() selected=r == a.role>
                                                                                {r.as_str()}
                                                                            </option>
                                                                        }
                                                                    })
                                                                    .collect_view()}
                                                            </select>
                                                            <select name="disabled">
                                                                <option value="false" selected=!a.disabled>
                                                                    "active"
                                                                </option>
                                                                <option value="true" selected=a.disabled>
                                                                    "disabled"
                                                                </option>
                                                            </select>
                                                            <button type="submit" class="secondary small">
                                                                "Save"
                                                            </button>
                                                        </ActionForm>
                                                    </td>
                                                    <td class="muted">{format_ms(a.created_at)}</td>
                                                    <td></td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
        <Show when=move || is_admin>
        <section class="card narrow">
            <h2>"Add an account"</h2>
            <ActionForm action=create>
                <Field label="Name" field="name" errors>
                    <input type="text" name="name" />
                </Field>
                <Field label="Email" field="email" errors>
                    <input type="email" name="email" />
                </Field>
                <Field label="Password" field="password" errors hint="At least 10 characters">
                    <input type="password" name="password" autocomplete="new-password" />
                </Field>
                <Field label="Role" field="role" errors>
                    <select name="role">
                        <option value="marketer">"marketer — coupons, campaigns, codes"</option>
                        <option value="analyst">"analyst — read-only"</option>
                        <option value="admin">"admin — everything, plus accounts"</option>
                    </select>
                </Field>
                <FieldMessage errors field="" />
                {move || match create.value().get() {
                    Some(Ok(a)) => Some(view! { <p class="banner ok">{format!("Added {}", a.email)}</p> }.into_any()),
                    Some(Err(AppError::Invalid(_))) | None => None,
                    Some(Err(e)) => Some(view! { <p class="banner error">{e.to_string()}</p> }.into_any()),
                }}
                <button type="submit" class="primary">
                    "Add account"
                </button>
            </ActionForm>
        </section>
        </Show>
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let entries = Resource::new(|| (), |_| list_audit(None, None));
    view! {
        <Title text="Audit log" />
        <div class="page-head">
            <h1>"Audit log"</h1>
        </div>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match entries.await {
                    Err(e) => view! { <Problem error=e /> }.into_any(),
                    Ok(list) => {
                        view! {
                            <table class="table audit">
                                <thead>
                                    <tr>
                                        <th>"When"</th>
                                        <th>"Who"</th>
                                        <th>"What"</th>
                                        <th>"On"</th>
                                        <th>"Before / after"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list
                                        .into_iter()
                                        .map(|e| {
                                            let link = (e.entity == "coupon")
                                                .then(|| format!("/coupons/{}", e.entity_id));
                                            view! {
                                                <tr>
                                                    <td class="muted">{format_ms(e.at)}</td>
                                                    <td>{e.actor}</td>
                                                    <td>
                                                        <strong>{e.action}</strong>
                                                    </td>
                                                    <td>
                                                        {match link {
                                                            Some(href) => {
                                                                view! {
                                                                    <a href=href>{format!("{} {}", e.entity, e.entity_id)}</a>
                                                                }
                                                                    .into_any()
                                                            }
                                                            None => format!("{} {}", e.entity, e.entity_id).into_any(),
                                                        }}
                                                    </td>
                                                    <td>
                                                        <details>
                                                            <summary>"show"</summary>
                                                            <pre>{e.before.unwrap_or_else(|| "—".into())}</pre>
                                                            <pre>{e.after.unwrap_or_else(|| "—".into())}</pre>
                                                        </details>
                                                    </td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}
