//! Assignments: which user holds which coupon (and code), from where, activated and expiring
//! when. Every write to `assignments` is here: a campaign run (set-based), an event that hands a
//! coupon out or activates it, and the pre-assigned rows of a code file.
//!
//! A campaign run is set-based: one INSERT … SELECT pairs every new user with a free code of the
//! coupon, one UPDATE … FROM marks those codes taken. Both are checked against what they were
//! meant to do, so a code or user taken meanwhile by another server makes the transaction fail
//! (and roll back) rather than hand out a code twice.

use crate::activity;
use crate::codes;
use crate::conditions::Rule;
use crate::coupons::definition::{Activation, Expiry, ExpiryAnchor};
use crate::coupons::timing::AssignmentFacts;
use crate::coupons::Coupon;
use crate::db::{Backend, Bind, Sql, StoreError, Tx};

/// Which users to look at.
#[derive(Debug, Clone, Copy)]
pub enum Reach<'a> {
    Everyone,
    /// One user, whose properties just changed.
    User(&'a str),
    /// Users written at or after this instant (a bulk import's rows).
    UpdatedSince(i64),
}

impl Reach<'_> {
    fn push(&self, sql: &mut Sql) {
        match self {
            Reach::Everyone => {}
            Reach::User(id) => {
                sql.push(" AND u.user_id = ").bind(Bind::Text(id.to_string()));
            }
            Reach::UpdatedSince(at) => {
                sql.push(" AND u.updated_at >= ").bind(Bind::Int(*at));
            }
        }
    }
}

/// One run of assignments: a campaign's coupon, rule and moment.
pub struct Run<'a> {
    pub coupon: &'a Coupon,
    pub campaign_id: i64,
    pub rule: &'a Rule,
    pub reach: Reach<'a>,
    pub now: i64,
}

/// Matching users, and how many of them already hold the coupon.
pub struct Matched {
    pub users: i64,
    pub holding: i64,
}

impl Matched {
    pub fn new_users(&self) -> i64 {
        self.users - self.holding
    }
}

impl Run<'_> {
    fn holds_coupon(&self, sql: &mut Sql) {
        sql.push("EXISTS (SELECT 1 FROM assignments a WHERE a.coupon_id = ")
            .bind(Bind::Int(self.coupon.id))
            .push(" AND a.user_id = u.user_id)");
    }

    pub async fn matched(&self, tx: &mut Tx) -> Result<Matched, StoreError> {
        let mut sql = Sql::new(tx.backend());
        sql.push("SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN ");
        self.holds_coupon(&mut sql);
        sql.push(" THEN 1 ELSE 0 END), 0) AS BIGINT) FROM app_users u WHERE ");
        self.rule.push_sql(&mut sql, "u.facets");
        self.reach.push(&mut sql);
        let (users, holding): (i64, i64) =
            sqlx::query_as_with(sql.text(), sql.arguments()?).fetch_one(&mut **tx).await?;
        Ok(Matched { users, holding })
    }

    pub async fn free_codes(&self, tx: &mut Tx) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(&format!("SELECT COUNT(*) FROM codes WHERE {}", codes::lifecycle::free_codes_of("$1")))
            .bind(self.coupon.id)
            .fetch_one(&mut **tx)
            .await?)
    }

    /// Assigns the coupon to every matching user who does not hold it, each with a free code
    /// when the coupon uses unique codes (users beyond the free codes are left out: callers that
    /// must reach everyone count first). Returns how many were assigned.
    pub async fn assign(&self, tx: &mut Tx) -> Result<u64, StoreError> {
        let with_codes = self.coupon.definition.uses_unique_codes();
        let insert = self.insert(tx.backend(), with_codes);
        let inserted = sqlx::query_with(insert.text(), insert.arguments()?)
            .execute(&mut **tx)
            .await
            .map_err(|e| raced(e, "a user was assigned this coupon meanwhile"))?
            .rows_affected();
        if with_codes && inserted > 0 {
            let taken = codes::lifecycle::hand_out_to_campaign(tx, self.campaign_id, self.now).await?;
            if taken != inserted {
                return Err(StoreError::Raced { what: "codes were handed out meanwhile" });
            }
        }
        if inserted > 0 {
            let mut changes = activity::Changes::default();
            let launch = activity::Assignments::Launch { campaign_id: self.campaign_id, at: self.now };
            activity::assigned(tx, launch, &mut changes).await?;
            changes.write(tx).await?;
        }
        Ok(inserted)
    }

    fn insert(&self, backend: Backend, with_codes: bool) -> Sql {
        let mut sql = Sql::new(backend);
        sql.push(
            "INSERT INTO assignments (coupon_id, user_id, code_id, source, campaign_id, assigned_at, activated_at, expires_at) SELECT ",
        );
        sql.bind(Bind::Int(self.coupon.id)).push(", t.user_id, ");
        sql.push(if with_codes { "f.id" } else { "CAST(NULL AS BIGINT)" }).push(", 'campaign', ");
        sql.bind(Bind::Int(self.campaign_id)).push(", ").bind(Bind::Int(self.now)).push(", t.activated_at, ");
        self.expiry(&mut sql);
        sql.push(" FROM (SELECT u.user_id, ");
        self.activation(&mut sql);
        sql.push(" AS activated_at");
        if with_codes {
            sql.push(", ROW_NUMBER() OVER (ORDER BY u.user_id) AS n");
        }
        sql.push(" FROM app_users u WHERE ");
        self.rule.push_sql(&mut sql, "u.facets");
        self.reach.push(&mut sql);
        sql.push(" AND NOT ");
        self.holds_coupon(&mut sql);
        sql.push(") t");
        if with_codes {
            // The coupon's id is ours: inlined, as the free-code test takes it.
            let free = codes::lifecycle::free_codes_of(&self.coupon.id.to_string());
            sql.push(&format!(
                " JOIN (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM codes WHERE {free}) f ON f.n = t.n"
            ));
        }
        sql
    }

    /// Event activation counts the user's first trigger event since the coupon went live, even
    /// one from before the campaign reached them; time activation needs no per-user value.
    fn activation(&self, sql: &mut Sql) {
        match (&self.coupon.definition.activation, self.coupon.live_since) {
            (Activation::Event { event }, Some(live)) => {
                sql.push("(SELECT MIN(e.occurred_at) FROM events e WHERE e.user_id = u.user_id AND e.name = ");
                sql.bind(Bind::Text(event.clone())).push(" AND e.occurred_at >= ").bind(Bind::Int(live)).push(")");
            }
            _ => {
                sql.push("CAST(NULL AS BIGINT)");
            }
        }
    }

    /// The expiry `Coupon::expires_at` gives an assignment made now: the same for everyone,
    /// except a relative expiry counted from an event activation, which follows each user's.
    fn expiry(&self, sql: &mut Sql) {
        let d = &self.coupon.definition;
        match (&d.activation, &d.expiry) {
            (Activation::Event { .. }, Expiry::Relative { duration, relative_to: ExpiryAnchor::Activation }) => {
                sql.push("t.activated_at + ").bind(Bind::Int(duration.seconds() * 1000));
            }
            _ => {
                let facts = AssignmentFacts { assigned_at: self.now, activated_at: None, code_id: None };
                match self.coupon.expires_at(Some(&facts)) {
                    Some(at) => sql.bind(Bind::Int(at)),
                    None => sql.push("CAST(NULL AS BIGINT)"),
                };
            }
        }
    }
}

/// A unique violation here means another writer assigned the same user first.
fn raced(e: sqlx::Error, what: &'static str) -> StoreError {
    if crate::db::is_unique_violation(&e) {
        StoreError::Raced { what }
    } else {
        e.into()
    }
}

/// A user's assignment of a coupon, as events read it.
pub struct Held {
    pub id: i64,
    pub assigned_at: i64,
    pub activated_at: Option<i64>,
}

pub async fn find(tx: &mut Tx, coupon_id: i64, user_id: &str) -> Result<Option<Held>, StoreError> {
    let row: Option<(i64, i64, Option<i64>)> =
        sqlx::query_as("SELECT id, assigned_at, activated_at FROM assignments WHERE coupon_id = $1 AND user_id = $2")
            .bind(coupon_id)
            .bind(user_id)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(row.map(|(id, assigned_at, activated_at)| Held { id, assigned_at, activated_at }))
}

/// Activates an assignment (its activation event came), setting the expiry that follows from it.
pub async fn activate(
    tx: &mut Tx,
    id: i64,
    at: i64,
    expires_at: Option<i64>,
    changes: &mut activity::Changes,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE assignments SET activated_at = $1, expires_at = $2 WHERE id = $3 AND activated_at IS NULL")
        .bind(at)
        .bind(expires_at)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    activity::activated(tx, activity::Assignments::One(id), changes).await
}

/// One assignment an event made.
pub struct FromEvent<'a> {
    pub coupon_id: i64,
    pub user_id: &'a str,
    pub code_id: Option<i64>,
    pub at: i64,
    pub activated_at: Option<i64>,
    pub expires_at: Option<i64>,
}

/// Assigns the coupon to the user, unless they hold it already.
pub async fn insert_from_event(
    tx: &mut Tx,
    a: &FromEvent<'_>,
    changes: &mut activity::Changes,
) -> Result<(), StoreError> {
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO assignments (coupon_id, user_id, code_id, source, assigned_at, activated_at, expires_at)
         VALUES ($1, $2, $3, 'event', $4, $5, $6) ON CONFLICT (coupon_id, user_id) DO NOTHING RETURNING id",
    )
    .bind(a.coupon_id)
    .bind(a.user_id)
    .bind(a.code_id)
    .bind(a.at)
    .bind(a.activated_at)
    .bind(a.expires_at)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(id) = inserted {
        activity::assigned(tx, activity::Assignments::One(id), changes).await?;
    }
    Ok(())
}

/// Assigns each pre-assigned code of a batch that just turned ready to its user (their first
/// code of the coupon, when a file gives one user several).
pub async fn insert_from_batch(tx: &mut Tx, batch_id: i64, now: i64) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO assignments (coupon_id, user_id, code_id, source, assigned_at, expires_at)
         SELECT coupon_id, user_id, MIN(id), 'code', $1, MIN(expires_at) FROM codes
         WHERE batch_id = $2 AND user_id IS NOT NULL
         GROUP BY coupon_id, user_id
         ON CONFLICT (coupon_id, user_id) DO NOTHING",
    )
    .bind(now)
    .bind(batch_id)
    .execute(&mut **tx)
    .await?;
    let mut changes = activity::Changes::default();
    activity::assigned(tx, activity::Assignments::Batch(batch_id), &mut changes).await?;
    changes.write(tx).await
}
