//! Generating a batch of codes from a pattern: all of them or none, written in short steps
//! like an upload (see `import`), so checkouts go on beside a million-code batch.

use std::collections::HashSet;

use rand::Rng;

use super::pattern::Pattern;
use super::rows::CodeRow;
use super::store::{self, CodesError, INSERT_CHUNK};
use super::{Batch, BatchKind};
use crate::accounts::audit::Actor;
use crate::db::{now_ms, Db};

/// Generates `count` codes of `pattern` for a coupon. Refuses, with the numbers, a pattern too
/// small to keep the codes unguessable once the codes of that shape already issued are counted.
#[tracing::instrument(name = "generate", skip_all, fields(coupon_id = coupon_id, count = count))]
pub async fn generate(
    db: &Db,
    actor: &Actor,
    coupon_id: i64,
    count: u64,
    pattern: &Pattern,
) -> Result<Batch, CodesError> {
    store::coupon_taking_codes(db, coupon_id).await?;
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM codes WHERE code LIKE $1 ESCAPE '\\'")
        .bind(pattern.like())
        .fetch_one(db.pool())
        .await?;
    pattern.check_space(count, existing.max(0) as u64).map_err(CodesError::PatternTooSmall)?;

    let now = now_ms();
    let batch_id = store::open(db, actor, coupon_id, BatchKind::Generated, None, Some(&pattern.text())).await?;
    match fill(db, coupon_id, batch_id, count, pattern, now).await {
        Ok(stored) => {
            let mut tx = db.begin_write().await?;
            store::finish(&mut tx, actor, coupon_id, batch_id, stored as i64, 0).await?;
            tx.commit().await?;
            store::get(db, batch_id).await
        }
        Err(e) => {
            let why = store::Refusal::note(0, &format!("failed: {e}; no code was stored"));
            // Best effort: the batch must not stay "importing"; the error itself is what counts.
            let _ = store::fail(db, actor, batch_id, &why, std::iter::empty()).await;
            Err(e)
        }
    }
}

/// Insert chunks per transaction. Random codes land all over the code index, so a transaction
/// writes nearly a page per code it stores: steps as small as an import's (whose codes are
/// usually in order) made a million codes take three times as long on SQLite.
const CHUNKS_PER_STEP: usize = 25;

/// Draws and stores the codes of a batch that is not seen yet, a chunk per short transaction
/// (see [`store::seen`]); returns how many were stored.
async fn fill(
    db: &Db,
    coupon_id: i64,
    batch_id: i64,
    count: u64,
    pattern: &Pattern,
    now: i64,
) -> Result<u64, CodesError> {
    let mut stored: u64 = 0;
    let mut drawn: u64 = 0;
    // With the space at least 100× the codes, a draw collides under 1% of the time; this
    // bound only stops a space filled by codes of other shapes that the LIKE count missed.
    let max_draws = count.saturating_mul(2).saturating_add(1000);
    let mut chunk: Vec<CodeRow> = Vec::with_capacity(INSERT_CHUNK);
    let mut seen = HashSet::with_capacity(INSERT_CHUNK);
    while stored < count {
        let mut tx = db.begin_write_later().await?;
        if !store::step(&mut tx, batch_id, stored as i64, 0).await? {
            return Err(CodesError::Interrupted);
        }
        for _ in 0..CHUNKS_PER_STEP {
            if stored == count {
                break;
            }
            if drawn >= max_draws {
                return Err(CodesError::PatternFull { stored, count, pattern: pattern.text() });
            }
            chunk.clear();
            seen.clear();
            {
                // The thread's generator is a CSPRNG (ChaCha, seeded from the OS).
                let mut rng = rand::thread_rng();
                let mut draw = |n: usize| rng.gen_range(0..n);
                let want = ((count - stored) as usize).min(INSERT_CHUNK);
                while chunk.len() < want {
                    drawn += 1;
                    let code = pattern.generate(&mut draw);
                    if seen.insert(code.clone()) {
                        chunk.push(CodeRow { line: 0, code, user_id: None, expires_at: None });
                    }
                }
            }
            // Random codes land all over the code index; in order, one chunk's codes share its
            // pages (a sixth less time on SQLite). Claims go by id, so a chunk hands its codes
            // out in this order: the code after a known one is still one of ~100 candidates at
            // the least (the space rule), no easier to guess than any code.
            chunk.sort_unstable_by(|a, b| a.code.cmp(&b.code));
            stored += match store::insert(&mut tx, coupon_id, batch_id, &chunk, now).await? {
                store::Stored::All => chunk.len() as u64,
                store::Stored::Only(codes) => codes.len() as u64,
            };
        }
        tx.commit().await?;
    }
    Ok(stored)
}
