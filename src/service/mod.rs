//! The rules of the service: lifecycles, permissions, periods. Functions here take the state and
//! the caller and know nothing of GraphQL.

pub mod access;
pub mod audit;
pub mod blockers;
pub mod dataset;
pub mod directives;
pub mod events;
pub mod export;
pub mod idempotency;
pub mod ministries;
pub mod page;
pub mod periods;
pub mod report_markdown;
pub mod reports;
pub mod rows;
pub mod seed;
pub mod statements;
pub mod summary;
pub mod tasks;
pub mod urging;
pub mod users;
pub mod validate;
pub mod webhooks;
pub mod working_groups;

use crate::auth::{JwtKeys, PasswordHasher, Principal};
use crate::clock::Clock;
use crate::config::{EventSettings, PeriodSettings};
use crate::metrics::Metrics;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

/// What every request shares: the database, keys, clock and settings. Built once at start.
pub struct AppState {
    pub db: DatabaseConnection,
    pub jwt: JwtKeys,
    pub passwords: PasswordHasher,
    pub clock: Clock,
    pub periods: PeriodSettings,
    pub metrics: Arc<Metrics>,
    /// The pool's largest size, for `/metrics`.
    pub pool_max: u32,
    /// Committed events, fanned out to this instance's subscribers.
    pub events: events::EventBus,
    pub event_settings: EventSettings,
    pub limits: crate::ratelimit::Limits,
    /// How long a DataLoader gathers keys before a batch.
    pub loader_delay: std::time::Duration,
    pub writers: crate::db::Writers,
}

impl AppState {
    /// Starts a mutation's transaction; the guard (SQLite: this process's turn to write) is held
    /// until it is dropped, after commit or rollback.
    pub async fn begin_write(&self) -> AppResult<(crate::db::WriteGuard, sea_orm::DatabaseTransaction)> {
        let guard = self.writers.acquire().await;
        Ok((guard, self.writers.begin(&self.db).await?))
    }
}

/// The caller of a request, as the service sees it.
#[derive(Clone, Debug)]
pub struct Actor {
    pub principal: Principal,
    pub request_id: String,
}

use crate::error::{AppError, AppResult};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

/// Writes `changes` (which must set `version` to `expected + 1`) only if the row still has
/// version `expected`; otherwise CONFLICT and nothing changes.
pub async fn update_versioned<C, E, A>(
    conn: &C,
    changes: A,
    id: (E::Column, Uuid),
    version: (E::Column, i32),
    what: &str,
) -> AppResult<()>
where
    C: ConnectionTrait,
    E: EntityTrait,
    A: ActiveModelTrait<Entity = E> + Send,
{
    let result = E::update_many().set(changes).filter(id.0.eq(id.1)).filter(version.0.eq(version.1)).exec(conn).await?;
    if result.rows_affected == 0 {
        return Err(AppError::stale(what));
    }
    Ok(())
}

/// Loads a row by id or answers NOT_FOUND naming `what`.
pub async fn find<C, E>(conn: &C, id: Uuid, what: &str) -> AppResult<E::Model>
where
    C: ConnectionTrait,
    E: EntityTrait,
    E::Model: sea_orm::FromQueryResult,
    <E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType: From<Uuid>,
{
    statements::find_by_id::<E, C>(conn, id).await?.ok_or_else(|| AppError::not_found(what))
}

/// Checks `expected` against the row's current version before anything is written.
pub fn check_version(current: i32, expected: i32, what: &str) -> AppResult<()> {
    validate::version(expected)?;
    if current != expected {
        return Err(AppError::stale(what));
    }
    Ok(())
}
