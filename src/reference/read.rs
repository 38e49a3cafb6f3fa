//! Reads the OpenAPI JSON into the page's model. It walks the JSON rather than utoipa's types:
//! the JSON is the published contract, and what the page shows is what apps read.

use serde_json::Value;

use super::*;

const REF: &str = "#/components/schemas/";

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().trim().to_string()
}

/// A schema in a word or two: a type name, `[T]`, `A | B`, with `?` for optional values.
pub fn kind(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return r.trim_start_matches(REF).to_string();
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(list) = schema.get(key).and_then(Value::as_array) {
            let parts: Vec<String> =
                list.iter().filter(|s| s.get("type") != Some(&Value::from("null"))).map(kind).collect();
            let nullable = list.iter().any(|s| s.get("type") == Some(&Value::from("null")));
            return format!("{}{}", parts.join(" | "), if nullable { "?" } else { "" });
        }
    }
    let (types, nullable): (Vec<String>, bool) = match schema.get("type") {
        Some(Value::String(t)) => (vec![t.clone()], false),
        Some(Value::Array(list)) => {
            let names: Vec<String> = list.iter().filter_map(Value::as_str).map(str::to_string).collect();
            let nullable = names.iter().any(|n| n == "null");
            (names.into_iter().filter(|n| n != "null").collect(), nullable)
        }
        _ => (vec![], false),
    };
    let base = match types.first().map(String::as_str) {
        Some("array") => format!("[{}]", schema.get("items").map(kind).unwrap_or_else(|| "any".into())),
        Some("object") => match schema.get("additionalProperties") {
            Some(v) if v.is_object() => format!("{{string: {}}}", kind(v)),
            _ => "object".into(),
        },
        Some(t) => match schema.get("enum").and_then(Value::as_array) {
            Some(values) => values.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" | "),
            None => t.to_string(),
        },
        None => "any".into(),
    };
    format!("{base}{}", if nullable { "?" } else { "" })
}

fn fields(schema: &Value, all: &Value) -> Vec<Field> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut found: Vec<Field> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|props| {
            props
                .iter()
                .map(|(name, p)| Field {
                    name: name.clone(),
                    location: String::new(),
                    kind: kind(p),
                    required: required.contains(&name.as_str()),
                    description: text(&p["description"]),
                })
                .collect()
        })
        .unwrap_or_default();
    // Flattened parts arrive as allOf; their properties belong to the schema.
    for part in schema.get("allOf").and_then(Value::as_array).into_iter().flatten() {
        let part = match part.get("$ref").and_then(Value::as_str) {
            Some(r) => &all[r.trim_start_matches(REF)],
            None => part,
        };
        found.extend(fields(part, all));
    }
    found
}

fn schema_kind(schema: &Value) -> String {
    if schema.get("properties").is_some() || schema.get("allOf").is_some() {
        "object".into()
    } else if let Some(list) = schema.get("oneOf").and_then(Value::as_array) {
        format!("one of {}", list.iter().map(kind).collect::<Vec<_>>().join(" | "))
    } else {
        kind(schema)
    }
}

fn body_of(content: &Value) -> Option<String> {
    content.get("content")?.as_object()?.values().next().map(|media| kind(&media["schema"]))
}

fn operation(method: &str, path: &str, op: &Value) -> Operation {
    Operation {
        method: method.to_uppercase(),
        path: path.to_string(),
        description: text(&op["description"]),
        params: op["parameters"]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|p| Field {
                        name: text(&p["name"]),
                        location: text(&p["in"]),
                        kind: kind(&p["schema"]),
                        required: p["required"].as_bool().unwrap_or(false),
                        description: text(&p["description"]),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        body: op.get("requestBody").and_then(body_of),
        responses: op["responses"]
            .as_object()
            .map(|all| {
                all.iter()
                    .map(|(status, r)| Response {
                        status: status.clone(),
                        description: text(&r["description"]),
                        body: body_of(r),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

pub fn reference(doc: &Value) -> Reference {
    let mut groups: Vec<Group> = doc["tags"]
        .as_array()
        .map(|tags| {
            tags.iter()
                .map(|t| Group { name: text(&t["name"]), description: text(&t["description"]), operations: vec![] })
                .collect()
        })
        .unwrap_or_default();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let tag = op["tags"][0].as_str().unwrap_or("other").to_string();
            let index = match groups.iter().position(|g| g.name == tag) {
                Some(i) => i,
                None => {
                    groups.push(Group { name: tag, description: String::new(), operations: vec![] });
                    groups.len() - 1
                }
            };
            groups[index].operations.push(operation(method, path, op));
        }
    }
    let schemas = doc["components"]["schemas"]
        .as_object()
        .map(|all| {
            all.iter()
                .map(|(name, s)| Schema {
                    name: name.clone(),
                    description: text(&s["description"]),
                    kind: schema_kind(s),
                    fields: fields(s, &doc["components"]["schemas"]),
                })
                .collect()
        })
        .unwrap_or_default();
    Reference {
        title: text(&doc["info"]["title"]),
        version: text(&doc["info"]["version"]),
        description: text(&doc["info"]["description"]),
        base: text(&doc["servers"][0]["url"]),
        groups,
        schemas,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn kinds_read_like_types() {
        assert_eq!(kind(&json!({"$ref": "#/components/schemas/Cart"})), "Cart");
        assert_eq!(kind(&json!({"type": ["string", "null"]})), "string?");
        assert_eq!(kind(&json!({"type": "array", "items": {"type": "integer"}})), "[integer]");
        assert_eq!(kind(&json!({"type": "string", "enum": ["a", "b"]})), "a | b");
        assert_eq!(kind(&json!({"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/Q"}]})), "Q?");
        assert_eq!(kind(&json!({"type": "object", "additionalProperties": {"type": "integer"}})), "{string: integer}");
    }

    #[test]
    fn the_generated_document_reads_whole() {
        let doc = serde_json::to_value(crate::api::openapi()).unwrap();
        let r = reference(&doc);
        let ops: usize = r.groups.iter().map(|g| g.operations.len()).sum();
        assert_eq!(
            ops,
            doc["paths"].as_object().unwrap().values().map(|p| p.as_object().unwrap().len()).sum::<usize>()
        );
        let validate = r.groups.iter().flat_map(|g| &g.operations).find(|o| o.path == "/validate").unwrap();
        assert_eq!(validate.body.as_deref(), Some("RedeemBody"));
        assert!(validate
            .responses
            .iter()
            .any(|resp| resp.status == "200" && resp.body.as_deref() == Some("ValidateAnswer")));
        let body = r.schemas.iter().find(|s| s.name == "RedeemBody").unwrap();
        assert!(body.fields.iter().any(|f| f.name == "codes" && f.kind.starts_with("[string]")));
    }
}
