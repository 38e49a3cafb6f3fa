//! Listings with optional filters: only the filters given reach the SQL, so the planner picks
//! the index that fits them (`x = $1 OR $1 IS NULL` would keep both databases from using any).

use sqlx::any::AnyArguments;
use sqlx::query::QueryAs;
use sqlx::Any;

/// A value to bind.
pub enum Arg<'a> {
    Int(i64),
    Text(&'a str),
}

/// Conditions joined by AND, each with its value, numbered in the order they are added.
#[derive(Default)]
pub struct Filters<'a> {
    clauses: Vec<String>,
    args: Vec<Arg<'a>>,
}

impl<'a> Filters<'a> {
    /// Binds `arg` to the next placeholder and returns its name (`$3`).
    pub fn arg(&mut self, arg: Arg<'a>) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    /// Adds `clause`, whose `?` stands for `arg`.
    pub fn and(&mut self, clause: &str, arg: Arg<'a>) {
        let placeholder = self.arg(arg);
        self.clauses.push(clause.replace('?', &placeholder));
    }

    /// `WHERE …`, or nothing when no filter was given.
    pub fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }

    /// Binds every value, in order, to `query` (made from SQL holding [`Filters::sql`]).
    pub fn bind<'q, O>(self, mut query: QueryAs<'q, Any, O, AnyArguments<'q>>) -> QueryAs<'q, Any, O, AnyArguments<'q>>
    where
        'a: 'q,
    {
        for arg in self.args {
            query = match arg {
                Arg::Int(v) => query.bind(v),
                Arg::Text(v) => query.bind(v),
            };
        }
        query
    }
}
