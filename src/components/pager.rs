//! The "First page" / "Next page" links of a list paged by keyset: the next page starts after
//! the last row shown, so a deep page costs what the first does, and rows added meanwhile never
//! shift what comes next.

use leptos::prelude::*;

/// Links for a list at `path`, keeping `keep` (query pairs, already encoded, without the
/// cursor). `paged`: this is not the first page; `next`: the last row's id when more follow.
pub fn pager(path: &str, keep: &[(&str, String)], paged: bool, next: Option<i64>) -> AnyView {
    let query: Vec<String> = keep
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{name}={}", super::query_value(value)))
        .collect();
    let href = |after: Option<i64>| {
        let mut parts = query.clone();
        parts.extend(after.map(|id| format!("after={id}")));
        if parts.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{}", parts.join("&"))
        }
    };
    let first = paged.then(|| view! { <a class="button secondary" href=href(None)>"← First page"</a> });
    let next = next.map(|id| view! { <a class="button secondary" href=href(Some(id))>"Next page →"</a> });
    view! { <nav class="pager" aria-label="Pages">{first}{next}</nav> }.into_any()
}
