//! `metadata`: a small JSON object an integrator attaches to a coupon, a redemption or a code
//! (its own ids, a campaign name, a refund ticket) and gets back in every answer. The limits are
//! Stripe's, which integrators already design for; values are flat so they can be shown as a
//! table and compared without walking trees.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::fields::FieldErrors;

pub const MAX_KEYS: usize = 50;
pub const MAX_KEY_LEN: usize = 40;
pub const MAX_VALUE_LEN: usize = 500;

/// Keys to strings, numbers or booleans. Sent as a change, a `null` value removes the key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Metadata(pub Map<String, Value>);

impl Metadata {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Checks `value` as sent under `field` (absent or `null` is empty), reporting every problem.
    pub fn parse(value: &Value, field: &str, e: &mut FieldErrors) -> Option<Metadata> {
        let map = match value {
            Value::Null => return Some(Metadata::default()),
            Value::Object(map) => map,
            _ => {
                e.add(field, "send an object of keys to strings, numbers or booleans");
                return None;
            }
        };
        let before = e.0.len();
        if map.len() > MAX_KEYS {
            e.add(field, format!("at most {MAX_KEYS} keys"));
        }
        for (key, v) in map {
            let at = format!("{field}.{key}");
            if key.trim().is_empty() || key.chars().count() > MAX_KEY_LEN {
                e.add(&at, format!("a key has 1–{MAX_KEY_LEN} characters"));
            }
            match v {
                Value::String(s) if s.chars().count() > MAX_VALUE_LEN => {
                    e.add(&at, format!("at most {MAX_VALUE_LEN} characters"))
                }
                Value::String(_) | Value::Number(_) | Value::Bool(_) => {}
                Value::Null => {}
                Value::Array(_) | Value::Object(_) => e.add(&at, "a value is a string, number or boolean"),
            }
        }
        let kept = map.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), v.clone())).collect();
        (e.0.len() == before).then_some(Metadata(kept))
    }

    /// This metadata with `change` applied: keys set to `null` removed, others set.
    pub fn merged(&self, change: &Value, field: &str, e: &mut FieldErrors) -> Option<Metadata> {
        Metadata::parse(change, field, e)?;
        let mut map = self.0.clone();
        if let Value::Object(change) = change {
            for (k, v) in change {
                match v {
                    Value::Null => map.remove(k),
                    v => map.insert(k.clone(), v.clone()),
                };
            }
        }
        if map.len() > MAX_KEYS {
            e.add(field, format!("at most {MAX_KEYS} keys"));
            return None;
        }
        Some(Metadata(map))
    }

    /// As stored in a nullable text column: `NULL` when empty.
    pub fn to_column(&self) -> Option<String> {
        (!self.is_empty()).then(|| Value::Object(self.0.clone()).to_string())
    }

    /// From a nullable text column; text that is not an object reads as empty.
    pub fn from_column(text: Option<&str>) -> Metadata {
        text.and_then(|t| serde_json::from_str::<Map<String, Value>>(t).ok()).map(Metadata).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(v: Value) -> Result<Metadata, FieldErrors> {
        let mut e = FieldErrors::default();
        Metadata::parse(&v, "metadata", &mut e).ok_or(e)
    }

    #[test]
    fn flat_small_objects_only() {
        let m = parse(json!({"crm_id": "C-1", "tier": 3, "vip": true, "gone": null})).unwrap();
        assert_eq!(Value::Object(m.0.clone()), json!({"crm_id": "C-1", "tier": 3, "vip": true}));
        assert!(parse(Value::Null).unwrap().is_empty());
        let e = parse(json!([1])).unwrap_err();
        assert!(e.get("metadata").is_some());
        let e = parse(json!({"deep": {"x": 1}, "": "v", "long": "x".repeat(501)})).unwrap_err();
        assert_eq!(e.get("metadata.deep"), Some("a value is a string, number or boolean"));
        assert_eq!(e.get("metadata."), Some("a key has 1–40 characters"));
        assert_eq!(e.get("metadata.long"), Some("at most 500 characters"));
        let many: Map<String, Value> = (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
        assert_eq!(parse(Value::Object(many)).unwrap_err().get("metadata"), Some("at most 50 keys"));
    }

    #[test]
    fn a_change_sets_and_removes_keys() {
        let m = parse(json!({"a": 1, "b": 2})).unwrap();
        let mut e = FieldErrors::default();
        let m = m.merged(&json!({"b": null, "c": "x"}), "metadata", &mut e).unwrap();
        assert_eq!(Value::Object(m.0.clone()), json!({"a": 1, "c": "x"}));
        assert_eq!(Metadata::from_column(m.to_column().as_deref()), m);
        assert_eq!(Metadata::default().to_column(), None);
    }
}
