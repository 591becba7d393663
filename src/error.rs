//! The one error type of the service and its stable `extensions.code` values.

use async_graphql::ErrorExtensions;
use entity::enums::BlockerStatus;
use sea_orm::{DbErr, SqlErr};

/// Every failure a client can see. The message is written for a person; internals never leak.
///
/// It deliberately does not implement `Display`: async-graphql converts any `Display` type into
/// an error without extensions, which would drop the code. `?` in a resolver goes through the
/// `From` impl below instead, which keeps it.
#[derive(Debug)]
pub enum AppError {
    Unauthenticated(String),
    Forbidden(String),
    NotFound(String),
    BadInput {
        field: Option<String>,
        message: String,
    },
    Conflict(String),
    InvalidTransition(String),
    IncompleteTask {
        missing: Vec<String>,
        message: String,
    },
    QueryTooComplex(String),
    RateLimited {
        retry_after_secs: u64,
    },
    /// Logged with its detail where it happens; the client sees only a generic message.
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// The message for a person.
    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated(m)
            | Self::Forbidden(m)
            | Self::NotFound(m)
            | Self::Conflict(m)
            | Self::InvalidTransition(m)
            | Self::QueryTooComplex(m) => m.clone(),
            Self::BadInput { message, .. } | Self::IncompleteTask { message, .. } => message.clone(),
            Self::RateLimited { retry_after_secs } => format!("too many requests; retry after {retry_after_secs} s"),
            Self::Internal(_) => "internal error; the request was not completed".to_owned(),
        }
    }

    /// The message with internal detail, for the command line and logs (never for clients).
    pub fn detail(&self) -> String {
        match self {
            Self::Internal(detail) => detail.clone(),
            other => other.message(),
        }
    }

    /// The contract's `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadInput { .. } => "BAD_USER_INPUT",
            Self::Conflict(_) => "CONFLICT",
            Self::InvalidTransition(_) => "INVALID_TRANSITION",
            Self::IncompleteTask { .. } => "INCOMPLETE_TASK",
            Self::QueryTooComplex(_) => "QUERY_TOO_COMPLEX",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    pub fn bad_input(field: &str, message: impl Into<String>) -> Self {
        Self::BadInput { field: Some(field.to_owned()), message: format!("{field}: {}", message.into()) }
    }

    pub fn not_found(what: &str) -> Self {
        Self::NotFound(format!("{what} not found"))
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }

    pub fn stale(what: &str) -> Self {
        Self::Conflict(format!("the {what} was changed by someone else since you read it; reload it and try again"))
    }

    pub fn transition(what: &str, from: BlockerStatus, action: &str) -> Self {
        Self::InvalidTransition(format!("a {what} that is {from} cannot be {action}"))
    }

    pub fn internal(detail: impl std::fmt::Display) -> Self {
        let detail = detail.to_string();
        tracing::error!(error = %detail, "internal error");
        Self::Internal(detail)
    }
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                Self::Conflict("an object with the same unique key already exists".into())
            }
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => Self::BadInput {
                field: None,
                message: "a referenced object does not exist, or the object is still referenced".into(),
            },
            _ => Self::internal(format!("database: {err}")),
        }
    }
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        async_graphql::Error::new(self.message()).extend_with(|_, ext| {
            ext.set("code", self.code());
            match self {
                Self::BadInput { field: Some(field), .. } => ext.set("field", field.as_str()),
                Self::IncompleteTask { missing, .. } => ext.set("missing", missing.clone()),
                Self::RateLimited { retry_after_secs } => ext.set("retryAfter", *retry_after_secs),
                _ => {}
            }
        })
    }
}

impl From<AppError> for async_graphql::Error {
    fn from(err: AppError) -> Self {
        err.extend()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(err: AppError) -> String {
        let gql: async_graphql::Error = err.into();
        let ext = gql.extensions.expect("extensions");
        match ext.get("code") {
            Some(async_graphql::Value::String(code)) => code.clone(),
            other => panic!("no code: {other:?}"),
        }
    }

    #[test]
    fn every_variant_maps_to_its_contract_code() {
        let cases = [
            (AppError::Unauthenticated("x".into()), "UNAUTHENTICATED"),
            (AppError::forbidden("x"), "FORBIDDEN"),
            (AppError::not_found("task"), "NOT_FOUND"),
            (AppError::bad_input("period", "bad"), "BAD_USER_INPUT"),
            (AppError::stale("task"), "CONFLICT"),
            (AppError::InvalidTransition("x".into()), "INVALID_TRANSITION"),
            (AppError::IncompleteTask { missing: vec!["TIME".into()], message: "x".into() }, "INCOMPLETE_TASK"),
            (AppError::QueryTooComplex("x".into()), "QUERY_TOO_COMPLEX"),
            (AppError::RateLimited { retry_after_secs: 3 }, "RATE_LIMITED"),
            (AppError::Internal("secret sql".into()), "INTERNAL_SERVER_ERROR"),
        ];
        for (err, code) in cases {
            assert_eq!(code_of(err), code);
        }
    }

    #[test]
    fn internal_detail_never_reaches_the_message() {
        let gql: async_graphql::Error = AppError::Internal("SELECT * FROM users".into()).into();
        assert!(!gql.message.contains("SELECT"));
    }

    #[test]
    fn bad_input_names_the_field() {
        let gql: async_graphql::Error = AppError::bad_input("progressPercent", "must be 0..100").into();
        assert!(gql.message.starts_with("progressPercent:"));
        let ext = gql.extensions.expect("extensions");
        assert_eq!(ext.get("field"), Some(&async_graphql::Value::String("progressPercent".into())));
    }
}
