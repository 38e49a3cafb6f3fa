//! The JSON and text snippets that differ between the dialects, for statements assembled at run
//! time (segment and targeting rules over the users' facets). SQLite keeps JSON as text and reads
//! it with `json_extract`/`json_each`; PostgreSQL keeps `jsonb` and reads it with its operators.

use super::{Backend, Bind, Sql};

impl Backend {
    /// Member `key` of the object under `property` in the JSON `column`, as text; on PostgreSQL
    /// cast with `pg_cast` (`::float8`, `::bigint`, or nothing for text). `property` must be safe
    /// to write inside a quoted literal.
    pub fn json_member(self, column: &str, property: &str, key: &str, pg_cast: &str) -> String {
        match self {
            Backend::Sqlite => format!("json_extract({column}, '$.\"{property}\".{key}')"),
            Backend::Postgres => format!("(({column} -> '{property}' ->> '{key}'){pg_cast})"),
        }
    }

    /// Whether the JSON `column` has `property` at all.
    pub fn json_has(self, column: &str, property: &str) -> String {
        match self {
            Backend::Sqlite => format!("json_type({column}, '$.\"{property}\"') IS NOT NULL"),
            Backend::Postgres => format!("jsonb_exists({column}, '{property}')"),
        }
    }

    /// Pushes whether the JSON list at `property.key` of `column` includes `value` (compared as
    /// text when `text`, else as a number).
    pub fn push_json_list_has(self, sql: &mut Sql, column: &str, property: &str, key: &str, text: bool, value: Bind) {
        match self {
            Backend::Sqlite => {
                sql.push(&format!(
                    "EXISTS (SELECT 1 FROM json_each({column}, '$.\"{property}\".{key}') WHERE value = "
                ));
                sql.bind(value).push(")");
            }
            Backend::Postgres => {
                let cast = if text { "::text" } else { "::float8" };
                sql.push(&format!("(({column} -> '{property}' -> '{key}') @> jsonb_build_array("));
                sql.bind(value).push(cast).push("))");
            }
        }
    }

    /// The function that gives the 1-based position of a text in another (0: not in it), opened
    /// on `haystack`: push the needle and `)` after it.
    pub fn position_in(self, haystack: &str) -> String {
        match self {
            Backend::Sqlite => format!("instr({haystack}, "),
            Backend::Postgres => format!("strpos({haystack}, "),
        }
    }
}
