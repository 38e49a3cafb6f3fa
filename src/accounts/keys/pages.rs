//! The API keys page: admins create keys (the secret is shown once), see when each was last
//! used, and revoke them.

use leptos::prelude::*;
use leptos_meta::Title;

use super::server::{list_api_keys, CreateApiKey, RevokeApiKey};
use crate::accounts::Permission;
use crate::components::confirm::Confirm;
use crate::components::fields::{Field, FieldMessage};
use crate::components::layout::allowed;
use crate::components::problem::Problem;
use crate::components::time::When;
use crate::error::AppError;
use crate::fields::FieldErrors;

#[component]
pub fn ApiKeysPage() -> impl IntoView {
    if !allowed(Permission::ManageKeys) {
        return view! { <Problem error=AppError::Forbidden /> }.into_any();
    }
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let keys = Resource::new(move || (create.version().get(), revoke.version().get()), |_| list_api_keys());
    let errors = Signal::derive(move || match create.value().get() {
        Some(Err(e)) => e.field_errors(),
        _ => FieldErrors::default(),
    });
    view! {
        <Title text="API keys" />
        <div class="page-head">
            <h1>"API keys"</h1>
        </div>
        <p class="muted">
            "Apps call " <code>"/api/v1"</code> " with " <code>"Authorization: Bearer <key>"</code>
            ". A " <strong>"checkout"</strong> " key sends users and events, lists trays, validates, redeems and reverses; a "
            <strong>"manage"</strong> " key manages coupons and codes."
        </p>
        {move || match create.value().get() {
            Some(Ok(new)) => Some(view! {
                <div class="banner ok secret">
                    <p>{format!("Key “{}” created. Copy it now: it is not stored and cannot be shown again.", new.key.name)}</p>
                    <code class="secret-value">{new.secret}</code>
                </div>
            }.into_any()),
            Some(Err(AppError::Invalid(_))) | None => None,
            Some(Err(e)) => Some(view! { <p class="banner error">{e.to_string()}</p> }.into_any()),
        }}
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match keys.await {
                    Err(e) => view! { <Problem error=e /> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="empty-state">"No API keys yet: create one below for each app."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="table keys">
                            <thead>
                                <tr>
                                    <th>"Name"</th>
                                    <th>"Key"</th>
                                    <th>"Scopes"</th>
                                    <th>"Created"</th>
                                    <th>"Last used"</th>
                                    <th>"Status"</th>
                                    <th></th>
                                </tr>
                            </thead>
                            <tbody>
                                {list.into_iter().map(|k| {
                                    let scopes = k.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
                                    let revoked = k.revoked_at.is_some();
                                    let question = format!("Revoke “{}”? Apps using it are refused at once.", k.name);
                                    view! {
                                        <tr data-key=k.name.clone()>
                                            <td>{k.name.clone()}</td>
                                            <td><code>{format!("{}…", k.prefix)}</code></td>
                                            <td>{scopes}</td>
                                            <td class="muted"><When ms=k.created_at /></td>
                                            <td class="muted">{match k.last_used_at {
                                                Some(ms) => view! { <When ms /> }.into_any(),
                                                None => "never".into_any(),
                                            }}</td>
                                            <td>
                                                {if revoked {
                                                    view! { <span class="badge archived">"revoked"</span> }.into_any()
                                                } else {
                                                    view! { <span class="badge active">"active"</span> }.into_any()
                                                }}
                                            </td>
                                            <td>
                                                <Show when=move || !revoked>
                                                    <Confirm label="Revoke" question=question.clone()>
                                                        <ActionForm action=revoke attr:class="inline">
                                                            <input type="hidden" name="id" value=k.id />
                                                            <button type="submit" class="danger small">"Yes, revoke"</button>
                                                        </ActionForm>
                                                    </Confirm>
                                                </Show>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }
            })}
        </Suspense>
        <section class="card narrow">
            <h2>"Create a key"</h2>
            <ActionForm action=create>
                <Field label="Name" field="name" errors hint="Which app uses it, e.g. “Checkout service”">
                    <input type="text" name="name" />
                </Field>
                <fieldset class="checks">
                    <legend>"Scopes"</legend>
                    <label><input type="checkbox" name="checkout" checked /> " checkout"</label>
                    <label><input type="checkbox" name="manage" /> " manage"</label>
                    <FieldMessage errors field="scopes" />
                </fieldset>
                <button type="submit" class="primary">"Create key"</button>
            </ActionForm>
        </section>
    }
    .into_any()
}
