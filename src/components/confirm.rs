//! Asking before a step that cannot be undone: the first button asks, the form inside does it.

use leptos::html::Span;
use leptos::prelude::*;

/// `label` opens the question; `children` is the form that acts, its submit labelled "Yes, …".
#[component]
pub fn Confirm(
    #[prop(into)] label: String,
    #[prop(into)] question: String,
    /// The asking button's classes (`danger small` unless told).
    #[prop(optional, into)]
    class: Option<String>,
    children: ChildrenFn,
) -> impl IntoView {
    let asking = RwSignal::new(false);
    let class = class.unwrap_or_else(|| "danger small".into());
    let holder = NodeRef::<Span>::new();
    // Focus goes to the answer, so a keyboard user answers where they asked.
    Effect::new(move |_| {
        if asking.get() {
            if let Some(Ok(Some(yes))) = holder.get().map(|h| h.query_selector("button")) {
                use leptos::wasm_bindgen::JsCast;
                if let Ok(yes) = yes.dyn_into::<leptos::web_sys::HtmlElement>() {
                    let _ = yes.focus();
                }
            }
        }
    });
    view! {
        <Show
            when=move || asking.get()
            fallback=move || {
                view! {
                    <button type="button" class=class.clone() on:click=move |_| asking.set(true)>
                        {label.clone()}
                    </button>
                }
            }
        >
            <span class="confirm" role="group" aria-label="Confirm" node_ref=holder>
                <span class="question">{question.clone()}</span>
                {children()}
                <button type="button" class="secondary small" on:click=move |_| asking.set(false)>
                    "Cancel"
                </button>
            </span>
        </Show>
    }
}
