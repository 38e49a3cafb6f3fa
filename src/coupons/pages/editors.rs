//! Builder inputs that need more than a text box: numbers and money typed as text, lists,
//! date-times, condition lists, caps and the weekly schedule.

use leptos::prelude::*;

use crate::components::fields::{kinds, options, Errors, FieldMessage, SelectInput};
use crate::conditions::{ConditionInput, OPERATORS};
use crate::coupons::definition::{CapScope, Day, Period, TierBasis};
use crate::coupons::input::{CapInput, DayScheduleInput, TierInput, TimeRangeInput};
use crate::fields::FieldErrors;
use crate::money::Currency;
use crate::wire::Named;

/// Errors found while turning typed text into numbers, before the parser sees them.
pub type TextErrors = RwSignal<FieldErrors>;

fn set_text_error(errors: TextErrors, field: &str, message: Option<String>) {
    errors.update(|e| {
        e.0.retain(|x| x.field != field);
        if let Some(m) = message {
            e.add(field, m);
        }
    });
}

/// The × that removes one row of a list editor.
#[component]
fn RemoveButton(#[prop(into)] what: String, on_click: impl Fn() + Send + Sync + 'static) -> impl IntoView {
    view! {
        <button type="button" class="icon" title=format!("Remove {what}") aria-label=format!("Remove {what}") on:click=move |_| on_click()>
            "×"
        </button>
    }
}

/// Changes row `i` of a list held in a signal.
fn update_row<T: Clone + Send + Sync + 'static>(
    value: Signal<Vec<T>>,
    on_change: Callback<Vec<T>>,
    i: usize,
    f: &dyn Fn(&mut T),
) {
    let mut list = value.get_untracked();
    if let Some(row) = list.get_mut(i) {
        f(row);
    }
    on_change.run(list);
}

/// Row `i` of a list held in a signal, tracked (a blank row once it is gone).
fn row_at<T: Clone + Default + Send + Sync + 'static>(value: Signal<Vec<T>>, i: usize) -> T {
    value.with(|l| l.get(i).cloned().unwrap_or_default())
}

/// Removes row `i` of a list held in a signal.
fn remove_at<T: Clone + Send + Sync + 'static>(value: Signal<Vec<T>>, on_change: Callback<Vec<T>>, i: usize) {
    let mut list = value.get_untracked();
    if i < list.len() {
        list.remove(i);
    }
    on_change.run(list);
}

/// An optional whole number typed as text. Blank is `None`.
#[component]
pub fn IntInput(
    #[prop(into)] field: String,
    #[prop(into)] value: Signal<Option<i64>>,
    #[prop(into)] on_change: Callback<Option<i64>>,
    text_errors: TextErrors,
    #[prop(optional, into)] placeholder: String,
    /// The accessible name, for an input in a row without labels.
    #[prop(optional, into)]
    label: Option<String>,
) -> impl IntoView {
    let text = RwSignal::new(value.get_untracked().map(|v| v.to_string()).unwrap_or_default());
    // Follow changes made elsewhere (a row above removed), but never rewrite what is being typed.
    Effect::new(move |_| {
        let v = value.get();
        if parse_int(&text.get_untracked()).ok().flatten() != v {
            text.set(v.map(|v| v.to_string()).unwrap_or_default());
        }
    });
    view! {
        <input
            type="text"
            inputmode="numeric"
            placeholder=placeholder
            aria-label=label
            prop:value=move || text.get()
            on:input=move |ev| {
                let t = event_target_value(&ev);
                text.set(t.clone());
                let (number, error) = match parse_int(&t) {
                    Ok(n) => (n, None),
                    Err(()) => (None, Some("enter a whole number".to_string())),
                };
                set_text_error(text_errors, &field, error);
                on_change.run(number);
            }
        />
    }
}

/// `""` is no number; `1,000` and `1_000` are a thousand.
fn parse_int(text: &str) -> Result<Option<i64>, ()> {
    let t = text.trim().replace([',', '_'], "");
    if t.is_empty() {
        Ok(None)
    } else {
        t.parse::<i64>().map(Some).map_err(|_| ())
    }
}

/// An optional amount typed in major units (`12.50`), kept as minor units.
#[component]
pub fn MoneyInput(
    #[prop(into)] field: String,
    #[prop(into)] value: Signal<Option<i64>>,
    #[prop(into)] on_change: Callback<Option<i64>>,
    #[prop(into)] currency: Signal<Option<Currency>>,
    text_errors: TextErrors,
    /// The accessible name, for an input in a row without labels.
    #[prop(optional, into)]
    label: Option<String>,
    #[prop(optional, into)] placeholder: String,
) -> impl IntoView {
    let shown = move |v: Option<i64>| match (v, currency.get_untracked()) {
        (Some(v), Some(c)) => c.to_major_text(v),
        (Some(v), None) => v.to_string(),
        (None, _) => String::new(),
    };
    let text = RwSignal::new(shown(value.get_untracked()));
    // Follow changes made elsewhere (a row above removed), but never rewrite what is being typed.
    Effect::new(move |_| {
        let v = value.get();
        let typed = currency.get_untracked().and_then(|c| c.parse_major(&text.get_untracked()).ok());
        if typed != v && !(v.is_none() && text.with_untracked(|t| t.trim().is_empty())) {
            text.set(shown(v));
        }
    });
    let symbol = move || currency.get().map(|c| c.code().to_string()).unwrap_or_default();
    view! {
        <span class="money-input">
            <span class="unit">{symbol}</span>
            <input
                type="text"
                inputmode="decimal"
                placeholder=placeholder
                aria-label=label
                prop:value=move || text.get()
                on:input=move |ev| {
                    let t = event_target_value(&ev);
                    text.set(t.clone());
                    if t.trim().is_empty() {
                        set_text_error(text_errors, &field, None);
                        on_change.run(None);
                        return;
                    }
                    let Some(c) = currency.get_untracked() else {
                        set_text_error(text_errors, &field, Some("choose a currency first".into()));
                        return;
                    };
                    match c.parse_major(&t) {
                        Ok(minor) => {
                            set_text_error(text_errors, &field, None);
                            on_change.run(Some(minor));
                        }
                        Err(m) => {
                            set_text_error(text_errors, &field, Some(m));
                            on_change.run(None);
                        }
                    }
                }
            />
        </span>
    }
}

/// A list typed as comma-separated text.
#[component]
pub fn ListInput(
    #[prop(into)] value: Signal<Vec<String>>,
    #[prop(into)] on_change: Callback<Vec<String>>,
    #[prop(optional, into)] placeholder: String,
) -> impl IntoView {
    let text = RwSignal::new(value.get_untracked().join(", "));
    view! {
        <input
            type="text"
            placeholder=placeholder
            prop:value=move || text.get()
            on:input=move |ev| {
                let t = event_target_value(&ev);
                text.set(t.clone());
                on_change.run(t.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect());
            }
        />
    }
}

/// An optional wall-clock date-time in the coupon's zone.
#[component]
pub fn DateTimeInput(
    #[prop(into)] value: Signal<Option<String>>,
    #[prop(into)] on_change: Callback<Option<String>>,
) -> impl IntoView {
    view! {
        <input
            type="datetime-local"
            // The control shows wall-clock minutes; a stored offset (DST's repeated hour) is dropped.
            prop:value=move || value.get().map(|v| v.chars().take(16).collect::<String>()).unwrap_or_default()
            on:input=move |ev| {
                let t = event_target_value(&ev);
                on_change.run(if t.trim().is_empty() { None } else { Some(t) });
            }
        />
    }
}

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// Condition facts that are amounts in minor units (`subtotal`, say): typed and shown in the
/// coupon's currency, as the reward beside them is.
#[derive(Clone, Copy)]
pub struct AmountFacts {
    pub names: &'static [&'static str],
    pub currency: Signal<Option<Currency>>,
    pub text_errors: TextErrors,
}

impl AmountFacts {
    /// The currency a value of `property` is typed in, when the property is an amount.
    fn currency_of(&self, property: &str) -> Option<Currency> {
        self.names.contains(&property).then(|| self.currency.get()).flatten()
    }

    /// The value typed for `property`: minor units for an amount, else the text as it is. A bad
    /// amount keeps its text and reports on `field` until it is fixed.
    fn value_of(&self, field: &str, property: &str, text: String) -> serde_json::Value {
        let parsed = match self.currency.get_untracked().filter(|_| self.names.contains(&property)) {
            Some(c) if !text.trim().is_empty() => c.parse_major(&text).map(serde_json::Value::from),
            _ => Ok(serde_json::Value::String(text.clone())),
        };
        let (value, error) = match parsed {
            Ok(v) => (v, None),
            Err(m) => (serde_json::Value::String(text), Some(m)),
        };
        set_text_error(self.text_errors, field, error);
        value
    }

    /// After a row goes, the rows below move up: their amount errors follow them.
    fn recheck(&self, path: &str, rows: &[ConditionInput]) {
        let prefix = format!("{path}[");
        self.text_errors.update(|e| e.0.retain(|x| !x.field.starts_with(&prefix)));
        for (i, c) in rows.iter().enumerate() {
            if let serde_json::Value::String(text) = &c.value {
                self.value_of(&format!("{path}[{i}].value"), &c.property, text.clone());
            }
        }
    }
}

/// Conditions that must all hold, one row each.
///
/// Rows are keyed by position and read their values reactively, so editing a row never rebuilds
/// it (a rebuilt input would lose focus and swallow the click that blurred it).
#[component]
pub fn ConditionsEditor(
    #[prop(into)] path: String,
    #[prop(into)] value: Signal<Vec<ConditionInput>>,
    #[prop(into)] on_change: Callback<Vec<ConditionInput>>,
    errors: Errors,
    #[prop(into)] property_hint: String,
    /// The id of a `<datalist>` of property names to suggest.
    #[prop(optional, into)]
    suggest: Option<&'static str>,
    /// The facts whose values are amounts in the coupon's currency.
    #[prop(default = None)]
    amounts: Option<AmountFacts>,
) -> impl IntoView {
    let update = move |i: usize, f: &dyn Fn(&mut ConditionInput)| update_row(value, on_change, i, f);
    let at = move |i: usize| move || row_at(value, i);
    let list_path = path.clone();
    let row = move |i: usize| {
        let p = format!("{path}[{i}]");
        let c = at(i);
        let n = i + 1;
        let value_field = format!("{p}.value");
        let retype_field = value_field.clone();
        let unit = move || amounts.and_then(|a| a.currency_of(&c().property));
        let shown = move || match (unit(), c().value) {
            (Some(currency), serde_json::Value::Number(minor)) => {
                minor.as_i64().map(|m| currency.to_major_text(m)).unwrap_or_else(|| minor.to_string())
            }
            (_, v) => value_text(&v),
        };
        let path = path.clone();
        view! {
            <div class="condition-row" data-row=p.clone()>
                <input
                    type="text"
                    class="property"
                    list=suggest
                    aria-label=format!("Condition {n}: property")
                    placeholder=property_hint.clone()
                    prop:value=move || c().property
                    on:change=move |ev| {
                        let t = event_target_value(&ev);
                        update(i, &|c| {
                            c.property = t.clone();
                            // Text typed before the property was chosen is read again for it.
                            if let (Some(a), serde_json::Value::String(text)) = (amounts, &c.value) {
                                c.value = a.value_of(&retype_field, &t, text.clone());
                            }
                        })
                    }
                />
                <SelectInput
                    value=Signal::derive(move || c().op)
                    on_change=Callback::new(move |op: String| update(i, &|c| c.op = op.clone()))
                    options=options(OPERATORS)
                    label=format!("Condition {n}: operator")
                />
                <span class="value-cell" class:money-input=move || unit().is_some()>
                    {move || unit().map(|c| view! { <span class="unit">{c.code()}</span> })}
                    <input
                        type="text"
                        class="value"
                        aria-label=format!("Condition {n}: value")
                        placeholder=move || if c().op == "one_of" { "a, b, c" } else { "value" }
                        disabled=move || c().op == "exists"
                        prop:value=shown
                        on:change=move |ev| {
                            let t = event_target_value(&ev);
                            update(i, &|c| {
                                c.value = match amounts {
                                    Some(a) => a.value_of(&value_field, &c.property, t.clone()),
                                    None => serde_json::Value::String(t.clone()),
                                }
                            })
                        }
                    />
                </span>
                <RemoveButton
                    what=format!("condition {n}")
                    on_click=move || {
                        remove_at(value, on_change, i);
                        if let Some(a) = amounts {
                            a.recheck(&path, &value.get_untracked());
                        }
                    }
                />
                <FieldMessage errors field=format!("{p}.property") />
                <FieldMessage errors field=format!("{p}.op") />
                <FieldMessage errors field=format!("{p}.value") />
            </div>
        }
    };
    view! {
        <div class="conditions">
            <For each=move || 0..value.with(Vec::len) key=|i| *i children=row />
            <FieldMessage errors field=list_path />
            <button
                type="button"
                class="secondary small add"
                on:click=move |_| {
                    let mut list = value.get_untracked();
                    list.push(ConditionInput { op: "eq".into(), ..Default::default() });
                    on_change.run(list);
                }
            >
                "+ Add condition"
            </button>
        </div>
    }
}

/// Period caps: any number of `{period, scope, limit}` rows, keyed by position like conditions.
#[component]
pub fn CapsEditor(
    #[prop(into)] value: Signal<Vec<CapInput>>,
    #[prop(into)] on_change: Callback<Vec<CapInput>>,
    errors: Errors,
    text_errors: TextErrors,
) -> impl IntoView {
    let update = move |i: usize, f: &dyn Fn(&mut CapInput)| update_row(value, on_change, i, f);
    let at = move |i: usize| move || row_at(value, i);
    let row = move |i: usize| {
        let p = format!("limits.caps[{i}]");
        let c = at(i);
        let n = i + 1;
        view! {
            <div class="cap-row" data-row=p.clone()>
                <IntInput
                    field=format!("{p}.limit")
                    value=Signal::derive(move || c().limit)
                    on_change=Callback::new(move |l: Option<i64>| update(i, &|c| c.limit = l))
                    text_errors
                    placeholder="limit"
                    label=format!("Cap {n}: limit")
                />
                <SelectInput
                    value=Signal::derive(move || c().period)
                    on_change=Callback::new(move |v: String| update(i, &|c| c.period = v.clone()))
                    options=kinds(&[(Period::Day, "uses per day"), (Period::Week, "uses per week (Mon–Sun)"), (Period::Month, "uses per month"), (Period::Year, "uses per year")])
                    label=format!("Cap {n}: period")
                />
                <SelectInput
                    value=Signal::derive(move || c().scope)
                    on_change=Callback::new(move |v: String| update(i, &|c| c.scope = v.clone()))
                    options=kinds(&[(CapScope::Global, "across all users"), (CapScope::PerUser, "for each user")])
                    label=format!("Cap {n}: counted")
                />
                <RemoveButton what=format!("cap {n}") on_click=move || remove_at(value, on_change, i) />
                <FieldMessage errors field=format!("{p}.limit") />
                <FieldMessage errors field=format!("{p}.period") />
                <FieldMessage errors field=format!("{p}.scope") />
            </div>
        }
    };
    view! {
        <div class="caps">
            <For each=move || 0..value.with(Vec::len) key=|i| *i children=row />
            <FieldMessage errors field="limits.caps" />
            <button
                type="button"
                class="secondary small add"
                on:click=move |_| {
                    let mut list = value.get_untracked();
                    list.push(CapInput { period: Period::Day.wire().into(), scope: CapScope::Global.wire().into(), limit: None });
                    on_change.run(list);
                }
            >
                "+ Add cap"
            </button>
        </div>
    }
}

/// What a tier's box takes, shown in it while it is empty (the rows have no column labels; each
/// box is named for screen readers with its tier).
fn hint(name: &str) -> &'static str {
    match name {
        "from" => "threshold",
        "percent" => "percent",
        "max_discount" => "max discount (optional)",
        "amount" => "amount off",
        "points" => "points",
        "max_points" => "max points (optional)",
        _ => "",
    }
}

/// Which values a tier of the coupon's reward takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TierShape {
    PercentOff,
    AmountOff,
    Points,
    CashbackPercent,
}

/// Spend more, save more: a threshold per row and the reward's values from there up.
#[component]
pub fn TiersEditor(
    #[prop(into)] value: Signal<Vec<TierInput>>,
    #[prop(into)] on_change: Callback<Vec<TierInput>>,
    #[prop(into)] basis: Signal<String>,
    #[prop(into)] shape: Signal<TierShape>,
    #[prop(into)] currency: Signal<Option<Currency>>,
    errors: Errors,
    text_errors: TextErrors,
) -> impl IntoView {
    let update = move |i: usize, f: &dyn Fn(&mut TierInput)| update_row(value, on_change, i, f);
    let at = move |i: usize| move || row_at(value, i);
    let by_units = move || basis.get() == TierBasis::Quantity.wire();
    let row = move |i: usize| {
        let p = format!("reward.tiers[{i}]");
        let t = at(i);
        let n = i + 1;
        let field = move |name: &str| format!("reward.tiers[{i}].{name}");
        let set =
            move |f: fn(&mut TierInput, Option<i64>)| Callback::new(move |v: Option<i64>| update(i, &|t| f(t, v)));
        let money = move |name: &str,
                          label: String,
                          get: fn(&TierInput) -> Option<i64>,
                          put: fn(&mut TierInput, Option<i64>)| {
            let placeholder = hint(name);
            view! { <MoneyInput field=field(name) value=Signal::derive(move || get(&t())) on_change=set(put) currency text_errors label placeholder /> }
        };
        let int = move |name: &str,
                        label: String,
                        get: fn(&TierInput) -> Option<i64>,
                        put: fn(&mut TierInput, Option<i64>)| {
            let placeholder = hint(name);
            view! { <IntInput field=field(name) value=Signal::derive(move || get(&t())) on_change=set(put) text_errors label placeholder /> }
        };
        let from_label = format!("Tier {n}: from");
        let values = move || {
            match shape.get() {
            TierShape::PercentOff => view! {
                {int("percent", format!("Tier {n}: percent off"), |t| t.percent, |t, v| t.percent = v)}
                {money("max_discount", format!("Tier {n}: maximum discount"), |t| t.max_discount, |t, v| t.max_discount = v)}
            }
            .into_any(),
            TierShape::AmountOff => money("amount", format!("Tier {n}: amount off"), |t| t.amount, |t, v| t.amount = v).into_any(),
            TierShape::Points => int("points", format!("Tier {n}: points"), |t| t.points, |t, v| t.points = v).into_any(),
            TierShape::CashbackPercent => view! {
                {int("percent", format!("Tier {n}: percent cashback"), |t| t.percent, |t, v| t.percent = v)}
                {int("max_points", format!("Tier {n}: maximum points"), |t| t.max_points, |t, v| t.max_points = v)}
            }
            .into_any(),
        }
        };
        view! {
            <div class="tier-row" data-row=p.clone()>
                <span class="tier-from">
                    "From "
                    {move || {
                        let label = from_label.clone();
                        if by_units() {
                            int("from", label, |t| t.from, |t, v| t.from = v).into_any()
                        } else {
                            money("from", label, |t| t.from, |t, v| t.from = v).into_any()
                        }
                    }}
                </span>
                {values}
                <RemoveButton what=format!("tier {n}") on_click=move || remove_at(value, on_change, i) />
                {["from", "percent", "max_discount", "amount", "points", "max_points"]
                    .map(|f| view! { <FieldMessage errors field=field(f) /> })}
            </div>
        }
    };
    view! {
        <div class="tiers">
            <For each=move || 0..value.with(Vec::len) key=|i| *i children=row />
            <FieldMessage errors field="reward.tiers" />
            <button
                type="button"
                class="secondary small add"
                on:click=move |_| {
                    let mut list = value.get_untracked();
                    list.push(TierInput::default());
                    on_change.run(list);
                }
            >
                "+ Add tier"
            </button>
        </div>
    }
}

/// The weekly schedule: tick days, give each day time ranges (none = all day).
#[component]
pub fn ScheduleEditor(
    #[prop(into)] value: Signal<Vec<DayScheduleInput>>,
    #[prop(into)] on_change: Callback<Vec<DayScheduleInput>>,
    errors: Errors,
) -> impl IntoView {
    view! {
        <div class="schedule">
            {Day::ALL.into_iter().map(|day| view! { <DayEditor day value on_change errors /> }).collect_view()}
        </div>
    }
}

/// One day of the schedule: its tick box and its time ranges, keyed by position.
#[component]
fn DayEditor(
    day: Day,
    value: Signal<Vec<DayScheduleInput>>,
    on_change: Callback<Vec<DayScheduleInput>>,
    errors: Errors,
) -> impl IntoView {
    let position = move || value.with(|days| days.iter().position(|d| d.day == day.key()));
    let ranges = move || value.with(|days| days.iter().find(|d| d.day == day.key()).map(|d| d.ranges.clone()));
    let edit = move |f: &dyn Fn(&mut DayScheduleInput)| {
        let mut days = value.get_untracked();
        if let Some(d) = days.iter_mut().find(|d| d.day == day.key()) {
            f(d);
        }
        on_change.run(days);
    };
    let edit_range = move |j: usize, f: &dyn Fn(&mut TimeRangeInput)| {
        edit(&|d| {
            if let Some(r) = d.ranges.get_mut(j) {
                f(r);
            }
        })
    };
    let range = move |j: usize| {
        let r = move || ranges().and_then(|list| list.get(j).cloned()).unwrap_or_default();
        let p = move || format!("schedule.days[{}].ranges[{j}]", position().unwrap_or(0));
        let named = move |part: &str| format!("{} range {}: {part}", day.short_name(), j + 1);
        view! {
            <span class="range">
                <input
                    type="time"
                    aria-label=named("from")
                    prop:value=move || r().start
                    on:change=move |ev| {
                        let t = event_target_value(&ev);
                        edit_range(j, &|r| r.start = t.clone())
                    }
                />
                "–"
                <input
                    type="time"
                    aria-label=named("until")
                    prop:value=move || r().end
                    on:change=move |ev| {
                        let t = event_target_value(&ev);
                        edit_range(j, &|r| r.end = t.clone())
                    }
                />
                <RemoveButton what=format!("{} range {}", day.short_name(), j + 1) on_click=move || {
                    edit(&|d| {
                        if j < d.ranges.len() {
                            d.ranges.remove(j);
                        }
                    })
                } />
                {move || view! { <FieldMessage errors field=format!("{}.start", p()) /> }}
                {move || view! { <FieldMessage errors field=format!("{}.end", p()) /> }}
            </span>
        }
    };
    let count = move || ranges().map(|r| r.len()).unwrap_or(0);
    view! {
        <div class="schedule-day" data-day=day.key()>
            <label class="check">
                <input
                    type="checkbox"
                    name=format!("day-{}", day.key())
                    prop:checked=move || position().is_some()
                    on:change=move |ev| {
                        let checked = event_target_checked(&ev);
                        let mut days = value.get_untracked();
                        days.retain(|d| d.day != day.key());
                        if checked {
                            days.push(DayScheduleInput { day: day.key().into(), ranges: vec![] });
                            days.sort_by_key(|d| Day::from_key(&d.day));
                        }
                        on_change.run(days);
                    }
                />
                {day.short_name()}
            </label>
            <Show when=move || position().is_some()>
                <div class="ranges">
                    <Show when=move || count() == 0>
                        <span class="muted">"all day"</span>
                    </Show>
                    <For each=move || 0..count() key=|j| *j children=range />
                    <button
                        type="button"
                        class="secondary small add"
                        on:click=move |_| {
                            edit(&|d| d.ranges.push(TimeRangeInput { start: "09:00".into(), end: "17:00".into() }))
                        }
                    >
                        "+ Time range"
                    </button>
                    <button
                        type="button"
                        class="secondary small add"
                        title="Tick every day with these hours"
                        on:click=move |_| {
                            let hours = ranges().unwrap_or_default();
                            on_change
                                .run(
                                    Day::ALL
                                        .into_iter()
                                        .map(|d| DayScheduleInput { day: d.key().into(), ranges: hours.clone() })
                                        .collect(),
                                );
                        }
                    >
                        "Same hours every day"
                    </button>
                    {move || {
                        position()
                            .map(|i| view! { <FieldMessage errors field=format!("schedule.days[{i}].day") /> })
                    }}
                </div>
            </Show>
        </div>
    }
}
