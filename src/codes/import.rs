//! Uploading a file of codes: all of it or none of it, in bounded memory.
//!
//! The body is first spooled to a temporary file (see `uploads`), then a blocking thread parses
//! it while the async side stores chunks of rows, each in a short transaction of its own, so a
//! checkout beside a million-row import waits milliseconds, not the import's length. The stored
//! rows are not seen until the batch turns ready in one last small transaction (see
//! [`store::seen`]). Any bad row refuses the file: its stored rows are deleted, and the
//! problems, spilled to a second temporary file as they are found, are stored for the report.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader, BufWriter, Seek, Write};

use chrono_tz::Tz;
use tokio::sync::mpsc;

use super::rows::{CodeRow, Layout, Problem, RowProblem};
use super::store::{self, CodesError, Refusal};
pub use super::Progress;
use super::{Batch, BatchKind};
use crate::accounts::audit::Actor;
use crate::coupons::Coupon;
use crate::db::{now_ms, Db, Tx};
pub use crate::uploads::Spooled;

/// Rows handed from the parser to the database at a time.
const ROWS_PER_CHUNK: usize = 4000;
/// Problems kept for the page and the API answer; all of them go to the report.
pub const PROBLEMS_SHOWN: usize = 300;

/// The end of an import: stored whole, or refused with its first problems.
pub enum CodeImport {
    Stored(Batch),
    Refused { batch: Batch, problems: Vec<RowProblem> },
}

/// Imports a spooled file into a new batch of `coupon` (one [`store::coupon_taking_codes`]
/// accepted before the upload was read). `progress` hears how far it got.
#[tracing::instrument(name = "import", skip_all, fields(coupon_id = coupon.id, bytes = spooled.bytes))]
pub async fn import(
    db: &Db,
    actor: &Actor,
    coupon: &Coupon,
    file_name: Option<&str>,
    spooled: Spooled,
    progress: impl FnMut(Progress),
) -> Result<CodeImport, CodesError> {
    let batch_id = store::open(db, actor, coupon.id, BatchKind::Uploaded, file_name, None).await?;
    complete(db, actor, coupon, batch_id, spooled, progress).await
}

/// Starts importing a spooled file into a new batch of `coupon` and answers at once with the
/// batch, still importing: the rest runs in the background, and the batch (its status, its
/// `row_count` and `byte_count` so far) says how far it got, as [`import`] would have answered.
pub async fn start(
    db: &Db,
    actor: &Actor,
    coupon: &Coupon,
    file_name: Option<&str>,
    spooled: Spooled,
) -> Result<Batch, CodesError> {
    let batch_id = store::open(db, actor, coupon.id, BatchKind::Uploaded, file_name, None).await?;
    let batch = store::get(db, batch_id).await?;
    let (db, actor, coupon) = (db.clone(), actor.clone(), coupon.clone());
    tokio::spawn(async move {
        // The outcome is on the batch (ready, or failed with its problems); a server that stops
        // meanwhile leaves it to `close_interrupted`.
        if let Err(e) = complete(&db, &actor, &coupon, batch_id, spooled, |_| {}).await {
            tracing::warn!(batch_id, error = %e, "background code import ended early");
        }
    });
    Ok(batch)
}

/// The rest of an import once its batch is open.
async fn complete(
    db: &Db,
    actor: &Actor,
    coupon: &Coupon,
    batch_id: i64,
    spooled: Spooled,
    mut progress: impl FnMut(Progress),
) -> Result<CodeImport, CodesError> {
    let bytes = spooled.bytes;
    match run(db, actor, coupon.id, batch_id, coupon.definition.time_zone, spooled, &mut progress).await {
        Ok(Checked::Stored) => Ok(CodeImport::Stored(store::get(db, batch_id).await?)),
        Ok(Checked::Refused(report)) => {
            let refusal = Refusal {
                rows: report.rows as i64,
                bytes: bytes as i64,
                problem_count: report.total as i64,
                summary: report
                    .counts
                    .iter()
                    .map(|(p, n)| super::ProblemCount { reason: p.as_str().into(), count: *n })
                    .collect(),
                message: Some(format!("refused: {} rows with problems; nothing was stored", report.total)),
            };
            store::fail(db, actor, batch_id, &refusal, report.into_problems()?).await?;
            let problems = store::problems(db, batch_id, PROBLEMS_SHOWN as i64).await?;
            Ok(CodeImport::Refused { batch: store::get(db, batch_id).await?, problems })
        }
        Ok(Checked::Empty) => {
            let refusal = Refusal::note(bytes, "refused: the file has no codes");
            store::fail(db, actor, batch_id, &refusal, std::iter::empty()).await?;
            Err(CodesError::EmptyFile)
        }
        Err(e) => {
            let refusal = Refusal::note(bytes, "failed: the server could not finish the import; nothing was stored");
            // Best effort: the batch must not stay "importing"; the error itself is what counts.
            let _ = store::fail(db, actor, batch_id, &refusal, std::iter::empty()).await;
            Err(e)
        }
    }
}

enum Checked {
    Stored,
    Empty,
    Refused(Report),
}

/// What the parser thread hands over.
enum Parsed {
    Rows(Vec<Result<CodeRow, RowProblem>>, u64),
    /// The file cannot be read as CSV past this point.
    Broken(RowProblem),
}

async fn run(
    db: &Db,
    actor: &Actor,
    coupon_id: i64,
    batch_id: i64,
    zone: Tz,
    spooled: Spooled,
    progress: &mut impl FnMut(Progress),
) -> Result<Checked, CodesError> {
    let bytes = spooled.bytes;
    let now = now_ms();
    let (sender, mut chunks) = mpsc::channel::<Parsed>(4);
    let parser = tokio::task::spawn_blocking(move || parse(spooled.into_file(), zone, now, sender));
    let mut report = Report::new().map_err(internal)?;
    while let Some(parsed) = chunks.recv().await {
        let (rows, bytes_read) = match parsed {
            Parsed::Rows(rows, bytes_read) => (rows, bytes_read),
            Parsed::Broken(problem) => {
                report.add(problem).map_err(internal)?;
                continue;
            }
        };
        report.rows += rows.len() as u64;
        let mut good = Vec::with_capacity(rows.len());
        for row in rows {
            match row {
                Ok(row) => good.push(row),
                Err(problem) => report.add(problem).map_err(internal)?,
            }
        }
        store_step(db, coupon_id, batch_id, good, now, bytes_read, &mut report).await?;
        progress(Progress::Checking { rows: report.rows, bytes_read, bytes });
    }
    parser.await.map_err(internal)?;
    if report.total > 0 {
        return Ok(Checked::Refused(report));
    }
    if report.rows == 0 {
        return Ok(Checked::Empty);
    }
    // No problem means no row was turned away: every row read is stored. The batch turns ready
    // here, and with it every code it stored becomes seen at once.
    let mut tx = db.begin_write().await?;
    crate::audience::assignments::insert_from_batch(&mut tx, batch_id, now).await?;
    store::finish(&mut tx, actor, coupon_id, batch_id, report.rows as i64, bytes as i64).await?;
    tx.commit().await?;
    Ok(Checked::Stored)
}

/// One step of an import, in its own short transaction: stores a chunk's good rows (not seen
/// until the batch is ready) and notes the problems the database finds.
async fn store_step(
    db: &Db,
    coupon_id: i64,
    batch_id: i64,
    rows: Vec<CodeRow>,
    now: i64,
    bytes_read: u64,
    report: &mut Report,
) -> Result<(), CodesError> {
    let mut tx = db.begin_write_later().await?;
    if !store::step(&mut tx, batch_id, report.rows as i64, bytes_read as i64).await? {
        return Err(CodesError::Interrupted);
    }
    let good = drop_unknown_users(&mut tx, rows, report).await?;
    if let store::Stored::Only(stored) = store::insert(&mut tx, coupon_id, batch_id, &good, now).await? {
        report_conflicts(&mut tx, batch_id, &good, stored, report).await?;
    }
    tx.commit().await?;
    Ok(())
}

fn internal(e: impl std::fmt::Display) -> CodesError {
    CodesError::Spill(e.to_string())
}

/// Reads the file row by row on a blocking thread. Blank lines are skipped; a first row naming
/// a `code` column is the header.
fn parse(file: std::fs::File, zone: Tz, now: i64, sender: mpsc::Sender<Parsed>) {
    let mut file = file;
    if file.rewind().is_err() {
        return;
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(BufReader::with_capacity(1 << 16, file));
    let mut record = csv::ByteRecord::new();
    let mut layout: Option<Layout> = None;
    let mut chunk = Vec::with_capacity(ROWS_PER_CHUNK);
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                let problem = RowProblem { line, problem: Problem::WrongColumns, value: e.to_string() };
                let _ = sender.blocking_send(Parsed::Rows(std::mem::take(&mut chunk), 0));
                let _ = sender.blocking_send(Parsed::Broken(problem));
                return;
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        let mut fields: Vec<&[u8]> = record.iter().collect();
        if let Some(rest) = fields.first().and_then(|f| f.strip_prefix(b"\xEF\xBB\xBF".as_slice())) {
            fields[0] = rest;
        }
        if fields.iter().all(|f| f.is_empty()) && fields.len() <= 1 {
            continue;
        }
        let layout = match layout {
            Some(layout) => layout,
            None => match Layout::from_first(&fields) {
                Ok((first, header)) => {
                    layout = Some(first);
                    if header {
                        continue;
                    }
                    first
                }
                Err(problem) => {
                    let value = super::rows::shorten(&String::from_utf8_lossy(record.as_slice()));
                    let _ = sender.blocking_send(Parsed::Broken(RowProblem { line, problem, value }));
                    return;
                }
            },
        };
        chunk.push(layout.row(line, &fields, zone, now));
        if chunk.len() == ROWS_PER_CHUNK {
            let read = record.position().map_or(0, |p| p.byte());
            if sender.blocking_send(Parsed::Rows(std::mem::take(&mut chunk), read)).is_err() {
                return;
            }
        }
    }
    let read = reader.position().byte();
    let _ = sender.blocking_send(Parsed::Rows(chunk, read));
}

/// Rows whose user Couponry does not know are problems, found with one query per chunk.
async fn drop_unknown_users(tx: &mut Tx, rows: Vec<CodeRow>, report: &mut Report) -> Result<Vec<CodeRow>, CodesError> {
    let backend = tx.backend();
    let users: Vec<&str> =
        rows.iter().filter_map(|r| r.user_id.as_deref()).collect::<HashSet<_>>().into_iter().collect();
    if users.is_empty() {
        return Ok(rows);
    }
    let mut known = HashSet::with_capacity(users.len());
    for part in users.chunks(1000) {
        let sql = format!("SELECT user_id FROM app_users WHERE user_id IN ({})", backend.params(1, part.len()));
        let mut q = sqlx::query_scalar::<_, String>(&sql);
        for user in part {
            q = q.bind(*user);
        }
        known.extend(q.fetch_all(&mut **tx).await?);
    }
    let mut kept = Vec::with_capacity(rows.len());
    for row in rows {
        match &row.user_id {
            Some(user) if !known.contains(user) => {
                report
                    .add(RowProblem { line: row.line, problem: Problem::UnknownUser, value: user.clone() })
                    .map_err(internal)?;
            }
            _ => kept.push(row),
        }
    }
    Ok(kept)
}

/// Tells apart, for rows the database did not take, a code already in Couponry from one that an
/// earlier row of this very file stored.
async fn report_conflicts(
    tx: &mut Tx,
    batch_id: i64,
    rows: &[CodeRow],
    mut stored: HashSet<String>,
    report: &mut Report,
) -> Result<(), CodesError> {
    let backend = tx.backend();
    // The first row with a code is the one that stored it; any later one is a conflict.
    let conflicts: Vec<&CodeRow> = rows.iter().filter(|r| !stored.remove(&r.code)).collect();
    let mut owner: HashMap<String, Option<i64>> = HashMap::with_capacity(conflicts.len());
    for part in conflicts.chunks(1000) {
        let sql = format!("SELECT code, batch_id FROM codes WHERE code IN ({})", backend.params(1, part.len()));
        let mut q = sqlx::query_as::<_, (String, Option<i64>)>(&sql);
        for row in part {
            q = q.bind(&row.code);
        }
        owner.extend(q.fetch_all(&mut **tx).await?);
    }
    for row in conflicts {
        let problem = if owner.get(&row.code) == Some(&Some(batch_id)) {
            Problem::DuplicateInFile
        } else {
            Problem::AlreadyExists
        };
        report.add(RowProblem { line: row.line, problem, value: row.code.clone() }).map_err(internal)?;
    }
    Ok(())
}

/// The problems found so far: counts per reason, and every one spilled to a temporary file (a
/// file of a million bad rows must not need a million rows of memory).
pub struct Report {
    pub rows: u64,
    pub total: u64,
    pub counts: BTreeMap<Problem, i64>,
    spill: BufWriter<std::fs::File>,
}

impl Report {
    fn new() -> std::io::Result<Report> {
        Ok(Report { rows: 0, total: 0, counts: BTreeMap::new(), spill: BufWriter::new(tempfile::tempfile()?) })
    }

    fn add(&mut self, problem: RowProblem) -> std::io::Result<()> {
        self.total += 1;
        *self.counts.entry(problem.problem).or_default() += 1;
        serde_json::to_writer(&mut self.spill, &problem)?;
        self.spill.write_all(b"\n")
    }

    /// Every problem, in the order found, read back from the spill file (local disk, buffered).
    fn into_problems(self) -> Result<impl Iterator<Item = RowProblem>, CodesError> {
        let mut file = self.spill.into_inner().map_err(|e| internal(e.error()))?;
        file.rewind().map_err(internal)?;
        Ok(BufReader::new(file).lines().map_while(Result::ok).filter_map(|l| serde_json::from_str(&l).ok()))
    }
}
