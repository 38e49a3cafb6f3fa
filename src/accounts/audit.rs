//! The audit log: who changed what, when, with the value before and after.

use serde::Serialize;

use super::Account;
use crate::db::{now_ms, Tx};

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

/// The newest entries first, optionally for one entity, paged by id.
pub async fn list(
    db: &crate::db::Db,
    entity: Option<(&str, &str)>,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditRow>, sqlx::Error> {
    let (etype, eid) = entity.unwrap_or(("", ""));
    sqlx::query_as::<_, AuditRow>(
        "SELECT id, at, actor_label, action, entity_type, entity_id, before, after FROM audit_log
         WHERE ($1 = '' OR (entity_type = $1 AND entity_id = $2)) AND id < $3
         ORDER BY id DESC LIMIT $4",
    )
    .bind(etype)
    .bind(eid)
    .bind(before_id.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(db.pool())
    .await
}
