//! Login tokens: HS256 JWTs with the algorithm pinned and every registered claim required.

use crate::error::AppError;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const ISSUER: &str = "coordination";
pub const AUDIENCE: &str = "coordination-api";
/// Clock skew tolerated between instances, in seconds.
const LEEWAY_SECS: i64 = 30;

/// The claims of a login token.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
}

/// Keys and validation rules, built once at start.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    lifetime: Duration,
}

impl JwtKeys {
    pub fn new(secret: &[u8], lifetime: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        // Times are checked below against the service's clock, the one that issued the token.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.leeway = 0;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            lifetime,
        }
    }

    /// Issues a token for `user_id`; returns it with its expiry.
    pub fn issue(&self, user_id: Uuid, now: DateTime<Utc>) -> Result<(String, DateTime<Utc>), AppError> {
        let expires = now + self.lifetime;
        let claims = Claims {
            sub: user_id.to_string(),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: expires.timestamp(),
            jti: Uuid::new_v4().to_string(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AppError::internal(format!("signing a token: {e}")))?;
        Ok((token, expires))
    }

    /// Checks signature, algorithm and claims; returns the user id.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Uuid, AppError> {
        let invalid = || AppError::Unauthenticated("the token is invalid or has expired; sign in again".into());
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map_err(|e| {
            tracing::info!(reason = %e, "login token refused");
            invalid()
        })?;
        let (now, leeway) = (now.timestamp(), LEEWAY_SECS);
        let c = &data.claims;
        // Expired, not yet valid, or issued in the future (so not by us).
        if c.exp <= now - leeway || c.nbf > now + leeway || c.iat > now + leeway || c.exp <= c.iat {
            tracing::info!("login token refused: outside its validity");
            return Err(invalid());
        }
        Uuid::parse_str(&data.claims.sub).map_err(|_| invalid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::new(b"0123456789abcdef0123456789abcdef", Duration::minutes(10))
    }

    #[test]
    fn round_trip() {
        let id = Uuid::new_v4();
        let (token, _) = keys().issue(id, Utc::now()).unwrap();
        assert_eq!(keys().verify(&token, Utc::now()).unwrap(), id);
    }

    #[test]
    fn expired_and_foreign_tokens_are_refused() {
        let id = Uuid::new_v4();
        let (old, _) = keys().issue(id, Utc::now() - Duration::hours(2)).unwrap();
        assert!(keys().verify(&old, Utc::now()).is_err());
        let other = JwtKeys::new(b"another-secret-another-secret-xx", Duration::minutes(10));
        let (foreign, _) = other.issue(id, Utc::now()).unwrap();
        assert!(keys().verify(&foreign, Utc::now()).is_err());
    }
}
