//! CSV out: a batch's codes, and the problem report of a refused upload, streamed page by page
//! so a million rows never sit in memory, with cells a spreadsheet will not run as formulas.

use std::future::Future;

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

fn row(cells: &[&str]) -> String {
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

/// A CSV body: the header, then pages of lines, each page fetched after the last key of the one
/// before (keyset paging: no connection held between pages, no offset scans).
fn pages<F, Fut>(header: String, fetch: F) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send
where
    F: Fn(i64) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Vec<(i64, String)>, sqlx::Error>> + Send,
{
    let first = futures_util::stream::once(async move { Ok(Bytes::from(header)) });
    let rest = futures_util::stream::unfold(Some(i64::MIN), move |after| {
        let page = after.map(&fetch);
        async move {
            let lines = match page?.await {
                Ok(lines) => lines,
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
    let header = row(&["code", "status", "user_id", "expires_at", "assigned_at", "redeemed_at"]);
    pages(header, move |after| {
        let db = db.clone();
        async move {
            let rows: Vec<CodeLine> = sqlx::query_as(
                "SELECT id, code, status, user_id, expires_at, assigned_at, redeemed_at FROM codes
                 WHERE batch_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            )
            .bind(batch_id)
            .bind(after)
            .bind(PAGE)
            .fetch_all(db.pool())
            .await?;
            Ok(rows
                .into_iter()
                .map(|(id, code, status, user, expires, assigned, redeemed)| {
                    let user = user.unwrap_or_default();
                    (id, row(&[&code, &status, &user, &time(expires), &time(assigned), &time(redeemed)]))
                })
                .collect())
        }
    })
}

/// Every problem of a refused upload, by line, with the reason in words.
pub fn problem_report(db: Db, batch_id: i64) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send {
    let header = row(&["line", "reason", "description", "value"]);
    pages(header, move |after| {
        let db = db.clone();
        async move {
            let rows: Vec<(i64, String, String)> = sqlx::query_as(
                "SELECT line, reason, value FROM code_import_problems WHERE batch_id = $1 AND line > $2
                 ORDER BY line LIMIT $3",
            )
            .bind(batch_id)
            .bind(after)
            .bind(PAGE)
            .fetch_all(db.pool())
            .await?;
            Ok(rows
                .into_iter()
                .map(|(line, reason, value)| {
                    let description = super::rows::Problem::parse(&reason).map_or("", |p| p.describe());
                    (line, row(&[&line.to_string(), &reason, description, &value]))
                })
                .collect())
        }
    })
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
