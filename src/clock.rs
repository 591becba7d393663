//! The service's notion of "now", and Vietnam's time zone.
//!
//! Production uses the system clock; tests can hold a manual clock to play a month's deadlines.

use chrono::{DateTime, FixedOffset, NaiveDate, SubsecRound, Utc};
use std::sync::{Arc, RwLock};

/// Asia/Ho_Chi_Minh: UTC+7 all year (Vietnam keeps no daylight saving time).
pub const VIETNAM: FixedOffset = match FixedOffset::east_opt(7 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+7 is a valid offset"),
};

/// Vietnam's time zone.
pub fn vietnam() -> FixedOffset {
    VIETNAM
}

#[derive(Clone, Default)]
pub struct Clock {
    manual: Option<Arc<RwLock<DateTime<Utc>>>>,
}

impl Clock {
    pub fn system() -> Self {
        Self { manual: None }
    }

    /// A clock that stands still at `at` until [`Clock::set`] moves it.
    pub fn manual(at: DateTime<Utc>) -> Self {
        Self { manual: Some(Arc::new(RwLock::new(at))) }
    }

    pub fn set(&self, at: DateTime<Utc>) {
        if let Some(manual) = &self.manual {
            if let Ok(mut now) = manual.write() {
                *now = at;
            }
        }
    }

    /// Now, to the microsecond (what both databases keep).
    pub fn now(&self) -> DateTime<Utc> {
        let now = match &self.manual {
            Some(manual) => manual.read().map(|t| *t).unwrap_or_else(|_| Utc::now()),
            None => Utc::now(),
        };
        now.trunc_subsecs(6)
    }

    /// Today's date in Vietnam.
    pub fn today(&self) -> NaiveDate {
        self.now().with_timezone(&vietnam()).date_naive()
    }
}
