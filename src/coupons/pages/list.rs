//! The coupon list: filter by status, search by name or code, sort.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

use crate::accounts::Permission;
use crate::components::layout::allowed;
use crate::components::pager::pager;
use crate::components::problem::Problem;
use crate::components::time::When;
use crate::coupons::server::list_coupons;
use crate::coupons::status::CouponStatus;
use crate::coupons::ListQuery;

/// Coupons per page.
const PAGE: i64 = 50;

fn asked(q: &ParamsMap) -> ListQuery {
    ListQuery {
        status: q.get("status").unwrap_or_default(),
        search: q.get("q").unwrap_or_default(),
        sort: q.get("sort").unwrap_or_default(),
        limit: Some(PAGE),
        starting_after: q.get("after").and_then(|a| a.parse().ok()),
    }
}

#[component]
pub fn CouponListPage() -> impl IntoView {
    let query = use_query_map();
    let filters = move || query.with(asked);
    let coupons = Resource::new(filters, list_coupons);

    let can_edit = allowed(Permission::EditCoupons);
    view! {
        <Title text="Coupons" />
        <div class="page-head">
            <h1>"Coupons"</h1>
            <Show when=move || can_edit>
                <a class="button primary" href="/coupons/new">
                    "New coupon"
                </a>
            </Show>
        </div>
        <Form method="GET" action="/coupons" attr:class="filters">
            <input
                type="search"
                name="q"
                aria-label="Search coupons"
                placeholder="Search by name or code"
                prop:value=move || filters().search
            />
            <select name="status" aria-label="Status" prop:value=move || filters().status>
                <option value="">"All statuses"</option>
                {CouponStatus::ALL
                    .into_iter()
                    .map(|s| {
                        view! {
                            <option value=s.as_str() selected=move || filters().status == s.as_str()>
                                {s.as_str()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <select name="sort" aria-label="Sort by" prop:value=move || filters().sort>
                {[("updated", "Recently changed"), ("created", "Newest"), ("name", "Name"), ("status", "Status")]
                    .into_iter()
                    .map(|(v, l)| view! { <option value=v selected=move || filters().sort == v>{l}</option> })
                    .collect_view()}
            </select>
            <button type="submit" class="secondary">
                "Apply"
            </button>
        </Form>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match coupons.await {
                    Err(e) => view! { <Problem error=e /> }.into_any(),
                    Ok(page) if page.coupons.is_empty() => {
                        view! {
                            <div class="empty-state">
                                <p>"No coupons match."</p>
                            </div>
                        }
                            .into_any()
                    }
                    Ok(page) => {
                        let shown = query.with_untracked(asked);
                        let keep = [("status", shown.status), ("q", shown.search), ("sort", shown.sort)];
                        let next = page.coupons.last().map(|c| c.id).filter(|_| page.has_more);
                        let pager = pager("/coupons", &keep, shown.starting_after.is_some(), next);
                        let list = page.coupons;
                        view! {
                            <table class="table coupons">
                                <thead>
                                    <tr>
                                        <th>"Name"</th>
                                        <th>"Status"</th>
                                        <th>"Code"</th>
                                        <th>"Summary"</th>
                                        <th class="num">"Uses"</th>
                                        <th>"Changed"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list
                                        .into_iter()
                                        .map(|c| {
                                            view! {
                                                <tr>
                                                    <td>
                                                        <a href=format!("/coupons/{}", c.id)>{c.name}</a>
                                                    </td>
                                                    <td>
                                                        <span class=format!(
                                                            "badge {}",
                                                            c.state.label(),
                                                        )>{c.state.label()}</span>
                                                    </td>
                                                    <td class="mono">{c.code.unwrap_or_else(|| "—".into())}</td>
                                                    <td class="summary-cell">{c.summary}</td>
                                                    <td class="num">{crate::coupons::summary::group(c.uses)}</td>
                                                    <td class="muted"><When ms=c.updated_at /></td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                            {pager}
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}
