//! The app's users (shoppers): an id the app chose and free-form properties that targeting,
//! qualifying rules and segments read.

use serde::{Deserialize, Serialize};

use crate::conditions::Properties;
use crate::values::UserId;

#[cfg(feature = "ssr")]
pub mod import;
pub mod pages;
pub mod server;
use crate::fields::FieldErrors;

pub const MAX_PROPERTIES: usize = 100;
const MAX_KEY_LEN: usize = 64;
const MAX_TEXT_LEN: usize = 1024;
const MAX_LIST_LEN: usize = 100;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AppUser {
    pub user_id: String,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub properties: Properties,
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    #[serde(with = "crate::dates::rfc3339")]
    pub created_at: i64,
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    #[serde(with = "crate::dates::rfc3339")]
    pub updated_at: i64,
}

/// Checks an app's user id (see [`UserId`]), with the reason in words.
pub fn parse_user_id(text: &str) -> Result<String, String> {
    UserId::parse(text).map(UserId::into_string).map_err(|e| e.to_string())
}

/// Properties as the app sends them, before they are checked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PropertiesInput(pub Properties);

fn check_scalar(value: &serde_json::Value) -> Result<(), String> {
    match value {
        serde_json::Value::String(s) if crate::text::check(s).is_err() => crate::text::check(s),
        serde_json::Value::String(s) if s.chars().count() > MAX_TEXT_LEN => {
            Err(format!("text values have at most {MAX_TEXT_LEN} characters"))
        }
        serde_json::Value::Object(_) => Err("nested objects are not supported: flatten them (`address.city`)".into()),
        serde_json::Value::Array(_) => Err("lists cannot be nested".into()),
        _ => Ok(()),
    }
}

impl PropertiesInput {
    /// Checks names (as condition properties are named) and values (text, numbers, booleans,
    /// null, or flat lists of those), reporting under `{path}.{name}`.
    pub fn parse(self, path: &str) -> Result<Properties, FieldErrors> {
        let mut errors = FieldErrors::default();
        if self.0.len() > MAX_PROPERTIES {
            errors.add(path, format!("at most {MAX_PROPERTIES} properties"));
            return Err(errors);
        }
        for (name, value) in &self.0 {
            let at = format!("{path}.{name}");
            if name.is_empty()
                || name.len() > MAX_KEY_LEN
                || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
            {
                errors.add(&at, format!("a property name has 1–{MAX_KEY_LEN} letters, digits, `_`, `.` or `-`"));
                continue;
            }
            let checked = match value {
                serde_json::Value::Array(items) if items.len() > MAX_LIST_LEN => {
                    Err(format!("lists have at most {MAX_LIST_LEN} values"))
                }
                serde_json::Value::Array(items) => items.iter().try_for_each(check_scalar),
                other => check_scalar(other),
            };
            errors.check(at, checked);
        }
        errors.into_result(|| self.0)
    }
}

#[cfg(feature = "ssr")]
mod store {
    use super::AppUser;
    use crate::conditions::{facets, Properties};
    use crate::db::{Db, StoreError, Tx};

    fn user(user_id: String, properties: String, created_at: i64, updated_at: i64) -> AppUser {
        AppUser { user_id, properties: serde_json::from_str(&properties).unwrap_or_default(), created_at, updated_at }
    }

    /// Creates the user or replaces their properties (and facets), inside the caller's
    /// transaction (which also runs the keep-in-sync campaigns: `campaigns::sync::save_user`).
    pub async fn upsert(tx: &mut Tx, user_id: &str, properties: &Properties, now: i64) -> Result<AppUser, StoreError> {
        let json =
            serde_json::to_string(properties).map_err(|e| StoreError::corrupt("users: cannot encode JSON", e))?;
        let (id, props, created, updated): (String, String, i64, i64) = sqlx::query_as(&format!(
            "INSERT INTO app_users (user_id, properties, facets, created_at, updated_at) VALUES ($1, $2, {}, $4, $4)
             ON CONFLICT (user_id) DO UPDATE
             SET properties = excluded.properties, facets = excluded.facets, updated_at = excluded.updated_at
             RETURNING user_id, properties, created_at, updated_at",
            tx.backend().json_param(3)
        ))
        .bind(user_id)
        .bind(json)
        .bind(facets::to_json(properties))
        .bind(now)
        .fetch_one(&mut **tx)
        .await?;
        Ok(user(id, props, created, updated))
    }

    /// Creates the user with no properties, unless they exist (an event may name a user first).
    pub async fn ensure(tx: &mut Tx, user_id: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO app_users (user_id, properties, created_at, updated_at) VALUES ($1, '{}', $2, $2)
             ON CONFLICT (user_id) DO NOTHING",
        )
        .bind(user_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Gives users stored before facets existed theirs; run at start-up, cheap when none lack them.
    pub async fn backfill_facets(db: &Db) -> Result<u64, StoreError> {
        let mut after = String::new();
        let mut filled = 0;
        loop {
            let rows: Vec<(String, String)> = sqlx::query_as(
                "SELECT user_id, properties FROM app_users
                 WHERE user_id > $1 AND properties <> '{}' AND facets = '{}' ORDER BY user_id LIMIT 1000",
            )
            .bind(&after)
            .fetch_all(db.pool())
            .await?;
            let Some((last, _)) = rows.last() else { return Ok(filled) };
            after = last.clone();
            let mut tx = db.begin_write().await?;
            for (user_id, properties) in &rows {
                let properties: Properties = serde_json::from_str(properties).unwrap_or_default();
                sqlx::query(&format!(
                    "UPDATE app_users SET facets = {} WHERE user_id = $2",
                    db.backend().json_param(1)
                ))
                .bind(facets::to_json(&properties))
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            filled += rows.len() as u64;
        }
    }

    /// Up to `limit` user ids that start with `prefix`, in order: a walk of the primary key from
    /// the prefix, so it costs the same over a million users as over ten.
    pub async fn starting_with(db: &Db, prefix: &str, limit: usize) -> Result<Vec<String>, StoreError> {
        // A linguistic collation may interleave other ids with the prefix's: read a few more.
        let ids: Vec<String> =
            sqlx::query_scalar("SELECT user_id FROM app_users WHERE user_id >= $1 ORDER BY user_id LIMIT $2")
                .bind(prefix)
                .bind(limit as i64 * 4)
                .fetch_all(db.pool())
                .await?;
        Ok(ids.into_iter().filter(|id| id.starts_with(prefix)).take(limit).collect())
    }

    /// Property names the app has sent, read from a sample of users (apps send the same
    /// properties for most of them): what the builders suggest.
    pub async fn property_names(db: &Db) -> Result<Vec<String>, StoreError> {
        let rows: Vec<String> = sqlx::query_scalar("SELECT CAST(properties AS TEXT) FROM app_users LIMIT 1000")
            .fetch_all(db.read_pool())
            .await?;
        let mut names = std::collections::BTreeSet::new();
        for text in rows {
            if let Ok(serde_json::Value::Object(map)) = serde_json::from_str(&text) {
                names.extend(map.keys().cloned());
            }
        }
        Ok(names.into_iter().take(200).collect())
    }

    pub async fn get(db: &Db, user_id: &str) -> Result<Option<AppUser>, StoreError> {
        let row: Option<(String, String, i64, i64)> =
            sqlx::query_as("SELECT user_id, properties, created_at, updated_at FROM app_users WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(db.pool())
                .await?;
        Ok(row.map(|(id, props, created, updated)| user(id, props, created, updated)))
    }
}

#[cfg(feature = "ssr")]
pub use store::*;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn checks_names_and_values() {
        let ok = PropertiesInput(
            json!({"city": "Mumbai", "age": 31, "tags": ["a", "b"], "vip": true}).as_object().cloned().unwrap(),
        );
        assert!(ok.parse("properties").is_ok());
        let bad = PropertiesInput(
            json!({"bad name": 1, "nested": {"a": 1}, "deep": [[1]], "long": "x".repeat(2000)})
                .as_object()
                .cloned()
                .unwrap(),
        );
        let e = bad.parse("properties").unwrap_err();
        for field in ["bad name", "nested", "deep", "long"] {
            assert!(e.get(&format!("properties.{field}")).is_some(), "{field}: {e}");
        }
    }
}
