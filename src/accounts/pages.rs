//! The login page, the accounts page (admins) and the audit log page (admins).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use super::changes::Change;
use super::server::{list_accounts, search_audit, AuditEntry, AuditQuery, CreateAccount, Login, UpdateAccount};
use super::{Permission, Role};
use crate::components::fields::{Field, FieldMessage};
use crate::components::layout::allowed;
use crate::components::problem::Problem;
use crate::components::query_value;
use crate::components::time::When;
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
                                                            <select name="role" aria-label=format!("Role of {}", a.email)>
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
                                                            <select name="disabled" aria-label=format!("Status of {}", a.email)>
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
                                                    <td class="muted"><When ms=a.created_at /></td>
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

/// Kinds of things the audit log records, for its filter.
const ENTITIES: &[&str] = &["coupon", "batch", "campaign", "segment", "redemption", "account", "api_key"];

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let asked = Memo::new(move |_| {
        query.with(|q| {
            let text = |key: &str| q.get(key).unwrap_or_default();
            AuditQuery {
                actor: text("actor"),
                entity: text("entity"),
                action: text("action"),
                from: text("from"),
                to: text("to"),
                before: q.get("before").and_then(|b| b.parse().ok()),
            }
        })
    });
    let page = Resource::new(move || asked.get(), search_audit);
    view! {
        <Title text="Audit log" />
        <div class="page-head">
            <h1>"Audit log"</h1>
        </div>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let asked = asked.get_untracked();
                match page.await {
                    Err(AppError::Invalid(errors)) => view! { <AuditFilters asked errors /> }.into_any(),
                    Err(e) => view! { <Problem error=e /> }.into_any(),
                    Ok(page) => view! {
                        <AuditFilters asked=asked.clone() errors=FieldErrors::default() />
                        <AuditTable entries=page.entries />
                        <nav class="pager" aria-label="Audit log pages">
                            {asked.before.is_some().then(|| view! { <a class="button secondary small" href=audit_href(&asked, None)>"Newest"</a> })}
                            {page.older.map(|older| view! { <a class="button secondary small" href=audit_href(&asked, Some(older))>"Older entries"</a> })}
                        </nav>
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

/// The audit page's address for these filters, starting below `before`.
fn audit_href(q: &AuditQuery, before: Option<i64>) -> String {
    let mut parts: Vec<String> =
        [("actor", &q.actor), ("entity", &q.entity), ("action", &q.action), ("from", &q.from), ("to", &q.to)]
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={}", query_value(v)))
            .collect();
    if let Some(before) = before {
        parts.push(format!("before={before}"));
    }
    if parts.is_empty() {
        "/audit".into()
    } else {
        format!("/audit?{}", parts.join("&"))
    }
}

#[component]
fn AuditFilters(asked: AuditQuery, errors: FieldErrors) -> impl IntoView {
    let errors = Signal::stored(errors);
    let entity = asked.entity.clone();
    view! {
        <Form method="GET" action="/audit" attr:class="period-form card audit-filters">
            <Field label="Who" field="actor" errors>
                <input type="search" name="actor" value=asked.actor placeholder="email, api key, system" />
            </Field>
            <Field label="On" field="entity" errors>
                <select name="entity">
                    <option value="">"anything"</option>
                    {ENTITIES.iter().map(|e| view! { <option value=*e selected={entity == *e}>{e.replace('_', " ")}</option> }).collect_view()}
                </select>
            </Field>
            <Field label="What" field="action" errors>
                <input type="search" name="action" value=asked.action placeholder="archived, launch…" />
            </Field>
            <Field label="From (UTC)" field="from" errors>
                <input type="date" name="from" value=asked.from />
            </Field>
            <Field label="To (UTC)" field="to" errors>
                <input type="date" name="to" value=asked.to />
            </Field>
            <div class="actions">
                <button type="submit" class="primary">"Filter"</button>
                <a class="button secondary" href="/audit">"Clear"</a>
            </div>
        </Form>
    }
}

#[component]
fn AuditTable(entries: Vec<AuditEntry>) -> impl IntoView {
    if entries.is_empty() {
        return view! { <p class="empty-state">"No entries match."</p> }.into_any();
    }
    view! {
        <table class="table audit">
            <thead>
                <tr>
                    <th>"When"</th>
                    <th>"Who"</th>
                    <th>"What"</th>
                    <th>"On"</th>
                    <th>"Changes"</th>
                </tr>
            </thead>
            <tbody>
                {entries.into_iter().map(|e| {
                    let on = format!("{} {}", e.entity.replace('_', " "), e.entity_id);
                    let link = match e.entity.as_str() {
                        "coupon" => Some(format!("/coupons/{}", e.entity_id)),
                        "campaign" => Some(format!("/campaigns/{}", e.entity_id)),
                        "segment" => Some(format!("/segments/{}", e.entity_id)),
                        _ => None,
                    };
                    view! {
                        <tr data-audit=e.id>
                            <td class="muted nowrap"><When ms=e.at /></td>
                            <td>{e.actor}</td>
                            <td><strong>{e.action}</strong></td>
                            <td>{match link {
                                Some(href) => view! { <a href=href>{on}</a> }.into_any(),
                                None => on.into_any(),
                            }}</td>
                            <td><ChangeList changes=e.changes /></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// Changes shown open; more (a creation lists every field) fold under a summary.
const OPEN_CHANGES: usize = 8;

/// An entry's changed fields as before → after.
#[component]
fn ChangeList(changes: Vec<Change>) -> impl IntoView {
    if changes.is_empty() {
        return view! { <span class="muted">"—"</span> }.into_any();
    }
    let count = changes.len();
    let table = view! {
        <table class="changes">
            <tbody>
                {changes.into_iter().map(|c| view! {
                    <tr>
                        <th scope="row" class="mono">{c.field}</th>
                        <td class="before">{c.before.unwrap_or_else(|| "—".into())}</td>
                        <td class="arrow" aria-hidden="true">"→"</td>
                        <td class="after">{c.after.unwrap_or_else(|| "—".into())}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    };
    if count <= OPEN_CHANGES {
        return table.into_any();
    }
    view! {
        <details class="many-changes">
            <summary>{format!("{count} fields")}</summary>
            {table}
        </details>
    }
    .into_any()
}
