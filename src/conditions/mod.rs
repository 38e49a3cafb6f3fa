//! The condition language: tests on named properties, used by targeting and qualifying rules and
//! by segments. One definition and one parser; tests compare facets (see `facets`), evaluated in
//! Rust for one user or cart and translated to SQL (see `sql`) for sets of users.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::fields::FieldErrors;

pub mod facets;
pub mod rule;
#[cfg(feature = "ssr")]
pub mod sql;

pub use facets::{Facet, Properties};
pub use rule::{Group, Join, Rule, RuleInput};

/// One test on one property: `city eq Mumbai`, `days_before_checkin gte 30`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    pub property: String,
    #[serde(flatten)]
    pub test: Test,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", content = "value", rename_all = "snake_case")]
pub enum Test {
    Eq(String),
    Ne(String),
    OneOf(Vec<String>),
    Contains(String),
    Exists,
    Gt(f64),
    Gte(f64),
    Lt(f64),
    Lte(f64),
    Before(DateTime<Utc>),
    After(DateTime<Utc>),
}

/// The operators, with the words a person reads.
pub const OPERATORS: &[(&str, &str)] = &[
    ("eq", "equals"),
    ("ne", "does not equal"),
    ("one_of", "is one of"),
    ("contains", "contains"),
    ("exists", "is set"),
    ("gt", ">"),
    ("gte", "≥"),
    ("lt", "<"),
    ("lte", "≤"),
    ("before", "is before"),
    ("after", "is after"),
];

/// A condition as a client sends it, before it is checked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ConditionInput {
    #[serde(default)]
    pub property: String,
    #[serde(default)]
    pub op: String,
    #[serde(default)]
    pub value: serde_json::Value,
}

const MAX_PROPERTY_LEN: usize = 64;
const MAX_VALUE_LEN: usize = 256;
const MAX_ONE_OF: usize = 1000;

impl ConditionInput {
    /// Checks one condition, reporting problems under `{path}.property`, `.op` and `.value`.
    pub fn parse(&self, path: &str, errors: &mut FieldErrors) -> Option<Condition> {
        let property = errors.check(format!("{path}.property"), parse_property(&self.property));
        let test = match self.op.as_str() {
            "" => {
                errors.add(format!("{path}.op"), "choose an operator");
                None
            }
            op => errors.check(format!("{path}.value"), parse_test(op, &self.value)),
        };
        Some(Condition { property: property?, test: test? })
    }
}

fn parse_property(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("enter a property name".into());
    }
    if name.len() > MAX_PROPERTY_LEN {
        return Err(format!("at most {MAX_PROPERTY_LEN} characters"));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')) {
        return Err("use letters, digits, `_`, `.` or `-`".into());
    }
    Ok(name.to_string())
}

fn scalar_text(value: &serde_json::Value) -> Result<String, String> {
    let text = match value {
        serde_json::Value::String(s) => s.trim().to_string(),
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::Bool(b) => b.to_string(),
        _ => return Err("enter a value".into()),
    };
    if text.is_empty() {
        return Err("enter a value".into());
    }
    if text.len() > MAX_VALUE_LEN {
        return Err(format!("at most {MAX_VALUE_LEN} characters"));
    }
    Ok(text)
}

/// Whole numbers read back as they were typed (`50000`, not `50000.0`).
fn number_json(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        serde_json::json!(n as i64)
    } else {
        serde_json::json!(n)
    }
}

fn number(value: &serde_json::Value) -> Result<f64, String> {
    let n = match value {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => facets::decimal(s),
        _ => None,
    };
    n.filter(|n| n.is_finite()).ok_or_else(|| "enter a number".to_string())
}

fn date(value: &serde_json::Value) -> Result<DateTime<Utc>, String> {
    facets::parse_instant(value.as_str().unwrap_or_default())
}

fn parse_test(op: &str, value: &serde_json::Value) -> Result<Test, String> {
    Ok(match op {
        "eq" => Test::Eq(scalar_text(value)?),
        "ne" => Test::Ne(scalar_text(value)?),
        "contains" => Test::Contains(scalar_text(value)?),
        "one_of" => {
            let items: Vec<String> = match value {
                serde_json::Value::Array(items) => items.iter().map(scalar_text).collect::<Result<_, _>>()?,
                serde_json::Value::String(s) => {
                    s.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()
                }
                _ => Vec::new(),
            };
            if items.is_empty() {
                return Err("enter one or more values, separated by commas".into());
            }
            if items.len() > MAX_ONE_OF {
                return Err(format!("at most {MAX_ONE_OF} values"));
            }
            Test::OneOf(items)
        }
        "exists" => Test::Exists,
        "gt" => Test::Gt(number(value)?),
        "gte" => Test::Gte(number(value)?),
        "lt" => Test::Lt(number(value)?),
        "lte" => Test::Lte(number(value)?),
        "before" => Test::Before(date(value)?),
        "after" => Test::After(date(value)?),
        other => return Err(format!("unknown operator `{other}`")),
    })
}

impl Test {
    pub fn op(&self) -> &'static str {
        match self {
            Test::Eq(_) => "eq",
            Test::Ne(_) => "ne",
            Test::OneOf(_) => "one_of",
            Test::Contains(_) => "contains",
            Test::Exists => "exists",
            Test::Gt(_) => "gt",
            Test::Gte(_) => "gte",
            Test::Lt(_) => "lt",
            Test::Lte(_) => "lte",
            Test::Before(_) => "before",
            Test::After(_) => "after",
        }
    }

    fn value_json(&self) -> serde_json::Value {
        use serde_json::Value as V;
        match self {
            Test::Eq(s) | Test::Ne(s) | Test::Contains(s) => V::String(s.clone()),
            Test::OneOf(items) => V::Array(items.iter().cloned().map(V::String).collect()),
            Test::Exists => V::Null,
            Test::Gt(n) | Test::Gte(n) | Test::Lt(n) | Test::Lte(n) => number_json(*n),
            Test::Before(t) | Test::After(t) => V::String(t.to_rfc3339()),
        }
    }
}

impl From<&Condition> for ConditionInput {
    fn from(c: &Condition) -> Self {
        ConditionInput { property: c.property.clone(), op: c.test.op().to_string(), value: c.test.value_json() }
    }
}

impl std::fmt::Display for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text_with(&|n| n.to_string()))
    }
}

impl Condition {
    /// The condition as a person reads it, its number written by `number` (as an amount in a
    /// currency, say).
    pub fn text_with(&self, number: &dyn Fn(f64) -> String) -> String {
        let p = &self.property;
        match &self.test {
            Test::Eq(v) => format!("{p} is {v}"),
            Test::Ne(v) => format!("{p} is not {v}"),
            Test::OneOf(vs) => format!("{p} is one of {}", vs.join(", ")),
            Test::Contains(v) => format!("{p} contains {v}"),
            Test::Exists => format!("{p} is set"),
            Test::Gt(n) => format!("{p} > {}", number(*n)),
            Test::Gte(n) => format!("{p} ≥ {}", number(*n)),
            Test::Lt(n) => format!("{p} < {}", number(*n)),
            Test::Lte(n) => format!("{p} ≤ {}", number(*n)),
            Test::Before(t) => format!("{p} before {}", t.format("%Y-%m-%d")),
            Test::After(t) => format!("{p} after {}", t.format("%Y-%m-%d")),
        }
    }

    /// The condition as text, with a whole number on one of the facts in `amounts` written by
    /// `money` (those facts are amounts in minor units).
    pub fn text_in(&self, amounts: &[&str], money: &dyn Fn(i64) -> String) -> String {
        if !amounts.contains(&self.property.as_str()) {
            return self.to_string();
        }
        self.text_with(&|n| if n.fract() == 0.0 && n.abs() < 1e15 { money(n as i64) } else { n.to_string() })
    }
}

impl Condition {
    /// Whether the condition holds for these properties (through their facets, as in SQL).
    pub fn holds(&self, properties: &Properties) -> bool {
        let facet = properties.get(&self.property).and_then(facets::facet);
        self.test.holds(facet.as_ref())
    }
}

/// Whether every condition holds.
pub fn all_hold(conditions: &[Condition], properties: &Properties) -> bool {
    conditions.iter().all(|c| c.holds(properties))
}

impl Test {
    /// Text compares folded (trimmed, ASCII case ignored), numbers by value, instants in time;
    /// a property that is not set fails every test except `ne`.
    pub fn holds(&self, facet: Option<&Facet>) -> bool {
        let Some(f) = facet else {
            return matches!(self, Test::Ne(_));
        };
        match self {
            Test::Eq(expected) => equals(f, expected),
            Test::Ne(expected) => !equals(f, expected),
            Test::OneOf(options) => options.iter().any(|o| equals(f, o)),
            Test::Contains(part) => {
                let folded = facets::fold(part);
                f.l.contains(&folded)
                    || facets::decimal(part).is_some_and(|n| f.ln.contains(&n))
                    || f.t.as_ref().is_some_and(|t| t.contains(&folded))
            }
            Test::Exists => true,
            Test::Gt(n) => f.n.is_some_and(|v| v > *n),
            Test::Gte(n) => f.n.is_some_and(|v| v >= *n),
            Test::Lt(n) => f.n.is_some_and(|v| v < *n),
            Test::Lte(n) => f.n.is_some_and(|v| v <= *n),
            Test::Before(t) => f.d.is_some_and(|d| d < t.timestamp_millis()),
            Test::After(t) => f.d.is_some_and(|d| d > t.timestamp_millis()),
        }
    }
}

/// Equal as text, or as numbers when both are numbers (`30` equals `30.0`).
fn equals(f: &Facet, expected: &str) -> bool {
    f.t.as_deref() == Some(facets::fold(expected).as_str()) || facets::decimal(expected).is_some_and(|e| f.n == Some(e))
}

/// Parses a list of conditions under `path[i]`.
pub fn parse_all(inputs: &[ConditionInput], path: &str, errors: &mut FieldErrors) -> Vec<Condition> {
    inputs.iter().enumerate().filter_map(|(i, c)| c.parse(&format!("{path}[{i}]"), errors)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(property: &str, op: &str, value: serde_json::Value) -> Result<Condition, FieldErrors> {
        let mut errors = FieldErrors::default();
        let input = ConditionInput { property: property.into(), op: op.into(), value };
        let parsed = input.parse("c", &mut errors);
        match parsed {
            Some(c) if errors.is_empty() => Ok(c),
            _ => Err(errors),
        }
    }

    #[test]
    fn parses_every_operator() {
        assert_eq!(parse("city", "eq", json!("Mumbai")).unwrap().test, Test::Eq("Mumbai".into()));
        assert_eq!(parse("lang", "one_of", json!("en, hi")).unwrap().test, Test::OneOf(vec!["en".into(), "hi".into()]));
        assert_eq!(parse("days", "gte", json!(30)).unwrap().test, Test::Gte(30.0));
        assert_eq!(parse("days", "lt", json!("7.5")).unwrap().test, Test::Lt(7.5));
        assert_eq!(parse("vip", "exists", json!(null)).unwrap().test, Test::Exists);
        assert!(matches!(parse("born", "before", json!("2000-01-01")).unwrap().test, Test::Before(_)));
    }

    #[test]
    fn names_the_failing_part() {
        let e = parse("", "eq", json!("x")).unwrap_err();
        assert!(e.get("c.property").is_some());
        let e = parse("days", "gte", json!("thirty")).unwrap_err();
        assert_eq!(e.get("c.value"), Some("enter a number"));
        let e = parse("city", "", json!("x")).unwrap_err();
        assert!(e.get("c.op").is_some());
        let e = parse("city", "like", json!("x")).unwrap_err();
        assert!(e.get("c.value").unwrap().contains("unknown operator"));
        let e = parse("city", "eq", json!("  ")).unwrap_err();
        assert!(e.get("c.value").is_some());
        let e = parse("city name", "eq", json!("x")).unwrap_err();
        assert!(e.get("c.property").is_some());
        assert!(parse("d", "after", json!("tomorrow")).is_err());
        assert!(parse("d", "one_of", json!([])).is_err());
    }

    fn props(value: serde_json::Value) -> Properties {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn evaluates_against_properties() {
        let p = props(json!({"city": "Mumbai", "days": 45, "tags": ["vip", "new"], "born": "1990-05-01", "n": "12"}));
        let holds = |prop: &str, op: &str, value: serde_json::Value| parse(prop, op, value).unwrap().holds(&p);
        assert!(holds("city", "eq", json!("mumbai")));
        assert!(!holds("city", "ne", json!("MUMBAI")));
        assert!(holds("town", "ne", json!("Pune")));
        assert!(!holds("town", "eq", json!("Pune")));
        assert!(holds("city", "one_of", json!("Delhi, Mumbai")));
        assert!(holds("city", "contains", json!("umb")));
        assert!(holds("tags", "contains", json!("VIP")));
        assert!(holds("days", "gte", json!(45)) && !holds("days", "gt", json!(45)));
        assert!(holds("days", "eq", json!("45.0")));
        assert!(holds("n", "lt", json!(13)));
        assert!(holds("born", "before", json!("2000-01-01")) && !holds("born", "after", json!("2000-01-01")));
        assert!(holds("city", "exists", json!(null)) && !holds("town", "exists", json!(null)));
        assert!(!holds("city", "gt", json!(1)));
    }

    #[test]
    fn round_trips_through_input() {
        let c = parse("days", "gte", json!(30)).unwrap();
        let back = ConditionInput::from(&c);
        let mut errors = FieldErrors::default();
        assert_eq!(back.parse("c", &mut errors), Some(c.clone()));
        let stored = serde_json::to_value(&c).unwrap();
        assert_eq!(stored, json!({"property": "days", "op": "gte", "value": 30.0}));
        assert_eq!(serde_json::from_value::<Condition>(stored).unwrap(), c);
    }
}
