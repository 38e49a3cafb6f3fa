//! The codes pages: a coupon's codes (pool, generation, batches), every batch across coupons,
//! and the upload page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::server::{all_batches, coupon_codes, CodesOverview, GenerateCodes, VoidBatch};
use super::{Batch, BatchKind, BatchStatus, Pool, PoolLevel};
use crate::components::confirm::Confirm;
use crate::components::fields::Field;
use crate::components::pager::pager;
use crate::components::problem::Problem;
use crate::components::time::When;
use crate::error::AppError;
use crate::fields::FieldErrors;

/// A count as the pages show it: 12,345.
pub fn thousands(n: i64) -> String {
    crate::money::group_thousands(n.max(0).unsigned_abs())
}

pub mod upload;

/// The coupon page's warning when a coupon that hands out codes runs low or out.
pub fn pool_warning(coupon_id: i64, pool: Pool) -> Option<AnyView> {
    if !pool.hands_out {
        return None;
    }
    let (class, text) = match pool.level() {
        PoolLevel::Fine => return None,
        PoolLevel::Low => {
            ("banner warning", format!("Only {} free codes left of {}.", thousands(pool.free), thousands(pool.total)))
        }
        PoolLevel::Out => ("banner error", "No free codes left: users who qualify now get no code.".to_string()),
    };
    Some(
        view! {
            <p class=class data-testid="pool-warning">
                {text} " " <a href=format!("/coupons/{coupon_id}/codes")>"Add codes"</a>
            </p>
        }
        .into_any(),
    )
}

/// The codes overview of the coupon in the URL, reloaded whenever `reload` changes.
fn coupon_codes_resource<T>(reload: impl Fn() -> T + Send + Sync + 'static) -> Resource<Result<CodesOverview, AppError>>
where
    T: PartialEq + Clone + Send + Sync + 'static,
{
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok());
    Resource::new(
        move || (id(), reload()),
        |(id, _)| async move {
            match id {
                Some(id) => coupon_codes(id).await,
                None => Err(AppError::NotFound),
            }
        },
    )
}

#[component]
pub fn CouponCodesPage() -> impl IntoView {
    let generate = ServerAction::<GenerateCodes>::new();
    let void = ServerAction::<VoidBatch>::new();
    let data = coupon_codes_resource(move || (generate.version().get(), void.version().get()));
    // Kept here, above the part that reloads after each action, so a refused form keeps its text.
    let form = GenerateFields::new();
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <Problem error=e /> }.into_any(),
                    Ok(page) => view! { <CouponCodes page generate void form /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// What the generation form holds while the page around it reloads.
#[derive(Clone, Copy)]
struct GenerateFields {
    count: RwSignal<String>,
    by_prefix: RwSignal<bool>,
    pattern: RwSignal<String>,
    prefix: RwSignal<String>,
    length: RwSignal<String>,
    charset: RwSignal<String>,
}

impl GenerateFields {
    fn new() -> GenerateFields {
        GenerateFields {
            count: RwSignal::new("1000".into()),
            by_prefix: RwSignal::new(false),
            pattern: RwSignal::new("SALE-****-****".into()),
            prefix: RwSignal::new("SALE-".into()),
            length: RwSignal::new("8".into()),
            charset: RwSignal::new("mixed".into()),
        }
    }
}

#[component]
fn CouponCodes(
    page: CodesOverview,
    generate: ServerAction<GenerateCodes>,
    void: ServerAction<VoidBatch>,
    form: GenerateFields,
) -> impl IntoView {
    let id = page.coupon_id;
    let title = format!("Codes — {}", page.coupon_name);
    view! {
        <Title text=title />
        <div class="page-head">
            <div>
                <p class="crumbs"><a href=format!("/coupons/{id}")>{page.coupon_name.clone()}</a></p>
                <h1>"Codes and batches"</h1>
            </div>
            <div class="head-actions">
                {(page.can_upload && page.pool.is_some()).then(|| view! {
                    <a class="button primary" href=format!("/coupons/{id}/codes/upload")>"Upload a file"</a>
                })}
            </div>
        </div>
        {match page.pool {
            None => view! {
                <p class="empty-state">
                    "This coupon does not use unique codes. Choose “unique codes” (or an event-triggered distribution with codes) in its "
                    <a href=format!("/coupons/{id}/edit")>"distribution"</a> " to generate or upload them."
                </p>
            }.into_any(),
            Some(pool) => view! {
                <PoolFigures pool />
                {pool_warning(id, pool)}
                {page.can_edit.then(|| view! { <GenerateForm coupon_id=id generate form /> })}
            }.into_any(),
        }}
        <section class="card">
            <h2>"Batches"</h2>
            <BatchTable batches=page.batches can_edit=page.can_edit void show_coupon=false zone=page.time_zone />
        </section>
    }
}

#[component]
fn PoolFigures(pool: Pool) -> impl IntoView {
    view! {
        <div class="figures">
            <div class="figure">
                <span class="figure-value" data-testid="pool-free">{thousands(pool.free)}</span>
                <span class="figure-label">"free codes"</span>
            </div>
            <div class="figure">
                <span class="figure-value">{thousands(pool.total)}</span>
                <span class="figure-label">"codes issued (not void)"</span>
            </div>
        </div>
    }
}

#[component]
fn GenerateForm(coupon_id: i64, generate: ServerAction<GenerateCodes>, form: GenerateFields) -> impl IntoView {
    use super::pattern::{Charset, Pattern};
    let errors = Signal::derive(move || match generate.value().get() {
        Some(Err(e)) => e.field_errors(),
        _ => FieldErrors::default(),
    });
    let GenerateFields { count, by_prefix, pattern, prefix, length, charset } = form;
    // The same parser as the server: the space is shown before anything is sent.
    let preview = move || {
        let parsed = if by_prefix.get() {
            let length = length.get().trim().parse::<usize>().ok()?;
            Pattern::from_prefix(&prefix.get(), length, Charset::parse(&charset.get())?).ok()?
        } else {
            Pattern::parse(&pattern.get()).ok()?
        };
        let count: u64 = count.get().trim().replace(',', "").parse().ok()?;
        // A fixed walk through the alphabets: the example looks alike on the server and in the
        // browser, so hydration finds what the server rendered.
        let mut step = 0usize;
        let example = parsed.generate(&mut |n| {
            step += 1;
            (step * 13 + step / 3) % n
        });
        Some(match parsed.check_space(count, 0) {
            Ok(()) => format!("e.g. {example} · {} possible codes", super::pattern::amount(parsed.space())),
            Err(e) => e,
        })
    };
    let text_input = move |name: &'static str, value: RwSignal<String>| {
        view! {
            <input type="text" name=name prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
        }
    };
    view! {
        <section class="card narrow">
            <h2>"Generate codes"</h2>
            <ActionForm action=generate>
                <input type="hidden" name="coupon_id" value=coupon_id />
                <Field label="How many" field="count" errors>
                    <input type="text" inputmode="numeric" name="count" prop:value=move || count.get()
                        on:input=move |ev| count.set(event_target_value(&ev)) />
                </Field>
                <div class="segmented" role="radiogroup" aria-label="How codes are made">
                    <label class="check">
                        <input type="radio" name="mode" prop:checked=move || !by_prefix.get()
                            on:change=move |_| by_prefix.set(false) />
                        " A pattern"
                    </label>
                    <label class="check">
                        <input type="radio" name="mode" prop:checked=move || by_prefix.get()
                            on:change=move |_| by_prefix.set(true) />
                        " A prefix and a length"
                    </label>
                </div>
                <Show
                    when=move || by_prefix.get()
                    fallback=move || view! {
                        <Field label="Pattern" field="pattern" errors
                            hint="# a digit, ? a letter, * either; anything else is kept as written. 0/O and 1/I/L are never generated.">
                            {text_input("pattern", pattern)}
                        </Field>
                    }
                >
                    <div class="row">
                        <Field label="Prefix" field="prefix" errors hint="Kept as written, e.g. DIWALI-">
                            {text_input("prefix", prefix)}
                        </Field>
                        <Field label="Random characters" field="length" errors>
                            <input type="text" inputmode="numeric" name="length" prop:value=move || length.get()
                                on:input=move |ev| length.set(event_target_value(&ev)) />
                        </Field>
                        <Field label="From" field="charset" errors>
                            <select name="charset" prop:value=move || charset.get()
                                on:change=move |ev| charset.set(event_target_value(&ev))>
                                <option value="mixed">"letters and digits"</option>
                                <option value="digits">"digits"</option>
                                <option value="letters">"letters"</option>
                            </select>
                        </Field>
                    </div>
                </Show>
                <p class="hint preview" data-testid="pattern-preview">{preview}</p>
                <button type="submit" class="primary" disabled=move || generate.pending().get()>
                    {move || if generate.pending().get() { "Generating…" } else { "Generate" }}
                </button>
            </ActionForm>
            {move || match generate.value().get() {
                Some(Ok(batch)) => Some(view! {
                    <p class="banner ok" data-testid="generated">
                        {format!("Generated {} codes (batch #{}).", thousands(batch.row_count), batch.id)}
                    </p>
                }.into_any()),
                Some(Err(AppError::Invalid(_))) | None => None,
                Some(Err(e)) => Some(view! { <p class="banner error">{e.to_string()}</p> }.into_any()),
            }}
        </section>
    }
}

#[component]
pub fn BatchesPage() -> impl IntoView {
    let void = ServerAction::<VoidBatch>::new();
    let query = use_query_map();
    let after = move || query.with(|q| q.get("after").and_then(|a| a.parse::<i64>().ok()));
    let data = Resource::new(move || (void.version().get(), after()), |(_, after)| all_batches(after));
    view! {
        <Title text="Code batches" />
        <div class="page-head">
            <h1>"Code batches"</h1>
        </div>
        <p class="muted">"Every generation and upload, across coupons. Open a coupon's codes to generate or upload more."</p>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <Problem error=e /> }.into_any(),
                    Ok(page) => {
                        let next = page.batches.last().map(|b| b.id).filter(|_| page.has_more);
                        let paged = query.with_untracked(|q| q.get("after").is_some());
                        view! {
                            <section class="card">
                                <BatchTable batches=page.batches can_edit=page.can_edit void show_coupon=true />
                                {pager("/codes", &[], paged, next)}
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn BatchTable(
    batches: Vec<Batch>,
    can_edit: bool,
    void: ServerAction<VoidBatch>,
    show_coupon: bool,
    /// On a coupon's own page, its zone (see `components::time`).
    #[prop(into, default = None)]
    zone: Option<chrono_tz::Tz>,
) -> impl IntoView {
    if batches.is_empty() {
        return view! { <p class="empty-state">"No batches yet: generate codes or upload a file."</p> }.into_any();
    }
    view! {
        {move || void.value().get().and_then(|r| r.err()).map(|e| view! { <p class="banner error">{e.to_string()}</p> })}
        <table class="table batches" tabindex="0">
            <thead>
                <tr>
                    <th>"Batch"</th>
                    {show_coupon.then(|| view! { <th>"Coupon"</th> })}
                    <th>"Source"</th>
                    <th>"By"</th>
                    <th>"Status"</th>
                    <th class="num">"Available"</th>
                    <th class="num">"Assigned"</th>
                    <th class="num">"Redeemed"</th>
                    <th class="num">"Void"</th>
                    <th></th>
                </tr>
            </thead>
            <tbody>
                {batches.into_iter().map(|b| batch_row(b, can_edit, void, show_coupon, zone)).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

fn batch_row(
    b: Batch,
    can_edit: bool,
    void: ServerAction<VoidBatch>,
    show_coupon: bool,
    zone: Option<chrono_tz::Tz>,
) -> impl IntoView {
    let id = b.id;
    let source = match b.kind {
        BatchKind::Generated => format!("generated {}", b.pattern.clone().unwrap_or_default()),
        BatchKind::Uploaded => format!("uploaded {}", b.file_name.clone().unwrap_or_else(|| "file".into())),
    };
    let unused = b.counts.available + b.counts.assigned;
    let voidable = can_edit && b.status == BatchStatus::Ready && unused > 0;
    // The files hold codes that work: only those who may edit coupons download them.
    let stored = can_edit && matches!(b.status, BatchStatus::Ready | BatchStatus::Voided);
    let failed = can_edit && b.status == BatchStatus::Failed;
    view! {
        <tr data-batch=id>
            <td>
                {format!("#{id}")}
                <div class="muted small nowrap"><When ms=b.created_at zone /></div>
            </td>
            {show_coupon.then(|| view! { <td><a href=format!("/coupons/{}/codes", b.coupon_id)>{b.coupon_name.clone()}</a></td> })}
            <td>
                {source}
                <div class="muted small">{format!("{} rows", thousands(b.row_count))}</div>
            </td>
            <td>{b.created_by.clone()}</td>
            <td>
                <span class=format!("badge {}", b.status.as_str()) data-testid="batch-status">{b.status.as_str()}</span>
                {b.message.clone().map(|m| view! { <div class="muted small">{m}</div> })}
            </td>
            <td class="num" data-testid="available">{thousands(b.counts.available)}</td>
            <td class="num" data-testid="assigned">{thousands(b.counts.assigned)}</td>
            <td class="num" data-testid="redeemed">{thousands(b.counts.redeemed)}</td>
            <td class="num" data-testid="void">{thousands(b.counts.void)}</td>
            <td>
                <div class="row-actions">
                {stored.then(|| view! { <a class="button secondary small" href=format!("/batches/{id}/codes.csv") download="">"Export CSV"</a> })}
                {failed.then(|| view! { <a class="button secondary small" href=format!("/batches/{id}/problems.csv") download="">"Problem report"</a> })}
                {voidable.then(|| view! {
                    <Confirm label="Void unused" question=format!("Void {} unused codes? They stop working at once.", thousands(unused))>
                        <ActionForm action=void attr:class="inline">
                            <input type="hidden" name="batch_id" value=id />
                            <button type="submit" class="danger small">"Yes, void them"</button>
                        </ActionForm>
                    </Confirm>
                })}
                </div>
            </td>
        </tr>
    }
}
