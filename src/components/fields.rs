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
    let has_error = {
        let field = field.clone();
        move || errors.with(|e| e.get(&field).is_some())
    };
    view! {
        <div class="field" class:has-error=has_error data-field=data_field>
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
) -> impl IntoView {
    view! {
        <input
            type=kind.unwrap_or_else(|| "text".into())
            name=name
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
) -> impl IntoView {
    view! {
        <select name=name on:change=move |ev| on_change.run(event_target_value(&ev)) prop:value=move || value.get()>
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

/// Options from `&[(&str, &str)]`.
pub fn options(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(v, l)| (v.to_string(), l.to_string())).collect()
}
