//! Builder inputs that need more than a text box: numbers and money typed as text, lists,
//! date-times, condition lists, caps and the weekly schedule.

use leptos::prelude::*;

use crate::components::fields::{options, Errors, FieldMessage, SelectInput};
use crate::conditions::{ConditionInput, OPERATORS};
use crate::coupons::input::{CapInput, DayScheduleInput, TimeRangeInput};
use crate::coupons::definition::Day;
use crate::fields::FieldErrors;
use crate::money::Currency;

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

/// An optional whole number typed as text. Blank is `None`.
#[component]
pub fn IntInput(
    #[prop(into)] field: String,
    #[prop(into)] value: Signal<Option<i64>>,
    #[prop(into)] on_change: Callback<Option<i64>>,
    text_errors: TextErrors,
    #[prop(optional, into)] placeholder: String,
) -> impl IntoView {
    let text = RwSignal::new(value.get_untracked().map(|v| v.to_string()).unwrap_or_default());
    view! {
        <input
            type="text"
            inputmode="numeric"
            placeholder=placeholder
            prop:value=move || text.get()
            on:input=move |ev| {
                let t = event_target_value(&ev);
                text.set(t.clone());
                let t = t.trim().replace([',', '_'], "");
                if t.is_empty() {
                    set_text_error(text_errors, &field, None);
                    on_change.run(None);
                } else {
                    match t.parse::<i64>() {
                        Ok(n) => {
                            set_text_error(text_errors, &field, None);
                            on_change.run(Some(n));
                        }
                        Err(_) => {
                            set_text_error(text_errors, &field, Some("enter a whole number".into()));
                            on_change.run(None);
                        }
                    }
                }
            }
        />
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
) -> impl IntoView {
    let initial = value.get_untracked().map(|v| match currency.get_untracked() {
        Some(c) => c.to_major_text(v),
        None => v.to_string(),
    });
    let text = RwSignal::new(initial.unwrap_or_default());
    let symbol = move || currency.get().map(|c| c.code().to_string()).unwrap_or_default();
    view! {
        <span class="money-input">
            <span class="unit">{symbol}</span>
            <input
                type="text"
                inputmode="decimal"
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
        serde_json::Value::Array(items) => {
            items.iter().map(value_text).collect::<Vec<_>>().join(", ")
        }
        other => other.to_string(),
    }
}

/// Conditions that must all hold, one row each.
#[component]
pub fn ConditionsEditor(
    #[prop(into)] path: String,
    #[prop(into)] value: Signal<Vec<ConditionInput>>,
    #[prop(into)] on_change: Callback<Vec<ConditionInput>>,
    errors: Errors,
    #[prop(into)] property_hint: String,
) -> impl IntoView {
    let update = move |i: usize, f: &dyn Fn(&mut ConditionInput)| {
        let mut list = value.get_untracked();
        if let Some(c) = list.get_mut(i) {
            f(c);
        }
        on_change.run(list);
    };
    let list_path = path.clone();
    let rows = move || {
        let path = path.clone();
        let hint = property_hint.clone();
        value
            .get()
            .into_iter()
            .enumerate()
            .map(move |(i, c)| {
                let p = format!("{path}[{i}]");
                let is_exists = c.op == "exists";
                view! {
                    <div class="condition-row" data-row=p.clone()>
                        <input
                            type="text"
                            class="property"
                            placeholder=hint.clone()
                            prop:value=c.property.clone()
                            on:change=move |ev| {
                                let t = event_target_value(&ev);
                                update(i, &|c| c.property = t.clone())
                            }
                        />
                        <SelectInput
                            value=Signal::derive({
                                let op = c.op.clone();
                                move || op.clone()
                            })
                            on_change=Callback::new(move |op: String| update(i, &|c| c.op = op.clone()))
                            options=options(OPERATORS)
                        />
                        <input
                            type="text"
                            class="value"
                            placeholder=if c.op == "one_of" { "a, b, c" } else { "value" }
                            disabled=is_exists
                            prop:value=value_text(&c.value)
                            on:change=move |ev| {
                                let t = event_target_value(&ev);
                                update(i, &|c| c.value = serde_json::Value::String(t.clone()))
                            }
                        />
                        <button
                            type="button"
                            class="icon"
                            title="Remove"
                            on:click=move |_| {
                                let mut list = value.get_untracked();
                                if i < list.len() {
                                    list.remove(i);
                                }
                                on_change.run(list);
                            }
                        >
                            "×"
                        </button>
                        <FieldMessage errors field=format!("{p}.property") />
                        <FieldMessage errors field=format!("{p}.op") />
                        <FieldMessage errors field=format!("{p}.value") />
                    </div>
                }
            })
            .collect_view()
    };
    view! {
        <div class="conditions">
            {rows}
            <FieldMessage errors field=list_path />
            <button
                type="button"
                class="secondary small"
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

/// Period caps: any number of `{period, scope, limit}` rows.
#[component]
pub fn CapsEditor(
    #[prop(into)] value: Signal<Vec<CapInput>>,
    #[prop(into)] on_change: Callback<Vec<CapInput>>,
    errors: Errors,
    text_errors: TextErrors,
) -> impl IntoView {
    let update = move |i: usize, f: &dyn Fn(&mut CapInput)| {
        let mut list = value.get_untracked();
        if let Some(c) = list.get_mut(i) {
            f(c);
        }
        on_change.run(list);
    };
    let rows = move || {
        value
            .get()
            .into_iter()
            .enumerate()
            .map(move |(i, c)| {
                let p = format!("limits.caps[{i}]");
                view! {
                    <div class="cap-row" data-row=p.clone()>
                        <IntInput
                            field=format!("{p}.limit")
                            value=Signal::derive({
                                let l = c.limit;
                                move || l
                            })
                            on_change=Callback::new(move |l: Option<i64>| update(i, &|c| c.limit = l))
                            text_errors
                            placeholder="limit"
                        />
                        <span>"uses per"</span>
                        <SelectInput
                            value=Signal::derive({
                                let v = c.period.clone();
                                move || v.clone()
                            })
                            on_change=Callback::new(move |v: String| update(i, &|c| c.period = v.clone()))
                            options=options(&[("day", "day"), ("week", "week (Mon–Sun)"), ("month", "month"), ("year", "year")])
                        />
                        <SelectInput
                            value=Signal::derive({
                                let v = c.scope.clone();
                                move || v.clone()
                            })
                            on_change=Callback::new(move |v: String| update(i, &|c| c.scope = v.clone()))
                            options=options(&[("global", "across all users"), ("per_user", "for each user")])
                        />
                        <button
                            type="button"
                            class="icon"
                            title="Remove"
                            on:click=move |_| {
                                let mut list = value.get_untracked();
                                if i < list.len() {
                                    list.remove(i);
                                }
                                on_change.run(list);
                            }
                        >
                            "×"
                        </button>
                        <FieldMessage errors field=format!("{p}.limit") />
                        <FieldMessage errors field=format!("{p}.period") />
                        <FieldMessage errors field=format!("{p}.scope") />
                    </div>
                }
            })
            .collect_view()
    };
    view! {
        <div class="caps">
            {rows}
            <FieldMessage errors field="limits.caps" />
            <button
                type="button"
                class="secondary small"
                on:click=move |_| {
                    let mut list = value.get_untracked();
                    list.push(CapInput { period: "day".into(), scope: "global".into(), limit: None });
                    on_change.run(list);
                }
            >
                "+ Add cap"
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
    let index_of = move |day: Day| value.with(|days| days.iter().position(|d| d.day == day.key()));
    let edit_day = move |day: Day, f: &dyn Fn(&mut DayScheduleInput)| {
        let mut days = value.get_untracked();
        if let Some(d) = days.iter_mut().find(|d| d.day == day.key()) {
            f(d);
        }
        on_change.run(days);
    };
    view! {
        <div class="schedule">
            {Day::ALL
                .into_iter()
                .map(|day| {
                    let on = move || index_of(day).is_some();
                    let ranges = move || {
                        value.with(|days| {
                            days.iter().find(|d| d.day == day.key()).map(|d| d.ranges.clone()).unwrap_or_default()
                        })
                    };
                    view! {
                        <div class="schedule-day" data-day=day.key()>
                            <label class="check">
                                <input
                                    type="checkbox"
                                    name=format!("day-{}", day.key())
                                    prop:checked=on
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
                            <Show when=on>
                                <div class="ranges">
                                    {move || {
                                        let list = ranges();
                                        if list.is_empty() {
                                            view! { <span class="muted">"all day"</span> }.into_any()
                                        } else {
                                            list.into_iter()
                                                .enumerate()
                                                .map(|(j, r)| {
                                                    let pos = index_of(day).unwrap_or(0);
                                                    let p = format!("schedule.days[{pos}].ranges[{j}]");
                                                    view! {
                                                        <span class="range">
                                                            <input
                                                                type="time"
                                                                prop:value=r.start.clone()
                                                                on:change=move |ev| {
                                                                    let t = event_target_value(&ev);
                                                                    edit_day(day, &|d| {
                                                                        if let Some(r) = d.ranges.get_mut(j) {
                                                                            r.start = t.clone();
                                                                        }
                                                                    })
                                                                }
                                                            />
                                                            "–"
                                                            <input
                                                                type="time"
                                                                prop:value=r.end.clone()
                                                                on:change=move |ev| {
                                                                    let t = event_target_value(&ev);
                                                                    edit_day(day, &|d| {
                                                                        if let Some(r) = d.ranges.get_mut(j) {
                                                                            r.end = t.clone();
                                                                        }
                                                                    })
                                                                }
                                                            />
                                                            <button
                                                                type="button"
                                                                class="icon"
                                                                title="Remove"
                                                                on:click=move |_| {
                                                                    edit_day(day, &|d| {
                                                                        if j < d.ranges.len() {
                                                                            d.ranges.remove(j);
                                                                        }
                                                                    })
                                                                }
                                                            >
                                                                "×"
                                                            </button>
                                                            <FieldMessage errors field=format!("{p}.start") />
                                                            <FieldMessage errors field=format!("{p}.end") />
                                                        </span>
                                                    }
                                                })
                                                .collect_view()
                                                .into_any()
                                        }
                                    }}
                                    <button
                                        type="button"
                                        class="secondary small"
                                        on:click=move |_| {
                                            edit_day(day, &|d| {
                                                d.ranges.push(TimeRangeInput { start: "09:00".into(), end: "17:00".into() })
                                            })
                                        }
                                    >
                                        "+ Time range"
                                    </button>
                                </div>
                            </Show>
                        </div>
                    }
                })
                .collect_view()}
        </div>
    }
}
