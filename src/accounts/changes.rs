//! What an audited change changed: the before and after JSON of an audit row, flattened to
//! field paths, keeping the fields whose value differs.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One field that changed; an absent side is `None` (a field added or removed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Most changes a row lists; a longer one ends with a "…" row.
const MAX_CHANGES: usize = 60;

/// The fields that differ between `before` and `after` (JSON text, either may be absent), in the
/// order they first appear. Text that is not JSON is compared whole.
pub fn changes(before: Option<&str>, after: Option<&str>) -> Vec<Change> {
    let mut old = Vec::new();
    let mut new = Vec::new();
    if let Some(text) = before {
        flatten("", &parse(text), &mut old);
    }
    if let Some(text) = after {
        flatten("", &parse(text), &mut new);
    }
    let find = |list: &[(String, String)], field: &str| list.iter().find(|(f, _)| f == field).map(|(_, v)| v.clone());
    let mut fields: Vec<&String> = old.iter().map(|(f, _)| f).collect();
    for (f, _) in &new {
        if !fields.contains(&f) {
            fields.push(f);
        }
    }
    let mut out: Vec<Change> = fields
        .into_iter()
        .filter_map(|field| {
            let (b, a) = (find(&old, field), find(&new, field));
            (b != a).then(|| Change { field: field.clone(), before: b, after: a })
        })
        .collect();
    if out.len() > MAX_CHANGES {
        let more = out.len() - MAX_CHANGES;
        out.truncate(MAX_CHANGES);
        out.push(Change { field: format!("… and {more} more"), before: None, after: None });
    }
    out
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

/// Leaves of `value` as `(path, text)`: `reward.percent`, `limits.caps[0].limit`.
fn flatten(path: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, v) in map {
                let next = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                flatten(&next, v, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, v) in items.iter().enumerate() {
                flatten(&format!("{path}[{i}]"), v, out);
            }
        }
        Value::String(s) => out.push((name(path), s.clone())),
        Value::Null => {}
        other => out.push((name(path), other.to_string())),
    }
}

fn name(path: &str) -> String {
    if path.is_empty() {
        "value".to_string()
    } else {
        path.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(field: &str, before: Option<&str>, after: Option<&str>) -> Change {
        Change { field: field.into(), before: before.map(Into::into), after: after.map(Into::into) }
    }

    #[test]
    fn only_fields_that_differ_are_listed() {
        let before = r#"{"name":"Diwali","status":"paused","limits":{"global":100,"caps":[{"limit":5}]}}"#;
        let after = r#"{"name":"Diwali","status":"active","limits":{"global":200,"caps":[{"limit":5},{"limit":1}]},"note":"x"}"#;
        // Key order follows serde_json's map (sorted, or as written with `preserve_order`).
        let mut found = changes(Some(before), Some(after));
        found.sort_by(|a, b| a.field.cmp(&b.field));
        assert_eq!(
            found,
            vec![
                change("limits.caps[1].limit", None, Some("1")),
                change("limits.global", Some("100"), Some("200")),
                change("note", None, Some("x")),
                change("status", Some("paused"), Some("active")),
            ]
        );
    }

    #[test]
    fn a_creation_lists_every_field_and_plain_text_is_one_value() {
        assert_eq!(changes(None, Some(r#"{"role":"admin"}"#)), vec![change("role", None, Some("admin"))]);
        assert_eq!(
            changes(Some("\"draft\""), Some("\"active\"")),
            vec![change("value", Some("draft"), Some("active"))]
        );
        assert_eq!(changes(Some("{}"), Some("{}")), vec![]);
    }
}
