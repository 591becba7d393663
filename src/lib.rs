//! coordination: the GraphQL API through which Vietnam's ministries coordinate the national
//! strategic-technology programme.
//!
//! Layout: `service/` holds the rules (lifecycles, permissions, periods) and knows nothing of
//! GraphQL; `graphql/` is a thin layer of resolvers over it; `http/` is the router, the GraphQL
//! handler, health and metrics; `startup.rs` wires them into a running server.

pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod error;
pub mod graphql;
pub mod http;
pub mod metrics;
pub mod ratelimit;
pub mod service;
pub mod sqlcapture;
pub mod startup;
pub mod text;

pub use error::{AppError, AppResult};
