//! The dashboard's "try it" on a coupon: a user and a cart typed as plain text, answered exactly
//! as the API's validate would answer, but whole: the dashboard's people own the codes, so it also
//! says when a code belongs to another user. Nothing is written; a typed code counts against the
//! same attempt limits as the API's, per account and per user.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::cart::{CartInput, ItemInput};
use crate::error::AppError;
use crate::fields::FieldErrors;
use crate::money::Currency;

/// The answer, ready to show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TryResult {
    pub valid: bool,
    pub code: Option<String>,
    pub discount: String,
    pub cashback: i64,
    /// SKU, amount, discount, total — formatted in the coupon's currency.
    pub lines: Vec<(String, String, String, String)>,
    pub fees: Vec<(String, String, String, String)>,
    /// Every reason for refusing, in plain words, most important first.
    pub reasons: Vec<(String, String)>,
    /// What the app is told to do besides: free items to add.
    pub notes: Vec<String>,
}

/// `key=value` pairs separated by commas or new lines.
fn pairs(text: &str) -> Vec<(usize, String, String)> {
    text.split([',', '\n'])
        .enumerate()
        .filter(|(_, p)| !p.trim().is_empty())
        .map(|(i, p)| match p.split_once('=') {
            Some((k, v)) => (i, k.trim().to_string(), v.trim().to_string()),
            None => (i, p.trim().to_string(), String::new()),
        })
        .collect()
}

/// Reads the typed cart: items as `SKU, category, quantity, unit price` lines, fees and cart
/// properties as `name=value` pairs; prices in major units of `currency`.
pub fn read_cart(currency: Currency, items: &str, fees: &str, properties: &str) -> Result<CartInput, FieldErrors> {
    let mut errors = FieldErrors::default();
    let mut cart = CartInput { currency: currency.code().to_string(), ..Default::default() };
    for (n, line) in items.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let parts: Vec<&str> = line.split(',').map(str::trim).collect();
        let [sku, category, quantity, price] = parts[..] else {
            errors.add("items", format!("line {}: write SKU, category, quantity, unit price", n + 1));
            continue;
        };
        let quantity =
            quantity.parse::<i64>().map_err(|_| format!("line {}: the quantity is not a whole number", n + 1));
        let price = currency.parse_major(price).map_err(|e| format!("line {}: {e}", n + 1));
        match (quantity, price) {
            (Ok(q), Ok(p)) => cart.items.push(ItemInput {
                sku: sku.to_string(),
                quantity: q.into(),
                unit_price: p.into(),
                category: (!category.is_empty()).then(|| category.to_string()),
                attributes: Default::default(),
            }),
            (Err(e), _) | (_, Err(e)) => errors.add("items", e),
        }
    }
    for (_, name, amount) in pairs(fees) {
        match currency.parse_major(&amount) {
            Ok(minor) => {
                cart.fees.insert(name, minor.into());
            }
            Err(e) => errors.add("fees", format!("{name}: {e}")),
        }
    }
    for (_, name, value) in pairs(properties) {
        let value = value.parse::<f64>().map(serde_json::Value::from).unwrap_or(serde_json::Value::String(value));
        cart.properties.insert(name, value);
    }
    errors.into_result(|| cart)
}

#[server]
pub async fn try_coupon(
    coupon_id: i64,
    user_id: String,
    code: String,
    items: String,
    fees: String,
    properties: String,
) -> Result<TryResult, AppError> {
    use super::attempts;
    use super::store::{validate, Request, Target};
    use crate::accounts::auth::authorize;
    use crate::accounts::Permission;
    let (app, account) = authorize(Permission::ViewCoupons).await?;
    let db = &app.db;
    let coupon = crate::coupons::store::get(db, coupon_id).await?;
    let currency = coupon.definition.currency;
    let mut errors = FieldErrors::default();
    let user_id = errors.check("user_id", crate::audience::users::parse_user_id(&user_id));
    let cart = read_cart(currency, &items, &fees, &properties).map_err(|e| errors.0.extend(e.0)).ok();
    let cart = cart.and_then(|c| c.parse("cart").map_err(|e| errors.0.extend(e.0)).ok());
    let (Some(user_id), Some(cart)) = (user_id, cart) else {
        return Err(AppError::Invalid(errors));
    };
    let target = match code.trim() {
        "" => Target::Coupon(coupon_id),
        typed => Target::Code(typed.to_string()),
    };
    let request = Request { user_id, targets: vec![target], cart, order_id: None, metadata: Default::default() };
    let now = chrono::Utc::now();
    attempts::Attempts::of(&app.config, attempts::By::Account(account.id), &request)
        .count(db, now.timestamp_millis())
        .await?;
    let stack = validate(db, &request, now).await?;
    let decision = stack
        .decisions
        .into_iter()
        .next()
        .ok_or_else(|| AppError::internal("try it", "a decision without a coupon"))?;
    let money = |m: i64| currency.format(m);
    let quote = decision.quote.clone();
    Ok(TryResult {
        valid: decision.valid(),
        code: decision.code.clone(),
        discount: money(quote.as_ref().map_or(0, |q| q.discount)),
        cashback: quote.as_ref().map_or(0, |q| q.cashback),
        lines: quote
            .as_ref()
            .map(|q| {
                q.lines
                    .iter()
                    .map(|l| {
                        let name = if l.got > 0 { format!("{} ({} got)", l.sku, l.got) } else { l.sku.clone() };
                        (name, money(l.amount), money(l.discount), money(l.total))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        fees: quote
            .as_ref()
            .map(|q| {
                q.fees.iter().map(|f| (f.name.clone(), money(f.amount), money(f.discount), money(f.total))).collect()
            })
            .unwrap_or_default(),
        reasons: decision.refusals.iter().map(|r| (r.reason.code().to_string(), r.message.clone())).collect(),
        notes: quote
            .iter()
            .flat_map(|q| &q.add_items)
            .map(|a| {
                let off = if a.percent == 100 { "free".to_string() } else { format!("{}% off", a.percent) };
                format!("Add {} × {} to the cart: {off}.", a.quantity, a.sku)
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_typed_cart() {
        let inr = Currency::parse("INR").unwrap();
        let cart =
            read_cart(inr, "SHOE-1, Shoes, 2, 1500\n\nHAT, , 1, 99.50", "shipping=40", "payment_method=upi, days=31")
                .unwrap()
                .parse("cart")
                .unwrap();
        assert_eq!(cart.subtotal(), 2 * 150_000 + 9_950);
        assert_eq!(cart.items[1].category, None);
        assert_eq!(cart.fee("shipping"), Some(4_000));
        assert_eq!(cart.properties["days"], serde_json::json!(31.0));
        let e = read_cart(inr, "SHOE-1, Shoes, two, 1500\nX, 1", "shipping=forty", "").unwrap_err();
        assert_eq!(e.iter().filter(|e| e.field == "items").count(), 2);
        assert!(e.get("fees").is_some());
    }
}
