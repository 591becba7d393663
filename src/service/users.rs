//! People and scripts: users, sign-in, service tokens, and turning a bearer token into a principal.

use super::audit::{self, snapshot, Change};
use super::page::{paginate, KeyKind, KeyValue, Page, PageArgs, SortKey};
use super::{check_version, find, ministries, update_versioned, validate, Actor, AppState};
use crate::auth::{service_token, Principal, PrincipalKind, Scope};
use crate::error::{AppError, AppResult};
use crate::service::access::Action;
use chrono::{DateTime, Duration, Utc};
use entity::enums::Role;
use entity::service_token::{self as token_entity, Entity as ServiceToken};
use entity::user::{self, Column, Entity as User};
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

/// The principal of a user row.
pub fn user_principal(u: &user::Model) -> Principal {
    Principal {
        id: u.id,
        kind: PrincipalKind::User,
        name: u.username.clone(),
        display_name: u.display_name.clone(),
        role: u.role,
        ministry_id: u.ministry_id,
        scopes: None,
    }
}

/// The actor of command-line actions, for audit events.
pub fn command_line_actor() -> Actor {
    Actor {
        principal: Principal {
            id: Uuid::nil(),
            kind: PrincipalKind::User,
            name: "command-line".into(),
            display_name: "command line".into(),
            role: Role::Admin,
            ministry_id: None,
            scopes: None,
        },
        request_id: "command-line".into(),
    }
}

fn parse_scopes(text: &str) -> Vec<Scope> {
    text.split_whitespace().filter_map(Scope::parse).collect()
}

/// Checks a bearer token (a login JWT or a service token) and loads who it belongs to. A
/// deactivated user or a revoked or expired service token is refused at once.
pub async fn authenticate(state: &AppState, bearer: &str) -> AppResult<Principal> {
    let now = state.clock.now();
    if bearer.starts_with(service_token::PREFIX) {
        let refused = || AppError::Unauthenticated("the service token is unknown, revoked or expired".into());
        let row = ServiceToken::find()
            .filter(token_entity::Column::TokenHash.eq(service_token::hash(bearer)))
            .one(&state.db)
            .await?
            .ok_or_else(refused)?;
        if row.revoked_at.is_some() || row.expires_at.is_some_and(|at| at <= now) {
            return Err(refused());
        }
        return Ok(Principal {
            id: row.id,
            kind: PrincipalKind::Service,
            display_name: row.name.clone(),
            name: row.name,
            role: if row.ministry_id.is_some() { Role::MinistryOfficer } else { Role::Observer },
            ministry_id: row.ministry_id,
            scopes: Some(parse_scopes(&row.scopes)),
        });
    }
    let user_id = state.jwt.verify(bearer, now)?;
    let user = super::statements::find_by_id::<User, _>(&state.db, user_id).await?;
    match user {
        Some(u) if u.active => Ok(user_principal(&u)),
        _ => Err(AppError::Unauthenticated("the account is unknown or deactivated".into())),
    }
}

/// Where a request comes from, for login limits.
#[derive(Clone, Debug)]
pub struct ClientAddr(pub String);

/// A signed-in session.
pub struct LoginResult {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: user::Model,
}

/// Checks a password; an unknown user costs the same time as a wrong password.
pub async fn login(state: &AppState, username: &str, password: &str, from: &ClientAddr) -> AppResult<LoginResult> {
    let refused = || AppError::Unauthenticated("wrong user name or password".into());
    let name = username.trim().to_lowercase();
    for (limiter, key) in [(&state.limits.login_per_address, &from.0), (&state.limits.login_per_user, &name)] {
        if let Err(retry_after_secs) = limiter.check(key) {
            tracing::info!(address = %from.0, "login rate limited");
            return Err(AppError::RateLimited { retry_after_secs });
        }
    }
    if username.len() > 100 || password.len() > 1_000 {
        return Err(refused());
    }
    let user = User::find().filter(Column::Username.eq(username.trim().to_lowercase())).one(&state.db).await?;
    let hash = user.as_ref().filter(|u| u.active).map(|u| u.password_hash.clone());
    let ok = state.passwords.verify(hash, password.to_owned()).await?;
    match user {
        Some(user) if ok => {
            let (token, expires_at) = state.jwt.issue(user.id, state.clock.now())?;
            Ok(LoginResult { token, expires_at, user })
        }
        _ => {
            tracing::info!(username = %username.chars().take(100).collect::<String>(), "failed login");
            Err(refused())
        }
    }
}

#[derive(Clone, Debug)]
pub struct UserInput {
    pub username: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub ministry_code: Option<String>,
    pub ministry_id: Option<Uuid>,
    pub password: String,
}

fn check_username(name: &str) -> AppResult<String> {
    let name = validate::required("username", name, 100)?.to_lowercase();
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c)) {
        return Err(AppError::bad_input("username", "use letters, digits and . _ - @ only"));
    }
    Ok(name)
}

fn check_password(password: &str) -> AppResult<()> {
    let n = password.chars().count();
    if !(12..=1_000).contains(&n) {
        return Err(AppError::bad_input("password", "must be 12 to 1000 characters"));
    }
    Ok(())
}

pub async fn create_user(state: &AppState, actor: &Actor, input: UserInput) -> AppResult<user::Model> {
    actor.principal.require(Action::ManageUsers)?;
    let username = check_username(&input.username)?;
    let display_name =
        validate::optional("displayName", input.display_name.as_deref(), validate::SHORT)?.unwrap_or(username.clone());
    check_password(&input.password)?;
    let hash = state.passwords.hash(input.password.clone()).await?;
    let (_writer, txn) = state.begin_write().await?;
    let ministry_id = match (&input.ministry_code, input.ministry_id) {
        (Some(code), _) => Some(ministries::require_code(&txn, "ministry", code).await?.id),
        (None, Some(id)) => Some(ministries::require_id(&txn, "ministryId", id).await?.id),
        (None, None) => None,
    };
    if input.role == Role::MinistryOfficer && ministry_id.is_none() {
        return Err(AppError::bad_input("ministry", "is required for a MINISTRY_OFFICER"));
    }
    if User::find().filter(Column::Username.eq(username.clone())).one(&txn).await?.is_some() {
        return Err(AppError::Conflict(format!("user name `{username}` is taken")));
    }
    let now = state.clock.now();
    let model = user::ActiveModel {
        id: Set(Uuid::new_v4()),
        username: Set(username),
        display_name: Set(display_name),
        role: Set(input.role),
        ministry_id: Set(ministry_id),
        password_hash: Set(hash),
        active: Set(true),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(&txn, actor, now, Change::created("createUser", "User", model.id, &model)).await?;
    txn.commit().await?;
    Ok(model)
}

#[derive(Clone, Debug, Default)]
pub struct UserUpdate {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub ministry_id: Option<Option<Uuid>>,
    pub password: Option<String>,
    pub active: Option<bool>,
}

pub async fn update_user(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    expected: i32,
    input: UserUpdate,
) -> AppResult<user::Model> {
    actor.principal.require(Action::ManageUsers)?;
    let hash = match &input.password {
        Some(p) => {
            check_password(p)?;
            Some(state.passwords.hash(p.clone()).await?)
        }
        None => None,
    };
    let (_writer, txn) = state.begin_write().await?;
    let before = find::<_, User>(&txn, id, "user").await?;
    check_version(before.version, expected, "user")?;
    let ministry_id = match input.ministry_id {
        Some(Some(m)) => Some(ministries::require_id(&txn, "ministryId", m).await?.id),
        Some(None) => None,
        None => before.ministry_id,
    };
    let role = input.role.unwrap_or(before.role);
    if role == Role::MinistryOfficer && ministry_id.is_none() {
        return Err(AppError::bad_input("ministryId", "is required for a MINISTRY_OFFICER"));
    }
    let display_name = match &input.display_name {
        Some(d) => validate::required("displayName", d, validate::SHORT)?,
        None => before.display_name.clone(),
    };
    let now = state.clock.now();
    let mut changes = user::ActiveModel {
        display_name: Set(display_name),
        role: Set(role),
        ministry_id: Set(ministry_id),
        active: Set(input.active.unwrap_or(before.active)),
        version: Set(expected + 1),
        updated_at: Set(now),
        ..Default::default()
    };
    if let Some(hash) = hash {
        changes.password_hash = Set(hash);
    }
    update_versioned(&txn, changes, (Column::Id, id), (Column::Version, expected), "user").await?;
    let after = find::<_, User>(&txn, id, "user").await?;
    let operation = if input.active == Some(false) { "deactivateUser" } else { "updateUser" };
    audit::record(
        &txn,
        actor,
        now,
        Change {
            operation,
            object_type: "User",
            object_id: Some(id),
            before: snapshot(&before),
            after: snapshot(&after),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

pub async fn list_users(state: &AppState, actor: &Actor, args: &PageArgs) -> AppResult<Page<user::Model>> {
    actor.principal.require(Action::ManageUsers)?;
    let key = SortKey::new(Column::Username.into_expr(), KeyKind::Text, false);
    paginate(&state.db, User::find(), Column::Id, key, args, |m| (KeyValue::Text(m.username.clone()), m.id)).await
}

pub async fn any_admin(state: &AppState) -> AppResult<bool> {
    Ok(User::find()
        .filter(Column::Role.eq(Role::Admin))
        .filter(Column::Active.eq(true))
        .one(&state.db)
        .await?
        .is_some())
}

#[derive(Clone, Debug)]
pub struct TokenInput {
    pub name: String,
    pub scopes: Vec<Scope>,
    pub ministry_code: Option<String>,
    pub ministry_id: Option<Uuid>,
    pub expires_in_days: Option<i64>,
}

/// Creates a service token; the token itself is returned once and only its hash is kept.
pub async fn create_token(
    state: &AppState,
    actor: &Actor,
    input: TokenInput,
) -> AppResult<(String, token_entity::Model)> {
    actor.principal.require(Action::ManageUsers)?;
    let name = validate::required("name", &input.name, 200)?;
    if input.scopes.is_empty() {
        return Err(AppError::bad_input("scopes", "give at least one scope"));
    }
    if let Some(days) = input.expires_in_days {
        if !(1..=3650).contains(&days) {
            return Err(AppError::bad_input("expiresInDays", "must be between 1 and 3650"));
        }
    }
    let (_writer, txn) = state.begin_write().await?;
    let ministry_id = match (&input.ministry_code, input.ministry_id) {
        (Some(code), _) => Some(ministries::require_code(&txn, "ministry", code).await?.id),
        (None, Some(id)) => Some(ministries::require_id(&txn, "ministryId", id).await?.id),
        (None, None) => None,
    };
    if ministry_id.is_none() && input.scopes.iter().any(|s| s.needs_ministry()) {
        return Err(AppError::bad_input(
            "ministry",
            "the scopes reports:write and blockers:write act as a ministry; name one",
        ));
    }
    let now = state.clock.now();
    let token = service_token::generate();
    let mut scopes: Vec<&str> = input.scopes.iter().map(|s| s.as_str()).collect();
    scopes.sort_unstable();
    scopes.dedup();
    let model = token_entity::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set(name),
        token_hash: Set(service_token::hash(&token)),
        scopes: Set(scopes.join(" ")),
        ministry_id: Set(ministry_id),
        created_by: Set(Some(actor.principal.id).filter(|id| !id.is_nil())),
        expires_at: Set(input.expires_in_days.map(|d| now + Duration::days(d))),
        revoked_at: Set(None),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(&txn, actor, now, Change::created("createServiceToken", "ServiceToken", model.id, &model)).await?;
    txn.commit().await?;
    Ok((token, model))
}

pub async fn revoke_token(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<token_entity::Model> {
    actor.principal.require(Action::ManageUsers)?;
    let (_writer, txn) = state.begin_write().await?;
    let before = find::<_, ServiceToken>(&txn, id, "service token").await?;
    if before.revoked_at.is_some() {
        return Err(AppError::InvalidTransition("the service token is already revoked".into()));
    }
    let now = state.clock.now();
    let after = token_entity::ActiveModel { id: Set(id), revoked_at: Set(Some(now)), ..Default::default() }
        .update(&txn)
        .await?;
    audit::record(
        &txn,
        actor,
        now,
        Change {
            operation: "revokeServiceToken",
            object_type: "ServiceToken",
            object_id: Some(id),
            before: snapshot(&before),
            after: snapshot(&after),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(after)
}

pub async fn list_tokens(
    state: &AppState,
    actor: &Actor,
    include_revoked: bool,
    args: &PageArgs,
) -> AppResult<Page<token_entity::Model>> {
    actor.principal.require(Action::ManageUsers)?;
    let mut select = ServiceToken::find();
    if !include_revoked {
        select = select.filter(Condition::all().add(token_entity::Column::RevokedAt.is_null()));
    }
    let key = SortKey::new(token_entity::Column::CreatedAt.into_expr(), KeyKind::Time, true);
    paginate(&state.db, select, token_entity::Column::Id, key, args, |m| (KeyValue::Time(m.created_at), m.id)).await
}

pub fn scopes_of(token: &token_entity::Model) -> Vec<Scope> {
    parse_scopes(&token.scopes)
}
