//! The two dialects' migrations describe one schema: the same tables, the same columns with the
//! same kind of values, the same indexes over the same columns. A migration written for one
//! database and forgotten (or written differently) for the other fails here.

mod common;

use std::collections::BTreeSet;

use common::{Flavor, TestApp};

/// What a column holds, in words both dialects map onto.
fn kind(declared: &str) -> &'static str {
    let t = declared.to_ascii_lowercase();
    if t.contains("int") {
        "integer"
    } else if t.contains("char") || t.contains("text") || t.contains("json") {
        "text"
    } else if t.contains("real") || t.contains("double") || t.contains("float") || t.contains("numeric") {
        "real"
    } else if t.contains("bool") {
        "boolean"
    } else if t.contains("blob") || t.contains("bytea") {
        "bytes"
    } else {
        "other"
    }
}

#[derive(Debug, Default, PartialEq)]
struct Schema {
    /// (table, column, kind)
    columns: BTreeSet<(String, String, &'static str)>,
    /// (index, table, its columns joined by commas)
    indexes: BTreeSet<(String, String, String)>,
}

async fn sqlite_schema(app: &TestApp) -> Schema {
    let pool = app.db.pool();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
    )
    .fetch_all(pool)
    .await
    .expect("tables");
    let mut schema = Schema::default();
    for table in tables {
        let columns: Vec<(String, String)> = sqlx::query_as("SELECT name, type FROM pragma_table_info($1)")
            .bind(&table)
            .fetch_all(pool)
            .await
            .expect("columns");
        for (column, declared) in columns {
            schema.columns.insert((table.clone(), column, kind(&declared)));
        }
    }
    // Indexes written in a migration (the ones UNIQUE and PRIMARY KEY make have no SQL).
    let indexes: Vec<(String, String)> =
        sqlx::query_as("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
            .fetch_all(pool)
            .await
            .expect("indexes");
    for (index, table) in indexes {
        let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
            .bind(&index)
            .fetch_all(pool)
            .await
            .expect("index columns");
        schema.indexes.insert((index, table, columns.join(",")));
    }
    schema
}

async fn postgres_schema(app: &TestApp) -> Schema {
    let pool = app.db.pool();
    let columns: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name NOT LIKE '\\_sqlx%'",
    )
    .fetch_all(pool)
    .await
    .expect("columns");
    let mut schema = Schema::default();
    for (table, column, declared) in columns {
        schema.columns.insert((table, column, kind(&declared)));
    }
    // Indexes that no constraint made (a PRIMARY KEY's or UNIQUE's index is the constraint's).
    let indexes: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT i.relname::text, t.relname::text,
                (SELECT string_agg(a.attname::text, ',' ORDER BY k.n)
                 FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, n)
                 JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum)
         FROM pg_index x
         JOIN pg_class i ON i.oid = x.indexrelid
         JOIN pg_class t ON t.oid = x.indrelid
         JOIN pg_namespace s ON s.oid = t.relnamespace
         WHERE s.nspname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
    )
    .fetch_all(pool)
    .await
    .expect("indexes");
    schema.indexes.extend(indexes);
    schema
}

fn only<T: Ord + Clone>(a: &BTreeSet<T>, b: &BTreeSet<T>) -> Vec<T> {
    a.difference(b).cloned().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_dialects_migrate_to_the_same_tables_columns_and_indexes() {
    let sqlite = sqlite_schema(&TestApp::spawn(Flavor::Sqlite).await).await;
    let postgres = postgres_schema(&TestApp::spawn(Flavor::Postgres).await).await;
    assert!(sqlite.columns.len() > 50, "the schema was read: {sqlite:?}");
    let columns = (only(&sqlite.columns, &postgres.columns), only(&postgres.columns, &sqlite.columns));
    assert_eq!(columns, (vec![], vec![]), "columns only in SQLite's migrations, and only in PostgreSQL's");
    let indexes = (only(&sqlite.indexes, &postgres.indexes), only(&postgres.indexes, &sqlite.indexes));
    assert_eq!(indexes, (vec![], vec![]), "indexes only in SQLite's migrations, and only in PostgreSQL's");
}
