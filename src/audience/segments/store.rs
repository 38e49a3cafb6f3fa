//! Segment rows, and counting who a rule reaches.

use std::time::Instant;

use super::{Checked, Preview, SampleUser, Segment, SegmentListItem};
use crate::accounts::audit::{self, Actor};
use crate::conditions::Rule;
use crate::db::{is_unique_violation, now_ms, Db, Sql, StoreError};

/// Why a segment was not read or saved.
#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    #[error("no such segment")]
    NotFound,
    #[error("another segment has this name")]
    NameTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}
crate::store_errors_into!(SegmentError);

const SAMPLE: usize = 8;

type Row = (i64, String, String, String, i64, i64);

fn segment((id, name, description, rule, created_at, updated_at): Row) -> Result<Segment, StoreError> {
    let rule: Rule = serde_json::from_str(&rule)
        .map_err(|e| StoreError::corrupt("a segment's stored rule", format!("segment {id}: {e}")))?;
    Ok(Segment { id, name, description, rule, created_at, updated_at })
}

const COLUMNS: &str = "id, name, description, rule, created_at, updated_at";

pub async fn get(db: &Db, id: i64) -> Result<Segment, SegmentError> {
    let row: Option<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM segments WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(segment(row.ok_or(SegmentError::NotFound)?)?)
}

pub async fn list(db: &Db) -> Result<Vec<SegmentListItem>, StoreError> {
    let rows: Vec<(Row, i64)> = sqlx::query_as::<_, (i64, String, String, String, i64, i64, i64)>(&format!(
        "SELECT {COLUMNS}, (SELECT COUNT(*) FROM campaigns c WHERE c.segment_id = segments.id)
         FROM segments ORDER BY name"
    ))
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(|(a, b, c, d, e, f, n)| ((a, b, c, d, e, f), n))
    .collect();
    rows.into_iter()
        .map(|(row, campaigns)| {
            let s = segment(row)?;
            Ok(SegmentListItem {
                id: s.id,
                summary: s.rule.to_string(),
                name: s.name,
                description: s.description,
                campaigns,
                updated_at: s.updated_at,
            })
        })
        .collect()
}

fn name_taken(e: sqlx::Error) -> SegmentError {
    if is_unique_violation(&e) {
        SegmentError::NameTaken
    } else {
        e.into()
    }
}

/// Creates a segment (no `id`) or replaces one, with its audit row.
pub async fn save(db: &Db, actor: &Actor, id: Option<i64>, input: &Checked) -> Result<Segment, SegmentError> {
    let rule = serde_json::to_string(&input.rule).map_err(|e| StoreError::corrupt("a segment rule as JSON", e))?;
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    let before = match id {
        Some(id) => Some(
            sqlx::query_as::<_, Row>(&format!("SELECT {COLUMNS} FROM segments WHERE id = $1"))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(SegmentError::NotFound)
                .and_then(|row| Ok(segment(row)?))?,
        ),
        None => None,
    };
    let update = format!(
        "UPDATE segments SET name = $1, description = $2, rule = $3, updated_at = $4 WHERE id = $5 RETURNING {COLUMNS}"
    );
    let insert = format!(
        "INSERT INTO segments (name, description, rule, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING {COLUMNS}"
    );
    let row: Row = match id {
        Some(id) => sqlx::query_as(&update).bind(&input.name).bind(&input.description).bind(&rule).bind(now).bind(id),
        None => sqlx::query_as(&insert)
            .bind(&input.name)
            .bind(&input.description)
            .bind(&rule)
            .bind(actor.account_id())
            .bind(now),
    }
    .fetch_one(&mut *tx)
    .await
    .map_err(name_taken)?;
    let saved = segment(row)?;
    let action = if before.is_some() { "segment.update" } else { "segment.create" };
    audit::record(&mut tx, actor, action, ("segment", saved.id.to_string()), before.as_ref(), Some(&saved)).await?;
    tx.commit().await?;
    Ok(saved)
}

/// Every segment, by name.
pub async fn all(db: &Db) -> Result<Vec<Segment>, StoreError> {
    let rows: Vec<Row> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM segments ORDER BY name")).fetch_all(db.pool()).await?;
    rows.into_iter().map(segment).collect()
}

/// The segments whose rule holds for these properties, evaluated in Rust: one user needs no
/// query per segment.
pub async fn containing(db: &Db, properties: &crate::conditions::Properties) -> Result<Vec<(i64, String)>, StoreError> {
    Ok(all(db).await?.into_iter().filter(|s| s.rule.holds(properties)).map(|s| (s.id, s.name)).collect())
}

/// Counts the users a rule matches (and all users), with a sample of the matching ones.
pub async fn preview(db: &Db, rule: &Rule) -> Result<Preview, StoreError> {
    let started = Instant::now();
    let mut count = Sql::new(db.backend());
    count.push("SELECT COUNT(*) FROM app_users u WHERE ");
    rule.push_sql(&mut count, "u.facets");
    let matching: i64 = sqlx::query_scalar_with(count.text(), count.arguments()?).fetch_one(db.pool()).await?;
    let took_ms = started.elapsed().as_millis() as i64;
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM app_users").fetch_one(db.pool()).await?;
    let mut sample = Sql::new(db.backend());
    sample.push("SELECT user_id, properties FROM app_users u WHERE ");
    rule.push_sql(&mut sample, "u.facets");
    sample.push(&format!(" ORDER BY user_id LIMIT {SAMPLE}"));
    let rows: Vec<(String, String)> =
        sqlx::query_as_with(sample.text(), sample.arguments()?).fetch_all(db.pool()).await?;
    let sample = rows
        .into_iter()
        .map(|(user_id, properties)| SampleUser {
            user_id,
            properties: serde_json::from_str(&properties).unwrap_or_default(),
        })
        .collect();
    Ok(Preview { matching, total, sample, took_ms })
}
