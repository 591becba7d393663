//! Monthly reporting periods (Decree 09/2019/NĐ-CP): a period `YYYY-MM` holds data from the day
//! after the cut-off in the previous month to the cut-off day of the named month; ministries report
//! by the end of their due day, the Working Group by the end of the consolidated due day, all in
//! Vietnam's time zone.

use crate::clock::VIETNAM;
use crate::config::PeriodSettings;
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};

/// A reporting period, e.g. 2026-05.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    pub year: i32,
    pub month: u32,
}

impl Period {
    /// Parses `YYYY-MM`; `field` names the argument in the error.
    pub fn parse(field: &str, text: &str) -> AppResult<Self> {
        let bad = || AppError::bad_input(field, format!("`{text}` is not a period; write it as YYYY-MM, e.g. 2026-05"));
        let (y, m) = text.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) || !(2000..=2100).contains(&year) {
            return Err(bad());
        }
        Ok(Self { year, month })
    }

    pub fn previous(self) -> Self {
        if self.month == 1 {
            Self { year: self.year - 1, month: 12 }
        } else {
            Self { year: self.year, month: self.month - 1 }
        }
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            Self { year: self.year + 1, month: 1 }
        } else {
            Self { year: self.year, month: self.month + 1 }
        }
    }

    fn day(self, day: u32) -> NaiveDate {
        // Days are validated to 1..=28 at start, so every month has them.
        NaiveDate::from_ymd_opt(self.year, self.month, day).unwrap_or(NaiveDate::MIN)
    }

    /// The period whose data window holds `date`.
    pub fn containing(date: NaiveDate, settings: &PeriodSettings) -> Self {
        let this = Self { year: date.year(), month: date.month() };
        if date.day() > settings.cutoff_day {
            this.next()
        } else {
            this
        }
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The start of `date` in Vietnam, as UTC.
pub fn start_of_day(date: NaiveDate) -> DateTime<Utc> {
    let local = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    VIETNAM.from_local_datetime(&local).single().map(|t| t.with_timezone(&Utc)).unwrap_or_default()
}

/// The calendar of one period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeriodWindow {
    pub period: Period,
    /// First day of the period's data.
    pub data_from: NaiveDate,
    /// Last day of the period's data.
    pub data_to: NaiveDate,
    /// Last day for ministries' reports.
    pub ministry_due_date: NaiveDate,
    /// Last day for the Working Group's consolidated report.
    pub consolidated_due_date: NaiveDate,
    /// When the period begins (reports may be submitted from then).
    pub starts_at: DateTime<Utc>,
    /// A ministry report submitted at or after this moment is late.
    pub ministry_due_at: DateTime<Utc>,
    /// The consolidated report is due before this moment.
    pub consolidated_due_at: DateTime<Utc>,
}

impl PeriodWindow {
    pub fn new(period: Period, settings: &PeriodSettings) -> Self {
        let data_from = period.previous().day(settings.cutoff_day) + Duration::days(1);
        let data_to = period.day(settings.cutoff_day);
        let ministry_due_date = period.day(settings.ministry_due_day);
        let consolidated_due_date = period.day(settings.consolidated_due_day);
        Self {
            period,
            data_from,
            data_to,
            ministry_due_date,
            consolidated_due_date,
            starts_at: start_of_day(data_from),
            ministry_due_at: start_of_day(ministry_due_date + Duration::days(1)),
            consolidated_due_at: start_of_day(consolidated_due_date + Duration::days(1)),
        }
    }

    pub fn has_begun(&self, now: DateTime<Utc>) -> bool {
        now >= self.starts_at
    }

    /// Begun, and the consolidated report not yet due.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.has_begun(now) && now < self.consolidated_due_at
    }

    pub fn is_late(&self, submitted_at: DateTime<Utc>) -> bool {
        submitted_at >= self.ministry_due_at
    }
}

/// Refuses settings that would make an impossible calendar.
pub fn check_settings(settings: &PeriodSettings) -> Result<(), String> {
    let PeriodSettings { cutoff_day, ministry_due_day, consolidated_due_day } = *settings;
    if !(1..=28).contains(&cutoff_day)
        || !(1..=28).contains(&ministry_due_day)
        || !(1..=28).contains(&consolidated_due_day)
    {
        return Err("period days must be between 1 and 28".into());
    }
    if !(cutoff_day < ministry_due_day && ministry_due_day < consolidated_due_day) {
        return Err(format!(
            "period days must satisfy cut-off < ministries' due day < consolidated due day (got {cutoff_day}, {ministry_due_day}, {consolidated_due_day})"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(text: &str) -> PeriodWindow {
        PeriodWindow::new(Period::parse("period", text).unwrap(), &PeriodSettings::default())
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn parses_only_real_months() {
        assert_eq!(Period::parse("p", "2026-05").unwrap(), Period { year: 2026, month: 5 });
        for bad in ["2026-13", "2026-00", "2026-5", "26-05", "2026/05", "", "abcd-ef"] {
            assert!(Period::parse("p", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn window_follows_decree_09() {
        let w = window("2026-01");
        assert_eq!(w.data_from, NaiveDate::from_ymd_opt(2025, 12, 15).unwrap());
        assert_eq!(w.data_to, NaiveDate::from_ymd_opt(2026, 1, 14).unwrap());
        assert_eq!(w.ministry_due_date, NaiveDate::from_ymd_opt(2026, 1, 20).unwrap());
        assert_eq!(w.starts_at, utc("2025-12-14T17:00:00Z"));
    }

    #[test]
    fn the_deadline_is_the_end_of_the_20th_in_hanoi() {
        let w = window("2026-05");
        assert!(!w.is_late(utc("2026-05-20T16:30:00Z")), "23:30 on the 20th in Hanoi is on time");
        assert!(w.is_late(utc("2026-05-20T17:30:00Z")), "00:30 on the 21st in Hanoi is late");
    }

    #[test]
    fn the_period_containing_a_day() {
        let s = PeriodSettings::default();
        let p = |y, m, d| Period::containing(NaiveDate::from_ymd_opt(y, m, d).unwrap(), &s).to_string();
        assert_eq!(p(2026, 5, 14), "2026-05");
        assert_eq!(p(2026, 5, 15), "2026-06");
        assert_eq!(p(2026, 12, 20), "2027-01");
    }

    #[test]
    fn settings_must_be_ordered() {
        assert!(check_settings(&PeriodSettings::default()).is_ok());
        assert!(
            check_settings(&PeriodSettings { cutoff_day: 20, ministry_due_day: 20, consolidated_due_day: 25 }).is_err()
        );
        assert!(
            check_settings(&PeriodSettings { cutoff_day: 14, ministry_due_day: 20, consolidated_due_day: 31 }).is_err()
        );
    }
}
