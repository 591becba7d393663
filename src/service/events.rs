//! Events: every change worth announcing is written to the outbox in the transaction that makes
//! it, so a rolled-back change announces nothing. After commit a dispatcher reads new outbox rows
//! and hands them to this instance's subscribers. With PostgreSQL, `pg_notify` (delivered only on
//! commit) wakes the dispatchers of every instance; a short poll covers a lost notification. With
//! SQLite (one instance) the committing request wakes its own dispatcher.

use super::AppState;
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use entity::outbox_event::{self, Column, Entity as Outbox};
use entity::webhook::{self, Entity as Webhook};
use entity::webhook_delivery;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, Notify};
use uuid::Uuid;

/// The PostgreSQL channel that announces committed outbox rows.
pub const CHANNEL: &str = "coordination_outbox";

/// Every event name a subscriber or webhook can ask for.
pub const EVENT_NAMES: [&str; 11] = [
    "blocker.raised",
    "blocker.forwarded",
    "blocker.acknowledged",
    "blocker.resolved",
    "blocker.escalated",
    "blocker.withdrawn",
    "blocker.commented",
    "report.submitted",
    "report.accepted",
    "report.returned",
    "report.missing",
];

/// A committed change, as subscribers receive it.
#[derive(Clone, Debug)]
pub struct Event {
    pub id: i64,
    pub topic: String,
    pub kind: String,
    pub object_id: Option<Uuid>,
    pub payload: Value,
    pub created_at: DateTime<Utc>,
}

impl From<outbox_event::Model> for Event {
    fn from(m: outbox_event::Model) -> Self {
        Self {
            id: m.id,
            topic: m.topic,
            kind: m.kind,
            object_id: m.object_id,
            payload: m.payload,
            created_at: m.created_at,
        }
    }
}

/// This instance's fan-out of committed events.
pub struct EventBus {
    sender: broadcast::Sender<Arc<Event>>,
    wake: Notify,
}

impl Default for EventBus {
    fn default() -> Self {
        Self { sender: broadcast::channel(4096).0, wake: Notify::new() }
    }
}

impl EventBus {
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.sender.subscribe()
    }

    /// Wakes the dispatcher: something was committed.
    pub fn poke(&self) {
        self.wake.notify_one();
    }
}

/// Writes an event into the outbox (and a delivery for each webhook that wants it) on `conn`,
/// the transaction of the change.
pub async fn publish<C: ConnectionTrait>(
    conn: &C,
    topic: &str,
    kind: &str,
    object_id: Option<Uuid>,
    payload: Value,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let row = outbox_event::ActiveModel {
        topic: Set(topic.to_owned()),
        kind: Set(kind.to_owned()),
        object_id: Set(object_id),
        payload: Set(payload),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    let hooks = Webhook::find().filter(webhook::Column::Active.eq(true)).all(conn).await?;
    for hook in hooks.into_iter().filter(|h| wants(&h.events, kind)) {
        webhook_delivery::ActiveModel {
            id: Set(Uuid::new_v4()),
            webhook_id: Set(hook.id),
            outbox_id: Set(row.id),
            event: Set(kind.to_owned()),
            status: Set("PENDING".into()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            lease_until: Set(None),
            last_status_code: Set(None),
            last_error: Set(None),
            delivered_at: Set(None),
            created_at: Set(now),
        }
        .insert(conn)
        .await?;
    }
    if conn.get_database_backend() == DbBackend::Postgres {
        conn.execute_unprepared(&format!("NOTIFY {CHANNEL}")).await?;
    }
    Ok(())
}

/// Whether a webhook's event list takes `kind`.
pub fn wants(events: &str, kind: &str) -> bool {
    events.split_whitespace().any(|e| e == "*" || e == kind)
}

/// How far back the dispatcher looks for rows that committed after later ones (PostgreSQL hands
/// out ids at insert, not at commit). A transaction would have to stay open while this many
/// later events commit for one to be missed.
const REORDER_WINDOW: i64 = 1_000;

/// The id of the newest outbox row, if any.
async fn newest_id<C: ConnectionTrait>(conn: &C) -> Result<Option<i64>, sea_orm::DbErr> {
    let newest: Option<Option<i64>> =
        Outbox::find().select_only().column_as(Column::Id.max(), "m").into_tuple().one(conn).await?;
    Ok(newest.flatten())
}

async fn recent_ids(state: &AppState, above: i64) -> Result<Vec<i64>, sea_orm::DbErr> {
    Outbox::find().select_only().column(Column::Id).filter(Column::Id.gt(above)).into_tuple().all(&state.db).await
}

/// Reads committed outbox rows and broadcasts them, until the process ends. Rows are remembered
/// for a window of ids, so one that commits after later ones is still sent, once.
pub async fn run_dispatcher(state: Arc<AppState>) {
    // Only what commits from now on: what is already there counts as sent.
    let mut sent: BTreeSet<i64> = loop {
        let ids = match newest_id(&state.db).await {
            Ok(newest) => recent_ids(&state, newest.unwrap_or(0) - REORDER_WINDOW).await,
            Err(err) => Err(err),
        };
        match ids {
            Ok(ids) => break ids.into_iter().collect(),
            Err(err) => {
                tracing::warn!(error = %err, "reading the outbox failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    let mut cursor = sent.last().copied().unwrap_or(0);
    loop {
        let _ = tokio::time::timeout(Duration::from_millis(500), state.events.wake.notified()).await;
        let rows = Outbox::find()
            .filter(Column::Id.gt(cursor - REORDER_WINDOW))
            .order_by_asc(Column::Id)
            .limit(2_000)
            .all(&state.db)
            .await;
        let rows = match rows {
            Ok(rows) => rows,
            Err(err) => {
                tracing::warn!(error = %err, "reading the outbox failed; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        for row in rows {
            if sent.insert(row.id) {
                cursor = cursor.max(row.id);
                let _ = state.events.sender.send(Arc::new(Event::from(row)));
            }
        }
        while sent.first().is_some_and(|first| *first <= cursor - REORDER_WINDOW) {
            sent.pop_first();
        }
    }
}

/// Deletes what is older than `days`: finished webhook deliveries (DELIVERED, FAILED), then the
/// events that no remaining delivery refers to. The newest event always stays, so that ids keep
/// rising (SQLite would otherwise hand out an id again) and no dispatcher misses what comes next.
/// Returns how many deliveries and events went.
pub async fn prune(state: &AppState, days: u32) -> AppResult<(u64, u64)> {
    use sea_orm::sea_query::Query;
    let cutoff = state.clock.now() - chrono::Duration::days(i64::from(days));
    let (_turn, txn) = state.begin_write().await?;
    let deliveries = webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::Status.ne("PENDING"))
        .filter(webhook_delivery::Column::CreatedAt.lt(cutoff))
        .exec(&txn)
        .await?
        .rows_affected;
    let events = match newest_id(&txn).await? {
        None => 0,
        Some(newest) => {
            Outbox::delete_many()
                .filter(Column::CreatedAt.lt(cutoff))
                .filter(Column::Id.lt(newest))
                .filter(
                    Column::Id.not_in_subquery(
                        Query::select()
                            .column(webhook_delivery::Column::OutboxId)
                            .from(webhook_delivery::Entity)
                            .to_owned(),
                    ),
                )
                .exec(&txn)
                .await?
                .rows_affected
        }
    };
    txn.commit().await?;
    Ok((deliveries, events))
}

/// Prunes every hour what is older than `EVENT_RETENTION_DAYS` (when it is not 0).
pub async fn run_pruning(state: Arc<AppState>) {
    let days = state.event_settings.event_retention_days;
    if days == 0 {
        return;
    }
    let mut ticks = tokio::time::interval(Duration::from_secs(3600));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match prune(&state, days).await {
            Ok((0, 0)) => {}
            Ok((deliveries, events)) => {
                tracing::info!(deliveries, events, days, "pruned events and webhook deliveries past their retention")
            }
            Err(err) => tracing::warn!(error = %err.detail(), "pruning old events failed; will retry in an hour"),
        }
    }
}

/// With PostgreSQL, wakes this instance's dispatcher whenever any instance commits an event.
pub async fn run_listener(state: Arc<AppState>) {
    if state.db.get_database_backend() != DbBackend::Postgres {
        return;
    }
    let pool = state.db.get_postgres_connection_pool().clone();
    loop {
        match sea_orm::sqlx::postgres::PgListener::connect_with(&pool).await {
            Ok(mut listener) => {
                if let Err(err) = listener.listen(CHANNEL).await {
                    tracing::warn!(error = %err, "LISTEN failed; retrying");
                } else {
                    while listener.recv().await.is_ok() {
                        state.events.poke();
                    }
                    tracing::warn!("the LISTEN connection dropped; reconnecting");
                }
            }
            Err(err) => tracing::warn!(error = %err, "cannot open a LISTEN connection; retrying"),
        }
        state.events.poke();
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
