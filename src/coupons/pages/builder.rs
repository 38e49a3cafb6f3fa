//! The coupon builder: one page, sections in the order of the settings table, only the fields
//! the chosen options need, errors next to each field, and a live plain-language summary.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use super::editors::{
    AmountFacts, CapsEditor, ConditionsEditor, DateTimeInput, IntInput, ListInput, MoneyInput, ScheduleEditor,
    TierShape, TiersEditor,
};
use crate::accounts::Permission;
use crate::audience::users::server::sent_names;
use crate::components::fields::{
    focus_first_error, kinds, or_default, ErrorSummary, Errors, Field, FieldMessage, SelectInput, TextInput,
};
use crate::components::layout::allowed;
use crate::components::problem::Problem;
use crate::components::suggestions::Suggestions;
use crate::conditions::ConditionInput;
use crate::coupons::definition::{
    ActivationKind, AppliesToKind, Audience, Discounted, DistributionKind, DurationUnit, ExpiryAnchor, ExpiryKind,
    RewardKind, Stacking, TierBasis, Visibility,
};
use crate::coupons::input::*;
use crate::coupons::server::{get_coupon, SaveCoupon};
use crate::coupons::summary::describe;
use crate::coupons::templates;
use crate::error::AppError;
use crate::fields::FieldErrors;
use crate::money::Currency;
use crate::redemption::cart::{CART_AMOUNTS, ITEM_AMOUNTS};
use crate::wire::Named;

/// Zones offered in the time-zone list; any IANA name can be typed.
const ZONES: &[&str] = &[
    "UTC",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Africa/Lagos",
];

/// New, edit (`/coupons/:id/edit`) or duplicate (`/coupons/new?from=ID`).
#[component]
pub fn CouponBuilderPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let editing = move || params.read().get("id");
    let from = move || query.read().get("from");
    let template = move || query.read().get("template");
    let may_edit = allowed(Permission::EditCoupons);
    // The template is part of the key so that picking one builds the form afresh.
    let source = Resource::new(
        move || (editing(), from(), template()),
        |(editing, from, _)| async move {
            let id = match editing.or(from) {
                None => return Ok(None),
                Some(text) => text.parse::<i64>().map_err(|_| AppError::NotFound)?,
            };
            get_coupon(id).await.map(Some)
        },
    );
    let names = Resource::new(|| (), |_| sent_names());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let is_edit = editing().is_some();
                if !may_edit {
                    return view! { <Problem error=AppError::Forbidden /> }.into_any();
                }
                let names = names.await.unwrap_or_default();
                let form = match source.await {
                    Ok(None) => {
                        let chosen = template();
                        let initial = chosen.as_deref().and_then(templates::input).unwrap_or_else(new_coupon);
                        let picker = view! { <TemplatePicker chosen /> }.into_any();
                        view! {
                            {picker}
                            <BuilderForm initial id=None version=None />
                        }
                            .into_any()
                    }
                    Ok(Some(v)) if is_edit => {
                        if v.coupon.status.editable() {
                            view! {
                                <BuilderForm
                                    initial=v.input.clone()
                                    id=Some(v.coupon.id)
                                    version=Some(v.coupon.version)
                                />
                            }
                                .into_any()
                        } else {
                            view! {
                                <p class="banner error">
                                    "An archived coupon cannot be changed. Duplicate it to start a new one."
                                </p>
                            }
                                .into_any()
                        }
                    }
                    Ok(Some(v)) => {
                        let mut input = v.input.clone();
                        input.name = format!("Copy of {}", input.name);
                        if input.distribution.kind == DistributionKind::Static.wire() {
                            // Codes are unique system-wide: the copy needs its own.
                            input.distribution.code = None;
                        }
                        view! { <BuilderForm initial=input id=None version=None /> }.into_any()
                    }
                    Err(e) => view! { <Problem error=e /> }.into_any(),
                };
                view! {
                    <Suggestions names />
                    {form}
                }
                    .into_any()
            })}
        </Suspense>
    }
}

/// The seed's use cases as starting points for a new coupon.
#[component]
fn TemplatePicker(chosen: Option<String>) -> impl IntoView {
    let open = chosen.is_none();
    let current = move |key: Option<&str>| (chosen.as_deref() == key).then_some("page");
    view! {
        <details class="templates card" open=open>
            <summary>"Start from a use case"</summary>
            <ul class="template-list">
                <li>
                    <a class="template-card" href="/coupons/new" aria-current=current(None)>
                        <strong>"Blank"</strong>
                        <span class="muted">"Every setting at its default"</span>
                    </a>
                </li>
                {templates::ALL
                    .iter()
                    .map(|t| {
                        view! {
                            <li>
                                <a
                                    class="template-card"
                                    href=format!("/coupons/new?template={}", t.key)
                                    aria-current=current(Some(t.key))
                                    data-template=t.key
                                >
                                    <strong>{t.title}</strong>
                                    <span class="muted">{t.blurb}</span>
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </details>
    }
}

fn new_coupon() -> CouponInput {
    CouponInput {
        currency: "USD".into(),
        time_zone: "UTC".into(),
        reward: RewardInput { kind: RewardKind::PercentOff.wire().into(), ..Default::default() },
        applies_to: AppliesToInput { kind: AppliesToKind::Order.wire().into(), ..Default::default() },
        audience: Audience::AllUsers.wire().into(),
        distribution: DistributionInput { kind: DistributionKind::Static.wire().into(), ..Default::default() },
        activation: ActivationInput { kind: ActivationKind::Time.wire().into(), ..Default::default() },
        expiry: ExpiryInput { kind: ExpiryKind::Never.wire().into(), ..Default::default() },
        visibility: Visibility::Visible.wire().into(),
        stacking: Stacking::Exclusive.wire().into(),
        ..Default::default()
    }
}

/// Date-times are edited as wall-clock times in the coupon's zone (`2026-10-20T09:00`).
fn wall_clock(text: &mut Option<String>) {
    if let Some(t) = text {
        t.truncate(16);
    }
}

fn for_editing(mut input: CouponInput) -> CouponInput {
    wall_clock(&mut input.activation.from);
    wall_clock(&mut input.expiry.at);
    if let Some(w) = &mut input.window {
        wall_clock(&mut w.start);
        wall_clock(&mut w.end);
    }
    input
}

/// Reads and writes one part of the coupon input.
macro_rules! bind {
    ($input:ident, $($path:tt)+) => {
        (
            Signal::derive(move || $input.with(|i| i.$($path)+.clone())),
            Callback::new(move |v| $input.update(|i| i.$($path)+ = v)),
        )
    };
}

#[component]
fn BuilderForm(initial: CouponInput, id: Option<i64>, version: Option<i64>) -> impl IntoView {
    let input = RwSignal::new(for_editing(initial));
    let text_errors: RwSignal<FieldErrors> = RwSignal::new(FieldErrors::default());
    let server_errors: RwSignal<FieldErrors> = RwSignal::new(FieldErrors::default());
    let tried = RwSignal::new(false);
    let parsed = Memo::new(move |_| input.with(|i| i.parse_partial()));
    let summary = Memo::new(move |_| parsed.with(|(p, _)| describe(p)));
    // Errors appear once a save was tried, then follow the input live.
    let errors: Errors = Signal::derive(move || {
        let mut all = text_errors.get();
        if tried.get() {
            for e in parsed.with(|(_, e)| e.clone()).0.into_iter().chain(server_errors.get().0) {
                if all.get(&e.field).is_none() {
                    all.0.push(e);
                }
            }
        }
        all
    });
    let currency = Signal::derive(move || input.with(|i| Currency::parse(&i.currency)));
    let amounts = move |names| AmountFacts { names, currency, text_errors };
    let save = ServerAction::<SaveCoupon>::new();
    let banner = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    Effect::new(move |_| match save.value().get() {
        Some(Ok(saved)) => navigate(&format!("/coupons/{saved}"), Default::default()),
        Some(Err(AppError::Invalid(e))) => {
            server_errors.set(e);
            banner.set(Some("Please correct the highlighted fields.".into()));
            focus_first_error();
        }
        Some(Err(e)) => banner.set(Some(e.to_string())),
        None => {}
    });
    // A server error is about the input as it was sent: it goes once the input changes.
    Effect::new(move |_| {
        input.track();
        server_errors.set(FieldErrors::default());
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        tried.set(true);
        let problems = errors.with_untracked(|e| !e.is_empty());
        if problems {
            banner.set(Some("Please correct the highlighted fields.".into()));
            focus_first_error();
            return;
        }
        banner.set(None);
        save.dispatch(SaveCoupon { id, version, input: input.get_untracked() });
    };

    let (name, set_name) = bind!(input, name);
    let (description, set_description) = bind!(input, description);
    let (currency_code, set_currency) = bind!(input, currency);
    let (zone, set_zone) = bind!(input, time_zone);
    let title = if id.is_some() { "Edit coupon" } else { "New coupon" };
    let cancel = id.map(|i| format!("/coupons/{i}")).unwrap_or_else(|| "/coupons".into());

    // The form and its summary are erased to `AnyView` apart: as one nested type the page is
    // deeper than the compiler lays out.
    let form = view! {
            <form class="builder-form" on:submit=submit novalidate>
                <ErrorSummary errors shown=Signal::derive(move || banner.get().is_some()) />
                <Section title="Basics">
                    <Field label="Name" field="name" errors>
                        <TextInput value=name on_change=set_name name="name" placeholder="Weekend shoes sale" />
                    </Field>
                    <Field label="Description" field="description" errors hint="For your team; shoppers do not see it.">
                        <textarea
                            name="description"
                            prop:value=move || description.get()
                            on:input=move |ev| set_description.run(event_target_value(&ev))
                        ></textarea>
                    </Field>
                    <div class="row">
                        <Field label="Currency" field="currency" errors>
                            <SelectInput
                                value=currency_code
                                on_change=set_currency
                                name="currency"
                                options=Currency::all().map(|c| (c.code().to_string(), c.code().to_string())).collect()
                            />
                        </Field>
                        <Field
                            label="Time zone"
                            field="time_zone"
                            errors
                            hint="Schedules, caps and the dates below are in this zone."
                        >
                            <input
                                type="text"
                                name="time_zone"
                                list="zones"
                                prop:value=move || zone.get()
                                on:input=move |ev| set_zone.run(event_target_value(&ev))
                            />
                            <datalist id="zones">
                                {ZONES.iter().map(|z| view! { <option value=*z></option> }).collect_view()}
                            </datalist>
                        </Field>
                    </div>
                </Section>
                <RewardSection input currency errors text_errors item_amounts=amounts(ITEM_AMOUNTS) />
                <AppliesToSection errors item_amounts=amounts(ITEM_AMOUNTS) input />
                <Section title="Qualifying rules">
                    <p class="hint">"All must hold for a cart to qualify."</p>
                    <ConditionsField
                        label="User properties"
                        path="qualifying.user"
                        binding=bind!(input, qualifying.user)
                        errors
                        property_hint="city"
                        suggest="user-properties"
                    />
                    <ConditionsField
                        label="Some item has"
                        path="qualifying.items"
                        binding=bind!(input, qualifying.items)
                        errors
                        property_hint="brand"
                        suggest="item-facts"
                        amounts=amounts(ITEM_AMOUNTS)
                    />
                    <ConditionsField
                        label="Cart"
                        path="qualifying.cart"
                        binding=bind!(input, qualifying.cart)
                        errors
                        property_hint="subtotal"
                        suggest="cart-facts"
                        hint="subtotal (in the coupon's currency), item_count, currency, or any cart property"
                        amounts=amounts(CART_AMOUNTS)
                    />
                </Section>
                <Section title="Audience">
                    <ChoiceField
                        label="Who may redeem"
                        field="audience"
                        binding=bind!(input, audience)
                        choices=kinds(&[(Audience::AllUsers, "All users (subject to the rules)"), (Audience::Campaign, "Campaign users only (holding an assignment)")])
                        errors
                    />
                </Section>
                <DistributionSection input errors />
                <ActivationSection input errors />
                <ExpirySection input errors text_errors />
                <LimitsSection input currency errors text_errors />
                <WindowSection input errors />
                <ScheduleSection input errors />
                <Section title="Visibility">
                    <ChoiceField
                        label="In the user's coupon tray"
                        field="visibility"
                        binding=bind!(input, visibility)
                        choices=kinds(&[(Visibility::Visible, "Visible: listed in the tray"), (Visibility::Hidden, "Hidden: redeemable by typing the code")])
                        errors
                    />
                </Section>
                <Section title="Targeting">
                    <ConditionsField
                        label="Only users whose properties match"
                        path="targeting"
                        binding=bind!(input, targeting)
                        errors
                        property_hint="language"
                        suggest="user-properties"
                    />
                </Section>
                <Section title="Stacking">
                    <ChoiceField
                        label="With other coupons on one cart"
                        field="stacking"
                        binding=bind!(input, stacking)
                        choices=kinds(&[(Stacking::Exclusive, "Exclusive: never combined"), (Stacking::Combinable, "Combinable with other combinable coupons")])
                        errors
                    />
                    <Show when=move || input.with(|i| i.stacking == Stacking::Combinable.wire())>
                        <div class="row">
                            <Field label="Priority" field="priority" errors hint="Higher applies first; −1,000 to 1,000">
                                <IntInput
                                    field="priority"
                                    value=bind!(input, priority).0
                                    on_change=bind!(input, priority).1
                                    text_errors
                                    placeholder="0"
                                />
                            </Field>
                            <label class="check">
                                <input
                                    type="checkbox"
                                    name="stop_after"
                                    prop:checked=move || input.with(|i| i.stop_after)
                                    on:change=move |ev| input.update(|i| i.stop_after = event_target_checked(&ev))
                                />
                                "Stop: no coupon applies after this one"
                            </label>
                        </div>
                    </Show>
                    <FieldMessage errors field="stop_after" />
                </Section>
                <div class="actions save-bar">
                    {move || banner.get().map(|b| view! { <p class="banner error">{b}</p> })}
                    <button type="submit" class="primary" disabled=move || save.pending().get()>
                        {move || if save.pending().get() { "Saving…" } else { "Save coupon" }}
                    </button>
                    <a class="button secondary" href=cancel>
                        "Cancel"
                    </a>
                </div>
            </form>
    }
    .into_any();
    let aside = view! {
        <aside class="summary-card">
            <h2>"Summary"</h2>
            <p class="summary" data-testid="summary">
                {move || {
                    let s = summary.get();
                    if s.is_empty() { "Fill in the reward to see the summary.".to_string() } else { s }
                }}
            </p>
            <FieldMessage errors field="" />
        </aside>
    }
    .into_any();
    view! {
        <Title text=title />
        <div class="page-head">
            <h1>{title}</h1>
        </div>
        <div class="builder">{form} {aside}</div>
    }
}

/// A field choosing one of a few options.
#[component]
fn ChoiceField(
    #[prop(into)] label: String,
    field: &'static str,
    binding: (Signal<String>, Callback<String>),
    choices: Vec<(String, String)>,
    errors: Errors,
) -> impl IntoView {
    let (value, on_change) = binding;
    view! {
        <Field label field errors>
            <SelectInput value on_change name=field options=choices />
        </Field>
    }
}

/// A list of conditions as one builder field.
#[component]
fn ConditionsField(
    #[prop(into)] label: String,
    #[prop(into)] path: String,
    binding: (Signal<Vec<ConditionInput>>, Callback<Vec<ConditionInput>>),
    errors: Errors,
    #[prop(into)] property_hint: String,
    #[prop(optional, into)] hint: Option<String>,
    /// The id of a `<datalist>` of property names (see `components::suggestions`).
    suggest: &'static str,
    #[prop(optional)] amounts: Option<AmountFacts>,
) -> impl IntoView {
    let (value, on_change) = binding;
    view! {
        <Field label field=path.clone() errors>
            {hint.map(|h| view! { <p class="hint">{h}</p> })}
            <ConditionsEditor path value on_change errors property_hint suggest amounts />
        </Field>
    }
}

#[component]
fn Section(#[prop(into)] title: String, children: Children) -> impl IntoView {
    let id = title.to_lowercase().replace(' ', "-");
    view! {
        <section class="card" id=id>
            <h2>{title}</h2>
            {children()}
        </section>
    }
}

#[component]
fn RewardSection(
    input: RwSignal<CouponInput>,
    currency: Signal<Option<Currency>>,
    errors: Errors,
    text_errors: RwSignal<FieldErrors>,
    item_amounts: AmountFacts,
) -> impl IntoView {
    let kind = move || input.with(|i| i.reward.kind.clone());
    let bxgy = move || kind() == RewardKind::BuyXGetY.wire();
    let cashback_percent = RwSignal::new(input.with_untracked(|i| i.reward.percent.is_some()));
    let k = Signal::derive(move || input.with(|i| i.reward.kind.clone()));
    // A buy-X-get-Y has no tiers: their editor goes, and so do they.
    let set_k = Callback::new(move |v: String| {
        input.update(|i| {
            if v == RewardKind::BuyXGetY.wire() {
                i.reward.tiers.clear();
            }
            i.reward.kind = v;
        })
    });
    let (percent, set_percent) = bind!(input, reward.percent);
    let (max_discount, set_max_discount) = bind!(input, reward.max_discount);
    let (amount, set_amount) = bind!(input, reward.amount);
    let (points, set_points) = bind!(input, reward.points);
    let (max_points, set_max_points) = bind!(input, reward.max_points);
    let (tiers, set_tiers) = bind!(input, reward.tiers);
    let (tier_basis, set_tier_basis) = bind!(input, reward.tier_basis);
    let tier_shape = move || match RewardKind::ALL.iter().find(|k| k.wire() == kind()) {
        Some(RewardKind::AmountOff) => TierShape::AmountOff,
        Some(RewardKind::Cashback) if cashback_percent.get() => TierShape::CashbackPercent,
        Some(RewardKind::Cashback) => TierShape::Points,
        _ => TierShape::PercentOff,
    };
    view! {
        <Section title="Reward">
            <Field label="Reward" field="reward.type" errors>
                <SelectInput
                    value=k
                    on_change=set_k
                    name="reward.type"
                    options=kinds(
                        &[(RewardKind::PercentOff, "Percent off"), (RewardKind::AmountOff, "Amount off"), (RewardKind::Cashback, "Cashback points"), (RewardKind::BuyXGetY, "Buy X, get Y")],
                    )
                />
            </Field>
            <Show when=move || kind() == RewardKind::PercentOff.wire()>
                <div class="row">
                    <Field label="Percent" field="reward.percent" errors hint="1 to 100">
                        <IntInput field="reward.percent" value=percent on_change=set_percent text_errors />
                    </Field>
                    <Field label="Maximum discount" field="reward.max_discount" errors hint="Optional">
                        <MoneyInput
                            field="reward.max_discount"
                            value=max_discount
                            on_change=set_max_discount
                            currency
                            text_errors
                        />
                    </Field>
                </div>
            </Show>
            <Show when=move || kind() == RewardKind::AmountOff.wire()>
                <Field label="Amount off" field="reward.amount" errors>
                    <MoneyInput field="reward.amount" value=amount on_change=set_amount currency text_errors />
                </Field>
            </Show>
            <Show when=move || kind() == RewardKind::Cashback.wire()>
                <div class="row">
                    <Field label="Cashback" field="reward.cashback" errors>
                        <select
                            name="reward.cashback"
                            on:change=move |ev| {
                                let pct = event_target_value(&ev) == "percent";
                                cashback_percent.set(pct);
                                input
                                    .update(|i| {
                                        if pct {
                                            i.reward.points = None;
                                        } else {
                                            i.reward.percent = None;
                                            i.reward.max_points = None;
                                        }
                                    });
                            }
                        >
                            <option value="fixed" selected=move || !cashback_percent.get()>
                                "Fixed points"
                            </option>
                            <option value="percent" selected=move || cashback_percent.get()>
                                "Percent of the eligible amount"
                            </option>
                        </select>
                    </Field>
                    <Show
                        when=move || cashback_percent.get()
                        fallback=move || {
                            view! {
                                <Field label="Points" field="reward.points" errors>
                                    <IntInput field="reward.points" value=points on_change=set_points text_errors />
                                </Field>
                            }
                        }
                    >
                        <Field label="Percent" field="reward.percent" errors hint="1 to 100">
                            <IntInput field="reward.percent" value=percent on_change=set_percent text_errors />
                        </Field>
                        <Field label="Maximum points" field="reward.max_points" errors hint="Optional">
                            <IntInput field="reward.max_points" value=max_points on_change=set_max_points text_errors />
                        </Field>
                    </Show>
                </div>
            </Show>
            <Show when=bxgy>
                <BuyXGetYFields input errors text_errors item_amounts />
            </Show>
            // Not a <Field>: its rows hold several controls, each named on its own.
            <Show when=move || !bxgy()>
            <div class="field" data-field="reward.tiers">
                <span class="label">"Tiers: spend more, save more"</span>
                <p class="hint">"The highest tier the cart reaches replaces the reward above."</p>
                <TiersEditor
                    value=tiers
                    on_change=set_tiers
                    basis=tier_basis
                    shape=Signal::derive(tier_shape)
                    currency
                    errors
                    text_errors
                />
            </div>
            </Show>
            <Show when=move || input.with(|i| !i.reward.tiers.is_empty())>
                <Field label="Tiers count" field="reward.tier_basis" errors>
                    <SelectInput
                        value=or_default(tier_basis, TierBasis::Amount)
                        on_change=set_tier_basis
                        name="reward.tier_basis"
                        options=kinds(&[(TierBasis::Amount, "the eligible amount"), (TierBasis::Quantity, "eligible units")])
                    />
                </Field>
            </Show>
        </Section>
    }
}

/// Buy X, get Y: the units, their discount, how often, which units, and the units got.
#[component]
fn BuyXGetYFields(
    input: RwSignal<CouponInput>,
    errors: Errors,
    text_errors: RwSignal<FieldErrors>,
    item_amounts: AmountFacts,
) -> impl IntoView {
    let (buy, set_buy) = bind!(input, reward.buy_quantity);
    let (get, set_get) = bind!(input, reward.get_quantity);
    let (percent, set_percent) = bind!(input, reward.percent);
    let (max, set_max) = bind!(input, reward.max_applications);
    let (discounted, set_discounted) = bind!(input, reward.discounted);
    view! {
        <div class="row">
            <Field label="Buy (units)" field="reward.buy_quantity" errors hint="Of what the reward applies to">
                <IntInput field="reward.buy_quantity" value=buy on_change=set_buy text_errors />
            </Field>
            <Field label="Get (units)" field="reward.get_quantity" errors>
                <IntInput field="reward.get_quantity" value=get on_change=set_get text_errors />
            </Field>
            <Field label="Percent off the units got" field="reward.percent" errors hint="100 or blank: free">
                <IntInput field="reward.percent" value=percent on_change=set_percent text_errors />
            </Field>
        </div>
        <div class="row">
            <Field label="Times per order" field="reward.max_applications" errors hint="Optional: as often as the cart holds">
                <IntInput field="reward.max_applications" value=max on_change=set_max text_errors />
            </Field>
            <Field label="Discount first" field="reward.discounted" errors>
                <SelectInput
                    value=or_default(discounted, Discounted::Cheapest)
                    on_change=set_discounted
                    name="reward.discounted"
                    options=kinds(&[(Discounted::Cheapest, "the cheapest units"), (Discounted::MostExpensive, "the most expensive units")])
                />
            </Field>
        </div>
        <p class="hint">
            "Units got: leave empty for the same items as those bought. A SKU named here that the cart lacks is returned for the app to add."
        </p>
        <ItemSetFields
            path="reward.get_items"
            categories=bind!(input, reward.get_items.categories)
            skus=bind!(input, reward.get_items.skus)
            conditions=bind!(input, reward.get_items.conditions)
            errors
            amounts=item_amounts
        />
    }
}

/// Items by category, SKU or attribute conditions: what a reward applies to, or the units a
/// buy-X-get-Y gets.
#[component]
fn ItemSetFields(
    path: &'static str,
    categories: (Signal<Vec<String>>, Callback<Vec<String>>),
    skus: (Signal<Vec<String>>, Callback<Vec<String>>),
    conditions: (Signal<Vec<ConditionInput>>, Callback<Vec<ConditionInput>>),
    errors: Errors,
    amounts: AmountFacts,
) -> impl IntoView {
    view! {
        <div class="row">
            <Field label="Categories" field=format!("{path}.categories") errors hint="Comma-separated">
                <ListInput value=categories.0 on_change=categories.1 placeholder="Shoes, Bags" />
            </Field>
            <Field label="SKUs" field=format!("{path}.skus") errors hint="Comma-separated">
                <ListInput value=skus.0 on_change=skus.1 placeholder="SKU-1, SKU-2" />
            </Field>
        </div>
        <ConditionsField
            label="Or items whose attributes match"
            path=format!("{path}.conditions")
            binding=conditions
            errors
            property_hint="color"
            suggest="item-facts"
            amounts
        />
    }
}

#[component]
fn AppliesToSection(input: RwSignal<CouponInput>, errors: Errors, item_amounts: AmountFacts) -> impl IntoView {
    let kind = move || input.with(|i| i.applies_to.kind.clone());
    view! {
        <Section title="Applies to">
            <ChoiceField
                label="Discount applies to"
                field="applies_to.type"
                binding=bind!(input, applies_to.kind)
                choices=kinds(&[(AppliesToKind::Order, "The whole order (items subtotal)"), (AppliesToKind::Items, "Selected items"), (AppliesToKind::Fees, "Fees or custom order amounts")])
                errors
            />
            <Show when=move || kind() == AppliesToKind::Items.wire()>
                <p class="hint">"An item is eligible if it matches any of these."</p>
                <ItemSetFields
                    path="applies_to"
                    categories=bind!(input, applies_to.categories)
                    skus=bind!(input, applies_to.skus)
                    conditions=bind!(input, applies_to.conditions)
                    errors
                    amounts=item_amounts
                />
            </Show>
            <Show when=move || kind() == AppliesToKind::Fees.wire()>
                <Field label="Fee names" field="applies_to.names" errors hint="As the app sends them, comma-separated">
                    <ListInput
                        value=bind!(input, applies_to.names).0
                        on_change=bind!(input, applies_to.names).1
                        placeholder="shipping, platform_fee"
                    />
                </Field>
            </Show>
        </Section>
    }
}

#[component]
fn DistributionSection(input: RwSignal<CouponInput>, errors: Errors) -> impl IntoView {
    let kind = move || input.with(|i| i.distribution.kind.clone());
    let (code, set_code) = bind!(input, distribution.code);
    let (event, set_event) = bind!(input, distribution.event);
    let (unique, set_unique) = bind!(input, distribution.unique_codes);
    view! {
        <Section title="Distribution">
            <ChoiceField
                label="Codes"
                field="distribution.type"
                binding=bind!(input, distribution.kind)
                choices=kinds(&[(DistributionKind::Static, "One static code for everyone"), (DistributionKind::Unique, "Unique codes (generated or uploaded)"), (DistributionKind::EventTriggered, "Given when the user performs an event")])
                errors
            />
            <Show when=move || kind() == DistributionKind::Static.wire()>
                <Field label="Code" field="distribution.code" errors hint="3–64 characters: A–Z, 0–9, - and _">
                    <TextInput
                        value=Signal::derive(move || code.get().unwrap_or_default())
                        on_change=Callback::new(move |t: String| set_code.run(Some(t)))
                        name="distribution.code"
                        placeholder="WEEKEND10"
                    />
                </Field>
            </Show>
            <Show when=move || kind() == DistributionKind::EventTriggered.wire()>
                <div class="row">
                    <Field label="Trigger event" field="distribution.event" errors>
                        <TextInput
                            value=Signal::derive(move || event.get().unwrap_or_default())
                            on_change=Callback::new(move |t: String| set_event.run(Some(t)))
                            name="distribution.event"
                            placeholder="cart_abandoned"
                            suggest="event-names"
                        />
                    </Field>
                    <label class="check">
                        <input
                            type="checkbox"
                            name="distribution.unique_codes"
                            prop:checked=move || unique.get()
                            on:change=move |ev| set_unique.run(event_target_checked(&ev))
                        />
                        "Give each user the next free unique code"
                    </label>
                </div>
            </Show>
        </Section>
    }
}

#[component]
fn ActivationSection(input: RwSignal<CouponInput>, errors: Errors) -> impl IntoView {
    let kind = move || input.with(|i| i.activation.kind.clone());
    let (event, set_event) = bind!(input, activation.event);
    view! {
        <Section title="Activation">
            <ChoiceField
                label="Becomes usable"
                field="activation.type"
                binding=bind!(input, activation.kind)
                choices=kinds(&[(ActivationKind::Time, "At a time"), (ActivationKind::Event, "When the user performs an event")])
                errors
            />
            <Show when=move || kind() == ActivationKind::Time.wire()>
                <Field label="From" field="activation.from" errors hint="Leave empty to start as soon as it is active">
                    <DateTimeInput value=bind!(input, activation.from).0 on_change=bind!(input, activation.from).1 />
                </Field>
            </Show>
            <Show when=move || kind() == ActivationKind::Event.wire()>
                <Field label="Activation event" field="activation.event" errors>
                    <TextInput
                        value=Signal::derive(move || event.get().unwrap_or_default())
                        on_change=Callback::new(move |t: String| set_event.run(Some(t)))
                        name="activation.event"
                        placeholder="app_installed"
                        suggest="event-names"
                    />
                </Field>
            </Show>
        </Section>
    }
}

#[component]
fn ExpirySection(input: RwSignal<CouponInput>, errors: Errors, text_errors: RwSignal<FieldErrors>) -> impl IntoView {
    let kind = move || input.with(|i| i.expiry.kind.clone());
    let duration = move || input.with(|i| i.expiry.duration.clone().unwrap_or_default());
    let set_duration = move |f: &dyn Fn(&mut DurationInput)| {
        input.update(|i| {
            let mut d = i.expiry.duration.clone().unwrap_or_default();
            f(&mut d);
            i.expiry.duration = Some(d);
        })
    };
    view! {
        <Section title="Expiry">
            <ChoiceField
                label="Expires"
                field="expiry.type"
                binding=bind!(input, expiry.kind)
                choices=kinds(&[(ExpiryKind::Never, "Never"), (ExpiryKind::Fixed, "At a fixed date-time"), (ExpiryKind::Relative, "A while after each user gets it")])
                errors
            />
            <Show when=move || kind() == ExpiryKind::Fixed.wire()>
                <Field label="Expires at" field="expiry.at" errors>
                    <DateTimeInput value=bind!(input, expiry.at).0 on_change=bind!(input, expiry.at).1 />
                </Field>
            </Show>
            <Show when=move || kind() == ExpiryKind::Relative.wire()>
                <div class="row">
                    <Field label="Lasts" field="expiry.duration.value" errors>
                        <IntInput
                            field="expiry.duration.value"
                            value=Signal::derive(move || duration().value)
                            on_change=Callback::new(move |v: Option<i64>| set_duration(&|d| d.value = v))
                            text_errors
                        />
                    </Field>
                    <Field label="Unit" field="expiry.duration.unit" errors>
                        <SelectInput
                            value=or_default(Signal::derive(move || duration().unit), DurationUnit::Days)
                            on_change=Callback::new(move |u: String| set_duration(&|d| d.unit = u.clone()))
                            options=kinds(&[(DurationUnit::Minutes, "minutes"), (DurationUnit::Hours, "hours"), (DurationUnit::Days, "days")])
                        />
                    </Field>
                    <Field label="Counted from" field="expiry.relative_to" errors>
                        <SelectInput
                            value=Signal::derive(move || {
                                input.with(|i| i.expiry.relative_to.clone().unwrap_or_else(|| ExpiryAnchor::Activation.wire().into()))
                            })
                            on_change=Callback::new(move |v: String| input.update(|i| i.expiry.relative_to = Some(v)))
                            options=kinds(&[(ExpiryAnchor::Activation, "activation"), (ExpiryAnchor::Assignment, "assignment")])
                        />
                    </Field>
                </div>
            </Show>
        </Section>
    }
}

#[component]
fn LimitsSection(
    input: RwSignal<CouponInput>,
    currency: Signal<Option<Currency>>,
    errors: Errors,
    text_errors: RwSignal<FieldErrors>,
) -> impl IntoView {
    let cashback = move || input.with(|i| i.reward.kind == RewardKind::Cashback.wire());
    let (per_user, set_per_user) = bind!(input, limits.per_user);
    let (global, set_global) = bind!(input, limits.global);
    let (budget_discount, set_budget_discount) = bind!(input, limits.budget_discount);
    let (budget_cashback, set_budget_cashback) = bind!(input, limits.budget_cashback);
    view! {
        <Section title="Limits">
            <div class="row">
                <Field label="Uses per user" field="limits.per_user" errors hint="Empty: no limit">
                    <IntInput field="limits.per_user" value=per_user on_change=set_per_user text_errors />
                </Field>
                <Field label="Uses in total" field="limits.global" errors hint="Empty: no limit">
                    <IntInput field="limits.global" value=global on_change=set_global text_errors />
                </Field>
                <Show
                    when=cashback
                    fallback=move || {
                        view! {
                            <Field label="Discount budget" field="limits.budget_discount" errors hint="Empty: no budget">
                                <MoneyInput
                                    field="limits.budget_discount"
                                    value=budget_discount
                                    on_change=set_budget_discount
                                    currency
                                    text_errors
                                />
                            </Field>
                        }
                    }
                >
                    <Field label="Points budget" field="limits.budget_cashback" errors hint="Empty: no budget">
                        <IntInput
                            field="limits.budget_cashback"
                            value=budget_cashback
                            on_change=set_budget_cashback
                            text_errors
                        />
                    </Field>
                </Show>
            </div>
            <Field label="Caps per period" field="limits.caps" errors hint="Counted in the coupon's time zone">
                <CapsEditor
                    value=bind!(input, limits.caps).0
                    on_change=bind!(input, limits.caps).1
                    errors
                    text_errors
                />
            </Field>
        </Section>
    }
}

#[component]
fn WindowSection(input: RwSignal<CouponInput>, errors: Errors) -> impl IntoView {
    let part = move |end: bool| {
        (
            Signal::derive(move || {
                input.with(|i| i.window.as_ref().and_then(|w| if end { w.end.clone() } else { w.start.clone() }))
            }),
            Callback::new(move |v: Option<String>| {
                input.update(|i| {
                    let w = i.window.get_or_insert_with(WindowInput::default);
                    if end {
                        w.end = v;
                    } else {
                        w.start = v;
                    }
                })
            }),
        )
    };
    let (start, set_start) = part(false);
    let (end, set_end) = part(true);
    view! {
        <Section title="Redemption window">
            <p class="hint">"Optional: redemption is refused outside these times."</p>
            <div class="row">
                <Field label="Starts" field="window.start" errors>
                    <DateTimeInput value=start on_change=set_start />
                </Field>
                <Field label="Ends" field="window.end" errors>
                    <DateTimeInput value=end on_change=set_end />
                </Field>
            </div>
        </Section>
    }
}

#[component]
fn ScheduleSection(input: RwSignal<CouponInput>, errors: Errors) -> impl IntoView {
    let on = move || input.with(|i| i.schedule.as_ref().is_some_and(|s| !s.days.is_empty()));
    let days = Signal::derive(move || input.with(|i| i.schedule.clone().unwrap_or_default().days));
    let set_days = Callback::new(move |days: Vec<DayScheduleInput>| {
        input.update(|i| i.schedule = if days.is_empty() { None } else { Some(ScheduleInput { days }) })
    });
    view! {
        <Section title="Recurring schedule">
            <p class="hint">
                {move || {
                    if on() {
                        "Available only on the ticked days, in the coupon's time zone. A range that ends \
                         before it starts runs overnight: Fri 22:00–02:00 lasts until Saturday 02:00."
                    } else {
                        "Available at all times. Tick days to limit it to those days and hours."
                    }
                }}
            </p>
            <ScheduleEditor value=days on_change=set_days errors />
        </Section>
    }
}
