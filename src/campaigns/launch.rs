//! Assigning a coupon to the users a rule matches, set-based: one INSERT … SELECT pairs every
//! new user with a free code of the coupon, one UPDATE … FROM marks those codes taken. Both are
//! checked against what they were meant to do, so a code or user taken meanwhile by another
//! server makes the transaction fail (and roll back) rather than hand out a code twice.

use crate::activity;
use crate::conditions::Rule;
use crate::coupons::definition::{Activation, Expiry, ExpiryAnchor};
use crate::coupons::Coupon;
use crate::db::{Backend, Bind, Sql, Tx};
use crate::error::AppError;
use crate::redemption::decision::{self, AssignmentFacts};

/// Which users to look at.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    Everyone,
    /// One user, whose properties just changed.
    User(&'a str),
    /// Users written at or after this instant (a bulk import's rows).
    UpdatedSince(i64),
}

impl Scope<'_> {
    fn push(&self, sql: &mut Sql) {
        match self {
            Scope::Everyone => {}
            Scope::User(id) => {
                sql.push(" AND u.user_id = ").bind(Bind::Text(id.to_string()));
            }
            Scope::UpdatedSince(at) => {
                sql.push(" AND u.updated_at >= ").bind(Bind::Int(*at));
            }
        }
    }
}

/// One run of assignments: a campaign's coupon, rule and moment.
pub struct Run<'a> {
    pub backend: Backend,
    pub coupon: &'a Coupon,
    pub campaign_id: i64,
    pub rule: &'a Rule,
    pub scope: Scope<'a>,
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

    pub async fn matched(&self, tx: &mut Tx) -> Result<Matched, AppError> {
        let mut sql = Sql::new(self.backend);
        sql.push("SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN ");
        self.holds_coupon(&mut sql);
        sql.push(" THEN 1 ELSE 0 END), 0) AS BIGINT) FROM app_users u WHERE ");
        self.rule.push_sql(&mut sql, "u.facets");
        self.scope.push(&mut sql);
        let (users, holding): (i64, i64) =
            sqlx::query_as_with(sql.text(), sql.arguments()?).fetch_one(&mut **tx).await?;
        Ok(Matched { users, holding })
    }

    pub async fn free_codes(&self, tx: &mut Tx) -> Result<i64, AppError> {
        Ok(sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM codes WHERE {}",
            crate::codes::store::free_codes_of("$1")
        ))
        .bind(self.coupon.id)
        .fetch_one(&mut **tx)
        .await?)
    }

    /// Assigns the coupon to every matching user who does not hold it, each with a free code
    /// when the coupon uses unique codes (users beyond the free codes are left out: callers that
    /// must reach everyone count first). Returns how many were assigned.
    pub async fn assign(&self, tx: &mut Tx) -> Result<u64, AppError> {
        let codes = decision::uses_unique_codes(&self.coupon.definition);
        let insert = self.insert(codes);
        let inserted = sqlx::query_with(insert.text(), insert.arguments()?)
            .execute(&mut **tx)
            .await
            .map_err(|e| raced(e, "a user was assigned this coupon meanwhile"))?
            .rows_affected();
        if codes && inserted > 0 {
            let taken = sqlx::query(
                "UPDATE codes SET status = 'assigned', user_id = a.user_id, assigned_at = $1
                 FROM assignments a
                 WHERE a.campaign_id = $2 AND a.assigned_at = $3 AND a.code_id = codes.id
                   AND codes.status = 'available' AND codes.user_id IS NULL",
            )
            .bind(self.now)
            .bind(self.campaign_id)
            .bind(self.now)
            .execute(&mut **tx)
            .await?
            .rows_affected();
            if taken != inserted {
                return Err(AppError::Conflict("codes were handed out meanwhile; try the launch again".into()));
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

    fn insert(&self, codes: bool) -> Sql {
        let mut sql = Sql::new(self.backend);
        sql.push(
            "INSERT INTO assignments (coupon_id, user_id, code_id, source, campaign_id, assigned_at, activated_at, expires_at) SELECT ",
        );
        sql.bind(Bind::Int(self.coupon.id)).push(", t.user_id, ");
        sql.push(if codes { "f.id" } else { "CAST(NULL AS BIGINT)" }).push(", 'campaign', ");
        sql.bind(Bind::Int(self.campaign_id)).push(", ").bind(Bind::Int(self.now)).push(", t.activated_at, ");
        self.expiry(&mut sql);
        sql.push(" FROM (SELECT u.user_id, ");
        self.activation(&mut sql);
        sql.push(" AS activated_at");
        if codes {
            sql.push(", ROW_NUMBER() OVER (ORDER BY u.user_id) AS n");
        }
        sql.push(" FROM app_users u WHERE ");
        self.rule.push_sql(&mut sql, "u.facets");
        self.scope.push(&mut sql);
        sql.push(" AND NOT ");
        self.holds_coupon(&mut sql);
        sql.push(") t");
        if codes {
            // The coupon's id is ours: inlined, as the free-code test takes it.
            let free = crate::codes::store::free_codes_of(&self.coupon.id.to_string());
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

    /// The expiry `decision::expires_at` gives an assignment made now: the same for everyone,
    /// except a relative expiry counted from an event activation, which follows each user's.
    fn expiry(&self, sql: &mut Sql) {
        let d = &self.coupon.definition;
        match (&d.activation, &d.expiry) {
            (Activation::Event { .. }, Expiry::Relative { duration, relative_to: ExpiryAnchor::Activation }) => {
                sql.push("t.activated_at + ").bind(Bind::Int(duration.seconds() * 1000));
            }
            _ => {
                let facts = AssignmentFacts { assigned_at: self.now, activated_at: None, code_id: None };
                match decision::expires_at(self.coupon, Some(&facts)) {
                    Some(at) => sql.bind(Bind::Int(at)),
                    None => sql.push("CAST(NULL AS BIGINT)"),
                };
            }
        }
    }
}

/// A unique violation here means another writer assigned the same user first.
fn raced(e: sqlx::Error, what: &str) -> AppError {
    if crate::db::is_unique_violation(&e) {
        AppError::Conflict(format!("{what}; try again"))
    } else {
        e.into()
    }
}
