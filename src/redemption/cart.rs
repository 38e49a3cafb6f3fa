//! The cart an app sends with validate and redeem, and its parser: every amount checked so that
//! no sum or product the decision makes can overflow.

use serde::{Deserialize, Serialize};

use crate::conditions::Properties;
use crate::fields::FieldErrors;
use crate::money::{Currency, MAX_MINOR};

pub const MAX_ITEMS: usize = 500;
pub const MAX_FEES: usize = 50;
pub const MAX_QUANTITY: i64 = 1_000_000;
const MAX_SKU_LEN: usize = 128;
const MAX_NAME_LEN: usize = 64;

/// The cart facts that are amounts in minor units: the builder takes and shows them in the
/// coupon's currency, and so does its summary.
pub const CART_AMOUNTS: &[&str] = &["subtotal"];
/// The item facts that are amounts in minor units.
pub const ITEM_AMOUNTS: &[&str] = &["unit_price"];

/// A cart as the app sends it, before it is checked. Numbers arrive as JSON values so that a
/// wrong type is reported on its field rather than as a malformed body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CartInput {
    #[serde(default)]
    pub currency: String,
    #[serde(default)]
    pub items: Vec<ItemInput>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = std::collections::BTreeMap<String, i64>))]
    pub fees: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub properties: Properties,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ItemInput {
    #[serde(default)]
    pub sku: String,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub quantity: serde_json::Value,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = i64))]
    pub unit_price: serde_json::Value,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub attributes: Properties,
}

/// A checked cart: a known currency, positive quantities, amounts within [`MAX_MINOR`] each and
/// in total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cart {
    pub currency: Currency,
    pub items: Vec<Item>,
    /// Named fees and custom order amounts, in the order sent.
    pub fees: Vec<(String, i64)>,
    pub properties: Properties,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub sku: String,
    pub quantity: i64,
    pub unit_price: i64,
    pub category: Option<String>,
    pub attributes: Properties,
}

impl Item {
    /// Quantity × unit price; the parser guarantees it fits.
    pub fn amount(&self) -> i64 {
        self.quantity * self.unit_price
    }

    /// What item conditions read: the attributes plus `sku`, `category`, `quantity`, `unit_price`.
    pub fn facts(&self) -> Properties {
        let mut facts = self.attributes.clone();
        facts.insert("sku".into(), self.sku.clone().into());
        if let Some(c) = &self.category {
            facts.insert("category".into(), c.clone().into());
        }
        facts.insert("quantity".into(), self.quantity.into());
        facts.insert("unit_price".into(), self.unit_price.into());
        facts
    }
}

impl Cart {
    pub fn subtotal(&self) -> i64 {
        self.items.iter().map(Item::amount).sum()
    }

    pub fn item_count(&self) -> i64 {
        self.items.iter().map(|i| i.quantity).sum()
    }

    pub fn fee(&self, name: &str) -> Option<i64> {
        self.fees.iter().find(|(n, _)| n == name).map(|(_, a)| *a)
    }

    /// What cart conditions read: the cart's properties plus `subtotal`, `item_count`,
    /// `currency` and each fee by name.
    pub fn facts(&self) -> Properties {
        let mut facts = self.properties.clone();
        for (name, amount) in &self.fees {
            facts.insert(name.clone(), (*amount).into());
        }
        facts.insert("subtotal".into(), self.subtotal().into());
        facts.insert("item_count".into(), self.item_count().into());
        facts.insert("currency".into(), self.currency.code().into());
        facts
    }
}

fn whole_number(value: &serde_json::Value, min: i64, max: i64, what: &str) -> Result<i64, String> {
    let n = match value {
        serde_json::Value::Null => return Err(format!("enter the {what}")),
        serde_json::Value::Number(n) => n.as_i64().ok_or_else(|| format!("the {what} must be a whole number"))?,
        _ => return Err(format!("the {what} must be a number")),
    };
    if n < min {
        return Err(format!("the {what} must be at least {min}"));
    }
    if n > max {
        return Err(format!("the {what} must be at most {max}"));
    }
    Ok(n)
}

fn name(text: &str, max: usize, what: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("enter the {what}"));
    }
    if text.chars().count() > max {
        return Err(format!("the {what} is longer than {max} characters"));
    }
    if text.chars().any(char::is_control) {
        return Err(format!("the {what} contains control characters"));
    }
    Ok(text.to_string())
}

impl CartInput {
    /// Checks the cart, naming each problem under `{path}.…`.
    pub fn parse(&self, path: &str) -> Result<Cart, FieldErrors> {
        let mut errors = FieldErrors::default();
        let currency = errors.check(
            format!("{path}.currency"),
            match self.currency.trim() {
                "" => Err("enter the cart's currency".to_string()),
                code => Currency::parse(code).ok_or_else(|| format!("unknown currency `{code}`")),
            },
        );
        if self.items.len() > MAX_ITEMS {
            errors.add(format!("{path}.items"), format!("at most {MAX_ITEMS} lines in one cart"));
            return Err(errors);
        }
        if self.fees.len() > MAX_FEES {
            errors.add(format!("{path}.fees"), format!("at most {MAX_FEES} fees in one cart"));
            return Err(errors);
        }
        let mut items = Vec::with_capacity(self.items.len());
        let mut subtotal: i64 = 0;
        for (i, input) in self.items.iter().enumerate() {
            let at = format!("{path}.items[{i}]");
            let sku = errors.check(format!("{at}.sku"), name(&input.sku, MAX_SKU_LEN, "SKU"));
            let quantity =
                errors.check(format!("{at}.quantity"), whole_number(&input.quantity, 1, MAX_QUANTITY, "quantity"));
            let price =
                errors.check(format!("{at}.unit_price"), whole_number(&input.unit_price, 0, MAX_MINOR, "unit price"));
            let category = match &input.category {
                Some(c) => errors.check(format!("{at}.category"), name(c, MAX_SKU_LEN, "category")).map(Some),
                None => Some(None),
            };
            let (Some(sku), Some(quantity), Some(unit_price), Some(category)) = (sku, quantity, price, category) else {
                continue;
            };
            let amount = quantity.checked_mul(unit_price).filter(|a| *a <= MAX_MINOR);
            match amount.and_then(|a| subtotal.checked_add(a)).filter(|s| *s <= MAX_MINOR) {
                Some(s) => subtotal = s,
                None => {
                    errors.add(format!("{at}.unit_price"), "quantity × unit price is too large");
                    continue;
                }
            }
            items.push(Item { sku, quantity, unit_price, category, attributes: input.attributes.clone() });
        }
        let mut fees = Vec::with_capacity(self.fees.len());
        for (key, value) in &self.fees {
            let at = format!("{path}.fees.{key}");
            let fee_name = errors.check(at.clone(), name(key, MAX_NAME_LEN, "fee name"));
            let amount = errors.check(at, whole_number(value, 0, MAX_MINOR, "fee"));
            if let (Some(n), Some(a)) = (fee_name, amount) {
                fees.push((n, a));
            }
        }
        let currency = currency.ok_or_else(|| errors.clone())?;
        errors.into_result(|| Cart { currency, items, fees, properties: self.properties.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(value: serde_json::Value) -> Result<Cart, FieldErrors> {
        serde_json::from_value::<CartInput>(value).unwrap().parse("cart")
    }

    #[test]
    fn reads_a_full_cart() {
        let cart = parse(json!({
            "currency": "inr",
            "items": [{"sku": "SHOE-1", "quantity": 2, "unit_price": 150000, "category": "Shoes", "attributes": {"brand": "Bata"}}],
            "fees": {"shipping": 4000},
            "properties": {"payment_method": "upi"}
        }))
        .unwrap();
        assert_eq!(cart.currency.code(), "INR");
        assert_eq!(cart.subtotal(), 300_000);
        assert_eq!(cart.item_count(), 2);
        assert_eq!(cart.fee("shipping"), Some(4000));
        let facts = cart.facts();
        assert_eq!(facts["subtotal"], json!(300_000));
        assert_eq!(facts["payment_method"], json!("upi"));
        assert_eq!(cart.items[0].facts()["brand"], json!("Bata"));
    }

    #[test]
    fn names_every_bad_field() {
        let e = parse(json!({
            "currency": "XYZ",
            "items": [
                {"sku": "", "quantity": 0, "unit_price": -1},
                {"sku": "A", "quantity": 1.5, "unit_price": "10"},
                {"sku": "B", "quantity": 1000000, "unit_price": 1000000000000000i64}
            ],
            "fees": {"shipping": -5}
        }))
        .unwrap_err();
        assert!(e.get("cart.currency").unwrap().contains("XYZ"));
        assert!(e.get("cart.items[0].sku").is_some());
        assert!(e.get("cart.items[0].quantity").unwrap().contains("at least 1"));
        assert!(e.get("cart.items[0].unit_price").is_some());
        assert!(e.get("cart.items[1].quantity").unwrap().contains("whole"));
        assert!(e.get("cart.items[1].unit_price").unwrap().contains("number"));
        assert!(e.get("cart.items[2].unit_price").unwrap().contains("too large"));
        assert!(e.get("cart.fees.shipping").is_some());
    }

    #[test]
    fn refuses_huge_carts_and_missing_currency() {
        let items: Vec<_> =
            (0..=MAX_ITEMS).map(|i| json!({"sku": format!("S{i}"), "quantity": 1, "unit_price": 1})).collect();
        let e = parse(json!({"currency": "USD", "items": items})).unwrap_err();
        assert!(e.get("cart.items").is_some());
        assert!(parse(json!({"items": []})).unwrap_err().get("cart.currency").is_some());
    }
}
