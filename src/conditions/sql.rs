//! Rules as SQL: a WHERE clause over the stored facets of users, in either dialect.
//!
//! Each test is the one `Test::holds` computes, written with `=`, `<`, `>`, `IN` and substring
//! checks over facets Rust derived: no parsing and no case folding happen in SQL.

use super::facets::{decimal, fold};
use super::{Condition, Group, Join, Rule, Test};
use crate::db::{Backend, Bind, Sql};

impl Rule {
    /// Writes the rule as a boolean expression over the facets column `column` (e.g. `u.facets`).
    pub fn push_sql(&self, sql: &mut Sql, column: &str) {
        if self.groups.is_empty() {
            sql.push("TRUE");
            return;
        }
        joined(sql, self.join, &self.groups, |sql, group: &Group| {
            joined(sql, group.join, &group.conditions, |sql, c| condition(sql, column, c));
        });
    }
}

fn joined<T>(sql: &mut Sql, join: Join, parts: &[T], mut each: impl FnMut(&mut Sql, &T)) {
    let word = match join {
        Join::All => " AND ",
        Join::Any => " OR ",
    };
    sql.push("(");
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            sql.push(word);
        }
        each(sql, part);
    }
    sql.push(")");
}

/// A condition as a plain true/false (a missing facet makes the inner test NULL).
fn condition(sql: &mut Sql, column: &str, c: &Condition) {
    let at = At { backend: sql.backend(), column, property: safe_name(&c.property) };
    match &c.test {
        Test::Ne(expected) => {
            sql.push("NOT COALESCE(");
            equals(sql, &at, std::slice::from_ref(expected));
            sql.push(", FALSE)");
        }
        test => {
            sql.push("COALESCE(");
            holds(sql, &at, test);
            sql.push(", FALSE)");
        }
    }
}

fn holds(sql: &mut Sql, at: &At, test: &Test) {
    match test {
        Test::Eq(expected) => equals(sql, at, std::slice::from_ref(expected)),
        Test::Ne(_) => unreachable!("negated by the caller"),
        Test::OneOf(options) => equals(sql, at, options),
        Test::Contains(part) => {
            let folded = fold(part);
            sql.push("(");
            at.list_has(sql, "l", Bind::Text(folded.clone()));
            if let Some(n) = decimal(part) {
                sql.push(" OR ");
                at.list_has(sql, "ln", Bind::Real(n));
            }
            sql.push(" OR ");
            at.contains_text(sql, folded);
            sql.push(")");
        }
        Test::Exists => {
            sql.push(&at.exists());
        }
        Test::Gt(n) => compare(sql, at.number(), " > ", Bind::Real(*n)),
        Test::Gte(n) => compare(sql, at.number(), " >= ", Bind::Real(*n)),
        Test::Lt(n) => compare(sql, at.number(), " < ", Bind::Real(*n)),
        Test::Lte(n) => compare(sql, at.number(), " <= ", Bind::Real(*n)),
        Test::Before(t) => compare(sql, at.instant(), " < ", Bind::Int(t.timestamp_millis())),
        Test::After(t) => compare(sql, at.instant(), " > ", Bind::Int(t.timestamp_millis())),
    }
}

fn compare(sql: &mut Sql, left: String, op: &str, value: Bind) {
    sql.push(&left).push(op).bind(value);
}

/// Equal to any of `options`, as text or (for those that are numbers) by value.
fn equals(sql: &mut Sql, at: &At, options: &[String]) {
    let numbers: Vec<f64> = options.iter().filter_map(|o| decimal(o)).collect();
    sql.push("(");
    in_list(sql, at.text(), options.iter().map(|o| Bind::Text(fold(o))));
    if !numbers.is_empty() {
        sql.push(" OR ");
        in_list(sql, at.number(), numbers.into_iter().map(Bind::Real));
    }
    sql.push(")");
}

fn in_list(sql: &mut Sql, left: String, values: impl Iterator<Item = Bind>) {
    sql.push(&left).push(" IN (");
    for (i, value) in values.enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(value);
    }
    sql.push(")");
}

/// Property names are checked to `[A-Za-z0-9_.-]` when parsed; anything else is dropped here
/// too, so a name can never break out of the SQL literal it is written into.
fn safe_name(name: &str) -> String {
    name.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')).collect()
}

/// One property's facet in the facets column.
struct At<'a> {
    backend: Backend,
    column: &'a str,
    property: String,
}

impl At<'_> {
    fn part(&self, key: &str, pg_cast: &str) -> String {
        self.backend.json_member(self.column, &self.property, key, pg_cast)
    }

    fn text(&self) -> String {
        self.part("t", "")
    }

    fn number(&self) -> String {
        self.part("n", "::float8")
    }

    fn instant(&self) -> String {
        self.part("d", "::bigint")
    }

    fn exists(&self) -> String {
        self.backend.json_has(self.column, &self.property)
    }

    /// Whether the list elements under `key` (`l` texts, `ln` numbers) include `value`.
    fn list_has(&self, sql: &mut Sql, key: &str, value: Bind) {
        self.backend.push_json_list_has(sql, self.column, &self.property, key, key == "l", value);
    }

    fn contains_text(&self, sql: &mut Sql, folded: String) {
        sql.push(&self.backend.position_in(&self.text()));
        sql.bind(Bind::Text(folded)).push(") > 0");
    }
}
