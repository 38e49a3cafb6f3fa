//! The users page: look a shopper up by the app's user id and see what Couponry knows — their
//! properties, tray, redemptions (reversible here), cashback wallet and recent events.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::server::{lookup_user, RedemptionRow, ReturnPart, ReverseRedemption, UserView};
use crate::components::confirm::Confirm;
use crate::components::problem::Problem;
use crate::components::query_value;
use crate::components::time::{utc_text, When};

#[component]
pub fn UsersPage() -> impl IntoView {
    let query = use_query_map();
    let wanted = move || query.read().get("user_id").filter(|u| !u.trim().is_empty());
    let reverse = ServerAction::<ReverseRedemption>::new();
    // Bumped by each part returned, so the page reads the redemptions again.
    let returned = RwSignal::new(0u32);
    let found = Resource::new(
        move || (wanted(), reverse.version().get(), returned.get()),
        |(id, _, _)| async move {
            match id {
                Some(id) => Some(lookup_user(id).await),
                None => None,
            }
        },
    );
    view! {
        <Title text="Users" />
        <div class="page-head">
            <h1>"Users"</h1>
        </div>
        <form method="get" action="/users" class="filters">
            <input type="search" name="user_id" aria-label="User id" placeholder="The app's user id" value=move || wanted().unwrap_or_default() />
            <button type="submit" class="primary">"Look up"</button>
        </form>
        {move || reverse.value().get().and_then(|r| r.err()).map(|e| view! { <p class="banner error">{e.to_string()}</p> })}
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match found.await {
                    None => view! { <p class="empty-state">"Type a user id to see their coupons, redemptions and wallet."</p> }.into_any(),
                    Some(Err(e)) => view! { <Problem error=e /> }.into_any(),
                    Some(Ok(user)) => view! { <UserDetail user reverse returned /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn UserDetail(user: UserView, reverse: ServerAction<ReverseRedemption>, returned: RwSignal<u32>) -> impl IntoView {
    let can_reverse = user.can_reverse;
    let properties = match &user.user {
        None => view! { <p class="muted">"The app has not sent this user yet."</p> }.into_any(),
        Some(u) if u.properties.is_empty() => view! { <p class="muted">"No properties."</p> }.into_any(),
        Some(u) => {
            let rows = u
                .properties
                .iter()
                .map(|(name, value)| {
                    let text = match value {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    view! {
                        <tr>
                            <th scope="row" class="mono">{name.clone()}</th>
                            <td>{text}</td>
                        </tr>
                    }
                })
                .collect_view();
            view! {
                <table class="table compact properties">
                    <caption class="visually-hidden">"Properties"</caption>
                    <tbody>{rows}</tbody>
                </table>
            }
            .into_any()
        }
    };
    let similar = (!user.similar.is_empty()).then(|| {
        let links = user
            .similar
            .iter()
            .map(|id| view! { <li><a href=format!("/users?user_id={}", query_value(id))>{id.clone()}</a></li> })
            .collect_view();
        view! {
            <section class="card" data-testid="similar-users">
                <h2>{format!("Users whose id starts with “{}”", user.user_id)}</h2>
                <ul class="similar">{links}</ul>
            </section>
        }
    });
    view! {
        {similar}
        <div class="grid-2">
            <section class="card">
                <h2>{format!("User {}", user.user_id)}</h2>
                {properties}
                <p class="segments-of-user">
                    <strong>"Segments: "</strong>
                    {if user.segments.is_empty() {
                        view! { <span class="muted">"none"</span> }.into_any()
                    } else {
                        user.segments
                            .into_iter()
                            .map(|(id, name)| view! { <a class="chip" href=format!("/segments/{id}")>{name}</a> " " })
                            .collect_view()
                            .into_any()
                    }}
                </p>
                <p>
                    <strong>"Cashback balance: "</strong>
                    <span data-testid="balance">{user.balance}</span>
                    " points"
                </p>
            </section>
            <section class="card">
                <h2>"Tray"</h2>
                {if user.tray.is_empty() {
                    view! { <p class="muted">"No coupon usable right now."</p> }.into_any()
                } else {
                    view! {
                        <ul class="tray">
                            {user.tray.into_iter().map(|t| view! {
                                <li>
                                    <a href=format!("/coupons/{}", t.coupon_id)>{t.name}</a>
                                    {t.code.map(|c| view! { " " <code>{c}</code> })}
                                    <div class="muted">{t.summary}</div>
                                    <div class="muted">{tray_limits(t.expires_at, t.uses_left)}</div>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
        </div>
        <section class="card">
            <h2>"Redemptions"</h2>
            <table class="table redemptions" tabindex="0">
                <thead>
                    <tr><th>"When"</th><th>"Coupon"</th><th>"Code"</th><th>"Order"</th><th class="num">"Discount"</th><th class="num">"Cashback"</th><th>"Status"</th><th></th></tr>
                </thead>
                <tbody>
                    {user.redemptions.into_iter().map(|r| {
                        let reversible = can_reverse && !r.reversed;
                        let row = r.clone();
                        view! {
                            <tr data-redemption=r.id>
                                <td class="muted"><When ms=r.redeemed_at /></td>
                                <td><a href=format!("/coupons/{}", r.coupon_id)>{r.coupon_name}</a></td>
                                <td>{r.code.map(|c| view! { <code>{c}</code> })}</td>
                                <td>{r.order_id}</td>
                                <td class="num">{r.discount}</td>
                                <td class="num">{crate::coupons::summary::group(r.cashback)}</td>
                                <td>
                                    {if r.reversed {
                                        view! { <span class="badge archived">"reversed"</span> }.into_any()
                                    } else {
                                        view! { <span class="badge active">"redeemed"</span> }.into_any()
                                    }}
                                </td>
                                <td>
                                    <Show when=move || reversible>
                                        <ReturnForm r=row.clone() returned />
                                        <Confirm label="Reverse" class="secondary small" question="Reverse this redemption? The use, the budget and any cashback are given back.">
                                            <ActionForm action=reverse attr:class="inline">
                                                <input type="hidden" name="id" value=r.id />
                                                <button type="submit" class="danger small">"Yes, reverse"</button>
                                            </ActionForm>
                                        </Confirm>
                                    </Show>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        <div class="grid-2">
            <section class="card">
                <h2>"Wallet"</h2>
                {user.wallet.is_empty().then(|| view! { <p class="muted">"No points credited or spent yet."</p> })}
                <ul class="history">
                    {user.wallet.into_iter().map(|w| view! {
                        <li>
                            <span class="muted"><When ms=w.created_at /></span>
                            " " <strong>{format!("{:+}", w.points)}</strong> " " {w.kind}
                            {(w.shortfall > 0).then(|| format!(" ({} already spent)", w.shortfall))}
                        </li>
                    }).collect_view()}
                </ul>
            </section>
            <section class="card">
                <h2>"Recent events"</h2>
                {user.events.is_empty().then(|| view! { <p class="muted">"No events from the app yet."</p> })}
                <ul class="history">
                    {user.events.into_iter().map(|e| view! {
                        <li><span class="muted"><When ms={e.occurred_at.timestamp_millis()} /></span> " " <strong>{e.name}</strong></li>
                    }).collect_view()}
                </ul>
            </section>
        </div>
    }
}

/// "expires 2026-12-01 10:00 UTC · 1 use left", as much of it as applies. `None` rather than an
/// empty text: the server renders no text node for "", and hydration would then miss one.
fn tray_limits(expires_at: Option<i64>, uses_left: Option<i64>) -> Option<String> {
    let expiry = expires_at.map(|e| format!("expires {}", utc_text(e)));
    let uses =
        uses_left.map(|n| format!("{} use{} left", crate::coupons::summary::group(n), if n == 1 { "" } else { "s" }));
    let text = expiry.into_iter().chain(uses).collect::<Vec<_>>().join(" · ");
    (!text.is_empty()).then_some(text)
}

/// Part of a redemption back (a partial refund): an amount of its eligible amount, and why. The
/// form is its own confirmation; it carries the discount it was made with, so a second click
/// cannot return the part twice.
#[component]
fn ReturnForm(r: RedemptionRow, returned: RwSignal<u32>) -> impl IntoView {
    let action = ServerAction::<ReturnPart>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            returned.update(|n| *n += 1);
        }
    });
    let error = move |field: &'static str| {
        action.value().get().and_then(|v| v.err()).and_then(|e| match e {
            crate::error::AppError::Invalid(errors) if field != "form" => errors.get(field).map(str::to_string),
            crate::error::AppError::Invalid(_) => None,
            other if field == "form" => Some(other.to_string()),
            _ => None,
        })
    };
    let amount_id = format!("return-amount-{}", r.id);
    let reason_id = format!("return-reason-{}", r.id);
    view! {
        <details class="return-part">
            <summary class="button small">"Refund part"</summary>
            <ActionForm action attr:class="stacked">
                <input type="hidden" name="id" value=r.id />
                <input type="hidden" name="discount" value=r.discount_minor />
                <label for=amount_id.clone()>{format!("Amount refunded, of {} eligible", r.eligible)}</label>
                <input
                    id=amount_id
                    name="amount"
                    inputmode="decimal"
                    required
                    aria-invalid=move || error("amount").is_some().to_string()
                />
                {move || error("amount").map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                <label for=reason_id.clone()>"Reason (optional)"</label>
                <input id=reason_id name="reason" maxlength="500" />
                {move || error("reason").map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                {move || error("form").map(|m| view! { <p class="banner error">{m}</p> })}
                <button type="submit" class="danger small">"Give back this part"</button>
            </ActionForm>
        </details>
    }
}
