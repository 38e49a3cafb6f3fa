//! Form fields that show their error next to them. Errors are keyed by field path
//! (`reward.percent`), the same paths the parsers report.

use leptos::prelude::*;

use crate::fields::FieldErrors;

/// The errors a form shows, shared by its fields.
pub type Errors = Signal<FieldErrors>;

/// The error message for one field, if any.
#[component]
pub fn FieldMessage(errors: Errors, #[prop(into)] field: String) -> impl IntoView {
    let id = error_id(&field);
    let message = move || errors.with(|e| e.get(&field).map(str::to_string));
    view! {
        {move || message().map(|m| view! { <p class="field-error" id=id.clone() role="alert">{m}</p> })}
    }
}

/// A DOM id for a field path, used to tie the input to its error text.
pub fn error_id(field: &str) -> String {
    let cleaned: String = field.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    format!("err-{cleaned}")
}

/// A label, an input of any kind, and its error.
#[component]
pub fn Field(
    #[prop(into)] label: String,
    #[prop(into)] field: String,
    errors: Errors,
    #[prop(optional, into)] hint: Option<String>,
    children: Children,
) -> impl IntoView {
    let data_field = field.clone();
    let message_id = error_id(&field);
    let has_error = {
        let field = field.clone();
        Memo::new(move |_| errors.with(|e| e.get(&field).is_some()))
    };
    // The control comes as a child, so its error is tied to it here: screen readers then read
    // the message with the field and hear that it is invalid.
    let node = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        let invalid = has_error.get();
        let Some(div) = node.get() else { return };
        let Ok(Some(control)) = div.query_selector("input, select, textarea") else { return };
        if invalid {
            let _ = control.set_attribute("aria-invalid", "true");
            let _ = control.set_attribute("aria-describedby", &message_id);
        } else {
            let _ = control.remove_attribute("aria-invalid");
            let _ = control.remove_attribute("aria-describedby");
        }
    });
    view! {
        <div class="field" class:has-error=move || has_error.get() data-field=data_field node_ref=node>
            <label>
                <span class="label">{label}</span>
                {children()}
            </label>
            {hint.map(|h| view! { <p class="hint">{h}</p> })}
            <FieldMessage errors field />
        </div>
    }
}

/// A text input bound to a string.
#[component]
pub fn TextInput(
    #[prop(into)] value: Signal<String>,
    #[prop(into)] on_change: Callback<String>,
    #[prop(optional, into)] placeholder: String,
    #[prop(optional, into)] name: String,
    #[prop(optional, into)] kind: Option<String>,
    /// The accessible name, for an input without a visible label of its own.
    #[prop(optional, into)]
    label: Option<String>,
    /// The id of a `<datalist>` of suggestions.
    #[prop(optional, into)]
    suggest: Option<&'static str>,
) -> impl IntoView {
    view! {
        <input
            type=kind.unwrap_or_else(|| "text".into())
            name=name
            list=suggest
            aria-label=label
            placeholder=placeholder
            prop:value=move || value.get()
            on:input=move |ev| on_change.run(event_target_value(&ev))
        />
    }
}

/// A select bound to a string, from `(value, label)` options.
#[component]
pub fn SelectInput(
    #[prop(into)] value: Signal<String>,
    #[prop(into)] on_change: Callback<String>,
    options: Vec<(String, String)>,
    #[prop(optional, into)] name: String,
    /// The accessible name, for a select without a visible label of its own.
    #[prop(optional, into)]
    label: Option<String>,
) -> impl IntoView {
    view! {
        <select name=name aria-label=label on:change=move |ev| on_change.run(event_target_value(&ev)) prop:value=move || value.get()>
            {options
                .into_iter()
                .map(|(v, label)| {
                    let selected = {
                        let v = v.clone();
                        move || value.get() == v
                    };
                    view! {
                        <option value=v selected=selected>
                            {label}
                        </option>
                    }
                })
                .collect_view()}
        </select>
    }
}

/// Options of a setting's kinds, each with its label, valued by the kind's wire name.
pub fn kinds<T: crate::wire::Named>(labelled: &[(T, &str)]) -> Vec<(String, String)> {
    labelled.iter().map(|(k, l)| (k.wire().to_string(), l.to_string())).collect()
}

/// A choice's wire name as the select shows it: blank (not chosen yet) reads as `default`, the
/// kind the parser takes for blank.
pub fn or_default<T: crate::wire::Named + Send + Sync + 'static>(value: Signal<String>, default: T) -> Signal<String> {
    Signal::derive(move || {
        let v = value.get();
        if v.is_empty() {
            default.wire().to_string()
        } else {
            v
        }
    })
}

/// Options from `&[(&str, &str)]`.
pub fn options(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(v, l)| (v.to_string(), l.to_string())).collect()
}

/// The errors of a failed save at the top of a long form, each a link that takes focus to its
/// field (the form's own banner may be far below the first bad field).
#[component]
pub fn ErrorSummary(errors: Errors, #[prop(into)] shown: Signal<bool>) -> impl IntoView {
    let visible = move || shown.get() && errors.with(|e| !e.is_empty());
    view! {
        <Show when=visible>
            <div class="error-summary" role="alert" data-testid="error-summary">
                <h2>
                    {move || match errors.with(|e| e.0.len()) {
                        1 => "One field needs attention".to_string(),
                        n => format!("{n} fields need attention"),
                    }}
                </h2>
                <ul>
                    {move || {
                        errors
                            .get()
                            .0
                            .into_iter()
                            .map(|e| {
                                let target = error_id(&e.field);
                                let href = format!("#{target}");
                                view! {
                                    <li>
                                        <a
                                            href=href
                                            on:click=move |ev| {
                                                ev.prevent_default();
                                                focus_control_of(&target);
                                            }
                                        >
                                            {field_name(&e.field)}
                                            ": "
                                            {e.message}
                                        </a>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
            </div>
        </Show>
    }
}

/// A field path as a person reads it: `limits.caps[1].limit` is "Limits › caps 2 › limit".
pub fn field_name(path: &str) -> String {
    let parts: Vec<String> = path
        .split('.')
        .filter(|p| !p.is_empty())
        .map(|part| {
            let (name, index) = match part.split_once('[') {
                Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<usize>().ok()),
                None => (part, None),
            };
            let name = name.replace('_', " ");
            match index {
                Some(i) => format!("{name} {}", i + 1),
                None => name,
            }
        })
        .collect();
    let text = if parts.is_empty() { "This form".to_string() } else { parts.join(" › ") };
    let mut chars = text.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Focuses the control beside the error message with this id (its field or its row).
fn focus_control_of(message_id: &str) {
    use leptos::wasm_bindgen::JsCast;
    let control = document()
        .get_element_by_id(message_id)
        .and_then(|message| message.parent_element())
        .and_then(|holder| holder.query_selector("input:not([type=hidden]), select, textarea").ok().flatten());
    if let Some(control) = control.and_then(|c| c.dyn_into::<leptos::web_sys::HtmlElement>().ok()) {
        let _ = control.focus();
    }
}

/// After the page shows a failed save's errors, moves focus to the first bad field in page order.
pub fn focus_first_error() {
    request_animation_frame(|| {
        if let Ok(Some(first)) = document().query_selector(".field-error[id]") {
            focus_control_of(&first.id());
        }
    });
}

#[cfg(test)]
mod tests {
    use super::field_name;

    #[test]
    fn field_paths_read_as_words() {
        assert_eq!(field_name("reward.percent"), "Reward › percent");
        assert_eq!(field_name("limits.caps[1].limit"), "Limits › caps 2 › limit");
        assert_eq!(field_name("limits.budget_cashback"), "Limits › budget cashback");
        assert_eq!(field_name(""), "This form");
    }
}
