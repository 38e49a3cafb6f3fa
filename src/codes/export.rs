//! CSV out: a batch's codes, and the problem report of a refused upload, streamed page by page
//! so a million rows never sit in memory, with cells a spreadsheet will not run as formulas.

use axum::body::Bytes;
use futures_util::Stream;

use crate::db::Db;

/// One CSV cell: a text a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, CR) gets
/// a leading `'`; a cell with a comma, quote or line break is quoted.
pub fn cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_string() };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

pub fn row(cells: &[&str]) -> String {
    let mut line = cells.iter().map(|c| cell(c)).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

fn time(ms: Option<i64>) -> String {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

const PAGE: i64 = 5000;

/// A CSV body: the header, then the lines of one batch's rows, fetched page by page after the
/// last key of the page before (keyset paging: no connection held between pages, no offset
/// scans). `sql` selects the key first and takes the batch, the key to start after, and the page
/// size; `line` turns a row into its CSV line.
fn batch_pages<T, F>(
    db: Db,
    batch_id: i64,
    header: &[&str],
    sql: &'static str,
    line: F,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin + 'static,
    F: Fn(T) -> (i64, String) + Copy + Send + Sync + 'static,
{
    let first = futures_util::stream::once(std::future::ready(Ok(Bytes::from(row(header)))));
    let rest = futures_util::stream::unfold(Some(i64::MIN), move |after| {
        let db = db.clone();
        async move {
            let page: Result<Vec<T>, _> =
                sqlx::query_as(sql).bind(batch_id).bind(after?).bind(PAGE).fetch_all(db.pool()).await;
            let lines: Vec<(i64, String)> = match page {
                Ok(rows) => rows.into_iter().map(line).collect(),
                Err(e) => {
                    tracing::error!(error = %e, "CSV export failed");
                    return Some((Err(std::io::Error::other("the export failed")), None));
                }
            };
            let last = lines.last().map(|(key, _)| *key)?;
            let next = (lines.len() as i64 == PAGE).then_some(last);
            let body: String = lines.into_iter().map(|(_, line)| line).collect();
            Some((Ok(Bytes::from(body)), next))
        }
    });
    futures_util::StreamExt::chain(first, rest)
}

type CodeLine = (i64, String, String, Option<String>, Option<i64>, Option<i64>, Option<i64>);

/// A batch's codes: code, status, user, expiry and when each was assigned and redeemed.
pub fn batch_codes(db: Db, batch_id: i64) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send {
    batch_pages(
        db,
        batch_id,
        &["code", "status", "user_id", "expires_at", "assigned_at", "redeemed_at"],
        "SELECT id, code, status, user_id, expires_at, assigned_at, redeemed_at FROM codes
         WHERE batch_id = $1 AND id > $2 AND batch_id IN (SELECT id FROM code_batches WHERE status IN ('ready', 'voided'))
         ORDER BY id LIMIT $3",
        |(id, code, status, user, expires, assigned, redeemed): CodeLine| {
            let user = user.unwrap_or_default();
            (id, row(&[&code, &status, &user, &time(expires), &time(assigned), &time(redeemed)]))
        },
    )
}

/// Every problem of a refused upload, by line, with the reason in words.
pub fn problem_report(db: Db, batch_id: i64) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send {
    batch_pages(
        db,
        batch_id,
        &["line", "reason", "description", "value"],
        "SELECT line, reason, value FROM code_import_problems WHERE batch_id = $1 AND line > $2
         ORDER BY line LIMIT $3",
        |(line, reason, value): (i64, String, String)| {
            let description = super::rows::Problem::parse(&reason).map_or("", |p| p.describe());
            (line, row(&[&line.to_string(), &reason, description, &value]))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_cannot_become_formulas() {
        assert_eq!(cell("=SUM(A1:A9)"), "'=SUM(A1:A9)");
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("-ABC"), "'-ABC");
        assert_eq!(cell("@cmd"), "'@cmd");
        assert_eq!(cell("\tX"), "'\tX");
        assert_eq!(cell("\rX"), "\"'\rX\"");
        assert_eq!(cell("=HYPERLINK(\"x\",\"y\")"), "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"");
        assert_eq!(cell("SAVE-10"), "SAVE-10");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell(""), "");
    }
}
