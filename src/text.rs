//! The one rule for text that comes from outside (API bodies, query strings, forms, file cells):
//! no control characters but tab, line feed and carriage return. PostgreSQL cannot store U+0000
//! at all, SQLite would keep it and every later reader would trip on it, and the rest are
//! invisible: refusing them at the edge makes both databases answer the same, with the field.

use crate::fields::FieldErrors;

/// Whether `c` is refused in text from outside.
pub fn forbidden(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Refuses text holding a forbidden character, naming the first.
pub fn check(text: &str) -> Result<(), String> {
    match text.chars().find(|c| forbidden(*c)) {
        Some(c) => Err(format!("remove the control character U+{:04X}", u32::from(c))),
        None => Ok(()),
    }
}

/// Checks every string and every object key of a JSON document, reporting each by its path
/// (`cart.items[0].sku`).
pub fn check_json(value: &serde_json::Value) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::default();
    walk(value, "", &mut errors);
    errors.into_result(|| ())
}

fn walk(value: &serde_json::Value, path: &str, errors: &mut FieldErrors) {
    use serde_json::Value;
    let join = |name: &str| if path.is_empty() { name.to_string() } else { format!("{path}.{name}") };
    match value {
        Value::String(s) => {
            if let Err(message) = check(s) {
                errors.add(if path.is_empty() { "body" } else { path }, message);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, &format!("{path}[{i}]"), errors);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let at = join(&key.chars().filter(|c| !forbidden(*c)).collect::<String>());
                match check(key) {
                    Err(message) => errors.add(at, format!("a name cannot hold control characters: {message}")),
                    Ok(()) => walk(item, &at, errors),
                }
            }
        }
        _ => {}
    }
}

/// Checks each name and value of a URL-encoded text (a query string or a form body).
pub fn check_form(encoded: &[u8]) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::default();
    for (name, value) in form_pairs(encoded) {
        if let Err(message) = check(&name).and_then(|()| check(&value)) {
            errors.add(name.chars().filter(|c| !forbidden(*c)).collect::<String>(), message);
        }
    }
    errors.into_result(|| ())
}

/// `application/x-www-form-urlencoded` pairs, decoded (`+` is a space, bad escapes are kept).
fn form_pairs(encoded: &[u8]) -> impl Iterator<Item = (String, String)> + '_ {
    encoded.split(|b| *b == b'&').filter(|p| !p.is_empty()).map(|pair| {
        let mut halves = pair.splitn(2, |b| *b == b'=');
        let name = decode(halves.next().unwrap_or_default());
        let value = decode(halves.next().unwrap_or_default());
        (name, value)
    })
}

fn decode(bytes: &[u8]) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_with_their_path() {
        let body = serde_json::json!({
            "user_id": "u1",
            "cart": {"items": [{"sku": "A\u{0}B"}], "note": "two\nlines\tare fine"},
            "properties": {"bad\u{1}key": 1, "city": "x\u{7f}"}
        });
        let errors = check_json(&body).expect_err("refused");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["cart.items[0].sku", "properties.badkey", "properties.city"]);
        assert!(errors.get("cart.items[0].sku").is_some_and(|m| m.contains("U+0000")));
        assert!(check_json(&serde_json::json!({"a": ["ok", 1, null]})).is_ok());
    }

    #[test]
    fn forms_and_queries_are_decoded_before_the_check() {
        let errors = check_form(b"search=%00&status=&x=a+b").expect_err("refused");
        assert_eq!(errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), vec!["search"]);
        assert!(check_form(b"next=%2Fcoupons%3Fa%3D1&t=%E2%82%B9%20200").is_ok());
        assert!(check_form(b"a=%0").is_ok());
        assert!(check_form(b"a=%7F").is_err());
        assert!(check_form(b"a=%").is_ok());
    }
}
