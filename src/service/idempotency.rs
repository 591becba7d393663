//! Idempotency keys for mutations that scripts retry: the same key from the same principal
//! returns the first result; the same key with other input is a conflict.

use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use entity::idempotency_key::{self, Entity as IdempotencyKey};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub const MAX_KEY_LEN: usize = 200;

/// A key as given by the caller, with the hash of the input it came with.
pub struct Claim {
    pub principal_id: Uuid,
    pub operation: &'static str,
    pub key: String,
    pub request_hash: String,
}

impl Claim {
    pub fn new<T: Serialize>(principal_id: Uuid, operation: &'static str, key: &str, input: &T) -> AppResult<Self> {
        let key = key.trim();
        if key.is_empty() || key.len() > MAX_KEY_LEN {
            return Err(AppError::bad_input("idempotencyKey", format!("must be 1 to {MAX_KEY_LEN} characters")));
        }
        let body = serde_json::to_vec(input).map_err(AppError::internal)?;
        Ok(Self { principal_id, operation, key: key.to_owned(), request_hash: hex::encode(Sha256::digest(body)) })
    }
}

/// The object a previous call with this key produced, if any; CONFLICT if its input differed.
pub async fn replay<C: ConnectionTrait>(conn: &C, claim: &Claim) -> AppResult<Option<Uuid>> {
    let found = IdempotencyKey::find_by_id((claim.principal_id, claim.operation.to_owned(), claim.key.clone()))
        .one(conn)
        .await?;
    match found {
        None => Ok(None),
        Some(row) if row.request_hash == claim.request_hash => Ok(Some(row.object_id)),
        Some(_) => Err(AppError::Conflict(
            "this idempotencyKey was already used with different input; use a new key for a new request".into(),
        )),
    }
}

/// Records the result of the first call, in its transaction.
pub async fn remember<C: ConnectionTrait>(
    conn: &C,
    claim: &Claim,
    object_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<()> {
    idempotency_key::ActiveModel {
        principal_id: Set(claim.principal_id),
        operation: Set(claim.operation.to_owned()),
        key: Set(claim.key.clone()),
        request_hash: Set(claim.request_hash.clone()),
        object_id: Set(object_id),
        created_at: Set(now),
    }
    .insert(conn)
    .await?;
    Ok(())
}
