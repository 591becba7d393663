//! Prometheus metrics: requests, latency, errors by code, database statements and pool.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency histograms, in seconds.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    fn observe(&self, elapsed: Duration) {
        let secs = elapsed.as_secs_f64();
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            if secs <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {}", bucket.load(Ordering::Relaxed));
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let braces = if labels.is_empty() { String::new() } else { format!("{{{labels}}}") };
        let _ = writeln!(out, "{name}_sum{braces} {sum}");
        let _ = writeln!(out, "{name}_count{braces} {count}");
    }
}

/// Gauges read from the pool when metrics are scraped.
#[derive(Clone, Copy, Debug, Default)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
    pub max: u32,
    /// Password verifications so far.
    pub password_verifications: u64,
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    latency: Histogram,
    errors: Mutex<BTreeMap<String, u64>>,
    statements: AtomicU64,
    statement_failures: AtomicU64,
    statement_latency: Histogram,
    /// Pages of lists answered as JSON text at once, and those that went the general way.
    pages_written: AtomicU64,
    pages_resolved: AtomicU64,
}

impl Metrics {
    pub fn record_request(&self, path: &'static str, status: u16, elapsed: Duration) {
        if let Ok(mut map) = self.requests.lock() {
            *map.entry((path, status)).or_default() += 1;
        }
        self.latency.observe(elapsed);
    }

    pub fn record_error(&self, code: &str) {
        if let Ok(mut map) = self.errors.lock() {
            *map.entry(code.to_owned()).or_default() += 1;
        }
    }

    pub fn record_statement(&self, elapsed: Duration, failed: bool) {
        self.statements.fetch_add(1, Ordering::Relaxed);
        if failed {
            self.statement_failures.fetch_add(1, Ordering::Relaxed);
        }
        self.statement_latency.observe(elapsed);
    }

    /// A page of a list answered: as JSON text at once (`graphql::connection`), or through the
    /// general resolution.
    pub fn record_page(&self, written: bool) {
        let counter = if written { &self.pages_written } else { &self.pages_resolved };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// The Prometheus text exposition.
    pub fn render(&self, pool: PoolStats) -> String {
        let mut out = String::with_capacity(4096);
        out.push_str("# HELP coordination_http_requests_total HTTP requests by path and status.\n");
        out.push_str("# TYPE coordination_http_requests_total counter\n");
        if let Ok(map) = self.requests.lock() {
            for ((path, status), n) in map.iter() {
                let _ = writeln!(out, "coordination_http_requests_total{{path=\"{path}\",status=\"{status}\"}} {n}");
            }
        }
        out.push_str("# HELP coordination_http_request_duration_seconds Time to answer an HTTP request.\n");
        out.push_str("# TYPE coordination_http_request_duration_seconds histogram\n");
        self.latency.render(&mut out, "coordination_http_request_duration_seconds", "");
        out.push_str("# HELP coordination_graphql_errors_total GraphQL errors by extensions.code.\n");
        out.push_str("# TYPE coordination_graphql_errors_total counter\n");
        if let Ok(map) = self.errors.lock() {
            for (code, n) in map.iter() {
                let _ = writeln!(out, "coordination_graphql_errors_total{{code=\"{code}\"}} {n}");
            }
        }
        out.push_str("# HELP coordination_db_statements_total SQL statements executed.\n");
        out.push_str("# TYPE coordination_db_statements_total counter\n");
        let _ = writeln!(out, "coordination_db_statements_total {}", self.statements());
        out.push_str("# HELP coordination_db_statement_failures_total SQL statements that failed.\n");
        out.push_str("# TYPE coordination_db_statement_failures_total counter\n");
        let _ = writeln!(
            out,
            "coordination_db_statement_failures_total {}",
            self.statement_failures.load(Ordering::Relaxed)
        );
        out.push_str("# HELP coordination_db_statement_duration_seconds Time per SQL statement.\n");
        out.push_str("# TYPE coordination_db_statement_duration_seconds histogram\n");
        self.statement_latency.render(&mut out, "coordination_db_statement_duration_seconds", "");
        out.push_str(
            "# HELP coordination_graphql_pages_total Pages of lists answered, by how: written as JSON at once, or resolved field by field.\n",
        );
        out.push_str("# TYPE coordination_graphql_pages_total counter\n");
        for (how, counter) in [("written", &self.pages_written), ("resolved", &self.pages_resolved)] {
            let _ =
                writeln!(out, "coordination_graphql_pages_total{{how=\"{how}\"}} {}", counter.load(Ordering::Relaxed));
        }
        out.push_str("# HELP coordination_db_pool_connections Pooled database connections by state.\n");
        out.push_str("# TYPE coordination_db_pool_connections gauge\n");
        let _ = writeln!(out, "coordination_db_pool_connections{{state=\"open\"}} {}", pool.size);
        let _ = writeln!(out, "coordination_db_pool_connections{{state=\"idle\"}} {}", pool.idle);
        let _ = writeln!(out, "coordination_db_pool_connections{{state=\"max\"}} {}", pool.max);
        out.push_str(
            "# HELP coordination_password_verifications_total Password checks (argon2id), failed logins included.\n",
        );
        out.push_str("# TYPE coordination_password_verifications_total counter\n");
        let _ = writeln!(out, "coordination_password_verifications_total {}", pool.password_verifications);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_buckets() {
        let m = Metrics::default();
        m.record_request("/graphql", 200, Duration::from_millis(3));
        m.record_error("FORBIDDEN");
        m.record_statement(Duration::from_micros(200), false);
        let text = m.render(PoolStats { size: 2, idle: 1, max: 16, password_verifications: 3 });
        assert!(text.contains("coordination_http_requests_total{path=\"/graphql\",status=\"200\"} 1"));
        assert!(text.contains("coordination_http_request_duration_seconds_bucket{le=\"0.005\"} 1"));
        assert!(text.contains("coordination_http_request_duration_seconds_bucket{le=\"0.001\"} 0"));
        assert!(text.contains("coordination_graphql_errors_total{code=\"FORBIDDEN\"} 1"));
        assert!(text.contains("coordination_db_statements_total 1"));
        assert!(text.contains("coordination_db_pool_connections{state=\"max\"} 16"));
        assert!(text.contains("coordination_password_verifications_total 3"));
    }
}
