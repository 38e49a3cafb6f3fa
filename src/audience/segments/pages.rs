//! The segment pages: the list, and the builder with a live count and sample of who matches.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

use super::server::{get_segment, list_segments, preview_segment, SaveSegment};
use super::{Preview, SegmentInput};
use crate::accounts::Permission;
use crate::audience::users::server::sent_names;
use crate::components::fields::{Errors, Field, FieldMessage, SelectInput, TextInput};
use crate::components::layout::allowed;
use crate::components::problem::Problem;
use crate::components::suggestions::Suggestions;
use crate::components::time::When;
use crate::conditions::rule::GroupInput;
use crate::conditions::{ConditionInput, Join};
use crate::coupons::pages::editors::ConditionsEditor;
use crate::coupons::summary::group;
use crate::error::AppError;
use crate::fields::FieldErrors;

#[component]
pub fn SegmentListPage() -> impl IntoView {
    let segments = Resource::new(|| (), |_| list_segments());
    let can_edit = allowed(Permission::EditCoupons);
    view! {
        <Title text="Segments" />
        <div class="page-head">
            <h1>"Segments"</h1>
            <Show when=move || can_edit>
                <a class="button primary" href="/segments/new">
                    "New segment"
                </a>
            </Show>
        </div>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match segments.await {
                    Err(e) => view! { <Problem error=e /> }.into_any(),
                    Ok(list) if list.is_empty() => {
                        view! {
                            <p class="empty-state">
                                "No segments yet. A segment is a saved rule over user properties; campaigns deliver coupons to them."
                            </p>
                        }
                            .into_any()
                    }
                    Ok(list) => {
                        view! {
                            <table class="table segments">
                                <thead>
                                    <tr>
                                        <th>"Name"</th>
                                        <th>"Rule"</th>
                                        <th class="num">"Campaigns"</th>
                                        <th>"Changed"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list
                                        .into_iter()
                                        .map(|s| {
                                            view! {
                                                <tr>
                                                    <td>
                                                        <a href=format!("/segments/{}", s.id)>{s.name}</a>
                                                        <div class="muted">{s.description}</div>
                                                    </td>
                                                    <td class="summary-cell">{s.summary}</td>
                                                    <td class="num">{group(s.campaigns)}</td>
                                                    <td class="muted"><When ms=s.updated_at /></td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn SegmentPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|id| id.parse::<i64>().ok());
    let view = Resource::new(id, get_segment);
    let names = Resource::new(|| (), |_| sent_names());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let names = names.await.unwrap_or_default();
                match view.await {
                    Err(e) => view! { <Problem error=e /> }.into_any(),
                    // Those who may not edit read a segment; a new one is not theirs to make.
                    Ok(v) if v.segment.is_none() && !v.can_edit => {
                        view! { <Problem error=AppError::Forbidden /> }.into_any()
                    }
                    Ok(v) => {
                        let id = v.segment.as_ref().map(|s| s.id);
                        view! {
                            <Suggestions names />
                            <SegmentForm initial=v.input id can_edit=v.can_edit />
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn SegmentForm(initial: SegmentInput, id: Option<i64>, can_edit: bool) -> impl IntoView {
    let input = RwSignal::new(initial);
    let tried = RwSignal::new(false);
    let server_errors = RwSignal::new(FieldErrors::default());
    let parsed = Memo::new(move |_| input.with(SegmentInput::parse));
    let errors: Errors = Signal::derive(move || {
        let mut all = server_errors.get();
        if tried.get() {
            if let Err(e) = parsed.get() {
                all.0.extend(e.0);
            }
        }
        all
    });
    // The count follows the rule as it is edited, fetched from the browser only (the page renders
    // "Counting…" first: over millions of users it should not hold up the page). Not a resource
    // under a Suspense: this form already sits in one, and a Suspense nested in another does not
    // hydrate in release builds. An answer to an older rule is dropped.
    let rule = Memo::new(move |_| input.with(|i| i.rule.clone()));
    let preview = RwSignal::new(None::<Result<Preview, AppError>>);
    let asked = StoredValue::new(0u64);
    Effect::new(move |_| {
        let rule = rule.get();
        let n = asked.get_value() + 1;
        asked.set_value(n);
        leptos::task::spawn_local(async move {
            let answer = preview_segment(rule).await;
            if asked.get_value() == n {
                preview.set(Some(answer));
            }
        });
    });
    let save = ServerAction::<SaveSegment>::new();
    let banner = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    Effect::new(move |_| match save.value().get() {
        Some(Ok(saved)) => {
            banner.set(Some(format!("Saved “{}”.", saved.name)));
            if id.is_none() {
                navigate(&format!("/segments/{}", saved.id), Default::default());
            }
        }
        Some(Err(AppError::Invalid(e))) => {
            server_errors.set(e);
            banner.set(Some("Please correct the highlighted fields.".into()));
        }
        Some(Err(e)) => banner.set(Some(e.to_string())),
        None => {}
    });
    Effect::new(move |_| {
        input.track();
        server_errors.set(FieldErrors::default());
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        tried.set(true);
        if parsed.with_untracked(Result::is_err) {
            banner.set(Some("Please correct the highlighted fields.".into()));
            return;
        }
        banner.set(None);
        save.dispatch(SaveSegment { id, input: input.get_untracked() });
    };
    let name = Signal::derive(move || input.with(|i| i.name.clone()));
    let description = Signal::derive(move || input.with(|i| i.description.clone()));
    let title = if id.is_some() { "Segment" } else { "New segment" };
    view! {
        <Title text=title />
        <div class="page-head">
            <h1>{title}</h1>
            {id.filter(|_| can_edit).map(|id| view! { <a class="button secondary" href=format!("/campaigns/new?segment={id}")>"Launch a campaign"</a> })}
        </div>
        <div class="builder">
            <form class="segment-form" on:submit=submit novalidate>
                {move || banner.get().map(|b| view! { <p class="banner">{b}</p> })}
                // Read-only for those who may not edit: every control inside is disabled.
                <fieldset class="plain" disabled=!can_edit>
                <section class="card">
                    <Field label="Name" field="name" errors>
                        <TextInput value=name on_change=Callback::new(move |v| input.update(|i| i.name = v)) name="name" />
                    </Field>
                    <Field label="Description" field="description" errors hint="For your team.">
                        <TextInput
                            value=description
                            on_change=Callback::new(move |v| input.update(|i| i.description = v))
                            name="description"
                        />
                    </Field>
                </section>
                <RuleEditor input errors />
                </fieldset>
                <Show when=move || can_edit>
                    <div class="actions">
                        <button type="submit" class="primary" disabled=move || save.pending().get()>
                            {move || if save.pending().get() { "Saving…" } else { "Save segment" }}
                        </button>
                        <a class="button secondary" href="/segments">
                            "Back to segments"
                        </a>
                    </div>
                </Show>
            </form>
            <aside class="card summary-card segment-preview" data-testid="segment-preview">
                <h2>"Who matches now"</h2>
                {move || match preview.get() {
                    None => view! { <p class="loading">"Counting…"</p> }.into_any(),
                    Some(Ok(p)) => view! { <PreviewPanel preview=p /> }.into_any(),
                    Some(Err(AppError::Invalid(_))) => {
                        view! { <p class="muted">"Finish the conditions to see who matches."</p> }.into_any()
                    }
                    Some(Err(e)) => view! { <Problem error=e /> }.into_any(),
                }}
            </aside>
        </div>
    }
}

const JOINS: &[(&str, &str)] = &[("all", "all"), ("any", "any")];

fn join_text(join: Join) -> String {
    match join {
        Join::All => "all".into(),
        Join::Any => "any".into(),
    }
}

fn parse_join(text: &str) -> Join {
    if text == "any" {
        Join::Any
    } else {
        Join::All
    }
}

/// Groups of conditions: the rule's join between groups, each group's join inside it.
#[component]
fn RuleEditor(input: RwSignal<SegmentInput>, errors: Errors) -> impl IntoView {
    let groups = move || input.with(|i| i.rule.groups.len());
    let rule_join = Signal::derive(move || input.with(|i| join_text(i.rule.join)));
    let group = move |g: usize| {
        let path = format!("rule.groups[{g}].conditions");
        let value = Signal::derive(move || {
            input.with(|i| i.rule.groups.get(g).map(|x| x.conditions.clone()).unwrap_or_default())
        });
        let on_change = Callback::new(move |list: Vec<ConditionInput>| {
            input.update(|i| {
                if let Some(x) = i.rule.groups.get_mut(g) {
                    x.conditions = list;
                }
            })
        });
        let join =
            Signal::derive(move || input.with(|i| i.rule.groups.get(g).map(|x| join_text(x.join)).unwrap_or_default()));
        view! {
            <div class="rule-group" data-group=g>
                <div class="group-head">
                    {move || (g > 0).then(|| view! { <span class="join-word">{move || if rule_join.get() == "any" { "OR" } else { "AND" }}</span> })}
                    <span>"Users matching"</span>
                    <SelectInput
                        value=join
                        on_change=Callback::new(move |j: String| input.update(|i| {
                            if let Some(x) = i.rule.groups.get_mut(g) {
                                x.join = parse_join(&j);
                            }
                        }))
                        options=crate::components::fields::options(JOINS)
                        label=format!("Group {}: users matching", g + 1)
                    />
                    <span>"of these conditions"</span>
                    <button
                        type="button"
                        class="icon"
                        title="Remove group"
                        aria-label=format!("Remove group {}", g + 1)
                        on:click=move |_| input.update(|i| {
                            if g < i.rule.groups.len() {
                                i.rule.groups.remove(g);
                            }
                        })
                    >
                        "×"
                    </button>
                </div>
                <ConditionsEditor path value on_change errors property_hint="city" suggest="user-properties" />
            </div>
        }
    };
    view! {
        <section class="card">
            <h2>"Rule"</h2>
            <div class="rule-join">
                <span>"Match users in"</span>
                <SelectInput
                    value=rule_join
                    on_change=Callback::new(move |j: String| input.update(|i| i.rule.join = parse_join(&j)))
                    options=crate::components::fields::options(JOINS)
                    label="Match users in"
                />
                <span>"of the groups below. No groups: every user."</span>
            </div>
            <For each=move || 0..groups() key=|g| *g children=group />
            <FieldMessage errors field="rule.groups" />
            <button
                type="button"
                class="secondary small add"
                on:click=move |_| input.update(|i| {
                    i.rule.groups.push(GroupInput {
                        join: Join::All,
                        conditions: vec![ConditionInput { op: "eq".into(), ..Default::default() }],
                    })
                })
            >
                "+ Add group"
            </button>
        </section>
    }
}

#[component]
fn PreviewPanel(preview: Preview) -> impl IntoView {
    let share = if preview.total > 0 { preview.matching as f64 * 100.0 / preview.total as f64 } else { 0.0 };
    view! {
        <p class="big-number" data-testid="segment-count">{group(preview.matching)}</p>
        <p class="muted">
            {format!("of {} users ({share:.1}%) · counted in {} ms", group(preview.total), preview.took_ms)}
        </p>
        {(!preview.sample.is_empty())
            .then(|| {
                view! {
                    <h3>"For example"</h3>
                    <ul class="sample">
                        {preview
                            .sample
                            .into_iter()
                            .map(|u| {
                                let props = serde_json::to_string(&u.properties).unwrap_or_default();
                                view! {
                                    <li>
                                        <a href=format!("/users?user_id={}", crate::components::query_value(&u.user_id))>{u.user_id.clone()}</a>
                                        <span class="mono muted">{props}</span>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
            })}
    }
}
