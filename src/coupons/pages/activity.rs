//! How a coupon is doing, on its page: each coupon-wide limit as a meter (used, left, and how
//! long it lasts at the last week's pace), its code pool, what stops people, and its latest
//! redemptions.

use leptos::prelude::*;

use crate::components::time::When;
use crate::coupons::definition::{CouponDefinition, Period};
use crate::coupons::server::CouponActivity;
use crate::coupons::summary::group;

/// A limit's meter: turns amber past 80%.
#[component]
fn Meter(
    #[prop(into)] label: String,
    used: i64,
    limit: i64,
    /// How `used` and `limit` read (money, points, uses).
    show: fn(&CouponDefinition, i64) -> String,
    definition: CouponDefinition,
    /// Used per day over the last week.
    pace: f64,
) -> impl IntoView {
    let left = (limit - used).max(0);
    let lasts = match (left, pace > 0.0) {
        (0, _) => "none left".to_string(),
        (_, false) => format!("{} left", show(&definition, left)),
        (_, true) => {
            let days = (left as f64 / pace).ceil() as i64;
            format!(
                "{} left · about {} a day, so about {} more days",
                show(&definition, left),
                show(&definition, pace.round() as i64),
                group(days)
            )
        }
    };
    let name = format!("{label}: {} of {}", show(&definition, used), show(&definition, limit));
    let amber = limit as f64 * 0.8;
    view! {
        <div class="meter-row" data-testid="meter">
            <div class="meter-head">
                <span class="meter-label">{label}</span>
                <span class="meter-figure">{format!("{} of {}", show(&definition, used), show(&definition, limit))}</span>
            </div>
            <meter min="0" max=limit value=used.min(limit) high=amber optimum="0" aria-label=name></meter>
            <div class="meter-foot muted">{lasts}</div>
        </div>
    }
}

fn uses(_: &CouponDefinition, n: i64) -> String {
    group(n)
}

fn money(d: &CouponDefinition, minor: i64) -> String {
    d.currency.format(minor)
}

fn points(_: &CouponDefinition, n: i64) -> String {
    format!("{} points", group(n))
}

fn period_label(period: Period) -> &'static str {
    match period {
        Period::Day => "Today",
        Period::Week => "This week",
        Period::Month => "This month",
        Period::Year => "This year",
    }
}

#[component]
pub fn Activity(definition: CouponDefinition, activity: CouponActivity) -> impl IntoView {
    let d = definition;
    let a = activity;
    let per_day = |n: i64| n as f64 / 7.0;
    let limits = &d.limits;
    let mut meters = Vec::new();
    if let Some(limit) = limits.global {
        let pace = per_day(a.week_redemptions);
        meters.push(view! { <Meter label="Uses" used=a.usage.uses limit=i64::from(limit) show=uses definition=d.clone() pace /> }.into_any());
    }
    if let Some(budget) = limits.budget_discount {
        let pace = per_day(a.week_discount);
        meters.push(view! { <Meter label="Discount budget" used=a.usage.discount limit=budget show=money definition=d.clone() pace /> }.into_any());
    }
    if let Some(budget) = limits.budget_cashback {
        let pace = per_day(a.week_cashback);
        meters.push(view! { <Meter label="Cashback budget" used=a.usage.cashback limit=budget show=points definition=d.clone() pace /> }.into_any());
    }
    for cap in &a.usage.caps {
        let label = format!("{} (cap)", period_label(cap.period));
        meters.push(
            view! { <Meter label used=cap.used limit=cap.limit show=uses definition=d.clone() pace=0.0 /> }.into_any(),
        );
    }
    let pace = format!(
        "Last 7 days: {} redemptions (about {} a day), {} discount{}.",
        group(a.week_redemptions),
        group(per_day(a.week_redemptions).round() as i64),
        d.currency.format(a.week_discount),
        if a.week_cashback > 0 { format!(", {} cashback points", group(a.week_cashback)) } else { String::new() },
    );
    let codes = a.codes.map(|c| {
        let taken = c.assigned + c.redeemed;
        let live = c.available + taken;
        let nearly_out = live as f64 * 0.9;
        view! {
            <div class="meter-row" data-testid="code-pool">
                <div class="meter-head">
                    <span class="meter-label">"Code pool"</span>
                    <span class="meter-figure">{format!("{} free of {}", group(c.available), group(live))}</span>
                </div>
                <meter min="0" max=live.max(1) value=taken high=nearly_out optimum="0"
                    aria-label=format!("Codes handed out: {} of {}", group(taken), group(live))></meter>
                <div class="meter-foot muted">
                    {format!("{} assigned · {} redeemed · {} void", group(c.assigned), group(c.redeemed), group(c.void))}
                </div>
            </div>
        }
    });
    let no_limits = meters.is_empty().then(|| {
        view! { <p class="muted">{format!("{} uses so far; no coupon-wide limit or budget.", group(a.usage.uses))}</p> }
    });
    let refusals = refusal_list(&a);
    let money_of = d.currency;
    let zone = d.time_zone;
    let recent = if a.recent.is_empty() {
        view! { <p class="muted">"No redemptions yet."</p> }.into_any()
    } else {
        view! {
            <div class="table-scroll">
                <table class="table compact recent">
                    <thead>
                        <tr>
                            <th>"When"</th>
                            <th>"User"</th>
                            <th>"Code"</th>
                            <th>"Order"</th>
                            <th class="num">"Discount"</th>
                            <th>"Status"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {a.recent.into_iter().map(|r| view! {
                            <tr>
                                <td class="muted nowrap"><When ms=r.redeemed_at zone /></td>
                                <td><a href=format!("/users?user_id={}", crate::components::query_value(&r.user_id))>{r.user_id.clone()}</a></td>
                                <td>{r.code.map(|c| view! { <code>{c}</code> })}</td>
                                <td>{r.order_id}</td>
                                <td class="num">{money_of.format(r.discount)}</td>
                                <td>{if r.reversed { "reversed" } else { "redeemed" }}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <div class="grid-2 activity">
            <section class="card" data-testid="activity">
                <h2>"How it is doing"</h2>
                {meters}
                {no_limits}
                {codes}
                <p class="hint">{pace}</p>
                {refusals}
            </section>
            <section class="card">
                <h2>"Latest redemptions"</h2>
                {recent}
            </section>
        </div>
    }
}

/// Checks at validate and the top reasons the coupon was refused over the last seven days.
fn refusal_list(a: &CouponActivity) -> AnyView {
    let checks = if a.week_validations == 0 {
        "No app validated this coupon in the last 7 days.".to_string()
    } else {
        format!(
            "Validated {} times in the last 7 days; usable {} times ({:.0}%).",
            group(a.week_validations),
            group(a.week_valid),
            a.week_valid as f64 * 100.0 / a.week_validations as f64
        )
    };
    let top = (!a.refusals.is_empty()).then(|| {
        let items = a
            .refusals
            .iter()
            .map(|c| {
                view! {
                    <li>
                        <span>{c.label.clone()}</span>" "
                        <span class="muted">{format!("{} at validate · {} at redeem", group(c.validate), group(c.redeem))}</span>
                    </li>
                }
            })
            .collect_view();
        view! {
            <h3>"Top refusals"</h3>
            <ol class="refusals" data-testid="top-refusals">{items}</ol>
        }
    });
    view! {
        <p class="hint" data-testid="checks">{checks}</p>
        {top}
    }
    .into_any()
}
