//! Password hashing with argon2id, bounded in concurrency and run off the async threads.

use crate::error::AppError;
use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::Argon2;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Hashes and verifies passwords (argon2id, OWASP parameters).
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// Verifications done, for `/metrics` (and to show unknown users cost the same work).
    verifications: std::sync::atomic::AtomicU64,
    /// Verified against when the user does not exist, so both answers cost the same.
    dummy_hash: String,
}

impl PasswordHasher {
    pub fn new(concurrency: usize) -> Result<Self, AppError> {
        Ok(Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            verifications: Default::default(),
            dummy_hash: hash_blocking("not a password")?,
        })
    }

    pub fn verifications(&self) -> u64 {
        self.verifications.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let _permit = self.permits.acquire().await.map_err(AppError::internal)?;
        tokio::task::spawn_blocking(move || hash_blocking(&password)).await.map_err(AppError::internal)?
    }

    /// Whether `password` matches `hash`; with no hash, does the same work and answers false.
    pub async fn verify(&self, hash: Option<String>, password: String) -> Result<bool, AppError> {
        let _permit = self.permits.acquire().await.map_err(AppError::internal)?;
        let known = hash.is_some();
        self.verifications.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let hash = hash.unwrap_or_else(|| self.dummy_hash.clone());
        let ok =
            tokio::task::spawn_blocking(move || verify_blocking(&hash, &password)).await.map_err(AppError::internal)?;
        Ok(known && ok)
    }
}

pub fn hash_blocking(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(format!("hashing a password: {e}")))
}

fn verify_blocking(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A readable random password for generated accounts.
pub fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..20).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn verifies_the_right_password_only() {
        let hasher = PasswordHasher::new(2).unwrap();
        let hash = hasher.hash("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(hasher.verify(Some(hash.clone()), "correct horse".into()).await.unwrap());
        assert!(!hasher.verify(Some(hash), "wrong".into()).await.unwrap());
        assert!(!hasher.verify(None, "not a password".into()).await.unwrap());
    }
}
