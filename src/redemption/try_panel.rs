//! The "try it" panel on a coupon's page: type a user and a cart, see what the API would answer.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::server::{TryCoupon, TryResult};
use crate::components::fields::{Field, FieldMessage};
use crate::components::problem::Problem;
use crate::coupons::server::get_coupon;
use crate::error::AppError;
use crate::fields::FieldErrors;

/// `/coupons/:id/try`: the panel for one coupon, under its name and summary.
#[component]
pub fn TryPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok());
    let coupon = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_coupon(id).await,
            None => Err(AppError::NotFound),
        }
    });
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match coupon.await {
                    Err(e) => view! { <Problem error=e /> }.into_any(),
                    Ok(v) => {
                        let d = v.coupon.definition;
                        view! {
                            <Title text=format!("Try {}", d.name) />
                            <div class="page-head">
                                <h1>{format!("Try “{}”", d.name)}</h1>
                                <a class="button secondary" href=format!("/coupons/{}", v.coupon.id)>"Back to the coupon"</a>
                            </div>
                            <p class="summary lead">{v.summary}</p>
                            <TryPanel coupon_id=v.coupon.id code=d.static_code().map(String::from) currency=d.currency.code().to_string() />
                        }
                        .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn TryPanel(coupon_id: i64, code: Option<String>, currency: String) -> impl IntoView {
    let check = ServerAction::<TryCoupon>::new();
    let errors = Signal::derive(move || match check.value().get() {
        Some(Err(e)) => e.field_errors(),
        _ => FieldErrors::default(),
    });
    view! {
        <section class="card try-it">
            <h2>"Try it"</h2>
            <p class="muted">"The answer the API's validate would give for this user and cart, right now. Nothing is recorded."</p>
            <ActionForm action=check attr:class="try-form">
                <input type="hidden" name="coupon_id" value=coupon_id />
                <div class="row">
                    <Field label="User id" field="user_id" errors>
                        <input type="text" name="user_id" value="demo-user" />
                    </Field>
                    <Field label="Code" field="code" errors hint="Empty: the code the user holds">
                        <input type="text" name="code" value=code.unwrap_or_default() />
                    </Field>
                </div>
                <Field label=format!("Cart items ({currency})") field="items" errors hint="One per line: SKU, category, quantity, unit price">
                    <textarea name="items" rows="3">"SHOE-1, Shoes, 1, 1500\nSHIRT-9, Shirts, 2, 799"</textarea>
                </Field>
                <div class="row">
                    <Field label="Fees" field="fees" errors hint="e.g. shipping=40">
                        <input type="text" name="fees" value="shipping=40" />
                    </Field>
                    <Field label="Cart properties" field="properties" errors hint="e.g. payment_method=upi">
                        <input type="text" name="properties" value="" />
                    </Field>
                </div>
                <FieldMessage errors field="" />
                <button type="submit" class="primary" disabled=move || check.pending().get()>"Check"</button>
            </ActionForm>
            {move || match check.value().get() {
                Some(Ok(result)) => Some(view! { <Answer result /> }.into_any()),
                Some(Err(AppError::Invalid(_))) | None => None,
                Some(Err(e)) => Some(view! { <p class="banner error">{e.to_string()}</p> }.into_any()),
            }}
        </section>
    }
}

#[component]
fn Answer(result: TryResult) -> impl IntoView {
    let rows = |list: Vec<(String, String, String, String)>| {
        list.into_iter()
            .map(|(name, amount, discount, total)| {
                view! { <tr><td>{name}</td><td class="num">{amount}</td><td class="num">{discount}</td><td class="num">{total}</td></tr> }
            })
            .collect_view()
    };
    if result.valid {
        let cashback = (result.cashback > 0).then(|| format!(" and {} cashback points", result.cashback));
        view! {
            <div class="answer ok" data-testid="try-answer">
                <p class="banner ok">{format!("Valid: {} off", result.discount)}{cashback}</p>
                {result.notes.into_iter().map(|n| view! { <p class="hint">{n}</p> }).collect_view()}
                <table class="table compact">
                    <thead><tr><th>"Line"</th><th class="num">"Amount"</th><th class="num">"Discount"</th><th class="num">"Total"</th></tr></thead>
                    <tbody>{rows(result.lines)}{rows(result.fees)}</tbody>
                </table>
            </div>
        }
        .into_any()
    } else {
        view! {
            <div class="answer refused" data-testid="try-answer">
                <p class="banner error">"Refused"</p>
                <ul class="reasons">
                    {result.reasons.into_iter().map(|(code, message)| view! {
                        <li><code>{code}</code>" "{message}</li>
                    }).collect_view()}
                </ul>
            </div>
        }
        .into_any()
    }
}
