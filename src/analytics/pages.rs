//! The analytics pages: across coupons (`/analytics`) and per coupon
//! (`/coupons/:id/analytics`). The period lives in the URL; figures refresh while the page is
//! open; each chart has a table of the same numbers.

use leptos::prelude::*;
use leptos_meta::{Script, Title};
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};
use leptos_router::params::ParamsMap;

use super::server::{count_redeemers, coupon_analytics, overview_analytics};
use super::{change, Amount, Figures, PeriodInput, Report, WEEKDAYS};
use crate::components::fields::Field;
use crate::components::problem::Problem;
use crate::components::query_value;
use crate::coupons::summary::group;
use crate::error::AppError;
use crate::fields::FieldErrors;
use crate::money::Currency;

/// How often an open page asks for fresh figures.
const LIVE_MS: u64 = 3000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Subject {
    All,
    Coupon(i64),
}

async fn load(subject: Subject, period: PeriodInput) -> Result<Report, AppError> {
    match subject {
        Subject::All => overview_analytics(period).await,
        Subject::Coupon(id) => coupon_analytics(id, period).await,
    }
}

fn asked(query: &ParamsMap) -> PeriodInput {
    PeriodInput { from: query.get("from"), to: query.get("to"), zone: query.get("zone") }
}

#[component]
pub fn AnalyticsPage() -> impl IntoView {
    view! { <Analytics subject=Signal::derive(|| Subject::All) /> }
}

#[component]
pub fn CouponAnalyticsPage() -> impl IntoView {
    let params = use_params_map();
    let subject = Signal::derive(move || {
        Subject::Coupon(params.read().get("id").and_then(|id| id.parse::<i64>().ok()).unwrap_or_default())
    });
    view! { <Analytics subject /> }
}

#[component]
fn Analytics(subject: Signal<Subject>) -> impl IntoView {
    let query = use_query_map();
    let period = Memo::new(move |_| asked(&query.read()));
    let report = Resource::new(move || (subject.get(), period.get()), |(s, p)| load(s, p));
    view! {
        <Title text="Analytics" />
        // Deferred: the figures and tables show at once, the charts draw when ECharts arrives.
        <Script src="/vendor/echarts.min.js" defer="" />
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(r) => view! { <Live subject=subject.get_untracked() asked=period.get_untracked() initial=r /> }.into_any(),
                    Err(AppError::Invalid(errors)) => view! {
                        <div class="page-head"><h1>"Analytics"</h1></div>
                        <PeriodForm asked=period.get_untracked() errors />
                    }
                        .into_any(),
                    Err(e) => view! { <Problem error=e /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The date range and time zone, sent as a GET so the URL keeps them.
#[component]
fn PeriodForm(asked: PeriodInput, errors: FieldErrors) -> impl IntoView {
    let errors = Signal::stored(errors);
    let zones = chrono_tz::TZ_VARIANTS.iter().map(|z| view! { <option value=z.name() /> }).collect_view();
    view! {
        <Form method="GET" action="" attr:class="period-form card" attr:data-testid="period-form">
            <Field label="From" field="from" errors>
                <input type="date" name="from" value=asked.from.unwrap_or_default() />
            </Field>
            <Field label="To" field="to" errors>
                <input type="date" name="to" value=asked.to.unwrap_or_default() />
            </Field>
            <Field label="Time zone" field="zone" errors>
                <input type="text" name="zone" list="zones" value=asked.zone.unwrap_or_default() />
                <datalist id="zones">{zones}</datalist>
            </Field>
            <div class="actions">
                <button type="submit" class="primary">"Show"</button>
            </div>
        </Form>
    }
}

/// A report that refreshes itself every [`LIVE_MS`] while it is on screen.
#[component]
fn Live(subject: Subject, asked: PeriodInput, initial: Report) -> impl IntoView {
    let shown = PeriodInput {
        from: Some(initial.period.from.to_string()),
        to: Some(initial.period.to.to_string()),
        zone: Some(initial.period.zone.clone()),
    };
    let title = match &initial.coupon {
        Some((_, name)) => format!("{name} — analytics"),
        None => "Analytics".to_string(),
    };
    let file = match subject {
        Subject::Coupon(id) => format!("/coupons/{id}/redemptions.csv"),
        Subject::All => "/analytics/redemptions.csv".to_string(),
    };
    let export = format!(
        "{file}?from={}&to={}&zone={}",
        initial.period.from,
        initial.period.to,
        query_value(&initial.period.zone)
    );
    let back = match &initial.coupon {
        Some((id, name)) => view! { <a href=format!("/coupons/{id}")>{format!("← {name}")}</a> }.into_any(),
        None => ().into_any(),
    };
    let data = RwSignal::new(initial);
    let fresh = RwSignal::new(true);
    let busy = StoredValue::new(false);
    Effect::new(move |_| {
        let asked = asked.clone();
        let tick = move || {
            if busy.get_value() {
                return;
            }
            busy.set_value(true);
            let asked = asked.clone();
            leptos::task::spawn_local(async move {
                match load(subject, asked).await {
                    Ok(r) => {
                        data.set(r);
                        fresh.set(true);
                    }
                    Err(_) => fresh.set(false),
                }
                busy.set_value(false);
            });
        };
        if let Ok(handle) = set_interval_with_handle(tick, std::time::Duration::from_millis(LIVE_MS)) {
            on_cleanup(move || handle.clear());
        }
    });
    // The exact count of redeemers reads every redemption of the range, so it is asked apart,
    // from the browser once the page is live ("counting…" until then), and again only when a
    // refresh brings new redemptions or reversals; none while a count runs.
    let redeemers = RwSignal::new(None::<(i64, i64)>);
    let counting = StoredValue::new(false);
    let moved = Memo::new(move |_| data.with(|r| (r.period.clone(), r.current.redemptions, r.current.reversals)));
    let coupon_id = match subject {
        Subject::Coupon(id) => Some(id),
        Subject::All => None,
    };
    Effect::new(move |_| {
        let (period, _, _) = moved.get();
        if counting.get_value() {
            return;
        }
        counting.set_value(true);
        let asked = PeriodInput {
            from: Some(period.from.to_string()),
            to: Some(period.to.to_string()),
            zone: Some(period.zone),
        };
        leptos::task::spawn_local(async move {
            if let Ok(counts) = count_redeemers(coupon_id, asked).await {
                redeemers.set(Some(counts));
            }
            counting.set_value(false);
        });
    });
    let overview = subject == Subject::All;
    let chart = |pick: fn(&Report) -> String| Signal::derive(move || data.with(pick));
    view! {
        <Title text=title.clone() />
        <p class="crumbs">{back}</p>
        <div class="page-head">
            <h1>{title}</h1>
            <span class="live" class:stale=move || !fresh.get() data-testid="live" title="Figures refresh every few seconds">
                {move || {
                    let at = data.with(|r| r.as_of);
                    let text = chrono::DateTime::from_timestamp_millis(at).map(|t| t.format("%H:%M:%S UTC").to_string());
                    format!("Live · updated {}", text.unwrap_or_default())
                }}
            </span>
            <a class="button secondary" href=export rel="external" data-testid="export">"Export CSV"</a>
        </div>
        <PeriodForm asked=shown errors=FieldErrors::default() />
        <p class="muted" data-testid="comparison">
            {move || data.with(|r| format!(
                "{} to {} ({}), compared with {} to {}",
                r.period.from, r.period.to, r.period.zone, r.previous.from, r.previous.to
            ))}
        </p>
        <div class="kpis" data-testid="figures">
            {move || data.with(|r| kpis(r, redeemers.get()).into_iter().map(kpi_card).collect_view())}
        </div>
        <div class="chart-grid">
            <ChartCard
                title="Redemptions and discount per day"
                wide=true
                option=chart(|r| r.charts.daily.clone())
                testid="chart-daily"
                table=Callback::new(move |()| data.with(daily_table))
            />
            <ChartCard
                title="When people redeem"
                option=chart(|r| r.charts.heat.clone())
                testid="chart-heat"
                table=Callback::new(move |()| data.with(heat_table))
            />
            <ChartCard
                title="Funnel: assigned, activated, redeemed"
                option=chart(|r| r.charts.funnel.clone())
                testid="chart-funnel"
                table=Callback::new(move |()| data.with(|r| funnel_table(&r.current)))
            />
            {overview.then(|| view! {
                <ChartCard
                    title="Top coupons"
                    option=chart(|r| r.charts.top.clone())
                    testid="chart-top"
                    table=Callback::new(move |()| data.with(top_table))
                />
            })}
            <ChartCard
                title="Batch usage"
                option=chart(|r| r.charts.batches.clone())
                testid="chart-batches"
                table=Callback::new(move |()| data.with(batch_table))
            />
            <ChartCard
                title="What stops people"
                option=chart(|r| r.charts.refusals.clone())
                testid="chart-refusals"
                table=Callback::new(move |()| data.with(refusal_table))
            />
        </div>
    }
}

struct Kpi {
    label: &'static str,
    key: &'static str,
    value: String,
    change: Option<f64>,
}

fn money(amounts: &[Amount]) -> String {
    if amounts.is_empty() {
        return "—".into();
    }
    amounts.iter().map(|a| crate::money::format_in(&a.currency, a.minor)).collect::<Vec<_>>().join(" · ")
}

fn first_minor(amounts: &[Amount]) -> i64 {
    amounts.first().map_or(0, |a| a.minor)
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".into(), |x| format!("{:.1}%", x * 100.0))
}

fn rate_change(now: Option<f64>, before: Option<f64>) -> Option<f64> {
    match (now, before) {
        (Some(x), Some(y)) if y > 0.0 => Some((x - y) * 100.0 / y),
        _ => None,
    }
}

/// Redemptions per coupon found valid at validate: what a rate means for a coupon open to all.
fn conversion(f: &Figures) -> Option<f64> {
    (f.valid_validations > 0).then(|| f.redemptions as f64 / f.valid_validations as f64)
}

/// Discount per redemption, in each currency.
fn per_order(f: &Figures) -> Vec<Amount> {
    if f.redemptions == 0 {
        return Vec::new();
    }
    f.discount_given.iter().map(|a| Amount { currency: a.currency.clone(), minor: a.minor / f.redemptions }).collect()
}

fn refused(f: &Figures) -> i64 {
    f.validations - f.valid_validations + f.refused_redemptions
}

/// The figures; `redeemers` is the exact count of people for now and before, once counted.
fn kpis(r: &Report, redeemers: Option<(i64, i64)>) -> Vec<Kpi> {
    let (n, b) = (&r.current, &r.before);
    let count = |label, key, now: i64, before: i64| Kpi { label, key, value: group(now), change: change(now, before) };
    let amount = |label, key, now: &[Amount], before: &[Amount]| Kpi {
        label,
        key,
        value: money(now),
        change: change(first_minor(now), first_minor(before)),
    };
    let first_time = if r.coupon.is_some() { "First-time redeemers" } else { "New customers" };
    let people = match redeemers {
        Some((now, before)) => count("Redeemers", "redeemers", now, before),
        None => Kpi { label: "Redeemers", key: "redeemers", value: "counting…".into(), change: None },
    };
    vec![
        count("Codes issued", "codes_issued", n.codes_issued, b.codes_issued),
        count("Assignments", "assignments", n.assignments, b.assignments),
        count("Activations", "activations", n.activations, b.activations),
        count("Validations", "validations", n.validations, b.validations),
        count("Redemptions", "redemptions", n.redemptions, b.redemptions),
        count("Refused at checkout", "refused", refused(n), refused(b)),
        count("Reversals", "reversals", n.reversals, b.reversals),
        people,
        count(first_time, "unique_redeemers", n.unique_redeemers, b.unique_redeemers),
        amount("Discount given", "discount_given", &n.discount_given, &b.discount_given),
        amount("Discount per order", "discount_per_order", &per_order(n), &per_order(b)),
        amount("Cashback given", "cashback_given", &n.cashback_given, &b.cashback_given),
        Kpi {
            label: "Redemption rate",
            key: "redemption_rate",
            value: percent(n.redemption_rate),
            change: rate_change(n.redemption_rate, b.redemption_rate),
        },
        Kpi {
            label: "Valid carts redeemed",
            key: "conversion",
            value: percent(conversion(n)),
            change: rate_change(conversion(n), conversion(b)),
        },
    ]
}

fn kpi_card(k: Kpi) -> impl IntoView {
    let (class, text) = match k.change {
        Some(c) if c > 0.05 => ("change up", format!("▲ {c:.0}%")),
        Some(c) if c < -0.05 => ("change down", format!("▼ {:.0}%", -c)),
        Some(_) => ("change", "no change".to_string()),
        None => ("change", "no earlier figure".to_string()),
    };
    view! {
        <div class="kpi" data-kpi=k.key>
            <span class="kpi-label">{k.label}</span>
            <span class="kpi-value">{k.value}</span>
            <span class=class title="compared with the period before">{text}</span>
        </div>
    }
}

fn daily_table(r: &Report) -> AnyView {
    let heads = r.currencies.iter().map(|c| view! { <th class="num">{format!("Discount ({c})")}</th> }).collect_view();
    let rows = r
        .days
        .iter()
        .map(|d| {
            let amounts = d
                .discount
                .iter()
                .zip(&r.currencies)
                .map(|(m, c)| {
                    let text = Currency::parse(c).map_or_else(|| m.to_string(), |cur| cur.format(*m));
                    view! { <td class="num">{text}</td> }
                })
                .collect_view();
            view! {
                <tr>
                    <td>{d.date.to_string()}</td>
                    <td class="num">{group(d.redemptions)}</td>
                    <td class="num">{group(d.reversals)}</td>
                    {amounts}
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="data" data-testid="daily-table">
            <thead><tr><th>"Day"</th><th class="num">"Redemptions"</th><th class="num">"Reversals"</th>{heads}</tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

fn heat_table(r: &Report) -> AnyView {
    let hours = (0..24).map(|h| view! { <th class="num">{format!("{h:02}")}</th> }).collect_view();
    let rows = r
        .heat
        .iter()
        .zip(WEEKDAYS)
        .map(|(cells, day)| {
            let cells = cells.iter().map(|v| view! { <td class="num">{group(*v)}</td> }).collect_view();
            view! { <tr><th>{day}</th>{cells}</tr> }
        })
        .collect_view();
    view! {
        <table class="data compact"><thead><tr><th>{r.period.zone.clone()}</th>{hours}</tr></thead><tbody>{rows}</tbody></table>
    }
    .into_any()
}

fn funnel_table(f: &Figures) -> AnyView {
    let stages = [("Assigned", f.assignments), ("Activated", f.activations), ("Redeemed", f.unique_redeemers)];
    let rows = stages
        .into_iter()
        .map(|(stage, n)| view! { <tr><td>{stage}</td><td class="num">{group(n)}</td></tr> })
        .collect_view();
    view! {
        <table class="data"><thead><tr><th>"Stage"</th><th class="num">"People"</th></tr></thead><tbody>{rows}</tbody></table>
    }
    .into_any()
}

fn top_table(r: &Report) -> AnyView {
    let rows = r
        .top
        .iter()
        .map(|t| {
            view! {
                <tr>
                    <td><a href=format!("/coupons/{}/analytics", t.id)>{t.name.clone()}</a></td>
                    <td class="num">{group(t.redemptions)}</td>
                    <td class="num">{money(std::slice::from_ref(&t.discount))}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="data" data-testid="top-table">
            <thead><tr><th>"Coupon"</th><th class="num">"Redemptions"</th><th class="num">"Discount"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

fn batch_table(r: &Report) -> AnyView {
    if r.batches.is_empty() {
        return view! { <p class="muted">"No codes from batches were assigned or redeemed in this period."</p> }
            .into_any();
    }
    let rows = r
        .batches
        .iter()
        .map(|b| {
            view! {
                <tr>
                    <td>{b.label.clone()}</td>
                    <td><a href=format!("/coupons/{}/codes", b.coupon_id)>{b.coupon_name.clone()}</a></td>
                    <td class="num">{group(b.codes)}</td>
                    <td class="num">{group(b.assigned)}</td>
                    <td class="num">{group(b.redeemed)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="data">
            <thead><tr><th>"Batch"</th><th>"Coupon"</th><th class="num">"Codes"</th><th class="num">"Assigned"</th><th class="num">"Redeemed"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

fn refusal_table(r: &Report) -> AnyView {
    if r.refusals.is_empty() {
        return view! { <p class="muted">"No coupon was refused at validate or redeem in this period."</p> }.into_any();
    }
    let rows = r
        .refusals
        .iter()
        .map(|c| {
            view! {
                <tr>
                    <td><code>{c.reason.clone()}</code></td>
                    <td>{c.label.clone()}</td>
                    <td class="num">{group(c.validate)}</td>
                    <td class="num">{group(c.redeem)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="data" data-testid="refusal-table">
            <thead><tr><th>"Reason"</th><th>"What the shopper is told"</th><th class="num">"At validate"</th><th class="num">"At redeem"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

/// A chart with its title and, folded under it, a table of the same numbers (for screen readers,
/// copying, and pages without JavaScript).
#[component]
fn ChartCard(
    title: &'static str,
    option: Signal<String>,
    testid: &'static str,
    table: Callback<(), AnyView>,
    #[prop(optional)] wide: bool,
) -> impl IntoView {
    view! {
        <section class="card chart-card" class:wide=wide>
            <h2>{title}</h2>
            <EChart option label=title testid />
            <details class="table-view">
                <summary>"Table"</summary>
                {move || table.run(())}
            </details>
        </section>
    }
}

/// An ECharts chart drawn in the browser from an option built on the server; redrawn whenever
/// the option changes.
#[component]
fn EChart(option: Signal<String>, label: &'static str, testid: &'static str) -> impl IntoView {
    let node = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        let option = option.get();
        if let Some(el) = node.get() {
            draw::when_ready(el.into(), option, 40);
        }
    });
    view! { <div class="chart" node_ref=node role="img" aria-label=label data-testid=testid></div> }
}

#[cfg(feature = "hydrate")]
mod draw {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        type Instance;
        #[wasm_bindgen(catch, js_namespace = echarts, js_name = getInstanceByDom)]
        fn instance_of(el: &web_sys::HtmlElement) -> Result<Option<Instance>, JsValue>;
        #[wasm_bindgen(catch, js_namespace = echarts, js_name = init)]
        fn init(el: &web_sys::HtmlElement) -> Result<Instance, JsValue>;
        #[wasm_bindgen(method, js_name = setOption)]
        fn set_option(this: &Instance, option: &JsValue, not_merge: bool);
        #[wasm_bindgen(catch, js_namespace = JSON, js_name = parse)]
        fn parse(text: &str) -> Result<JsValue, JsValue>;
    }

    /// Draws once ECharts has loaded (its script may still be on its way after a client-side
    /// navigation), trying again a few times.
    pub fn when_ready(el: web_sys::HtmlElement, option: String, tries: u32) {
        let Ok(option_value) = parse(&option) else { return };
        let chart = match instance_of(&el) {
            Ok(Some(chart)) => Ok(chart),
            Ok(None) => init(&el),
            Err(e) => Err(e),
        };
        match chart {
            Ok(chart) => chart.set_option(&option_value, true),
            Err(_) if tries > 0 => {
                leptos::prelude::set_timeout(
                    move || when_ready(el, option, tries - 1),
                    std::time::Duration::from_millis(150),
                );
            }
            Err(_) => {}
        }
    }
}

#[cfg(not(feature = "hydrate"))]
mod draw {
    /// The server draws nothing: charts appear once the page is live, tables show at once.
    pub fn when_ready(_el: leptos::web_sys::HtmlElement, _option: String, _tries: u32) {}
}
