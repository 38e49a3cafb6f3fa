//! The seed's use cases as starting points: "New coupon" offers each, filled in the way a
//! marketer of that business would set it up, ready to adjust and save.

use serde_json::Value;

use super::input::CouponInput;

/// A starting point: its key in `/coupons/new?template=…`, its name and what it is for.
pub struct Template {
    pub key: &'static str,
    pub title: &'static str,
    pub blurb: &'static str,
}

pub const ALL: [Template; 8] = [
    Template { key: "first-purchase", title: "First purchase", blurb: "20% off a new customer's first order" },
    Template { key: "festive", title: "Festive offer", blurb: "15% off for the season, within a budget" },
    Template {
        key: "cart-abandonment",
        title: "Cart abandonment",
        blurb: "A code of their own, 48 hours, when a cart is left",
    },
    Template {
        key: "off-peak-delivery",
        title: "Off-peak free delivery",
        blurb: "No delivery fee on weekday afternoons",
    },
    Template { key: "city-cashback", title: "Cashback in one city", blurb: "5% back as points for shoppers in Mumbai" },
    Template { key: "early-bird", title: "Early bird", blurb: "12% off bookings made 30 days ahead" },
    Template {
        key: "upi-top-up", title: "UPI top-up", blurb: "₹50 in points for a top-up paid by UPI, once a month"
    },
    Template {
        key: "gaming-drop",
        title: "Weekend game drop",
        blurb: "30% off in-app packs, weekends only, unique codes",
    },
];

/// The builder's input for a template; `None` for a key no template has. Money is in minor units.
/// The settings are JSON text rather than `json!` so the browser's build carries data, not code.
pub fn input(key: &str) -> Option<CouponInput> {
    let (name, changes) = match key {
        "first-purchase" => (
            "First order 20% off",
            r#"{"reward": {"type": "percent_off", "percent": 20, "max_discount": 30000},
                "qualifying": {"user": [{"property": "orders", "op": "eq", "value": 0}]},
                "distribution": {"type": "static", "code": "WELCOME20"},
                "limits": {"per_user": 1}}"#,
        ),
        "festive" => (
            "Festive 15% off",
            r#"{"reward": {"type": "percent_off", "percent": 15, "max_discount": 50000},
                "distribution": {"type": "static", "code": "FESTIVE15"},
                "limits": {"per_user": 2, "global": 10000, "budget_discount": 5000000}}"#,
        ),
        "cart-abandonment" => (
            "Come back: 10% off",
            r#"{"reward": {"type": "percent_off", "percent": 10},
                "audience": "campaign",
                "distribution": {"type": "event_triggered", "event": "cart_abandoned", "unique_codes": true},
                "expiry": {"type": "relative", "duration": {"value": 48, "unit": "hours"}, "relative_to": "assignment"},
                "limits": {"per_user": 1}}"#,
        ),
        "off-peak-delivery" => (
            "Free delivery, 2 to 5 pm",
            r#"{"reward": {"type": "percent_off", "percent": 100},
                "applies_to": {"type": "fees", "names": ["delivery_fee"]},
                "distribution": {"type": "static", "code": "FREEDEL"},
                "limits": {"caps": [{"period": "day", "scope": "per_user", "limit": 1}]},
                "schedule": {"days": [
                    {"day": "mon", "ranges": [{"start": "14:00", "end": "17:00"}]},
                    {"day": "tue", "ranges": [{"start": "14:00", "end": "17:00"}]},
                    {"day": "wed", "ranges": [{"start": "14:00", "end": "17:00"}]},
                    {"day": "thu", "ranges": [{"start": "14:00", "end": "17:00"}]},
                    {"day": "fri", "ranges": [{"start": "14:00", "end": "17:00"}]}]}}"#,
        ),
        "city-cashback" => (
            "Mumbai 5% cashback",
            r#"{"reward": {"type": "cashback", "percent": 5, "max_points": 200},
                "distribution": {"type": "static", "code": "MUMBAI5"},
                "targeting": [{"property": "city", "op": "eq", "value": "Mumbai"}],
                "limits": {"caps": [{"period": "week", "scope": "per_user", "limit": 2}]}}"#,
        ),
        "early-bird" => (
            "Early bird 12% off",
            r#"{"reward": {"type": "percent_off", "percent": 12, "max_discount": 150000},
                "qualifying": {"cart": [{"property": "days_before_travel", "op": "gte", "value": 30}]},
                "distribution": {"type": "static", "code": "EARLYBIRD"}}"#,
        ),
        "upi-top-up" => (
            "UPI top-up ₹50 back",
            r#"{"reward": {"type": "cashback", "points": 50},
                "qualifying": {"cart": [
                    {"property": "payment_method", "op": "eq", "value": "upi"},
                    {"property": "subtotal", "op": "gte", "value": 50000}]},
                "distribution": {"type": "static", "code": "UPI50"},
                "limits": {"caps": [{"period": "month", "scope": "per_user", "limit": 1}]}}"#,
        ),
        "gaming-drop" => (
            "Weekend drop 30% off packs",
            r#"{"reward": {"type": "percent_off", "percent": 30},
                "applies_to": {"type": "items", "categories": ["in_app"], "skus": [], "conditions": []},
                "distribution": {"type": "unique"},
                "limits": {"per_user": 1, "global": 5000},
                "schedule": {"days": [{"day": "sat", "ranges": []}, {"day": "sun", "ranges": []}]},
                "visibility": "hidden"}"#,
        ),
        _ => return None,
    };
    let changes: Value = serde_json::from_str(changes).ok()?;
    serde_json::from_value(coupon_json(name, &changes)).ok()
}

/// A coupon's JSON: an INR, Asia/Kolkata, 10%-off, open-to-all coupon, with `changes` on top.
pub fn coupon_json(name: &str, changes: &Value) -> Value {
    let mut base: Value = serde_json::from_str(
        r#"{"currency": "INR", "time_zone": "Asia/Kolkata", "reward": {"type": "percent_off", "percent": 10},
            "applies_to": {"type": "order"}, "audience": "all_users", "distribution": {"type": "static", "code": ""},
            "activation": {"type": "time"}, "expiry": {"type": "never"}, "visibility": "visible",
            "stacking": "exclusive"}"#,
    )
    .unwrap_or_default();
    base["name"] = Value::String(name.to_string());
    for (k, v) in changes.as_object().into_iter().flatten() {
        base[k] = v.clone();
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_is_a_coupon_that_saves() {
        for t in &ALL {
            let input = input(t.key).unwrap_or_else(|| panic!("{} reads", t.key));
            if let Err(e) = input.parse() {
                panic!("{} does not parse: {e}", t.key);
            }
        }
        assert!(input("no-such").is_none());
    }
}
