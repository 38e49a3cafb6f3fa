//! The audit log: who changed what, when, with the value before and after.

use serde::Serialize;

use super::Account;
use crate::db::{now_ms, Bind, Sql, Tx};

/// Who did something: a dashboard account, an API key, or the system itself.
#[derive(Debug, Clone)]
pub struct Actor {
    pub kind: &'static str,
    pub id: Option<i64>,
    pub label: String,
}

impl From<&Account> for Actor {
    fn from(a: &Account) -> Self {
        Actor { kind: "account", id: Some(a.id), label: a.email.clone() }
    }
}

impl Actor {
    pub fn system() -> Actor {
        Actor { kind: "system", id: None, label: "system".into() }
    }

    /// The dashboard account behind the change, for `created_by` columns.
    pub fn account_id(&self) -> Option<i64> {
        (self.kind == "account").then_some(self.id).flatten()
    }
}

/// Writes one audit row inside the transaction that makes the change, so the log and the
/// change land together or not at all.
pub async fn record<B: Serialize, A: Serialize>(
    tx: &mut Tx,
    actor: &Actor,
    action: &str,
    entity: (&str, String),
    before: Option<&B>,
    after: Option<&A>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor_kind, actor_id, actor_label, action, entity_type, entity_id, before, after)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(now_ms())
    .bind(actor.kind)
    .bind(actor.id)
    .bind(&actor.label)
    .bind(action)
    .bind(entity.0)
    .bind(entity.1)
    .bind(before.and_then(|b| serde_json::to_string(b).ok()))
    .bind(after.and_then(|a| serde_json::to_string(a).ok()))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[derive(Debug, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub actor_label: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// Which audit rows to list; every part is optional.
#[derive(Debug, Default)]
pub struct Filter<'a> {
    /// One entity's history: `("coupon", "42")`.
    pub entity: Option<(&'a str, &'a str)>,
    pub entity_type: Option<&'a str>,
    /// Part of the actor's label (an email, `api key 3`, `system`), any case.
    pub actor: Option<&'a str>,
    /// Part of the action (`coupon.`, `archived`), any case.
    pub action: Option<&'a str>,
    /// From this moment (UTC milliseconds, included) to that one (excluded).
    pub since: Option<i64>,
    pub until: Option<i64>,
}

/// The newest entries first, paged by id: the next page starts below the last id shown.
pub async fn list(
    db: &crate::db::Db,
    filter: &Filter<'_>,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditRow>, sqlx::Error> {
    let mut sql = Sql::new(db.backend());
    sql.push("SELECT id, at, actor_label, action, entity_type, entity_id, before, after FROM audit_log WHERE id < ")
        .bind(Bind::Int(before_id.unwrap_or(i64::MAX)));
    if let Some((kind, id)) = filter.entity {
        sql.push(" AND entity_type = ").bind(Bind::Text(kind.into()));
        sql.push(" AND entity_id = ").bind(Bind::Text(id.into()));
    }
    if let Some(kind) = filter.entity_type {
        sql.push(" AND entity_type = ").bind(Bind::Text(kind.into()));
    }
    for (column, part) in [("actor_label", filter.actor), ("action", filter.action)] {
        if let Some(part) = part {
            sql.push(&format!(" AND LOWER({column}) LIKE ")).bind(Bind::Text(contains(part))).push(" ESCAPE '\\'");
        }
    }
    if let Some(at) = filter.since {
        sql.push(" AND at >= ").bind(Bind::Int(at));
    }
    if let Some(at) = filter.until {
        sql.push(" AND at < ").bind(Bind::Int(at));
    }
    sql.push(" ORDER BY id DESC LIMIT ").bind(Bind::Int(limit));
    sqlx::query_as_with::<_, AuditRow, _>(sql.text(), sql.arguments()?).fetch_all(db.pool()).await
}

/// A `LIKE` pattern matching text that contains `part`, any case (`%` and `_` in it are literal).
fn contains(part: &str) -> String {
    let mut pattern = String::from("%");
    for c in part.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}
