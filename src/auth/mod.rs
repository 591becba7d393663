//! Who is calling: login tokens (JWT), service tokens, passwords, and the typed principal that
//! the HTTP edge puts into each request.

pub mod jwt;
pub mod password;
pub mod principal;
pub mod service_token;

pub use jwt::JwtKeys;
pub use password::PasswordHasher;
pub use principal::{Principal, PrincipalKind, Scope};
