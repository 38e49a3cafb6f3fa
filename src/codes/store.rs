//! Batches in the database: their rows, their code counts, voiding, and the pool of free codes.

use std::collections::{HashMap, HashSet};

use crate::accounts::audit::{self, Actor};
use crate::coupons::status::CouponStatus;
use crate::coupons::Coupon;
use crate::db::{now_ms, Backend, Db, StoreError, Tx};

use super::rows::RowProblem;
use super::{Batch, BatchKind, BatchStatus, CodeCounts, Pool};

/// An import marks its batch at every step; one not marked for this long has lost its importer
/// (a step takes milliseconds; this leaves room for a slow disk or a long lock wait).
const SILENT_MS: i64 = 60_000;

pub use super::lifecycle::{free_codes_of, seen};

/// Why codes were not stored, voided or read.
#[derive(Debug, thiserror::Error)]
pub enum CodesError {
    #[error("no such batch")]
    NoSuchBatch,
    #[error("no such code")]
    NoSuchCode,
    #[error("a coupon's static code changes with the coupon: edit or archive the coupon instead")]
    StaticCode,
    #[error("this code was redeemed: reverse its redemption first")]
    CodeRedeemed,
    #[error("this coupon does not use unique codes: choose unique codes (or event-triggered with codes) in its distribution")]
    NotUniqueCodes,
    #[error("this coupon is archived: it takes no new codes")]
    ArchivedCoupon,
    /// The pattern has too little room for the codes asked for; says how much.
    #[error("{0}")]
    PatternTooSmall(String),
    #[error("only {stored} of {count} codes could be made unique: `{pattern}` is nearly full; add random positions")]
    PatternFull { stored: u64, count: u64, pattern: String },
    #[error("the file has no codes")]
    EmptyFile,
    /// Fields the caller sent that are wrong, each with its reason.
    #[error("{0}")]
    Invalid(crate::fields::FieldErrors),
    /// The batch was closed as interrupted while this import or generation was still writing.
    #[error("the batch was marked interrupted meanwhile; run it again")]
    Interrupted,
    #[error("this batch is already voided")]
    AlreadyVoided,
    #[error("only a stored batch has codes to void")]
    NotStored,
    /// The import's spill file or parser thread failed.
    #[error("code import: {0}")]
    Spill(String),
    #[error(transparent)]
    Coupon(#[from] crate::coupons::store::CouponError),
    #[error(transparent)]
    Store(#[from] StoreError),
}
crate::store_errors_into!(CodesError);

#[derive(sqlx::FromRow)]
struct BatchRow {
    id: i64,
    coupon_id: i64,
    coupon_name: String,
    kind: String,
    status: String,
    file_name: Option<String>,
    pattern: Option<String>,
    row_count: i64,
    byte_count: i64,
    problem_count: i64,
    problem_summary: Option<String>,
    message: Option<String>,
    created_by_label: Option<String>,
    created_at: i64,
    finished_at: Option<i64>,
}

const BATCH_SELECT: &str = "SELECT b.id, b.coupon_id, c.name AS coupon_name, b.kind, b.status, b.file_name, b.pattern,
        b.row_count, b.byte_count, b.problem_count, b.problem_summary, b.message, b.created_by_label,
        b.created_at, b.finished_at
    FROM code_batches b JOIN coupons c ON c.id = b.coupon_id";

impl BatchRow {
    fn status(&self) -> BatchStatus {
        BatchStatus::parse(&self.status).unwrap_or(BatchStatus::Failed)
    }

    /// An importing or refused batch's stored rows are not codes (yet, or any more): nothing to
    /// count (and a million-row import in progress is not counted on every page refresh).
    fn has_codes(&self) -> bool {
        matches!(self.status(), BatchStatus::Ready | BatchStatus::Voided)
    }

    fn into_batch(self, counts: CodeCounts) -> Batch {
        let status = self.status();
        Batch {
            id: self.id,
            coupon_id: self.coupon_id,
            coupon_name: self.coupon_name,
            kind: if self.kind == "generated" { BatchKind::Generated } else { BatchKind::Uploaded },
            status,
            file_name: self.file_name,
            pattern: self.pattern,
            row_count: self.row_count,
            byte_count: self.byte_count,
            problem_count: self.problem_count,
            problem_summary: self.problem_summary.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default(),
            message: self.message,
            created_by: self.created_by_label.unwrap_or_else(|| "unknown".into()),
            created_at: self.created_at,
            finished_at: self.finished_at,
            counts,
        }
    }
}

/// A coupon that can take unique codes: it exists, uses unique codes, and is not archived.
pub async fn coupon_taking_codes(db: &Db, coupon_id: i64) -> Result<Coupon, CodesError> {
    let coupon = crate::coupons::store::get(db, coupon_id).await?;
    if !coupon.definition.uses_unique_codes() {
        return Err(CodesError::NotUniqueCodes);
    }
    if coupon.status == CouponStatus::Archived {
        return Err(CodesError::ArchivedCoupon);
    }
    Ok(coupon)
}

/// Starts a batch, "importing" (its codes unseen) until [`finish`] makes it ready, in a
/// transaction of its own, so a refused file or generation still leaves its record.
pub async fn open(
    db: &Db,
    actor: &Actor,
    coupon_id: i64,
    kind: BatchKind,
    file_name: Option<&str>,
    pattern: Option<&str>,
) -> Result<i64, CodesError> {
    let kind = match kind {
        BatchKind::Generated => "generated",
        BatchKind::Uploaded => "uploaded",
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO code_batches (coupon_id, kind, file_name, pattern, status, created_by, created_by_label, created_at)
         VALUES ($1, $2, $3, $4, 'importing', $5, $6, $7) RETURNING id",
    )
    .bind(coupon_id)
    .bind(kind)
    .bind(file_name)
    .bind(pattern)
    .bind(actor.account_id())
    .bind(&actor.label)
    .bind(now_ms())
    .fetch_one(db.pool())
    .await?;
    Ok(id)
}

/// Marks a batch stored: its row count, and the audit entry, in the transaction that stored it.
pub async fn finish(
    tx: &mut Tx,
    actor: &Actor,
    coupon_id: i64,
    batch_id: i64,
    rows: i64,
    bytes: i64,
) -> Result<(), CodesError> {
    let finished = sqlx::query(
        "UPDATE code_batches SET status = 'ready', row_count = $1, byte_count = $2, finished_at = $3
         WHERE id = $4 AND status IN ('importing', 'ready')",
    )
    .bind(rows)
    .bind(bytes)
    .bind(now_ms())
    .bind(batch_id)
    .execute(&mut **tx)
    .await?;
    if finished.rows_affected() != 1 {
        return Err(CodesError::Interrupted);
    }
    // What was stored, not its code counts: counting a million fresh codes would hold the
    // write lock for nothing (they are all free, or held by the users the file named).
    let after = serde_json::json!({ "coupon_id": coupon_id, "status": "ready", "rows": rows, "bytes": bytes });
    audit::record(tx, actor, "batch.create", ("batch", batch_id.to_string()), None::<&()>, Some(&after)).await?;
    Ok(())
}

/// Marks an upload refused (or broken off), with why, then deletes what it had stored: none of
/// its codes were ever seen. Each step is a short transaction (a million problems, or a million
/// stored rows, must not hold the SQLite write lock for long).
pub async fn fail(
    db: &Db,
    actor: &Actor,
    batch_id: i64,
    outcome: &Refusal,
    problems: impl Iterator<Item = RowProblem>,
) -> Result<(), CodesError> {
    let mut chunk: Vec<RowProblem> = Vec::with_capacity(PROBLEM_CHUNK);
    let mut tx = db.begin_write_later().await?;
    for (n, p) in problems.enumerate() {
        chunk.push(p);
        if chunk.len() == PROBLEM_CHUNK {
            insert_problems(&mut tx, batch_id, &chunk).await?;
            chunk.clear();
            if (n + 1) % (PROBLEM_CHUNK * PROBLEM_CHUNKS_PER_STEP) == 0 {
                step(&mut tx, batch_id, outcome.rows, outcome.bytes).await?;
                tx.commit().await?;
                tx = db.begin_write_later().await?;
            }
        }
    }
    insert_problems(&mut tx, batch_id, &chunk).await?;
    sqlx::query(
        "UPDATE code_batches SET status = 'failed', row_count = $1, byte_count = $2, problem_count = $3,
             problem_summary = $4, message = $5, finished_at = $6
         WHERE id = $7",
    )
    .bind(outcome.rows)
    .bind(outcome.bytes)
    .bind(outcome.problem_count)
    .bind(serde_json::to_string(&outcome.summary).unwrap_or_default())
    .bind(&outcome.message)
    .bind(now_ms())
    .bind(batch_id)
    .execute(&mut *tx)
    .await?;
    let after = batch_in(&mut tx, batch_id).await?;
    audit::record(&mut tx, actor, "batch.refuse", ("batch", batch_id.to_string()), None::<&()>, Some(&after)).await?;
    tx.commit().await?;
    delete_codes(db, batch_id).await
}

/// What a refused upload reports.
#[derive(Debug, Clone, Default)]
pub struct Refusal {
    pub rows: i64,
    pub bytes: i64,
    pub problem_count: i64,
    pub summary: Vec<super::ProblemCount>,
    pub message: Option<String>,
}

impl Refusal {
    /// A refusal without row problems: only why.
    pub fn note(bytes: u64, message: &str) -> Refusal {
        Refusal { bytes: bytes as i64, message: Some(message.into()), ..Refusal::default() }
    }
}

const PROBLEM_CHUNK: usize = 500;
/// Problem inserts per transaction while a refusal is stored.
const PROBLEM_CHUNKS_PER_STEP: usize = 10;

async fn insert_problems(tx: &mut Tx, batch_id: i64, problems: &[RowProblem]) -> Result<(), sqlx::Error> {
    let backend = tx.backend();
    if problems.is_empty() {
        return Ok(());
    }
    let mut sql = String::from("INSERT INTO code_import_problems (batch_id, line, reason, value) VALUES ");
    for i in 0..problems.len() {
        let comma = if i == 0 { "" } else { ", " };
        sql.push_str(&format!("{comma}({batch_id}, {})", backend.params(i * 3 + 1, 3)));
    }
    let mut q = sqlx::query(&sql);
    for p in problems {
        q = q.bind(p.line as i64).bind(p.problem.as_str()).bind(&p.value);
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

/// Batches, newest first: one coupon's, or every coupon's (at most 500).
pub async fn list(db: &Db, coupon_id: Option<i64>) -> Result<Vec<Batch>, CodesError> {
    Ok(page(db, coupon_id, None, 500).await?.0)
}

/// A page of batches, newest first, older than the batch `after`; says whether more follow.
pub async fn page(
    db: &Db,
    coupon_id: Option<i64>,
    after: Option<i64>,
    limit: i64,
) -> Result<(Vec<Batch>, bool), CodesError> {
    let mut rows: Vec<BatchRow> = sqlx::query_as(&format!(
        "{BATCH_SELECT} WHERE (CAST($1 AS BIGINT) IS NULL OR b.coupon_id = $1) AND b.id < $2
         ORDER BY b.id DESC LIMIT $3"
    ))
    .bind(coupon_id)
    .bind(after.unwrap_or(i64::MAX))
    .bind(limit + 1)
    .fetch_all(db.pool())
    .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let ids: Vec<i64> = rows.iter().filter(|r| r.has_codes()).map(|r| r.id).collect();
    let mut counts = counts(db.pool(), &ids).await?;
    let batches = rows
        .into_iter()
        .map(|row| {
            let batch_counts = counts.remove(&row.id).unwrap_or_default();
            row.into_batch(batch_counts)
        })
        .collect();
    Ok((batches, more))
}

pub async fn get(db: &Db, batch_id: i64) -> Result<Batch, CodesError> {
    let mut conn = db.pool().acquire().await?;
    find(&mut conn, batch_id).await?.ok_or(CodesError::NoSuchBatch)
}

async fn batch_in(tx: &mut Tx, batch_id: i64) -> Result<Batch, CodesError> {
    find(tx, batch_id).await?.ok_or(CodesError::NoSuchBatch)
}

async fn find(conn: &mut sqlx::AnyConnection, batch_id: i64) -> Result<Option<Batch>, CodesError> {
    let row: Option<BatchRow> =
        sqlx::query_as(&format!("{BATCH_SELECT} WHERE b.id = $1")).bind(batch_id).fetch_optional(&mut *conn).await?;
    match row {
        Some(row) => {
            let ids: &[i64] = if row.has_codes() { &[batch_id] } else { &[] };
            let counts = counts(&mut *conn, ids).await?.remove(&batch_id).unwrap_or_default();
            Ok(Some(row.into_batch(counts)))
        }
        None => Ok(None),
    }
}

/// The code counts of some batches, in one grouped query over the `codes_batch` index.
async fn counts<'c>(
    conn: impl sqlx::Executor<'c, Database = sqlx::Any>,
    batch_ids: &[i64],
) -> Result<HashMap<i64, CodeCounts>, CodesError> {
    let mut all: HashMap<i64, CodeCounts> = HashMap::with_capacity(batch_ids.len());
    if batch_ids.is_empty() {
        return Ok(all);
    }
    // Our own integer ids, inlined: no placeholders to bind, whatever the dialect.
    let ids = batch_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(&format!(
        "SELECT batch_id, status, COUNT(*) FROM codes WHERE batch_id IN ({ids}) GROUP BY batch_id, status"
    ))
    .fetch_all(conn)
    .await?;
    for (batch_id, status, n) in rows {
        let counts = all.entry(batch_id).or_default();
        match status.as_str() {
            "available" => counts.available = n,
            "assigned" => counts.assigned = n,
            "redeemed" => counts.redeemed = n,
            _ => counts.void += n,
        }
    }
    Ok(all)
}

/// Voids a batch's unused codes (free or held by a user, not redeemed): they stop working at
/// once. Redeemed codes keep their history.
pub async fn void(db: &Db, actor: &Actor, batch_id: i64) -> Result<Batch, CodesError> {
    let mut tx = db.begin_write().await?;
    let before = batch_in(&mut tx, batch_id).await?;
    match before.status {
        BatchStatus::Ready => {}
        BatchStatus::Voided => return Err(CodesError::AlreadyVoided),
        BatchStatus::Importing | BatchStatus::Failed => return Err(CodesError::NotStored),
    }
    let voided =
        sqlx::query("UPDATE codes SET status = 'void' WHERE batch_id = $1 AND status IN ('available', 'assigned')")
            .bind(batch_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    sqlx::query("UPDATE code_batches SET status = 'voided', message = $1 WHERE id = $2")
        .bind(format!("{voided} unused codes voided"))
        .bind(batch_id)
        .execute(&mut *tx)
        .await?;
    let after = batch_in(&mut tx, batch_id).await?;
    audit::record(&mut tx, actor, "batch.void", ("batch", batch_id.to_string()), Some(&before), Some(&after)).await?;
    tx.commit().await?;
    Ok(after)
}

/// The first problems of a refused upload, by line.
pub async fn problems(db: &Db, batch_id: i64, limit: i64) -> Result<Vec<RowProblem>, CodesError> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT line, reason, value FROM code_import_problems WHERE batch_id = $1 ORDER BY line LIMIT $2",
    )
    .bind(batch_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(line, reason, value)| {
            Some(RowProblem { line: line as u64, problem: super::rows::Problem::parse(&reason)?, value })
        })
        .collect())
}

/// A unique-code coupon's free codes; `None` for coupons without unique codes.
pub async fn pool(db: &Db, coupon: &Coupon) -> Result<Option<Pool>, CodesError> {
    use crate::coupons::definition::{Audience, Distribution};
    let d = &coupon.definition;
    if !d.uses_unique_codes() {
        return Ok(None);
    }
    let (free, total): (i64, i64) = sqlx::query_as(&format!(
        "SELECT COALESCE(SUM(CASE WHEN status = 'available' AND user_id IS NULL THEN 1 ELSE 0 END), 0), COUNT(*)
         FROM codes WHERE coupon_id = $1 AND kind = 'unique' AND status <> 'void' AND {}",
        seen("batch_id")
    ))
    .bind(coupon.id)
    .fetch_one(db.pool())
    .await?;
    let hands_out = matches!(d.distribution, Distribution::EventTriggered { .. }) || d.audience == Audience::Campaign;
    Ok(Some(Pool { free, total, hands_out }))
}

/// Marks uploads whose importer is gone (a server stop, a crash) failed, then deletes the codes
/// of failed batches. Their codes were never seen; deleting them frees their texts for the next
/// upload. Runs on every tick: when there is nothing to do it only reads (a few rows of a
/// partial index), so it never takes SQLite's write lock for nothing.
pub async fn close_interrupted(db: &Db) -> Result<u64, CodesError> {
    let silent_since = now_ms() - SILENT_MS;
    let silent: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM code_batches WHERE status = 'importing' AND COALESCE(heartbeat_at, created_at) < $1",
    )
    .bind(silent_since)
    .fetch_one(db.pool())
    .await?;
    let closed = if silent == 0 { 0 } else { close_silent(db, silent_since).await? };
    let failed: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM code_batches b WHERE status = 'failed' AND EXISTS (SELECT 1 FROM codes WHERE batch_id = b.id)",
    )
    .fetch_all(db.pool())
    .await?;
    for batch_id in failed {
        delete_codes(db, batch_id).await?;
    }
    Ok(closed)
}

/// Marks failed the uploads not marked since `silent_since` (checked again in the write).
async fn close_silent(db: &Db, silent_since: i64) -> Result<u64, CodesError> {
    let closed = sqlx::query(
        "UPDATE code_batches SET status = 'failed', finished_at = $1,
             message = 'interrupted: the server stopped during the upload; nothing was stored'
         WHERE status = 'importing' AND COALESCE(heartbeat_at, created_at) < $2",
    )
    .bind(now_ms())
    .bind(silent_since)
    .execute(db.pool())
    .await?
    .rows_affected();
    Ok(closed)
}

/// Rows deleted per transaction when a refused batch's codes go: short enough that a checkout
/// waiting for the SQLite write lock barely notices.
const DELETE_CHUNK: i64 = 5000;

/// Deletes the stored, never seen, codes of a failed batch, a chunk per transaction.
pub async fn delete_codes(db: &Db, batch_id: i64) -> Result<(), CodesError> {
    loop {
        let mut tx = db.begin_write_later().await?;
        let deleted = sqlx::query(
            "DELETE FROM codes WHERE id IN (SELECT id FROM codes WHERE batch_id = $1 LIMIT $2)
               AND batch_id IN (SELECT id FROM code_batches WHERE status = 'failed')",
        )
        .bind(batch_id)
        .bind(DELETE_CHUNK)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        if deleted == 0 {
            return Ok(());
        }
    }
}

/// Marks a step of a live import, in the step's transaction: the batch is still its importer's
/// (nobody closed it as interrupted), and not silent; and how far it got (rows and bytes read so
/// far), which anyone polling the batch sees. False when it was closed meanwhile.
pub async fn step(tx: &mut Tx, batch_id: i64, rows: i64, bytes: i64) -> Result<bool, CodesError> {
    let marked = sqlx::query(
        "UPDATE code_batches SET heartbeat_at = $1, row_count = $3, byte_count = $4 WHERE id = $2 AND status = 'importing'",
    )
    .bind(now_ms())
    .bind(batch_id)
    .bind(rows)
    .bind(bytes)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    Ok(marked == 1)
}

/// Codes per INSERT: five parameters each stays under both databases' limits.
pub const INSERT_CHUNK: usize = 2000;

/// Which rows of a chunk an insert stored.
#[derive(Debug)]
pub enum Stored {
    /// Every row: the common case, learnt from the row count alone.
    All,
    /// Only these codes: the others were already in the database.
    Only(HashSet<String>),
}

/// Inserts codes of a batch, skipping any that already exist anywhere. A pre-assigned code
/// (with a user) starts as assigned to that user.
///
/// Each chunk goes in under a savepoint without `RETURNING` (moving a million codes back to the
/// server costs more than storing them); only a chunk that hit existing codes is rolled back
/// and redone with `RETURNING`, to learn which of its rows went in.
pub async fn insert(
    tx: &mut Tx,
    coupon_id: i64,
    batch_id: i64,
    rows: &[super::rows::CodeRow],
    now: i64,
) -> Result<Stored, sqlx::Error> {
    let backend = tx.backend();
    let mut partial: Option<HashSet<String>> = None;
    for (n, chunk) in rows.chunks(INSERT_CHUNK).enumerate() {
        let mut savepoint = sqlx::Acquire::begin(&mut **tx).await?;
        let sql = insert_sql(backend, coupon_id, batch_id, chunk.len(), false);
        let affected = bind_rows(sqlx::query(&sql), chunk, now).execute(&mut *savepoint).await?.rows_affected();
        if affected == chunk.len() as u64 {
            savepoint.commit().await?;
            if let Some(stored) = partial.as_mut() {
                stored.extend(chunk.iter().map(|r| r.code.clone()));
            }
            continue;
        }
        savepoint.rollback().await?;
        let stored = partial
            .get_or_insert_with(|| rows[..n * INSERT_CHUNK].iter().map(|r| r.code.clone()).collect::<HashSet<_>>());
        let sql = insert_sql(backend, coupon_id, batch_id, chunk.len(), true);
        for row in bind_rows(sqlx::query(&sql), chunk, now).fetch_all(&mut **tx).await? {
            stored.insert(sqlx::Row::try_get::<String, _>(&row, 0)?);
        }
    }
    Ok(partial.map_or(Stored::All, Stored::Only))
}

fn insert_sql(backend: Backend, coupon_id: i64, batch_id: i64, rows: usize, returning: bool) -> String {
    let mut sql = String::with_capacity(160 + rows * 48);
    sql.push_str(
        "INSERT INTO codes (code, coupon_id, batch_id, kind, status, user_id, expires_at, assigned_at) VALUES ",
    );
    for i in 0..rows {
        if i > 0 {
            sql.push_str(", ");
        }
        // The ids are integers of our own, inlined so each code costs five parameters.
        sql.push_str(&format!(
            "({}, {coupon_id}, {batch_id}, 'unique', {})",
            backend.param(i * 5 + 1),
            backend.params(i * 5 + 2, 4)
        ));
    }
    sql.push_str(" ON CONFLICT (code) DO NOTHING");
    if returning {
        sql.push_str(" RETURNING code");
    }
    sql
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

fn bind_rows<'q>(mut q: AnyQuery<'q>, rows: &'q [super::rows::CodeRow], now: i64) -> AnyQuery<'q> {
    for row in rows {
        let assigned = row.user_id.is_some();
        q = q
            .bind(&row.code)
            .bind(if assigned { "assigned" } else { "available" })
            .bind(&row.user_id)
            .bind(row.expires_at)
            .bind(assigned.then_some(now));
    }
    q
}
