//! A coupon's page: its summary, every setting, its status actions and its history.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::accounts::server::list_audit;
use crate::components::confirm::Confirm;
use crate::components::problem::Problem;
use crate::components::time::{zoned_text, When};
use crate::conditions::Condition;
use crate::coupons::definition::*;
use crate::coupons::pages::activity::Activity;
use crate::coupons::server::{get_coupon, get_coupon_activity, ChangeStatus, CouponActivity, CouponView};
use crate::coupons::status::CouponStatus;
use crate::coupons::summary::{conditions_in, duration_text, reward as reward_text};
use crate::error::AppError;
use crate::money::group_thousands;
use crate::redemption::cart::{CART_AMOUNTS, ITEM_AMOUNTS};
use crate::wire::Named;

#[component]
pub fn CouponDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok());
    let change = ServerAction::<ChangeStatus>::new();
    let coupon = Resource::new(
        move || (id(), change.version().get()),
        |(id, _)| async move {
            match id {
                Some(id) => get_coupon(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let activity = Resource::new(
        move || (id(), change.version().get()),
        |(id, _)| async move {
            match id {
                Some(id) => get_coupon_activity(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let history = Resource::new(
        move || (id(), change.version().get()),
        |(id, _)| async move { list_audit(id.map(|i| ("coupon".to_string(), i.to_string())), None).await },
    );
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match (coupon.await, activity.await) {
                    (Ok(v), Ok(a)) => view! { <Detail view=v activity=a change /> }.into_any(),
                    (Err(e), _) | (_, Err(e)) => view! { <Problem error=e /> }.into_any(),
                }
            })}
        </Suspense>
        {move || {
            change
                .value()
                .get()
                .and_then(|r| r.err())
                .map(|e| view! { <p class="banner error">{e.to_string()}</p> })
        }}
        <section class="card">
            <h2>"History"</h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let zone = coupon.await.ok().map(|v| v.coupon.definition.time_zone);
                    match history.await {
                        Ok(entries) => {
                            view! {
                                <ul class="history">
                                    {entries
                                        .into_iter()
                                        .map(|e| {
                                            view! {
                                                <li>
                                                    <span class="muted"><When ms=e.at zone /></span>
                                                    " "
                                                    <strong>{e.action}</strong>
                                                    " by "
                                                    {e.actor}
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                        Err(e) => view! { <p class="muted">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Detail(view: CouponView, activity: CouponActivity, change: ServerAction<ChangeStatus>) -> impl IntoView {
    let c = view.coupon.clone();
    let d = c.definition.clone();
    let id = c.id;
    let money = move |m: i64| d.currency.format(m);
    let next = c.status.next();
    let can_edit = view.can_edit;
    let editable = can_edit && c.status.editable();
    view! {
        <Title text=d.name.clone() />
        <div class="page-head">
            <div>
                <h1>{d.name.clone()}</h1>
                <span class=format!("badge {}", view.state.label()) data-testid="status">
                    {view.state.label()}
                </span>
            </div>
            <div class="head-actions">
                <Show when=move || can_edit>
                    {next
                        .clone()
                        .into_iter()
                        .map(|s| {
                            let status = s.as_str().to_string();
                            let form = move |label: &'static str, class: &'static str| {
                                let status = status.clone();
                                view! {
                                    <ActionForm action=change attr:class="inline">
                                        <input type="hidden" name="id" value=id />
                                        <input type="hidden" name="status" value=status />
                                        <button type="submit" class=class>
                                            {label}
                                        </button>
                                    </ActionForm>
                                }
                            };
                            if s == CouponStatus::Archived {
                                // Archiving cannot be undone: it asks first.
                                view! {
                                    <Confirm label=s.verb() class="secondary danger" question="Archive it for good? It stops working and can no longer be edited.">
                                        {form("Yes, archive", "danger")}
                                    </Confirm>
                                }
                                    .into_any()
                            } else {
                                form(s.verb(), "secondary").into_any()
                            }
                        })
                        .collect_view()}
                    <a class="button secondary" href=format!("/coupons/new?from={id}")>
                        "Duplicate"
                    </a>
                </Show>
                <Show when=move || editable>
                    <a class="button primary" href=format!("/coupons/{id}/edit")>
                        "Edit"
                    </a>
                </Show>
            </div>
        </div>
        <p class="summary big" data-testid="summary">
            {view.summary.clone()}
        </p>
        <p>
            <a class="button secondary" href=format!("/coupons/{id}/try")>
                "Try it with a cart"
            </a>
            " "
            <a class="button secondary" href=format!("/coupons/{id}/analytics")>
                "Analytics"
            </a>
            {view.pool.map(|_| view! {
                " "
                <a class="button secondary" href=format!("/coupons/{id}/codes")>"Codes and batches"</a>
            })}
        </p>
        {view.pool.and_then(|pool| crate::codes::pages::pool_warning(id, pool))}
        <Activity definition=d.clone() activity />
        <section class="card">
            <h2>"Settings"</h2>
            <dl class="settings">
                <dt>"Description"</dt>
                <dd>{if d.description.is_empty() { "—".to_string() } else { d.description.clone() }}</dd>
                <dt>"Currency"</dt>
                <dd>{d.currency.code()}</dd>
                <dt>"Time zone"</dt>
                <dd>{d.time_zone.name()}</dd>
                <dt>"Reward"</dt>
                <dd>{reward_text(&d.reward, &money)}</dd>
                {d.tiers.as_ref().map(|t| view! {
                    <dt>"Tiers"</dt>
                    <dd>{tiers_text(t, &money)}</dd>
                })}
                <dt>"Applies to"</dt>
                <dd>{applies_text(&d.applies_to, &money)}</dd>
                <dt>"Qualifying rules"</dt>
                <dd>
                    {conditions_text("User", &d.qualifying.user, &[], &money)}
                    {conditions_text("Some item", &d.qualifying.items, ITEM_AMOUNTS, &money)}
                    {conditions_text("Cart", &d.qualifying.cart, CART_AMOUNTS, &money)}
                    {d.qualifying.is_empty().then_some("none")}
                </dd>
                <dt>"Audience"</dt>
                <dd>
                    {match d.audience {
                        Audience::AllUsers => "All users",
                        Audience::Campaign => "Campaign users only",
                    }}
                </dd>
                <dt>"Distribution"</dt>
                <dd>
                    {match &d.distribution {
                        Distribution::Static { code } => format!("Static code {code}"),
                        Distribution::Unique => "Unique codes".to_string(),
                        Distribution::EventTriggered { event, unique_codes } => {
                            format!(
                                "On event {event}{}",
                                if *unique_codes { ", with the next free unique code" } else { "" },
                            )
                        }
                    }}
                </dd>
                <dt>"Activation"</dt>
                <dd>
                    {match &d.activation {
                        Activation::Time { from: Some(t) } => format!("From {}", zoned_text(*t, d.time_zone)),
                        Activation::Time { from: None } => "As soon as it is active".to_string(),
                        Activation::Event { event } => format!("When the user performs {event}"),
                    }}
                </dd>
                <dt>"Expiry"</dt>
                <dd>
                    {match &d.expiry {
                        Expiry::Never => "Never".to_string(),
                        Expiry::Fixed { at } => format!("At {}", zoned_text(*at, d.time_zone)),
                        Expiry::Relative { duration, relative_to } => {
                            format!("{} after {}", duration_text(duration), relative_to.wire())
                        }
                    }}
                </dd>
                <dt>"Limits"</dt>
                <dd>{limits_text(&d.limits, &money, view.uses)}</dd>
                <dt>"Redemption window"</dt>
                <dd>
                    {match d.window {
                        None => "None".to_string(),
                        Some(w) => {
                            format!(
                                "{} → {}",
                                w.start.map(|t| zoned_text(t, d.time_zone)).unwrap_or_else(|| "open".into()),
                                w.end.map(|t| zoned_text(t, d.time_zone)).unwrap_or_else(|| "open".into()),
                            )
                        }
                    }}
                </dd>
                <dt>"Recurring schedule"</dt>
                <dd>{schedule_text(d.schedule.as_ref())}</dd>
                <dt>"Visibility"</dt>
                <dd>
                    {match d.visibility {
                        Visibility::Visible => "Visible in the tray",
                        Visibility::Hidden => "Hidden (typed code only)",
                    }}
                </dd>
                <dt>"Targeting"</dt>
                <dd>
                    {if d.targeting.is_empty() {
                        "Everyone".to_string()
                    } else {
                        d.targeting.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(" and ")
                    }}
                </dd>
                <dt>"Stacking"</dt>
                <dd>
                    {match d.stacking {
                        Stacking::Exclusive => "Exclusive".to_string(),
                        Stacking::Combinable => {
                            let mut s = format!("Combinable, priority {}", d.priority);
                            if d.stop_after {
                                s.push_str("; no coupon applies after it");
                            }
                            s
                        }
                    }}
                </dd>
                {(!d.metadata.is_empty()).then(|| view! {
                    <dt>"Metadata"</dt>
                    <dd class="metadata">{metadata_text(&d.metadata)}</dd>
                })}
                <dt>"Created"</dt>
                <dd><When ms=c.created_at zone=d.time_zone /></dd>
            </dl>
        </section>
    }
}

/// "From ₹2,000: 15% off. From ₹5,000: 20% off." (or units, for quantity tiers).
fn tiers_text(t: &Tiers, money: &dyn Fn(i64) -> String) -> String {
    let from = |n: i64| match t.basis {
        TierBasis::Amount => format!("{} of eligible items", money(n)),
        TierBasis::Quantity => format!("{} eligible units", group_thousands(n.max(0) as u64)),
    };
    t.steps
        .iter()
        .map(|s| format!("From {}: {}.", from(s.from), reward_text(&s.reward, money)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `key: value` pairs, strings without their quotes.
fn metadata_text(m: &Metadata) -> String {
    let value = |v: &serde_json::Value| v.as_str().map_or_else(|| v.to_string(), str::to_string);
    m.0.iter().map(|(k, v)| format!("{k}: {}", value(v))).collect::<Vec<_>>().join("; ")
}

fn applies_text(a: &AppliesTo, money: &dyn Fn(i64) -> String) -> String {
    match a {
        AppliesTo::Order => "The whole order".into(),
        AppliesTo::Items { skus, categories, conditions } => {
            let mut parts = Vec::new();
            if !categories.is_empty() {
                parts.push(format!("categories {}", categories.join(", ")));
            }
            if !skus.is_empty() {
                parts.push(format!("SKUs {}", skus.join(", ")));
            }
            if !conditions.is_empty() {
                parts.push(format!("items where {}", conditions_in(conditions, ITEM_AMOUNTS, money)));
            }
            format!("Items: {}", parts.join("; or "))
        }
        AppliesTo::Fees { names } => format!("Fees: {}", names.join(", ")),
    }
}

fn conditions_text(who: &str, cs: &[Condition], amounts: &[&str], money: &dyn Fn(i64) -> String) -> Option<String> {
    (!cs.is_empty()).then(|| format!("{who}: {}. ", conditions_in(cs, amounts, money)))
}

fn limits_text(l: &Limits, money: &dyn Fn(i64) -> String, uses: i64) -> String {
    let count = |n: u64| group_thousands(n);
    let mut parts = vec![format!("{} used so far", count(uses.max(0) as u64))];
    if let Some(n) = l.per_user {
        parts.push(format!("{} per user", count(n.into())));
    }
    if let Some(n) = l.global {
        parts.push(format!("{} in total", count(n.into())));
    }
    if let Some(b) = l.budget_discount {
        parts.push(format!("discount budget {}", money(b)));
    }
    if let Some(b) = l.budget_cashback {
        parts.push(format!("points budget {}", count(b.max(0) as u64)));
    }
    for c in &l.caps {
        let per_user = if c.scope == CapScope::PerUser { " per user" } else { "" };
        parts.push(format!("{} per {}{per_user}", count(c.limit.into()), c.period.wire()));
    }
    parts.join(" · ")
}

fn schedule_text(s: Option<&Schedule>) -> String {
    match s {
        None => "Any time".into(),
        Some(s) => s
            .days
            .iter()
            .map(|d| {
                if d.ranges.is_empty() {
                    format!("{} all day", d.day.short_name())
                } else {
                    format!(
                        "{} {}",
                        d.day.short_name(),
                        d.ranges.iter().map(|r| r.label()).collect::<Vec<_>>().join(", ")
                    )
                }
            })
            .collect::<Vec<_>>()
            .join("; "),
    }
}
