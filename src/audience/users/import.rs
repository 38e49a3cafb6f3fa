//! Bulk user import (`PUT /api/v1/users`): a JSON array of `{user_id, properties}` or a CSV with
//! a `user_id` column and one column per property. All or nothing, in bounded memory: the
//! spooled file is parsed on a blocking thread, and chunks of users are upserted in one write
//! transaction that any bad row rolls back.

use std::collections::HashSet;
use std::hash::BuildHasher;
use std::io::{BufReader, Seek};

use serde::de::{SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::{parse_user_id, PropertiesInput};
use crate::audience::campaigns::sync::{users_changed, Changed};
use crate::conditions::{facets, Properties};
use crate::db::{now_ms, Bind, Db, Sql, StoreError, Tx};

/// Why a users file was not imported (rows with problems are an answer, not an error).
#[derive(Debug, thiserror::Error)]
pub enum UserImportError {
    #[error("the file has no users")]
    Empty,
    #[error("user import parser: {0}")]
    Parser(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}
crate::store_errors_into!(UserImportError);
use crate::uploads::Spooled;

const USERS_PER_CHUNK: usize = 1000;
/// Problems listed in the answer; the count covers all of them.
pub const PROBLEMS_SHOWN: usize = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

/// One bad row: where (a CSV line, or a JSON array index), which field, what is wrong.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Users created or updated.
    pub users: u64,
    /// Coupons assigned by keep-in-sync campaigns to users who now match them.
    pub assigned: u64,
}

pub enum UserImport {
    Stored(ImportReport),
    Refused { problems: Vec<Problem>, total: u64 },
}

struct UserRow {
    user_id: String,
    properties: Properties,
}

type Parsed = Vec<Result<UserRow, Problem>>;

pub async fn import(db: &Db, format: Format, spooled: Spooled) -> Result<UserImport, UserImportError> {
    let now = now_ms();
    let (sender, mut chunks) = mpsc::channel::<Parsed>(4);
    let file = spooled.into_file();
    let parser = tokio::task::spawn_blocking(move || match format {
        Format::Json => parse_json(file, sender),
        Format::Csv => parse_csv(file, sender),
    });
    let mut tx = db.begin_write().await?;
    let (mut users, mut total) = (0u64, 0u64);
    let mut problems = Vec::new();
    while let Some(chunk) = chunks.recv().await {
        let mut good = Vec::with_capacity(chunk.len());
        for row in chunk {
            match row {
                Ok(row) => good.push(row),
                Err(problem) => {
                    total += 1;
                    if problems.len() < PROBLEMS_SHOWN {
                        problems.push(problem);
                    }
                }
            }
        }
        // Once a row is bad nothing will be kept: only look for more problems.
        if total == 0 {
            upsert(&mut tx, db, &good, now).await?;
            users += good.len() as u64;
        }
    }
    parser.await.map_err(|e| UserImportError::Parser(e.to_string()))?;
    if total > 0 {
        tx.rollback().await?;
        return Ok(UserImport::Refused { problems, total });
    }
    if users == 0 {
        return Err(UserImportError::Empty);
    }
    let assigned = users_changed(&mut tx, Changed::Since(now), now).await?;
    tx.commit().await?;
    Ok(UserImport::Stored(ImportReport { users, assigned }))
}

async fn upsert(tx: &mut Tx, db: &Db, rows: &[UserRow], now: i64) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(db.backend());
    sql.push("INSERT INTO app_users (user_id, properties, facets, created_at, updated_at) VALUES ");
    for (i, row) in rows.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" });
        sql.bind(Bind::Text(row.user_id.clone())).push(", ");
        let json =
            serde_json::to_string(&row.properties).map_err(|e| StoreError::corrupt("user properties as JSON", e))?;
        sql.bind(Bind::Text(json)).push(", ");
        sql.bind_json(facets::to_json(&row.properties));
        sql.push(&format!(", {now}, {now})"));
    }
    sql.push(
        " ON CONFLICT (user_id) DO UPDATE SET properties = excluded.properties, facets = excluded.facets, \
         updated_at = excluded.updated_at",
    );
    sqlx::query_with(sql.text(), sql.arguments()?).execute(&mut **tx).await?;
    Ok(())
}

/// User ids seen so far, as 128-bit hashes: a million ids in 16 MB, collisions beyond reach.
struct Seen {
    keys: (std::collections::hash_map::RandomState, std::collections::hash_map::RandomState),
    hashes: HashSet<u128>,
}

impl Seen {
    fn new() -> Seen {
        Seen { keys: Default::default(), hashes: HashSet::new() }
    }

    /// False when the id was seen before.
    fn first(&mut self, id: &str) -> bool {
        let half = |state: &std::collections::hash_map::RandomState| state.hash_one(id);
        self.hashes.insert((u128::from(half(&self.keys.0)) << 64) | u128::from(half(&self.keys.1)))
    }
}

/// Checks one user, wherever it came from; `at` places its problems.
fn check(
    user_id: &str,
    properties: Properties,
    seen: &mut Seen,
    at: &dyn Fn(String, String) -> Problem,
) -> Vec<Result<UserRow, Problem>> {
    let mut problems = Vec::new();
    let id = match parse_user_id(user_id) {
        Ok(id) if !seen.first(&id) => {
            problems.push(at("user_id".into(), format!("`{id}` appears earlier in the file")));
            None
        }
        Ok(id) => Some(id),
        Err(message) => {
            problems.push(at("user_id".into(), message));
            None
        }
    };
    let properties = match PropertiesInput(properties).parse("properties") {
        Ok(p) => Some(p),
        Err(errors) => {
            problems.extend(errors.iter().map(|e| at(e.field.clone(), e.message.clone())));
            None
        }
    };
    match (id, properties) {
        (Some(user_id), Some(properties)) if problems.is_empty() => vec![Ok(UserRow { user_id, properties })],
        _ => problems.into_iter().map(Err).collect(),
    }
}

/// Sends full chunks as they fill.
struct Chunker {
    sender: mpsc::Sender<Parsed>,
    chunk: Parsed,
}

impl Chunker {
    fn push(&mut self, rows: Vec<Result<UserRow, Problem>>) -> bool {
        self.chunk.extend(rows);
        if self.chunk.len() >= USERS_PER_CHUNK {
            return self.flush();
        }
        true
    }

    /// False once the receiver is gone (the import failed).
    fn flush(&mut self) -> bool {
        let chunk = std::mem::take(&mut self.chunk);
        chunk.is_empty() || self.sender.blocking_send(chunk).is_ok()
    }
}

fn rewound(mut file: std::fs::File) -> Option<BufReader<std::fs::File>> {
    file.rewind().ok()?;
    Some(BufReader::with_capacity(1 << 16, file))
}

fn parse_json(file: std::fs::File, sender: mpsc::Sender<Parsed>) {
    let Some(reader) = rewound(file) else { return };
    let mut out = Chunker { sender, chunk: Vec::new() };
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut visitor = JsonUsers { out: &mut out, seen: Seen::new(), index: 0 };
    let result = serde::Deserializer::deserialize_seq(&mut de, &mut visitor).and_then(|()| de.end());
    if let Err(e) = result {
        let problem = Problem {
            line: Some(e.line() as u64),
            index: None,
            field: "body".into(),
            message: format!("the body is not a JSON array of users: {e}"),
        };
        out.chunk.push(Err(problem));
    }
    out.flush();
}

/// One array element, as sent.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonUser {
    user_id: String,
    #[serde(default)]
    properties: Properties,
}

struct JsonUsers<'a> {
    out: &'a mut Chunker,
    seen: Seen,
    index: u64,
}

impl<'de> Visitor<'de> for &mut JsonUsers<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of users")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element::<serde_json::Value>()? {
            let index = self.index;
            self.index += 1;
            let at = |field: String, message: String| Problem { line: None, index: Some(index), field, message };
            let rows = match serde_json::from_value::<JsonUser>(item) {
                Ok(user) => check(&user.user_id, user.properties, &mut self.seen, &at),
                Err(e) => vec![Err(at("".into(), format!("expected {{\"user_id\": …, \"properties\": {{…}}}}: {e}")))],
            };
            if !self.out.push(rows) {
                break;
            }
        }
        Ok(())
    }
}

/// A CSV cell as a property value: empty is unset; `true`/`false` are booleans; a plain number
/// without leading zeros is a number (so `00123` and `+44…` stay text); anything else is text.
pub fn cell_value(text: &str) -> Option<serde_json::Value> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if t.eq_ignore_ascii_case("true") || t.eq_ignore_ascii_case("false") {
        return Some(serde_json::Value::Bool(t.eq_ignore_ascii_case("true")));
    }
    let digits = t.strip_prefix('-').unwrap_or(t);
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let plain = !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && (whole == "0" || !whole.starts_with('0'))
        && frac.bytes().all(|b| b.is_ascii_digit())
        && digits.contains('.') != frac.is_empty()
        && whole.len() + frac.len() <= 15;
    if plain {
        if let Some(n) = t.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
            let n = if frac.is_empty() { t.parse::<i64>().map(serde_json::Number::from).unwrap_or(n) } else { n };
            return Some(serde_json::Value::Number(n));
        }
    }
    Some(serde_json::Value::String(t.to_string()))
}

fn parse_csv(file: std::fs::File, sender: mpsc::Sender<Parsed>) {
    let Some(reader) = rewound(file) else { return };
    let mut out = Chunker { sender, chunk: Vec::new() };
    let mut csv = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(reader);
    let header_problem = |message: String| Problem { line: Some(1), index: None, field: "header".into(), message };
    let headers: Vec<String> = match csv.headers() {
        Ok(h) => h.iter().map(|c| c.trim_start_matches('\u{feff}').trim().to_string()).collect(),
        Err(e) => {
            out.chunk.push(Err(header_problem(format!("the file is not CSV: {e}"))));
            out.flush();
            return;
        }
    };
    let Some(id_column) = headers.iter().position(|h| h == "user_id") else {
        out.chunk.push(Err(header_problem("the first row must name the columns, one of them `user_id`".into())));
        out.flush();
        return;
    };
    let mut names = HashSet::new();
    if let Some(twice) = headers.iter().find(|h| !names.insert(h.as_str())) {
        out.chunk.push(Err(header_problem(format!("the column `{twice}` appears twice"))));
        out.flush();
        return;
    }
    let mut seen = Seen::new();
    let mut record = csv::StringRecord::new();
    loop {
        match csv.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map(|p| p.line());
                let message = match e.kind() {
                    csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                        format!("{len} columns where the header has {expected_len}")
                    }
                    csv::ErrorKind::Utf8 { .. } => "the line is not UTF-8 text".to_string(),
                    _ => e.to_string(),
                };
                let problem = Problem { line, index: None, field: "row".into(), message };
                if !out.push(vec![Err(problem)]) {
                    return;
                }
                continue;
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        let properties: Properties = headers
            .iter()
            .zip(record.iter())
            .enumerate()
            .filter(|(i, _)| *i != id_column)
            .filter_map(|(_, (name, cell))| cell_value(cell).map(|v| (name.clone(), v)))
            .collect();
        let at = |field: String, message: String| Problem { line: Some(line), index: None, field, message };
        let rows = check(record.get(id_column).unwrap_or_default(), properties, &mut seen, &at);
        if !out.push(rows) {
            return;
        }
    }
    out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn types_csv_cells() {
        assert_eq!(cell_value(" Mumbai "), Some(json!("Mumbai")));
        assert_eq!(cell_value(""), None);
        assert_eq!(cell_value("TRUE"), Some(json!(true)));
        assert_eq!(cell_value("31"), Some(json!(31)));
        assert_eq!(cell_value("-2.5"), Some(json!(-2.5)));
        assert_eq!(cell_value("0.5"), Some(json!(0.5)));
        for text in ["00123", "+4412345", "1e5", "12.", ".5", "1234567890123456", "12 000"] {
            assert_eq!(cell_value(text), Some(json!(text)), "{text}");
        }
    }

    #[test]
    fn remembers_ids() {
        let mut seen = Seen::new();
        assert!(seen.first("a") && seen.first("b") && !seen.first("a"));
    }
}
