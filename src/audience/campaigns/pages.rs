//! The campaign pages: the list, the new-campaign form, and a campaign's status and counts.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use super::server::{campaign_choices, estimate_launch, get_campaign, list_campaigns, CancelCampaign, CreateCampaign};
use super::{Campaign, CampaignInput, CampaignStatus, Estimate};
use crate::accounts::Permission;
use crate::components::confirm::Confirm;
use crate::components::fields::{Errors, Field, TextInput};
use crate::components::layout::allowed;
use crate::components::pager::pager;
use crate::components::problem::Problem;
use crate::components::time::When;
use crate::coupons::summary::group;
use crate::error::AppError;
use crate::fields::FieldErrors;

fn status_badge(status: CampaignStatus) -> impl IntoView {
    view! { <span class=format!("badge {}", status.as_str())>{status.as_str()}</span> }
}

#[component]
pub fn CampaignListPage() -> impl IntoView {
    let query = use_query_map();
    let after = move || query.with(|q| q.get("after").and_then(|a| a.parse::<i64>().ok()));
    let campaigns = Resource::new(after, list_campaigns);
    let can_edit = allowed(Permission::EditCoupons);
    view! {
        <Title text="Campaigns" />
        <div class="page-head">
            <h1>"Campaigns"</h1>
            <Show when=move || can_edit>
                <a class="button primary" href="/campaigns/new">
                    "New campaign"
                </a>
            </Show>
        </div>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match campaigns.await {
                    Err(e) => view! { <Problem error=e /> }.into_any(),
                    Ok((list, _)) if list.is_empty() => {
                        view! { <p class="empty-state">"No campaigns yet. A campaign delivers a coupon to a segment."</p> }
                            .into_any()
                    }
                    Ok((list, more)) => {
                        let next = list.last().map(|c| c.id).filter(|_| more);
                        let paged = query.with_untracked(|q| q.get("after").is_some());
                        view! { <CampaignTable list />{pager("/campaigns", &[], paged, next)} }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn CampaignTable(list: Vec<Campaign>) -> impl IntoView {
    view! {
        <table class="table campaigns">
            <thead>
                <tr>
                    <th>"Name"</th>
                    <th>"Coupon"</th>
                    <th>"Segment"</th>
                    <th>"Status"</th>
                    <th>"Launch"</th>
                    <th class="num">"Matched"</th>
                </tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|c| {
                        let zone = c.coupon_time_zone.parse().ok();
                        view! {
                            <tr>
                                <td>
                                    <a href=format!("/campaigns/{}", c.id)>{c.name}</a>
                                </td>
                                <td>
                                    <a href=format!("/coupons/{}", c.coupon_id)>{c.coupon_name}</a>
                                </td>
                                <td>
                                    <a href=format!("/segments/{}", c.segment_id)>{c.segment_name}</a>
                                </td>
                                <td>{status_badge(c.status)}</td>
                                <td class="muted"><When ms={c.launched_at.unwrap_or(c.launch_at)} zone /></td>
                                <td class="num">{group(c.matched)}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
pub fn NewCampaignPage() -> impl IntoView {
    let choices = Resource::new(|| (), |_| campaign_choices());
    let query = use_query_map();
    let preset = move |key: &str| query.with_untracked(|q| q.get(key).and_then(|v| v.parse::<i64>().ok()));
    let input = RwSignal::new(CampaignInput {
        segment_id: preset("segment"),
        coupon_id: preset("coupon"),
        ..Default::default()
    });
    let later = RwSignal::new(false);
    let create = ServerAction::<CreateCampaign>::new();
    let server_errors = RwSignal::new(FieldErrors::default());
    let banner = RwSignal::new(None::<String>);
    let errors: Errors = server_errors.into();
    let navigate = use_navigate();
    Effect::new(move |_| match create.value().get() {
        Some(Ok(c)) => navigate(&format!("/campaigns/{}", c.id), Default::default()),
        Some(Err(AppError::Invalid(e))) => {
            server_errors.set(e);
            banner.set(Some("Please correct the highlighted fields.".into()));
        }
        Some(Err(e)) => {
            server_errors.set(FieldErrors::default());
            banner.set(Some(e.to_string()));
        }
        None => {}
    });
    // What the launch would do, counted as soon as both are chosen (an answer to an older pair
    // is dropped), so "Launch now" never surprises.
    let pair = Memo::new(move |_| input.with(|i| i.coupon_id.zip(i.segment_id)));
    let estimate = RwSignal::new(None::<Result<Estimate, AppError>>);
    let asked = StoredValue::new(0u64);
    Effect::new(move |_| {
        let Some((coupon_id, segment_id)) = pair.get() else {
            estimate.set(None);
            return;
        };
        let n = asked.get_value() + 1;
        asked.set_value(n);
        estimate.set(None);
        leptos::task::spawn_local(async move {
            let answer = estimate_launch(coupon_id, segment_id).await;
            if asked.get_value() == n {
                estimate.set(Some(answer));
            }
        });
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        banner.set(None);
        let mut sent = input.get_untracked();
        if !later.get_untracked() {
            sent.launch_at = None;
        }
        create.dispatch(CreateCampaign { input: sent });
    };
    let id_select = move |field: &'static str,
                          options: Vec<(i64, String)>,
                          value: Signal<Option<i64>>,
                          set: Callback<Option<i64>>| {
        view! {
            <select name=field on:change=move |ev| set.run(event_target_value(&ev).parse().ok())>
                <option value="">"Choose…"</option>
                {options
                    .into_iter()
                    .map(|(id, label)| view! { <option value=id.to_string() selected=move || value.get() == Some(id)>{label}</option> })
                    .collect_view()}
            </select>
        }
    };
    view! {
        <Title text="New campaign" />
        <div class="page-head">
            <h1>"New campaign"</h1>
        </div>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match choices.await {
                    Err(e) => view! { <Problem error=e /> }.into_any(),
                    Ok(c) => {
                        let coupons = c.coupons.into_iter().map(|(id, name, status)| (id, format!("{name} ({status})"))).collect();
                        view! {
                            <form class="campaign-form card" on:submit=submit novalidate>
                                {move || banner.get().map(|b| view! { <p class="banner error" role="alert">{b}</p> })}
                                <Field label="Name" field="name" errors>
                                    <TextInput
                                        value=Signal::derive(move || input.with(|i| i.name.clone()))
                                        on_change=Callback::new(move |v| input.update(|i| i.name = v))
                                        name="name"
                                    />
                                </Field>
                                <Field label="Coupon" field="coupon_id" errors hint="Paused and archived coupons cannot be launched.">
                                    {id_select(
                                        "coupon_id",
                                        coupons,
                                        Signal::derive(move || input.with(|i| i.coupon_id)),
                                        Callback::new(move |v| input.update(|i| i.coupon_id = v)),
                                    )}
                                </Field>
                                <Field label="Segment" field="segment_id" errors>
                                    {id_select(
                                        "segment_id",
                                        c.segments,
                                        Signal::derive(move || input.with(|i| i.segment_id)),
                                        Callback::new(move |v| input.update(|i| i.segment_id = v)),
                                    )}
                                </Field>
                                <fieldset class="checks">
                                    <legend>"When"</legend>
                                    <label>
                                        <input type="radio" name="when" value="now" prop:checked=move || !later.get() on:change=move |_| later.set(false) />
                                        "Now"
                                    </label>
                                    <label>
                                        <input type="radio" name="when" value="later" prop:checked=move || later.get() on:change=move |_| later.set(true) />
                                        "At a date and time (the coupon's time zone)"
                                    </label>
                                </fieldset>
                                <Show when=move || later.get()>
                                    <Field label="Launch at" field="launch_at" errors>
                                        <input
                                            type="datetime-local"
                                            name="launch_at"
                                            prop:value=move || input.with(|i| i.launch_at.clone().unwrap_or_default())
                                            on:change=move |ev| input.update(|i| i.launch_at = Some(event_target_value(&ev)))
                                        />
                                    </Field>
                                </Show>
                                <label class="check">
                                    <input
                                        type="checkbox"
                                        name="keep_in_sync"
                                        prop:checked=move || input.with(|i| i.keep_in_sync)
                                        on:change=move |ev| input.update(|i| i.keep_in_sync = event_target_checked(&ev))
                                    />
                                    "Keep in sync: users who come to match later get the coupon too"
                                </label>
                                <div aria-live="polite">
                                    <Show when=move || pair.get().is_some()>
                                        <LaunchEstimate estimate later />
                                    </Show>
                                </div>
                                <div class="actions">
                                    <button type="submit" class="primary" disabled=move || create.pending().get()>
                                        {move || match (create.pending().get(), later.get()) {
                                            (true, _) => "Working…",
                                            (false, true) => "Schedule campaign",
                                            (false, false) => "Launch now",
                                        }}
                                    </button>
                                    <a class="button secondary" href="/campaigns">"Cancel"</a>
                                </div>
                            </form>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// What a launch would do, in words, with a warning when it would be refused for want of codes.
#[component]
fn LaunchEstimate(estimate: RwSignal<Option<Result<Estimate, AppError>>>, later: RwSignal<bool>) -> impl IntoView {
    move || match estimate.get() {
        None => view! { <p class="muted" data-testid="launch-estimate">"Counting who it reaches…"</p> }.into_any(),
        Some(Err(e)) => view! { <p class="banner error" data-testid="launch-estimate">{e.to_string()}</p> }.into_any(),
        Some(Ok(e)) => {
            let reach = if later.get() {
                format!(
                    "The segment matches {} users now; the launch counts again at its time and skips those who already hold the coupon.",
                    group(e.matched)
                )
            } else {
                let held = match e.already_held {
                    0 => String::new(),
                    n => format!(" ({} of the {} matching users already hold it)", group(n), group(e.matched)),
                };
                format!("Launch now assigns the coupon to {} users{held}.", group(e.new_users()))
            };
            let codes = e.free_codes.map(|free| match e.missing_codes() {
                0 => format!(" It takes {} of the {} free codes.", group(e.new_users()), group(free)),
                missing => format!(
                    " It needs {} codes but only {} are free: add at least {} codes first.",
                    group(e.new_users()),
                    group(free),
                    group(missing)
                ),
            });
            let class = if e.missing_codes() > 0 || e.matched == 0 { "banner warning" } else { "banner ok" };
            view! {
                <p class=class data-testid="launch-estimate">
                    {reach}
                    {codes}
                </p>
            }
            .into_any()
        }
    }
}

#[component]
pub fn CampaignPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|id| id.parse::<i64>().ok()).unwrap_or_default();
    let cancel = ServerAction::<CancelCampaign>::new();
    let view = Resource::new(move || (id(), cancel.version().get()), |(id, _)| get_campaign(id));
    view! {
        <Title text="Campaign" />
        {move || cancel.value().get().and_then(|r| r.err()).map(|e| view! { <p class="banner error">{e.to_string()}</p> })}
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match view.await {
                    Err(e) => view! { <Problem error=e /> }.into_any(),
                    Ok(v) => {
                        let c = v.campaign;
                        let n = v.counts;
                        let id = c.id;
                        let cancellable = v.can_edit && c.status == CampaignStatus::Scheduled;
                        let zone = c.coupon_time_zone.parse().ok();
                        view! {
                            <div class="page-head">
                                <h1>{c.name.clone()}</h1>
                                {status_badge(c.status)}
                                {cancellable.then(|| view! {
                                    <Confirm label="Cancel launch" class="secondary" question="Cancel this scheduled launch? Nobody gets the coupon from it.">
                                        <button type="button" class="danger small" on:click=move |_| { cancel.dispatch(CancelCampaign { id }); }>"Yes, cancel it"</button>
                                    </Confirm>
                                })}
                            </div>
                            {c.message.clone().map(|m| view! { <p class="banner error" data-testid="campaign-message">{m}</p> })}
                            <div class="stats" data-testid="campaign-counts">
                                <div class="stat"><span class="big-number">{group(n.assigned)}</span><span>"assigned"</span></div>
                                <div class="stat"><span class="big-number">{group(n.activated)}</span><span>"activated"</span></div>
                                <div class="stat"><span class="big-number">{group(n.redeemed)}</span><span>"redeemed"</span></div>
                            </div>
                            <section class="card">
                                <dl class="facts">
                                    <dt>"Coupon"</dt>
                                    <dd><a href=format!("/coupons/{}", c.coupon_id)>{c.coupon_name.clone()}</a></dd>
                                    <dt>"Segment"</dt>
                                    <dd><a href=format!("/segments/{}", c.segment_id)>{c.segment_name.clone()}</a>" — "{c.rule.to_string()}</dd>
                                    <dt>{if c.launched_at.is_some() { "Launched" } else { "Launches" }}</dt>
                                    <dd><When ms={c.launched_at.unwrap_or(c.launch_at)} zone /></dd>
                                    <dt>"Launched by"</dt>
                                    <dd>{c.launched_by.clone().unwrap_or_else(|| "—".into())}</dd>
                                    <dt>"Created by"</dt>
                                    <dd>{c.created_by.clone()} " at " <When ms=c.created_at zone /></dd>
                                    <dt>"At launch"</dt>
                                    <dd>{format!("{} users matched, {} already held the coupon", group(c.matched), group(c.already_held))}</dd>
                                    <dt>"Keep in sync"</dt>
                                    <dd>{if c.keep_in_sync { format!("on — {} assigned since the launch", group(n.synced)) } else { "off".to_string() }}</dd>
                                </dl>
                            </section>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}
