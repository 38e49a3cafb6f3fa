//! Events: what users do. Recording one runs event activation (a user's coupon becomes usable
//! from the first trigger event after the coupon went live) and event-triggered distribution (the
//! user is assigned the coupon and, for unique-code coupons, the next free code).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::audience::users::PropertiesInput;
use crate::conditions::Properties;
use crate::fields::FieldErrors;

pub const MAX_BATCH: usize = 1000;

/// An event as the app sends it, before it is checked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EventInput {
    #[serde(default)]
    pub user_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub properties: Properties,
    #[serde(default)]
    pub occurred_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub user_id: String,
    pub name: String,
    pub properties: Properties,
    pub occurred_at: DateTime<Utc>,
}

impl EventInput {
    /// Checks one event under `{path}.…`. An event in the future is refused: it would activate
    /// coupons early.
    pub fn parse(&self, path: &str, now: DateTime<Utc>, errors: &mut FieldErrors) -> Option<Event> {
        let user_id = errors.check(format!("{path}.user_id"), crate::audience::users::parse_user_id(&self.user_id));
        let name = errors.check(format!("{path}.name"), crate::coupons::input::parse_event_name(Some(&self.name)));
        let properties = match PropertiesInput(self.properties.clone()).parse(&format!("{path}.properties")) {
            Ok(p) => Some(p),
            Err(e) => {
                errors.0.extend(e.0);
                None
            }
        };
        let occurred_at = match self.occurred_at.as_deref().map(str::trim) {
            None | Some("") => Some(now),
            Some(text) => errors.check(
                format!("{path}.occurred_at"),
                DateTime::parse_from_rfc3339(text)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| "use an RFC 3339 date-time, e.g. 2026-11-24T10:00:00Z".to_string())
                    .and_then(crate::dates::check_instant)
                    .and_then(|t| {
                        if t > now + chrono::Duration::minutes(5) {
                            Err("an event cannot have happened in the future".to_string())
                        } else {
                            Ok(t)
                        }
                    }),
            ),
        };
        Some(Event { user_id: user_id?, name: name?, properties: properties?, occurred_at: occurred_at? })
    }
}

/// What recording events did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Recorded {
    pub events: usize,
    /// Coupons newly assigned or activated for the events' users.
    pub assignments: Vec<AssignmentChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AssignmentChange {
    pub coupon_id: i64,
    pub user_id: String,
    pub code: Option<String>,
    pub assigned: bool,
    pub activated: bool,
    /// Why the event gave nothing though it triggers the coupon: `no_free_codes` when a
    /// unique-code coupon has none left (no assignment is made; a later event tries again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_assigned: Option<String>,
}

#[cfg(feature = "ssr")]
mod store {
    use super::*;
    use crate::activity;
    use crate::audience::assignments::{self, Held};
    use crate::coupons::definition::{Activation, Distribution};
    use crate::coupons::store as coupons;
    use crate::coupons::timing::AssignmentFacts;
    use crate::coupons::Coupon;
    use crate::db::{Db, StoreError, Tx};

    /// Records a batch of events and runs what they trigger, all in one transaction.
    pub async fn record(db: &Db, events: &[Event], now: DateTime<Utc>) -> Result<Recorded, StoreError> {
        let mut tx = db.begin_write().await?;
        let mut recorded = Recorded { events: events.len(), assignments: Vec::new() };
        let mut changes = activity::Changes::default();
        for event in events {
            record_one(&mut tx, event, now, &mut recorded, &mut changes).await?;
        }
        changes.write(&mut tx).await?;
        tx.commit().await?;
        Ok(recorded)
    }

    async fn record_one(
        tx: &mut Tx,
        e: &Event,
        now: DateTime<Utc>,
        out: &mut Recorded,
        changes: &mut activity::Changes,
    ) -> Result<(), StoreError> {
        let at = e.occurred_at.timestamp_millis();
        crate::audience::users::ensure(tx, &e.user_id, now.timestamp_millis()).await?;
        sqlx::query(
            "INSERT INTO events (user_id, name, properties, occurred_at, received_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&e.user_id)
        .bind(&e.name)
        .bind(serde_json::to_string(&e.properties).map_err(|e| StoreError::corrupt("events: cannot encode JSON", e))?)
        .bind(at)
        .bind(now.timestamp_millis())
        .execute(&mut **tx)
        .await?;
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM coupons WHERE status = 'active' AND (trigger_event = $1 OR activation_event = $1) ORDER BY id",
        )
        .bind(&e.name)
        .fetch_all(&mut **tx)
        .await?;
        for id in ids {
            let Some(coupon) = coupons::find(tx, id).await? else { continue };
            // Only events after the coupon went live count.
            if coupon.live_since.is_none_or(|live| at < live) {
                continue;
            }
            if let Some(change) = apply(tx, &coupon, e, at, changes).await? {
                out.assignments.push(change);
            }
        }
        Ok(())
    }

    async fn apply(
        tx: &mut Tx,
        coupon: &Coupon,
        e: &Event,
        at: i64,
        changes: &mut activity::Changes,
    ) -> Result<Option<AssignmentChange>, StoreError> {
        let d = &coupon.definition;
        let triggers = matches!(&d.distribution, Distribution::EventTriggered { event, .. } if *event == e.name);
        let activates = matches!(&d.activation, Activation::Event { event } if *event == e.name);
        match assignments::find(tx, coupon.id, &e.user_id).await? {
            Some(Held { id, assigned_at, activated_at: None }) if activates => {
                let facts = AssignmentFacts { assigned_at, activated_at: Some(at), code_id: None };
                let expires = coupon.expires_at(Some(&facts));
                assignments::activate(tx, id, at, expires, changes).await?;
                Ok(Some(AssignmentChange {
                    coupon_id: coupon.id,
                    user_id: e.user_id.clone(),
                    code: None,
                    assigned: false,
                    activated: true,
                    not_assigned: None,
                }))
            }
            Some(_) => Ok(None),
            // Campaign coupons reach only their audience: an activation event does not enrol.
            None if triggers || (activates && !d.needs_assignment()) => {
                let code = if triggers && d.uses_unique_codes() {
                    match crate::codes::lifecycle::hand_out_next(tx, coupon.id, &e.user_id, at).await? {
                        Some(code) => Some(code),
                        None => {
                            // An assignment without a code could never be used: hand out nothing.
                            tracing::warn!(coupon = coupon.id, "event-triggered coupon has no free codes left");
                            return Ok(Some(AssignmentChange {
                                coupon_id: coupon.id,
                                user_id: e.user_id.clone(),
                                code: None,
                                assigned: false,
                                activated: false,
                                not_assigned: Some("no_free_codes".into()),
                            }));
                        }
                    }
                } else {
                    None
                };
                let activated_at = activates.then_some(at);
                let facts = AssignmentFacts { assigned_at: at, activated_at, code_id: code.as_ref().map(|c| c.0) };
                let expires = coupon.expires_at(Some(&facts));
                let assignment = assignments::FromEvent {
                    coupon_id: coupon.id,
                    user_id: &e.user_id,
                    code_id: facts.code_id,
                    at,
                    activated_at,
                    expires_at: expires,
                };
                assignments::insert_from_event(tx, &assignment, changes).await?;
                Ok(Some(AssignmentChange {
                    coupon_id: coupon.id,
                    user_id: e.user_id.clone(),
                    code: code.map(|c| c.1),
                    assigned: true,
                    activated: activates,
                    not_assigned: None,
                }))
            }
            None => Ok(None),
        }
    }
}

#[cfg(feature = "ssr")]
pub use store::*;

/// Event names the app has sent lately (its last 2,000 events): what the builder suggests.
#[cfg(feature = "ssr")]
pub async fn names(db: &crate::db::Db) -> Result<Vec<String>, crate::db::StoreError> {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT name FROM events ORDER BY id DESC LIMIT 2000").fetch_all(db.read_pool()).await?;
    let names: std::collections::BTreeSet<String> = names.into_iter().collect();
    Ok(names.into_iter().take(200).collect())
}

#[cfg(feature = "ssr")]
pub async fn recent(db: &crate::db::Db, user_id: &str, limit: i64) -> Result<Vec<Event>, crate::db::StoreError> {
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT user_id, name, properties, occurred_at FROM events WHERE user_id = $1 ORDER BY occurred_at DESC, id DESC LIMIT $2",
    )
    .bind(user_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(user_id, name, properties, at)| Event {
            user_id,
            name,
            properties: serde_json::from_str(&properties).unwrap_or_default(),
            occurred_at: DateTime::from_timestamp_millis(at).unwrap_or_default(),
        })
        .collect())
}
