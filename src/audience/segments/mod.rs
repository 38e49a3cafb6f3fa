//! Segments: named, saved rules over user properties. Campaigns deliver coupons to them.

use serde::{Deserialize, Serialize};

use crate::conditions::{Properties, Rule, RuleInput};
use crate::fields::FieldErrors;

pub mod pages;
pub mod server;
#[cfg(feature = "ssr")]
pub mod store;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub rule: Rule,
    #[serde(with = "crate::dates::rfc3339")]
    pub created_at: i64,
    #[serde(with = "crate::dates::rfc3339")]
    pub updated_at: i64,
}

/// A segment as a client sends it, before it is checked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SegmentInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub rule: RuleInput,
}

/// A checked segment, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub name: String,
    pub description: String,
    pub rule: Rule,
}

const MAX_NAME: usize = 100;
const MAX_DESCRIPTION: usize = 1000;

impl SegmentInput {
    pub fn parse(&self) -> Result<Checked, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = self.name.trim();
        if name.is_empty() {
            errors.add("name", "name the segment");
        } else if name.chars().count() > MAX_NAME {
            errors.add("name", format!("at most {MAX_NAME} characters"));
        }
        let description = self.description.trim();
        if description.chars().count() > MAX_DESCRIPTION {
            errors.add("description", format!("at most {MAX_DESCRIPTION} characters"));
        }
        let rule = self.rule.parse("rule", &mut errors);
        match rule {
            Some(rule) if errors.is_empty() => {
                Ok(Checked { name: name.to_string(), description: description.to_string(), rule })
            }
            _ => Err(errors),
        }
    }
}

impl From<&Segment> for SegmentInput {
    fn from(s: &Segment) -> Self {
        SegmentInput { name: s.name.clone(), description: s.description.clone(), rule: RuleInput::from(&s.rule) }
    }
}

/// Who a rule reaches now: how many users, of how many, and a few of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Preview {
    pub matching: i64,
    pub total: i64,
    pub sample: Vec<SampleUser>,
    /// How long the count took, in milliseconds.
    pub took_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SampleUser {
    pub user_id: String,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub properties: Properties,
}

/// A segment in the list, with the campaigns that used it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentListItem {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub summary: String,
    pub campaigns: i64,
    #[serde(with = "crate::dates::rfc3339")]
    pub updated_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn checks_name_and_rule() {
        let input: SegmentInput = serde_json::from_value(json!({
            "name": "  ",
            "rule": {"groups": [{"conditions": [{"property": "city", "op": "eq", "value": ""}]}]}
        }))
        .unwrap();
        let e = input.parse().unwrap_err();
        assert!(e.get("name").is_some());
        assert!(e.get("rule.groups[0].conditions[0].value").is_some());
        let ok = SegmentInput { name: " Mumbai ".into(), ..Default::default() }.parse().unwrap();
        assert_eq!(ok.name, "Mumbai");
        assert_eq!(ok.rule, Rule::default());
    }
}
