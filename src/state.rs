//! What every request can reach: the database, the settings, Leptos' options. Low in the house
//! so any layer can name it without reaching up into `startup`, which only assembles.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::config::Config;
use crate::db::Db;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub config: Arc<Config>,
    /// Checkout decisions counted since the last scheduler tick (see `activity::checks`).
    pub checks: CheckCounts,
}

/// Counts kept in memory until something writes them. Clones share the counts.
#[derive(Debug)]
pub struct Tally<K: Ord>(Arc<Mutex<BTreeMap<K, i64>>>);

impl<K: Ord> Clone for Tally<K> {
    fn clone(&self) -> Self {
        Tally(Arc::clone(&self.0))
    }
}

impl<K: Ord> Default for Tally<K> {
    fn default() -> Self {
        Tally(Arc::default())
    }
}

impl<K: Ord> Tally<K> {
    fn counts(&self) -> MutexGuard<'_, BTreeMap<K, i64>> {
        // Poisoned only if a thread panicked while adding one; the counts are still whole.
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn add(&self, key: K, n: i64) {
        *self.counts().entry(key).or_default() += n;
    }

    /// Everything counted so far, leaving nothing.
    pub fn take(&self) -> BTreeMap<K, i64> {
        std::mem::take(&mut *self.counts())
    }

    /// Counts taken but not written after all: they wait for the next write.
    pub fn put_back(&self, taken: BTreeMap<K, i64>) {
        let mut counts = self.counts();
        for (key, n) in taken {
            *counts.entry(key).or_default() += n;
        }
    }
}

/// Checkout decisions by coupon (0: a code of no coupon), quarter hour, door (`validate`,
/// `redeem`) and reason (`""` when accepted).
pub type CheckCounts = Tally<(i64, i64, &'static str, &'static str)>;

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
