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

/// Tokens remembered as checked, at most: about a megabyte of tokens. When full, it is emptied.
const VERIFIED_CAPACITY: usize = 4096;

/// What a token whose signature and claims were checked says, with the times to check again on
/// each use.
#[derive(Clone, Copy)]
struct Verified {
    user: Uuid,
    iat: i64,
    nbf: i64,
    exp: i64,
}

/// Keys and validation rules, built once at start.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    lifetime: Duration,
    /// A client sends the same token with each request, and checking its signature (HMAC-SHA256
    /// over the token, and the claims parsed from JSON) was a tenth of a task lookup's work. A
    /// token's bytes decide what checking them finds, so a token found here is not checked
    /// again; its times are, on every use, against the service's clock.
    verified: std::sync::Mutex<rustc_hash::FxHashMap<Box<str>, Verified>>,
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
            verified: Default::default(),
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
        let known = self.verified.lock().ok().and_then(|m| m.get(token).copied());
        let v = match known {
            Some(v) => v,
            None => {
                let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map_err(|e| {
                    tracing::info!(reason = %e, "login token refused");
                    invalid()
                })?;
                let c = &data.claims;
                let user = Uuid::parse_str(&c.sub).map_err(|_| invalid())?;
                let v = Verified { user, iat: c.iat, nbf: c.nbf, exp: c.exp };
                if let Ok(mut m) = self.verified.lock() {
                    if m.len() >= VERIFIED_CAPACITY {
                        m.clear();
                    }
                    m.insert(token.into(), v);
                }
                v
            }
        };
        let (now, leeway) = (now.timestamp(), LEEWAY_SECS);
        // Expired, not yet valid, or issued in the future (so not by us).
        if v.exp <= now - leeway || v.nbf > now + leeway || v.iat > now + leeway || v.exp <= v.iat {
            tracing::info!("login token refused: outside its validity");
            return Err(invalid());
        }
        Ok(v.user)
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

    /// A token checked once is not checked again, but its times are, on every use; a token that
    /// failed is checked again each time, and a token one byte away from a good one fails.
    #[test]
    fn a_checked_token_is_remembered_but_its_times_are_not() {
        let (keys, id, now) = (keys(), Uuid::new_v4(), Utc::now());
        let (token, _) = keys.issue(id, now).unwrap();
        assert_eq!(keys.verify(&token, now).unwrap(), id);
        assert_eq!(keys.verified.lock().unwrap().len(), 1);
        assert_eq!(keys.verify(&token, now + Duration::minutes(9)).unwrap(), id);
        assert!(keys.verify(&token, now + Duration::minutes(11)).is_err(), "expired, though remembered");
        assert!(keys.verify(&token, now - Duration::minutes(5)).is_err(), "issued in the future");
        let stem = &token[..token.len() - 1];
        for changed in ['A', 'B'].map(|c| format!("{stem}{c}")).into_iter().filter(|t| *t != token) {
            assert!(keys.verify(&changed, now).is_err(), "{changed}");
            assert!(keys.verify(&changed, now).is_err(), "{changed}, the second time");
        }
        assert_eq!(keys.verified.lock().unwrap().len(), 1, "only good tokens are remembered");
        let other = JwtKeys::new(b"another-secret-another-secret-xx", Duration::minutes(10));
        let (foreign, _) = other.issue(id, now).unwrap();
        assert!(keys.verify(&foreign, now).is_err());
        assert!(keys.verify(&foreign, now).is_err());
    }
}
