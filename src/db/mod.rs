//! Pools, migrations, and the one place that knows SQLite from PostgreSQL.

use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, ConnectOptions, Executor, Transaction};

mod error;
pub mod filters;
mod json;

pub use error::{fault, Fault, StoreError};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The `n`th (1-based) bind placeholder of a statement that uses each parameter once, in
    /// order. SQLite looks `$N` names up one by one while parsing, so a bulk statement with
    /// thousands of them parses in quadratic time (100× slower at 10,000); `?` binds in order.
    pub fn param(self, n: usize) -> String {
        match self {
            Backend::Sqlite => "?".into(),
            Backend::Postgres => format!("${n}"),
        }
    }

    /// The `n`th placeholder for a JSON document written to a column PostgreSQL types `jsonb`
    /// (SQLite keeps JSON as text).
    pub fn json_param(self, n: usize) -> String {
        match self {
            Backend::Sqlite => format!("${n}"),
            Backend::Postgres => format!("CAST(${n} AS jsonb)"),
        }
    }

    /// What a `SELECT` ends with to lock the rows it reads until commit (SQLite's write
    /// transaction already holds the whole database).
    pub fn for_update(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    /// `count` placeholders from `first` on, joined by commas: an `IN (…)` list.
    pub fn params(self, first: usize, count: usize) -> String {
        (first..first + count).map(|n| self.param(n)).collect::<Vec<_>>().join(", ")
    }
}

/// A value bound to a statement assembled at run time.
#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    Text(String),
    Real(f64),
    Int(i64),
}

/// A statement assembled piece by piece (e.g. a rule's WHERE clause), each placeholder written
/// for the backend as its value is bound, so the pieces compose in any order.
#[derive(Debug, Clone)]
pub struct Sql {
    backend: Backend,
    text: String,
    binds: Vec<Bind>,
}

impl Sql {
    pub fn new(backend: Backend) -> Sql {
        Sql { backend, text: String::new(), binds: Vec::new() }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    pub fn bind(&mut self, value: Bind) -> &mut Sql {
        self.binds.push(value);
        let placeholder = self.backend.param(self.binds.len());
        self.text.push_str(&placeholder);
        self
    }

    /// Binds a JSON document for a column PostgreSQL types `jsonb`.
    pub fn bind_json(&mut self, json: String) -> &mut Sql {
        match self.backend {
            Backend::Sqlite => self.bind(Bind::Text(json)),
            Backend::Postgres => self.push("CAST(").bind(Bind::Text(json)).push(" AS jsonb)"),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The bound values, for `sqlx::query_with` and its siblings.
    pub fn arguments(&self) -> Result<sqlx::any::AnyArguments<'_>, sqlx::Error> {
        use sqlx::Arguments;
        let mut args = sqlx::any::AnyArguments::default();
        for bind in &self.binds {
            match bind {
                Bind::Text(s) => args.add(s.as_str()),
                Bind::Real(n) => args.add(*n),
                Bind::Int(i) => args.add(*i),
            }
            .map_err(sqlx::Error::Encode)?;
        }
        Ok(args)
    }
}

/// The database: one pool, either dialect. Queries use `$1`-style placeholders, which both
/// understand, and only portable SQL (`RETURNING`, `ON CONFLICT`, integers, text).
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    /// A read replica for reports, if any.
    reads: Option<AnyPool>,
    backend: Backend,
    /// Writers of this process waiting for SQLite's write lock (see [`Db::begin_write_later`]).
    waiting: Arc<AtomicUsize>,
}

/// A transaction that knows its dialect: what is built inside it needs no `Backend` passed along.
/// It derefs to the connection, so `&mut *tx` runs a statement in it.
pub struct Tx {
    inner: Transaction<'static, sqlx::Any>,
    backend: Backend,
}

impl Tx {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.inner.commit().await
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.inner.rollback().await
    }
}

impl std::ops::Deref for Tx {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &sqlx::AnyConnection {
        &self.inner
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.inner
    }
}

/// How long a request waits for a database connection before it is answered 503.
pub const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

impl Db {
    /// Connects and migrates. A SQLite file (and its folder) is created when missing.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(sqlx::Error::Configuration(
                format!("DATABASE_URL must start with sqlite: or postgres:, not `{url}`").into(),
            ));
        };
        if backend == Backend::Sqlite {
            create_sqlite_folder(url);
        }
        let pool = open_pool(url, backend, max_connections).await?;
        let db = Db { pool, reads: None, backend, waiting: Arc::default() };
        db.migrate().await?;
        Ok(db)
    }

    /// Sends reports to a read replica of this (PostgreSQL) database: it is not migrated here,
    /// it follows the primary.
    pub async fn with_reads(mut self, url: &str, max_connections: u32) -> Result<Db, sqlx::Error> {
        self.reads = Some(open_pool(url, self.backend, max_connections).await?);
        Ok(self)
    }

    async fn migrate(&self) -> Result<(), sqlx::Error> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&self.pool).await.map_err(|e| sqlx::Error::Migrate(Box::new(e)))
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Begins a read-only transaction that sees one snapshot from its first statement on, on
    /// the read replica when there is one: a report's queries agree with each other, and
    /// reading never waits for a writer (SQLite's WAL; PostgreSQL's MVCC).
    pub async fn begin_read(&self) -> Result<Tx, sqlx::Error> {
        let inner = match self.backend {
            Backend::Sqlite => self.read_pool().begin().await?,
            Backend::Postgres => self.read_pool().begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?,
        };
        Ok(Tx { inner, backend: self.backend })
    }

    /// The pool reports read from: the replica's, when there is one.
    pub fn read_pool(&self) -> &AnyPool {
        self.reads.as_ref().unwrap_or(&self.pool)
    }

    /// Begins a transaction that will write. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`): a deferred transaction that read first could not upgrade once
    /// another writer committed, and would fail instead of waiting.
    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        let inner = match self.backend {
            Backend::Sqlite => {
                let _waiting = Waiting::new(&self.waiting);
                self.pool.begin_with("BEGIN IMMEDIATE").await?
            }
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(Tx { inner, backend: self.backend })
    }

    /// Begins one step of bulk work that can wait (a code import writes a million rows in
    /// steps). On SQLite, writers already waiting for the lock go first: SQLite's busy handler
    /// polls, so a writer that commits and begins again at once would keep the lock from a
    /// checkout for as long as it has steps left. Never waits more than [`YIELD_AT_MOST`].
    pub async fn begin_write_later(&self) -> Result<Tx, sqlx::Error> {
        if self.backend == Backend::Sqlite {
            let until = std::time::Instant::now() + YIELD_AT_MOST;
            while self.waiting.load(Ordering::Acquire) > 0 && std::time::Instant::now() < until {
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            }
        }
        self.begin_write().await
    }

    /// Begins a write transaction that runs alone among those begun the same way with the same
    /// `table`, which others may still read (PostgreSQL: an EXCLUSIVE table lock; SQLite's write
    /// transactions run one at a time anyway).
    pub async fn begin_alone(&self, table: &str) -> Result<Tx, sqlx::Error> {
        let mut tx = self.begin_write().await?;
        if self.backend == Backend::Postgres {
            let lock = format!("LOCK TABLE {table} IN EXCLUSIVE MODE");
            sqlx::query(&lock).execute(&mut *tx).await?;
        }
        Ok(tx)
    }
}

async fn open_pool(url: &str, backend: Backend, max_connections: u32) -> Result<AnyPool, sqlx::Error> {
    let options = AnyConnectOptions::from_str(url)?.disable_statement_logging();
    AnyPoolOptions::new()
        .max_connections(max_connections)
        // A checkout waiting longer than this for a connection is better told to retry (503).
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // WAL lets readers run beside the one writer; the busy timeout makes
                    // writers queue instead of failing; foreign keys are off by default.
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; \
                         PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                    )
                    .await?;
                }
                Ok(())
            })
        })
        // A connection whose COMMIT or ROLLBACK failed (a full disk, say) can come back still
        // inside its transaction; reused, every later BEGIN on it would fail. Close it instead.
        // The rollback of a dropped transaction is queued on the connection: let it run first.
        .after_release(|conn, _| {
            Box::pin(async move {
                use sqlx::Connection;
                if conn.is_in_transaction() {
                    conn.ping().await?;
                }
                Ok(!conn.is_in_transaction())
            })
        })
        .connect_with(options)
        .await
}

/// The longest a bulk step lets other writers go first: it must make progress too.
const YIELD_AT_MOST: std::time::Duration = std::time::Duration::from_secs(2);

/// Counts a writer as waiting for the SQLite write lock while it lives.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn new(count: &'a AtomicUsize) -> Waiting<'a> {
        count.fetch_add(1, Ordering::AcqRel);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn create_sqlite_folder(url: &str) {
    let path = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = path.split('?').next().unwrap_or_default();
    if let Some(parent) = std::path::Path::new(path).parent() {
        if !parent.as_os_str().is_empty() {
            let _ = std::fs::create_dir_all(parent);
        }
    }
}

/// True when the error is a UNIQUE constraint refusing a duplicate.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error().is_some_and(|e| e.is_unique_violation())
}

/// Now, as stored: UTC unix milliseconds.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
