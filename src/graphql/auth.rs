//! Sign-in, the caller, users and service tokens.

use super::connection::{args, connection, Conn};
use super::direct::Direct;
use super::ministry::{self, Ministry};
use super::{actor, id, opt_uuid, state, uuid};
use crate::auth::{PrincipalKind, Scope};
use crate::service::users::{self, TokenInput, UserInput, UserUpdate};
use async_graphql::{Context, InputObject, MaybeUndefined, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::enums::Role;
use entity::{service_token, user};

pub struct User(pub user::Model);

/// A person who signs in.
#[Object]
impl User {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn username(&self) -> &str {
        &self.0.username
    }
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    async fn role(&self) -> Role {
        self.0.role
    }
    /// The ministry a MINISTRY_OFFICER acts for.
    async fn ministry(&self, ctx: &Context<'_>) -> Result<Option<Direct<Ministry>>> {
        match self.0.ministry_id {
            Some(id) => ministry::load(ctx, id).await,
            None => Ok(None),
        }
    }
    /// A deactivated user cannot sign in, and their tokens stop working at once.
    async fn active(&self) -> bool {
        self.0.active
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// The caller of the request.
#[derive(SimpleObject)]
pub struct Me {
    pub id: ID,
    pub kind: PrincipalKind,
    /// User name or service token name.
    pub name: String,
    pub display_name: String,
    /// For a service token: MINISTRY_OFFICER when it has a ministry, otherwise OBSERVER.
    pub role: Role,
    pub ministry_id: Option<ID>,
    /// A service token's scopes; empty for a person.
    pub scopes: Vec<Scope>,
}

/// A signed-in session.
#[derive(SimpleObject)]
pub struct LoginPayload {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: User,
}

pub struct ServiceToken(pub service_token::Model);

/// A script's credential. The token itself is shown only when created.
#[Object]
impl ServiceToken {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn scopes(&self) -> Vec<Scope> {
        users::scopes_of(&self.0)
    }
    /// The ministry it acts for, with `reports:write` or `blockers:write`.
    async fn ministry(&self, ctx: &Context<'_>) -> Result<Option<Direct<Ministry>>> {
        match self.0.ministry_id {
            Some(id) => ministry::load(ctx, id).await,
            None => Ok(None),
        }
    }
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A new service token and its secret, shown this once.
#[derive(SimpleObject)]
pub struct CreateServiceTokenPayload {
    pub token: String,
    pub service_token: ServiceToken,
}

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// Who is calling.
    async fn me(&self, ctx: &Context<'_>) -> Result<Me> {
        let p = &actor(ctx)?.principal;
        Ok(Me {
            id: id(p.id),
            kind: p.kind,
            name: p.name.clone(),
            display_name: p.display_name.clone(),
            role: p.role,
            ministry_id: p.ministry_id.map(id),
            scopes: p.scopes.clone().unwrap_or_default(),
        })
    }

    /// Users, by user name (ADMIN).
    #[graphql(complexity = "first.or(last).unwrap_or(50).max(0) as usize * child_complexity")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<User>> {
        let page = users::list_users(state(ctx)?, actor(ctx)?, &args(first, after, last, before)).await?;
        Ok(connection(page, User))
    }

    /// Service tokens, newest first (ADMIN).
    #[graphql(complexity = "first.or(last).unwrap_or(50).max(0) as usize * child_complexity")]
    async fn service_tokens(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = false)] include_revoked: bool,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Conn<ServiceToken>> {
        let page =
            users::list_tokens(state(ctx)?, actor(ctx)?, include_revoked, &args(first, after, last, before)).await?;
        Ok(connection(page, ServiceToken))
    }
}

/// A new user.
#[derive(InputObject)]
pub struct CreateUserInput {
    /// Letters, digits and . _ - @; stored in lower case.
    pub username: String,
    pub display_name: Option<String>,
    pub role: Role,
    /// Required for a MINISTRY_OFFICER.
    pub ministry_id: Option<ID>,
    /// At least 12 characters.
    pub password: String,
}

/// Changes to a user; omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdateUserInput {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub ministry_id: MaybeUndefined<ID>,
    pub password: Option<String>,
}

/// A new service token.
#[derive(InputObject)]
pub struct CreateServiceTokenInput {
    pub name: String,
    pub scopes: Vec<Scope>,
    /// Required for `reports:write` and `blockers:write`.
    pub ministry_id: Option<ID>,
    pub expires_in_days: Option<i64>,
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Signs in; the only operation that needs no token.
    async fn login(&self, ctx: &Context<'_>, username: String, password: String) -> Result<LoginPayload> {
        let unknown = users::ClientAddr("unknown".into());
        let from = ctx.data::<users::ClientAddr>().unwrap_or(&unknown);
        let result = users::login(state(ctx)?, &username, &password, from).await?;
        Ok(LoginPayload { token: result.token, expires_at: result.expires_at, user: User(result.user) })
    }

    /// Creates a user (ADMIN).
    async fn create_user(&self, ctx: &Context<'_>, input: CreateUserInput) -> Result<User> {
        let input = UserInput {
            username: input.username,
            display_name: input.display_name,
            role: input.role,
            ministry_code: None,
            ministry_id: opt_uuid("ministryId", &input.ministry_id)?,
            password: input.password,
        };
        Ok(User(users::create_user(state(ctx)?, actor(ctx)?, input).await?))
    }

    /// Changes a user (ADMIN).
    async fn update_user(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateUserInput,
    ) -> Result<User> {
        let ministry_id = match input.ministry_id {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(m) => Some(Some(uuid("ministryId", &m)?)),
        };
        let update = UserUpdate {
            display_name: input.display_name,
            role: input.role,
            ministry_id,
            password: input.password,
            active: None,
        };
        Ok(User(users::update_user(state(ctx)?, actor(ctx)?, uuid("id", &id)?, expected_version, update).await?))
    }

    /// Deactivates a user: they cannot sign in and their tokens stop working at once (ADMIN).
    async fn deactivate_user(&self, ctx: &Context<'_>, id: ID, expected_version: i32) -> Result<User> {
        let update = UserUpdate { active: Some(false), ..Default::default() };
        Ok(User(users::update_user(state(ctx)?, actor(ctx)?, uuid("id", &id)?, expected_version, update).await?))
    }

    /// Creates a service token for a script; the token is shown once (ADMIN).
    async fn create_service_token(
        &self,
        ctx: &Context<'_>,
        input: CreateServiceTokenInput,
    ) -> Result<CreateServiceTokenPayload> {
        let input = TokenInput {
            name: input.name,
            scopes: input.scopes,
            ministry_code: None,
            ministry_id: opt_uuid("ministryId", &input.ministry_id)?,
            expires_in_days: input.expires_in_days,
        };
        let (token, model) = users::create_token(state(ctx)?, actor(ctx)?, input).await?;
        Ok(CreateServiceTokenPayload { token, service_token: ServiceToken(model) })
    }

    /// Revokes a service token; it stops working at once (ADMIN).
    async fn revoke_service_token(&self, ctx: &Context<'_>, id: ID) -> Result<ServiceToken> {
        Ok(ServiceToken(users::revoke_token(state(ctx)?, actor(ctx)?, uuid("id", &id)?).await?))
    }
}

/// Few fields, seldom in bulk: every field goes through its resolver.
impl super::direct::PlainFields for User {}
impl super::direct::PlainFields for ServiceToken {}
