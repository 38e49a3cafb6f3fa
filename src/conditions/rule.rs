//! Rules: conditions in groups, joined by AND or OR — what a segment is.

use serde::{Deserialize, Serialize};

use super::{parse_all, Condition, ConditionInput, Properties};
use crate::fields::FieldErrors;

pub const MAX_GROUPS: usize = 20;
pub const MAX_CONDITIONS: usize = 50;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Join {
    /// Every part must hold (AND).
    #[default]
    All,
    /// At least one part must hold (OR).
    Any,
}

impl Join {
    pub fn word(self) -> &'static str {
        match self {
            Join::All => "and",
            Join::Any => "or",
        }
    }
}

/// Groups of conditions: `join` says how the groups combine, each group how its conditions do.
/// A rule without groups matches everyone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub join: Join,
    pub groups: Vec<Group>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub join: Join,
    pub conditions: Vec<Condition>,
}

impl Rule {
    pub fn holds(&self, properties: &Properties) -> bool {
        self.groups.is_empty()
            || combine(
                self.join,
                self.groups.iter().map(|g| combine(g.join, g.conditions.iter().map(|c| c.holds(properties)))),
            )
    }

    pub fn condition_count(&self) -> usize {
        self.groups.iter().map(|g| g.conditions.len()).sum()
    }
}

/// Groups and rules are never empty here: a group needs a condition, and a rule without groups
/// matches everyone before it gets here.
fn combine(join: Join, mut parts: impl Iterator<Item = bool>) -> bool {
    match join {
        Join::All => parts.all(|p| p),
        Join::Any => parts.any(|p| p),
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.groups.is_empty() {
            return f.write_str("every user");
        }
        let groups: Vec<String> = self
            .groups
            .iter()
            .map(|g| {
                let parts: Vec<String> = g.conditions.iter().map(ToString::to_string).collect();
                let text = parts.join(&format!(" {} ", g.join.word()));
                if self.groups.len() > 1 && parts.len() > 1 {
                    format!("({text})")
                } else {
                    text
                }
            })
            .collect();
        f.write_str(&groups.join(&format!(" {} ", self.join.word())))
    }
}

/// A rule as a client sends it, before it is checked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RuleInput {
    #[serde(default)]
    pub join: Join,
    #[serde(default)]
    pub groups: Vec<GroupInput>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GroupInput {
    #[serde(default)]
    pub join: Join,
    #[serde(default)]
    pub conditions: Vec<ConditionInput>,
}

impl RuleInput {
    /// Checks every condition, reporting under `{path}.groups[i].conditions[j].…`.
    pub fn parse(&self, path: &str, errors: &mut FieldErrors) -> Option<Rule> {
        if self.groups.len() > MAX_GROUPS {
            errors.add(format!("{path}.groups"), format!("at most {MAX_GROUPS} groups"));
            return None;
        }
        let total: usize = self.groups.iter().map(|g| g.conditions.len()).sum();
        if total > MAX_CONDITIONS {
            errors.add(format!("{path}.groups"), format!("at most {MAX_CONDITIONS} conditions in all"));
            return None;
        }
        let before = errors.0.len();
        let groups: Vec<Group> = self
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let at = format!("{path}.groups[{i}]");
                if g.conditions.is_empty() {
                    errors.add(format!("{at}.conditions"), "add a condition or remove this group");
                }
                Group { join: g.join, conditions: parse_all(&g.conditions, &format!("{at}.conditions"), errors) }
            })
            .collect();
        (errors.0.len() == before).then_some(Rule { join: self.join, groups })
    }
}

impl From<&Rule> for RuleInput {
    fn from(rule: &Rule) -> Self {
        RuleInput {
            join: rule.join,
            groups: rule
                .groups
                .iter()
                .map(|g| GroupInput {
                    join: g.join,
                    conditions: g.conditions.iter().map(ConditionInput::from).collect(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(value: serde_json::Value) -> RuleInput {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn groups_combine_as_joined() {
        let mut errors = FieldErrors::default();
        let rule = input(json!({"join": "any", "groups": [
            {"join": "all", "conditions": [
                {"property": "city", "op": "eq", "value": "Mumbai"},
                {"property": "age", "op": "gte", "value": 30}]},
            {"conditions": [{"property": "vip", "op": "eq", "value": "true"}]}]}))
        .parse("rule", &mut errors)
        .unwrap();
        let props = |v: serde_json::Value| v.as_object().cloned().unwrap();
        assert!(rule.holds(&props(json!({"city": "mumbai", "age": 31}))));
        assert!(!rule.holds(&props(json!({"city": "mumbai", "age": 29}))));
        assert!(rule.holds(&props(json!({"vip": true}))));
        assert_eq!(rule.to_string(), "(city is Mumbai and age ≥ 30) or vip is true");
        assert!(Rule::default().holds(&props(json!({}))));
        assert!(Rule { join: Join::Any, groups: vec![] }.holds(&props(json!({}))));
        assert_eq!(Rule::default().to_string(), "every user");
    }

    #[test]
    fn names_the_failing_condition() {
        let mut errors = FieldErrors::default();
        let parsed = input(json!({"groups": [
            {"conditions": [{"property": "city", "op": "eq", "value": "x"}, {"property": "age", "op": "gte", "value": "old"}]},
            {"conditions": []}]}))
        .parse("rule", &mut errors);
        assert_eq!(parsed, None);
        assert_eq!(errors.get("rule.groups[0].conditions[1].value"), Some("enter a number"));
        assert!(errors.get("rule.groups[1].conditions").is_some());
    }
}
