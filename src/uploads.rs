//! Uploaded files (code batches, user imports): the body goes to a temporary file first, so a
//! slow upload never holds the database's write lock and a huge one never sits in memory.

use axum::body::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::io::AsyncWriteExt;

/// How much of a too-large body is read (and dropped) before the refusal.
const DRAIN_BYTES: u64 = 64 << 20;

/// An upload on disk, whole.
pub struct Spooled {
    file: std::fs::File,
    pub bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("the file is larger than the {limit_mb} MB upload limit")]
    TooLarge { limit_mb: u64 },
    #[error("the upload broke off before the file arrived whole")]
    BrokenOff,
    #[error("the server could not store the upload")]
    Disk(#[from] std::io::Error),
}

/// Writes the body to a temporary file (deleted when dropped), refusing it past `max_bytes`.
pub async fn spool<S, E>(body: S, max_bytes: u64) -> Result<Spooled, SpoolError>
where
    S: Stream<Item = Result<Bytes, E>>,
{
    let file = tempfile::tempfile()?;
    let mut out = tokio::io::BufWriter::new(tokio::fs::File::from_std(file.try_clone()?));
    let mut bytes: u64 = 0;
    let mut body = std::pin::pin!(body);
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|_| SpoolError::BrokenOff)?;
        bytes += chunk.len() as u64;
        if bytes > max_bytes {
            // Read on a while (unstored), so a client still sending hears the refusal instead
            // of a reset connection; a body far past the limit is cut off.
            while bytes <= max_bytes.saturating_add(DRAIN_BYTES) {
                match body.next().await {
                    Some(Ok(chunk)) => bytes += chunk.len() as u64,
                    _ => break,
                }
            }
            return Err(SpoolError::TooLarge { limit_mb: max_bytes.div_ceil(1 << 20) });
        }
        out.write_all(&chunk).await?;
    }
    out.flush().await?;
    Ok(Spooled { file, bytes })
}

impl Spooled {
    /// The file, to read from its start.
    pub fn into_file(self) -> std::fs::File {
        self.file
    }
}
