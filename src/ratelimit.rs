//! Token-bucket rate limits, kept in memory per instance: a principal's requests, and login
//! attempts per user name and per address.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Buckets of one kind of limit, each holding up to `per_minute` tokens, refilled evenly.
pub struct Limiter {
    per_minute: u32,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Limiter {
    /// `per_minute == 0` turns the limit off.
    pub fn new(per_minute: u32) -> Self {
        Self { per_minute, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes a token for `key`; when there is none, the seconds until there will be one.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let rate = capacity / 60.0;
        let now = Instant::now();
        let Ok(mut buckets) = self.buckets.lock() else { return Ok(()) };
        if buckets.len() > 100_000 {
            // Forget full buckets, so a flood of names cannot grow this without bound.
            buckets.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * rate < capacity);
        }
        if !buckets.contains_key(key) {
            buckets.insert(key.to_owned(), Bucket { tokens: capacity, at: now });
        }
        let Some(bucket) = buckets.get_mut(key) else { return Ok(()) };
        bucket.tokens = (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * rate).min(capacity);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / rate).as_secs().max(1))
        }
    }
}

/// The limits of one instance.
pub struct Limits {
    pub requests: Limiter,
    pub login_per_user: Limiter,
    pub login_per_address: Limiter,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_empties_and_says_when_to_retry() {
        let l = Limiter::new(3);
        assert!(l.check("a").is_ok() && l.check("a").is_ok() && l.check("a").is_ok());
        let wait = l.check("a").unwrap_err();
        assert!((1..=20).contains(&wait), "{wait}");
        assert!(l.check("b").is_ok(), "keys are separate");
        assert!(Limiter::new(0).check("a").is_ok(), "0 is off");
    }
}
