//! The API reference page: every endpoint with its parameters, body and answers, and every
//! type, linked to each other.

use std::collections::BTreeSet;
use std::sync::Arc;

use leptos::prelude::*;
use leptos_meta::Title;

use super::{api_reference, Field, Operation, Reference, Schema};
use crate::components::problem::Problem;

type Names = Arc<BTreeSet<String>>;

/// A type as text, with each schema name in it linked to its definition.
#[component]
fn TypeRef(kind: String, names: Names) -> impl IntoView {
    let mut parts: Vec<AnyView> = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, parts: &mut Vec<AnyView>| {
        if word.is_empty() {
            return;
        }
        let w = std::mem::take(word);
        parts.push(if names.contains(&w) {
            let href = format!("#schema-{w}");
            view! { <a href=href>{w}</a> }.into_any()
        } else {
            w.into_any()
        });
    };
    for c in kind.chars() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut parts);
            parts.push(c.to_string().into_any());
        }
    }
    flush(&mut word, &mut parts);
    view! { <code class="type">{parts}</code> }
}

/// Documentation text, with `backticked` parts set as code.
#[component]
fn Prose(text: String) -> impl IntoView {
    // Empty parts are left out: the server renders no text node for "", and hydration would miss it.
    text.split('`')
        .enumerate()
        .filter(|(_, part)| !part.is_empty())
        .map(|(i, part)| {
            if i % 2 == 1 {
                view! { <code>{part.to_string()}</code> }.into_any()
            } else {
                part.to_string().into_any()
            }
        })
        .collect_view()
}

#[component]
fn Fields(fields: Vec<Field>, names: Names, with_location: bool) -> impl IntoView {
    view! {
        <table class="table fields" tabindex="0">
            <thead>
                <tr>
                    <th>"Name"</th>
                    {with_location.then(|| view! { <th>"In"</th> })}
                    <th>"Type"</th>
                    <th>"Description"</th>
                </tr>
            </thead>
            <tbody>
                {fields
                    .into_iter()
                    .map(|f| {
                        view! {
                            <tr>
                                <td>
                                    <code>{f.name}</code>
                                    {f.required.then(|| view! { <span class="required">" required"</span> })}
                                </td>
                                {with_location.then(|| view! { <td>{f.location}</td> })}
                                <td>
                                    <TypeRef kind=f.kind names=names.clone() />
                                </td>
                                <td><Prose text=f.description /></td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn OperationCard(op: Operation, names: Names) -> impl IntoView {
    let method_class = format!("method {}", op.method.to_lowercase());
    let anchor = op.anchor();
    view! {
        <section class="card operation" id=anchor>
            <h3>
                <span class=method_class>{op.method.clone()}</span>
                <code>{op.path.clone()}</code>
            </h3>
            {(!op.description.is_empty()).then(|| view! { <p><Prose text=op.description.clone() /></p> })}
            {(!op.params.is_empty()).then(|| view! {
                <h4>"Parameters"</h4>
                <Fields fields=op.params.clone() names=names.clone() with_location=true />
            })}
            {op.body.clone().map(|body| view! {
                <h4>"Body"</h4>
                <p>"JSON: " <TypeRef kind=body names=names.clone() /></p>
            })}
            <h4>"Answers"</h4>
            <table class="table responses" tabindex="0">
                <tbody>
                    {op.responses
                        .into_iter()
                        .map(|r| view! {
                            <tr>
                                <td class="status">{r.status}</td>
                                <td>{r.body.map(|b| view! { <TypeRef kind=b names=names.clone() /> })}</td>
                                <td><Prose text=r.description /></td>
                            </tr>
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn SchemaCard(schema: Schema, names: Names) -> impl IntoView {
    view! {
        <section class="card schema" id=format!("schema-{}", schema.name)>
            <h3>
                <code>{schema.name.clone()}</code>
                <span class="muted">" " {schema.kind.clone()}</span>
            </h3>
            {(!schema.description.is_empty()).then(|| view! { <p><Prose text=schema.description.clone() /></p> })}
            {(!schema.fields.is_empty()).then(|| view! { <Fields fields=schema.fields.clone() names=names.clone() with_location=false /> })}
        </section>
    }
}

fn toc(r: &Reference) -> AnyView {
    view! {
        <nav class="toc" aria-label="Endpoints">
            {r.groups
                .iter()
                .map(|g| view! {
                    <h4>{g.name.clone()}</h4>
                    <ul>
                        {g.operations
                            .iter()
                            .map(|o| view! {
                                <li>
                                    <a href=format!("#{}", o.anchor())>
                                        <span class=format!("method {}", o.method.to_lowercase())>{o.method.clone()}</span>
                                        " " {o.path.clone()}
                                    </a>
                                </li>
                            })
                            .collect_view()}
                    </ul>
                })
                .collect_view()}
            <h4>"types"</h4>
            <p><a href="#schemas">{format!("{} types", r.schemas.len())}</a></p>
        </nav>
    }
    .into_any()
}

fn render(r: Reference) -> AnyView {
    let names: Names = Arc::new(r.schemas.iter().map(|s| s.name.clone()).collect());
    let toc = toc(&r);
    let groups = r
        .groups
        .into_iter()
        .map(|g| {
            let names = names.clone();
            view! {
                <h2 class="group">{g.name}</h2>
                <p class="muted"><Prose text=g.description /></p>
                {g.operations.into_iter().map(|op| view! { <OperationCard op names=names.clone() /> }).collect_view()}
            }
            .into_any()
        })
        .collect::<Vec<_>>();
    let schemas = r
        .schemas
        .into_iter()
        .map(|schema| view! { <SchemaCard schema names=names.clone() /> }.into_any())
        .collect::<Vec<_>>();
    view! {
        <div class="page-head">
            <h1>{format!("{} {}", r.title, r.version)}</h1>
            <a class="button secondary" href="/api/v1/openapi.json" rel="external" target="_blank">"openapi.json"</a>
        </div>
        <p class="muted"><Prose text=r.description.clone() /></p>
        <p>"Base URL: " <code>{r.base.clone()}</code> " · every call sends " <code>"Authorization: Bearer <key>"</code></p>
        <div class="reference">
            {toc}
            <div class="reference-body">
                {groups}
                <h2 class="group" id="schemas">"Types"</h2>
                {schemas}
            </div>
        </div>
    }
    .into_any()
}

#[component]
pub fn ApiReferencePage() -> impl IntoView {
    let reference = Resource::new(|| (), |_| api_reference());
    view! {
        <Title text="API reference" />
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match reference.await {
                    Ok(r) => render(r),
                    Err(e) => view! { <Problem error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
