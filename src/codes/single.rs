//! One code at a time, for integrators: look a code up, list a coupon's codes a page at a time,
//! void a code that leaked. Codes of a batch still importing (or refused) are not seen here, as
//! nowhere else (see [`lifecycle::seen`]).

use serde::{Deserialize, Serialize};

use super::lifecycle::seen;
use super::store::CodesError;
use crate::accounts::audit::{self, Actor};
use crate::db::filters::{Arg, Filters};
use crate::db::Db;
use crate::fields::FieldErrors;
use crate::metadata::Metadata;
use crate::redemption::decision::{CodeKind, CodeStatus};

/// A code as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CodeView {
    pub id: i64,
    pub code: String,
    pub coupon_id: i64,
    /// The batch it came in; none for a coupon's static code.
    pub batch_id: Option<i64>,
    /// `static` (the coupon's one code) or `unique` (one per user).
    #[schema(value_type = String, example = "unique")]
    pub kind: CodeKind,
    #[schema(value_type = String, example = "assigned")]
    pub status: CodeStatus,
    /// Who holds it (assigned or redeemed unique codes).
    pub user_id: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "crate::dates::rfc3339::option")]
    pub expires_at: Option<i64>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "crate::dates::rfc3339::option")]
    pub assigned_at: Option<i64>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "crate::dates::rfc3339::option")]
    pub redeemed_at: Option<i64>,
    /// Your own keys, set with `PATCH /codes/{code}`.
    #[schema(value_type = Object)]
    pub metadata: Metadata,
}

#[derive(sqlx::FromRow)]
struct CodeRow {
    id: i64,
    code: String,
    coupon_id: i64,
    batch_id: Option<i64>,
    kind: String,
    status: String,
    user_id: Option<String>,
    expires_at: Option<i64>,
    assigned_at: Option<i64>,
    redeemed_at: Option<i64>,
    metadata: Option<String>,
}

impl CodeRow {
    fn into_view(self) -> Result<CodeView, CodesError> {
        let corrupt = crate::db::StoreError::corrupt;
        let status = crate::wire::parse(&self.status).ok_or_else(|| corrupt("a code's status", &self.status))?;
        let kind = crate::wire::parse(&self.kind).ok_or_else(|| corrupt("a code's kind", &self.kind))?;
        Ok(CodeView {
            id: self.id,
            code: self.code,
            coupon_id: self.coupon_id,
            batch_id: self.batch_id,
            kind,
            status,
            user_id: self.user_id,
            expires_at: self.expires_at,
            assigned_at: self.assigned_at,
            redeemed_at: self.redeemed_at,
            metadata: Metadata::from_column(self.metadata.as_deref()),
        })
    }
}

const SELECT: &str =
    "SELECT id, code, coupon_id, batch_id, kind, status, user_id, expires_at, assigned_at, redeemed_at,
        metadata
    FROM codes";

/// The code `code` (normalized as typed: case and spaces do not matter).
pub async fn find(db: &Db, code: &str) -> Result<CodeView, CodesError> {
    let code = super::normalize(code).map_err(|_| CodesError::NoSuchCode)?;
    let row: Option<CodeRow> = sqlx::query_as(&format!("{SELECT} WHERE code = $1 AND {}", seen("batch_id")))
        .bind(&code)
        .fetch_optional(db.read_pool())
        .await?;
    row.ok_or(CodesError::NoSuchCode)?.into_view()
}

/// Which of a coupon's codes to list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CodeFilter {
    pub batch_id: Option<i64>,
    pub status: Option<CodeStatus>,
}

/// A page of a coupon's codes in the order they were made: `limit` after the code `after`, and
/// whether more follow. With a status, it reads the (coupon, status, id) index in order; with a
/// batch, the batch's index.
pub async fn page(
    db: &Db,
    coupon_id: i64,
    filter: CodeFilter,
    after: Option<i64>,
    limit: i64,
) -> Result<(Vec<CodeView>, bool), CodesError> {
    let mut w = Filters::default();
    w.and("coupon_id = ?", Arg::Int(coupon_id));
    if let Some(batch) = filter.batch_id {
        w.and("batch_id = ?", Arg::Int(batch));
    }
    if let Some(status) = filter.status {
        w.and("status = ?", Arg::Text(crate::wire::name(&status)));
    }
    if let Some(after) = after {
        w.and("id > ?", Arg::Int(after));
    }
    let limit_at = w.arg(Arg::Int(limit + 1));
    let sql = format!("{SELECT} {} AND {} ORDER BY id LIMIT {limit_at}", w.sql(), seen("batch_id"));
    let rows: Vec<CodeRow> = w.bind(sqlx::query_as(&sql)).fetch_all(db.read_pool()).await?;
    let mut codes = rows.into_iter().map(CodeRow::into_view).collect::<Result<Vec<_>, _>>()?;
    let more = codes.len() as i64 > limit;
    codes.truncate(limit.max(0) as usize);
    Ok((codes, more))
}

/// Voids one unique code, free or held, so it stops working at once (a leaked code). A redeemed
/// code keeps its history: reverse the redemption first. Voiding a void code changes nothing.
pub async fn void(db: &Db, actor: &Actor, code: &str) -> Result<CodeView, CodesError> {
    let before = find(db, code).await?;
    if before.kind != CodeKind::Unique {
        return Err(CodesError::StaticCode);
    }
    let mut tx = db.begin_write().await?;
    let changed = sqlx::query("UPDATE codes SET status = 'void' WHERE id = $1 AND status IN ('available', 'assigned')")
        .bind(before.id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let row: CodeRow = sqlx::query_as(&format!("{SELECT} WHERE id = $1")).bind(before.id).fetch_one(&mut *tx).await?;
    let after = row.into_view()?;
    if changed == 0 && after.status == CodeStatus::Redeemed {
        return Err(CodesError::CodeRedeemed);
    }
    if changed > 0 {
        audit::record(&mut tx, actor, "code.void", ("code", after.code.clone()), Some(&before), Some(&after)).await?;
    }
    tx.commit().await?;
    Ok(after)
}

/// Applies a metadata `change` to a code (keys set to `null` are removed), audited. The read and
/// the write are one transaction, so two changes at once cannot lose each other's keys.
pub async fn update_metadata(
    db: &Db,
    actor: &Actor,
    code: &str,
    change: &serde_json::Value,
) -> Result<CodeView, CodesError> {
    let before = find(db, code).await?;
    let mut tx = db.begin_write().await?;
    let row: CodeRow = sqlx::query_as(&format!("{SELECT} WHERE id = $1")).bind(before.id).fetch_one(&mut *tx).await?;
    let current = row.into_view()?;
    let mut e = FieldErrors::default();
    let metadata = current.metadata.merged(change, "metadata", &mut e).ok_or(CodesError::Invalid(e))?;
    if metadata == current.metadata {
        return Ok(current);
    }
    sqlx::query("UPDATE codes SET metadata = $1 WHERE id = $2")
        .bind(metadata.to_column())
        .bind(current.id)
        .execute(&mut *tx)
        .await?;
    let after = CodeView { metadata, ..current.clone() };
    audit::record(&mut tx, actor, "code.metadata", ("code", after.code.clone()), Some(&current), Some(&after)).await?;
    tx.commit().await?;
    Ok(after)
}
