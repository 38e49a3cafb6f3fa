//! The upload page: a file of codes goes up with a real progress bar (bytes sent, then rows
//! checked and stored, read from the server's progress lines), and comes back stored whole or
//! refused with every problem by line.

use leptos::html;
use leptos::prelude::*;
use leptos_meta::Title;

use super::{coupon_codes_resource, thousands};
use crate::codes::rows::{Problem as RowReason, RowProblem};
use crate::codes::{Batch, Progress};
use crate::components::problem::Problem;
use crate::error::AppError;

/// Where an upload is. Only the browser moves it on.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Phase {
    Idle,
    Sending { sent: f64, total: f64 },
    Checking { rows: u64, fraction: f64 },
    Stored(Batch),
    Refused { batch: Batch, problems: Vec<RowProblem> },
    Failed(String),
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
impl Phase {
    fn running(&self) -> bool {
        matches!(self, Phase::Sending { .. } | Phase::Checking { .. })
    }

    /// Sending is the first half of the bar, checking and storing the second.
    fn fraction(&self) -> f64 {
        match self {
            Phase::Sending { sent, total } if *total > 0.0 => 0.5 * sent / total,
            Phase::Sending { .. } => 0.0,
            Phase::Checking { fraction, .. } => 0.5 + 0.5 * fraction.clamp(0.0, 1.0),
            Phase::Stored(_) | Phase::Refused { .. } | Phase::Failed(_) => 1.0,
            Phase::Idle => 0.0,
        }
    }

    fn label(&self) -> String {
        match self {
            Phase::Idle => String::new(),
            Phase::Sending { sent, total } => {
                format!("Sending… {} of {}", megabytes(*sent), megabytes(*total))
            }
            Phase::Checking { rows, .. } => format!("Checking and storing… {} rows", thousands(*rows as i64)),
            Phase::Stored(_) => "Done".into(),
            Phase::Refused { .. } => "Refused".into(),
            Phase::Failed(_) => "Failed".into(),
        }
    }

    fn from_progress(progress: Progress) -> Phase {
        match progress {
            Progress::Checking { rows, bytes_read, bytes } => {
                Phase::Checking { rows, fraction: if bytes == 0 { 0.0 } else { bytes_read as f64 / bytes as f64 } }
            }
            Progress::Stored { batch } => Phase::Stored(batch),
            Progress::Refused { batch, problems } => Phase::Refused { batch, problems },
            Progress::Error { message } => Phase::Failed(message),
        }
    }
}

fn megabytes(bytes: f64) -> String {
    if bytes < 1_048_576.0 {
        format!("{:.0} KB", bytes / 1024.0)
    } else {
        format!("{:.1} MB", bytes / 1_048_576.0)
    }
}

#[component]
pub fn UploadPage() -> impl IntoView {
    let data = coupon_codes_resource(|| ());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <Problem error=e /> }.into_any(),
                    Ok(page) if !page.can_upload => view! { <Problem error=AppError::Forbidden /> }.into_any(),
                    Ok(page) if page.pool.is_none() => view! {
                        <p class="empty-state">"This coupon does not use unique codes, so it takes no code files."</p>
                    }.into_any(),
                    Ok(page) => view! { <Upload coupon_id=page.coupon_id coupon_name=page.coupon_name max_mb=page.max_upload_mb /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Upload(coupon_id: i64, coupon_name: String, max_mb: u64) -> impl IntoView {
    let phase = RwSignal::new(Phase::Idle);
    let file_input = NodeRef::<html::Input>::new();
    let start = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        if let (false, Some(input)) = (phase.with_untracked(Phase::running), file_input.get_untracked()) {
            client::send(coupon_id, &input, max_mb, phase);
        }
    };
    view! {
        <Title text="Upload codes" />
        <div class="page-head">
            <div>
                <p class="crumbs">
                    <a href=format!("/coupons/{coupon_id}")>{coupon_name}</a> " › "
                    <a href=format!("/coupons/{coupon_id}/codes")>"Codes"</a>
                </p>
                <h1>"Upload codes"</h1>
            </div>
        </div>
        <section class="card narrow">
            <p>
                "A CSV file with a " <code>"code"</code> " column, and optionally " <code>"user_id"</code>
                " (the code is given to that user) and " <code>"expires_at"</code>
                " (RFC 3339, or a date: the code works until the end of that day in the coupon's time zone). "
                "A header row is optional; without one the columns are code, user_id, expires_at in that order."
            </p>
            <p class="muted">
                {format!("Up to {max_mb} MB. The file is stored whole or not at all: any bad row refuses it, with every problem listed by line.")}
            </p>
            <form on:submit=start>
                <div class="field">
                    <label>
                        <span class="label">"File"</span>
                        <input type="file" name="file" accept=".csv,text/csv,text/plain" node_ref=file_input
                            data-testid="file" />
                    </label>
                </div>
                <button type="submit" class="primary" disabled=move || phase.with(Phase::running)>"Upload"</button>
            </form>
            <Show when=move || phase.with(|p| *p != Phase::Idle)>
                <div class="upload-progress">
                    <progress max="1" prop:value=move || phase.with(Phase::fraction) data-testid="progress"></progress>
                    <span class="muted" data-testid="progress-label">{move || phase.with(Phase::label)}</span>
                </div>
            </Show>
        </section>
        {move || match phase.get() {
            Phase::Stored(batch) => Some(view! {
                <p class="banner ok" data-testid="upload-stored">
                    {format!("Stored {} codes as batch #{}. ", thousands(batch.row_count), batch.id)}
                    <a href=format!("/coupons/{coupon_id}/codes")>"See the batches"</a>
                </p>
            }.into_any()),
            Phase::Refused { batch, problems } => Some(view! { <Refused batch problems /> }.into_any()),
            Phase::Failed(message) => Some(view! { <p class="banner error" data-testid="upload-failed">{message}</p> }.into_any()),
            _ => None,
        }}
    }
}

#[component]
fn Refused(batch: Batch, problems: Vec<RowProblem>) -> impl IntoView {
    let shown = problems.len() as i64;
    let total = batch.problem_count;
    view! {
        <section class="card" data-testid="upload-refused">
            <p class="banner error">
                {format!(
                    "Nothing was stored: {} of {} rows have problems. Fix them and upload the file again.",
                    thousands(total),
                    thousands(batch.row_count)
                )}
            </p>
            <h2>"Problems by reason"</h2>
            <table class="table compact">
                <tbody>
                    {batch.problem_summary.iter().map(|c| view! {
                        <tr>
                            <td>{RowReason::parse(&c.reason).map_or(c.reason.clone(), |r| r.describe().to_string())}</td>
                            <td class="num">{thousands(c.count)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <h2>{if shown < total { format!("The first {shown} problems") } else { "Every problem".to_string() }}</h2>
            <p>
                <a class="button secondary small" href=format!("/batches/{}/problems.csv", batch.id) download="">
                    "Download the full report (CSV)"
                </a>
            </p>
            <table class="table problems" tabindex="0">
                <thead>
                    <tr><th class="num">"Line"</th><th>"Problem"</th><th>"Value"</th></tr>
                </thead>
                <tbody>
                    {problems.into_iter().map(|p| view! {
                        <tr data-line=p.line>
                            <td class="num">{p.line}</td>
                            <td>{p.problem.describe()}</td>
                            <td><code>{if p.value.is_empty() { None } else { Some(p.value) }}</code></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

/// The browser side: an XMLHttpRequest, because fetch cannot report upload progress.
#[cfg(feature = "hydrate")]
mod client {
    use std::cell::Cell;
    use std::rc::Rc;

    use leptos::prelude::*;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use web_sys::{HtmlInputElement, ProgressEvent, XmlHttpRequest};

    use super::Phase;
    use crate::codes::Progress;

    pub fn send(coupon_id: i64, input: &HtmlInputElement, max_mb: u64, phase: RwSignal<Phase>) {
        let Some(file) = input.files().and_then(|files| files.get(0)) else {
            phase.set(Phase::Failed("Choose a file first.".into()));
            return;
        };
        // Said before sending: a server refusing a body it has not read may just reset the line.
        if file.size() > (max_mb << 20) as f64 {
            phase.set(Phase::Failed(format!("The file is larger than the {max_mb} MB upload limit.")));
            return;
        }
        let Ok(xhr) = XmlHttpRequest::new() else {
            phase.set(Phase::Failed("This browser cannot upload files.".into()));
            return;
        };
        let url = format!("/coupons/{coupon_id}/codes/import?name={}", crate::components::query_value(&file.name()));
        if xhr.open_with_async("POST", &url, true).is_err()
            || xhr.set_request_header("Content-Type", "text/csv").is_err()
        {
            phase.set(Phase::Failed("The upload could not start.".into()));
            return;
        }
        let total = file.size();
        phase.set(Phase::Sending { sent: 0.0, total });
        if let Ok(upload) = xhr.upload() {
            let on_sent = Closure::<dyn FnMut(ProgressEvent)>::new(move |e: ProgressEvent| {
                let sent = e.loaded();
                phase.set(if sent >= total {
                    Phase::Checking { rows: 0, fraction: 0.0 }
                } else {
                    Phase::Sending { sent, total }
                });
            });
            upload.set_onprogress(Some(on_sent.as_ref().unchecked_ref()));
            on_sent.forget();
        }
        // The answer is one JSON line per stage; read the new complete lines as they arrive.
        let read = Rc::new(Cell::new(0usize));
        let lines = {
            let xhr = xhr.clone();
            let read = read.clone();
            move || {
                let text = xhr.response_text().ok().flatten().unwrap_or_default();
                let start = read.get().min(text.len());
                let Some(end) = text[start..].rfind('\n').map(|i| start + i + 1) else { return };
                read.set(end);
                for line in text[start..end].lines().filter(|l| !l.trim().is_empty()) {
                    if let Ok(progress) = serde_json::from_str::<Progress>(line) {
                        phase.set(Phase::from_progress(progress));
                    }
                }
            }
        };
        let on_progress = Closure::<dyn FnMut()>::new(lines.clone());
        xhr.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
        on_progress.forget();
        let on_load = {
            let xhr = xhr.clone();
            Closure::<dyn FnMut()>::new(move || {
                let status = xhr.status().unwrap_or(0);
                if status == 200 {
                    lines();
                    if phase.with_untracked(Phase::running) {
                        phase.set(Phase::Failed(
                            "The server stopped answering before the end: see the batches page.".into(),
                        ));
                    }
                } else {
                    let text = xhr.response_text().ok().flatten().unwrap_or_default();
                    let message = serde_json::from_str::<serde_json::Value>(&text)
                        .ok()
                        .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
                        .unwrap_or_else(|| format!("The upload was refused (HTTP {status})."));
                    phase.set(Phase::Failed(message));
                }
            })
        };
        xhr.set_onload(Some(on_load.as_ref().unchecked_ref()));
        on_load.forget();
        let on_error = Closure::<dyn FnMut()>::new(move || {
            phase.set(Phase::Failed("The upload failed: check the connection and try again.".into()));
        });
        xhr.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
        if xhr.send_with_opt_blob(Some(&file)).is_err() {
            phase.set(Phase::Failed("The upload could not start.".into()));
        }
    }
}
