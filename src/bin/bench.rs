//! The benchmark harness: `cargo run --release --bin bench -- --db sqlite|postgres --scale 1`.
//!
//! It generates a national-scale dataset, starts the real server as a child process, signs in
//! real users, and drives each scenario over HTTP from many concurrent clients, counting any
//! response with `errors` as a failure. For each scenario it then replays the very SQL the server
//! ran (captured with `DEBUG_SQL_CAPTURE`) directly against the database at the same concurrency:
//! the floor. It prints requests per second, latency percentiles, statements per request, the
//! ratio to the floor, and the server's peak memory. `--load` runs the mixed load test instead.

use anyhow::{bail, Context};
use chrono::Utc;
use clap::Parser;
use coordination::clock::Clock;
use coordination::config::{DatabaseSettings, ServerSettings};
use coordination::db::Writers;
use coordination::service::dataset::{self, Generated, Plan};
use coordination::service::periods::Period;
use coordination::service::seed;
use coordination::startup;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The same allocator as the `coordination` binary: the server child runs in this binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SECRET: &str = "benchmark-secret-benchmark-secret-0001";

#[derive(Parser, Debug, Clone)]
#[command(about = "Benchmarks the coordination service against its database's floor")]
struct Args {
    /// sqlite or postgres.
    #[arg(long, default_value = "sqlite")]
    db: String,
    /// Dataset size: 1 is 5,000 tasks, 300,000 reports, 50,000 blockers; 100 agencies at every scale.
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Also run the blocker pull and the dashboard at this scale, for the growth table.
    #[arg(long)]
    compare: Option<f64>,
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Concurrent clients of the read scenarios.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Seconds each read scenario (and its floor) runs.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// The read scenarios and their floors run in this many alternating slices each.
    #[arg(long, default_value_t = 4)]
    slices: u32,
    /// Seconds each side (a scenario, its floor) runs unmeasured before the slices, so that
    /// neither starts on connections whose caches the other has already warmed.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Which scenarios: point, pull, dashboard, burst.
    #[arg(long, default_value = "point,pull,dashboard,burst")]
    scenarios: String,
    /// Concurrent dashboards (the Secretariat's screens refreshing).
    #[arg(long, default_value_t = 4)]
    dashboard_clients: usize,
    /// Submissions in the month-end burst.
    #[arg(long, default_value_t = 10_000)]
    burst: usize,
    /// Concurrent officers in the burst.
    #[arg(long, default_value_t = 200)]
    burst_clients: usize,
    /// PostgreSQL server for `--db postgres` (a database is created and dropped).
    #[arg(long, env = "BENCH_PG_URL", default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    pg_url: String,
    /// Run the load test instead: `--clients` clients mixing reads and writes for `--seconds`,
    /// with the default rate limits on.
    #[arg(long)]
    load: bool,
}

/// Latencies and counts of one run.
#[derive(Default)]
struct Stats {
    latencies: Vec<Duration>,
    errors: usize,
    rate_limited: usize,
    statements: u64,
    elapsed: Duration,
    first_error: Option<String>,
    /// CPU time the server and this process (the clients) used while the clients ran.
    cpu: Option<CpuUse>,
    /// Items listed in all answers, and the latencies of the answers that listed a full page.
    items: usize,
    full_pages: Vec<Duration>,
    /// Requests a second in each slice of time, in the order the slices ran.
    slice_rates: Vec<f64>,
}

/// CPU time of the server process and of this one.
#[derive(Clone, Copy)]
struct CpuUse {
    server: Duration,
    client: Duration,
}

/// The server child's process id, for reading its CPU time.
static SERVER_PID: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// User plus system time of a process, from `/proc/PID/stat` (in USER_HZ ticks, 100 a second on Linux).
fn process_cpu(pid: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks: u64 = [11, 12].iter().filter_map(|&i| fields.get(i)?.parse::<u64>().ok()).sum();
    Duration::from_millis(ticks * 10)
}

impl CpuUse {
    fn now() -> Self {
        let server = match SERVER_PID.load(Ordering::Relaxed) {
            0 => Duration::ZERO,
            pid => process_cpu(&pid.to_string()),
        };
        Self { server, client: process_cpu("self") }
    }

    fn since(self, start: CpuUse) -> Self {
        Self { server: self.server.saturating_sub(start.server), client: self.client.saturating_sub(start.client) }
    }
}

impl Stats {
    fn merge(&mut self, other: Stats) {
        self.latencies.extend(other.latencies);
        self.items += other.items;
        self.full_pages.extend(other.full_pages);
        self.errors += other.errors;
        self.rate_limited += other.rate_limited;
        self.statements += other.statements;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
    /// Adds a run of the same load measured in another slice of time: its time and CPU add up.
    fn add_slice(&mut self, other: Stats) {
        self.slice_rates.push(other.rps());
        self.elapsed += other.elapsed;
        self.cpu = match (self.cpu, other.cpu) {
            (Some(a), Some(b)) => Some(CpuUse { server: a.server + b.server, client: a.client + b.client }),
            (a, b) => a.or(b),
        };
        self.merge(other);
    }
    fn count(&self) -> usize {
        self.latencies.len()
    }
    fn rps(&self) -> f64 {
        self.count() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
    fn pct(&mut self, p: f64) -> f64 {
        percentile(&mut self.latencies, p)
    }
    /// Server CPU microseconds per item listed (the blocker pull).
    fn server_cpu_per_item(&self) -> Option<f64> {
        let cpu = self.cpu?;
        (self.items > 0).then(|| cpu.server.as_secs_f64() * 1e6 / self.items as f64)
    }
    /// Server and client CPU milliseconds per request.
    fn cpu_per_request(&self) -> Option<(f64, f64)> {
        let n = self.count().max(1) as f64;
        self.cpu.map(|c| (c.server.as_secs_f64() * 1e3 / n, c.client.as_secs_f64() * 1e3 / n))
    }

    fn per_request_statements(&self) -> f64 {
        self.statements as f64 / self.count().max(1) as f64
    }
}

/// The `p` quantile of `latencies`, in milliseconds.
fn percentile(latencies: &mut [Duration], p: f64) -> f64 {
    if latencies.is_empty() {
        return 0.0;
    }
    latencies.sort_unstable();
    let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
    latencies[i].as_secs_f64() * 1e3
}

/// A captured SQL statement with its values.
#[derive(Clone)]
struct Captured {
    sql: String,
    values: Vec<Value>,
}

type Set = Vec<Captured>;

struct Server {
    child: Child,
    base: String,
    ready_in: Duration,
}

impl Server {
    fn peak_memory_mb(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
            .unwrap_or(f64::NAN)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

struct Client {
    http: reqwest::Client,
    url: String,
}

/// One GraphQL call: latency, statements, and whether the body had errors.
struct Outcome {
    latency: Duration,
    statements: u64,
    error: Option<String>,
    rate_limited: bool,
    body: Vec<u8>,
    /// Items the answer listed, for the blocker pull.
    items: Option<usize>,
}

impl Outcome {
    /// The whole body as a JSON tree, for the few calls that read more than their errors.
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// A response read for what the harness checks: `data` as `D` (by default only checked to be
/// there and well formed, not built) and the first error's code and message.
#[derive(serde::Deserialize)]
struct Envelope<D> {
    data: Option<D>,
    #[serde(default)]
    errors: Vec<ErrorBody>,
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: String,
    #[serde(default)]
    extensions: Option<ErrorExtensions>,
}

#[derive(serde::Deserialize)]
struct ErrorExtensions {
    code: Option<String>,
}

impl Client {
    async fn call(&self, token: &str, query: &str, variables: Value, capture: bool) -> Outcome {
        self.call_as::<serde::de::IgnoredAny>(token, query, variables, capture).await.0
    }

    /// A call whose `data` is read as `D`. Every body is parsed in full: a body that is not
    /// JSON, has `errors`, or lacks `data` is a failure.
    async fn call_as<D: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        query: &str,
        variables: Value,
        capture: bool,
    ) -> (Outcome, Option<D>) {
        let started = Instant::now();
        let mut req =
            self.http.post(&self.url).bearer_auth(token).json(&json!({ "query": query, "variables": variables }));
        if capture {
            req = req.header("x-capture-sql", "1");
        }
        let res = match req.send().await {
            Err(e) => {
                let error = Some(e.to_string());
                let out = Outcome {
                    latency: started.elapsed(),
                    statements: 0,
                    error,
                    rate_limited: false,
                    body: Vec::new(),
                    items: None,
                };
                return (out, None);
            }
            Ok(res) => res,
        };
        let status = res.status().as_u16();
        let statements = res
            .headers()
            .get("x-sql-statements")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let body = res.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
        let latency = started.elapsed();
        let (data, first_error) = match serde_json::from_slice::<Envelope<D>>(&body) {
            Ok(envelope) => (envelope.data, envelope.errors.into_iter().next()),
            Err(e) => (None, Some(ErrorBody { message: format!("unreadable body: {e}"), extensions: None })),
        };
        let code = first_error.as_ref().and_then(|e| e.extensions.as_ref()).and_then(|x| x.code.clone());
        let rate_limited = code.as_deref() == Some("RATE_LIMITED");
        let error = match (status, &first_error, &data) {
            (200, None, Some(_)) => None,
            _ => Some(format!(
                "{status} {}: {}",
                code.unwrap_or_default(),
                first_error.map(|e| e.message).unwrap_or_else(|| "no data".into())
            )),
        };
        (Outcome { latency, statements, error, rate_limited, body, items: None }, data)
    }

    async fn capture(&self, token: &str, query: &str, variables: Value) -> anyhow::Result<(Set, Value)> {
        let out = self.call(token, query, variables, true).await;
        if let Some(e) = out.error {
            bail!("capturing failed: {e}");
        }
        let body = out.json();
        let set = body["extensions"]["sqlStatements"]
            .as_array()
            .context("no sqlStatements in the answer: is DEBUG_SQL_CAPTURE on?")?
            .iter()
            .map(|s| Captured {
                sql: s["sql"].as_str().unwrap_or_default().to_owned(),
                values: s["values"].as_array().cloned().unwrap_or_default(),
            })
            .collect();
        Ok((set, body))
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .ok()
        .and_then(|l| l.local_addr().ok())
        .map(|a| a.port())
        .unwrap_or(18_999)
}

async fn start_server(database_url: &str, extra: &[(&str, &str)]) -> anyhow::Result<Server> {
    let port = free_port();
    let started = Instant::now();
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.arg("serve-child")
        .env("DATABASE_URL", database_url)
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("JWT_SECRET", SECRET)
        .env("RUST_LOG", "error")
        .env("DEBUG_SQL_CAPTURE", "true")
        .env("LOGIN_LIMIT_PER_ADDRESS", "0")
        .env("LOGIN_LIMIT_PER_USER", "0")
        .env("PASSWORD_CONCURRENCY", "2")
        .stdout(Stdio::null())
        .stderr(if std::env::var_os("BENCH_SERVER_STDERR").is_some() { Stdio::inherit() } else { Stdio::null() });
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let child = cmd.spawn().context("starting the server")?;
    SERVER_PID.store(child.id(), Ordering::Relaxed);
    let base = format!("http://127.0.0.1:{port}");
    let probe = reqwest::Client::new();
    loop {
        if probe.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        if started.elapsed() > Duration::from_secs(30) {
            bail!("the server did not become ready within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(Server { child, base, ready_in: started.elapsed() })
}

/// Runs `job` from `clients` concurrent tasks until `deadline`; each call returns an outcome.
async fn closed_loop<F, Fut>(clients: usize, duration: Duration, job: F) -> Stats
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Vec<Outcome>> + Send,
{
    let job = Arc::new(job);
    let cpu = CpuUse::now();
    let started = Instant::now();
    let mut handles = Vec::new();
    for c in 0..clients {
        let job = job.clone();
        handles.push(tokio::spawn(async move {
            let mut stats = Stats::default();
            let mut i = 0;
            while started.elapsed() < duration {
                for out in job(c, i).await {
                    record(&mut stats, out);
                }
                i += 1;
            }
            stats
        }));
    }
    let mut total = gather(handles, started).await;
    total.cpu = Some(CpuUse::now().since(cpu));
    total
}

/// The clients' figures together, timed from `started`.
async fn gather(handles: Vec<tokio::task::JoinHandle<Stats>>, started: Instant) -> Stats {
    let mut total = Stats::default();
    for h in handles {
        if let Ok(s) = h.await {
            total.merge(s);
        }
    }
    total.elapsed = started.elapsed();
    total
}

fn record(stats: &mut Stats, out: Outcome) {
    stats.latencies.push(out.latency);
    if let Some(n) = out.items {
        stats.items += n;
        if n == PULL_PAGE {
            stats.full_pages.push(out.latency);
        }
    }
    stats.statements += out.statements;
    if out.rate_limited {
        stats.rate_limited += 1;
    } else if let Some(e) = out.error {
        stats.errors += 1;
        if stats.first_error.is_none() {
            stats.first_error = Some(e);
        }
    }
}

fn is_write(sql: &str) -> bool {
    let s = sql.trim_start().to_ascii_uppercase();
    s.starts_with("INSERT") || s.starts_with("UPDATE") || s.starts_with("DELETE") || s.starts_with("NOTIFY")
}

/// Runs one captured set: reads as they are; a set with writes inside one write transaction.
async fn replay(db: &DatabaseConnection, writers: &Writers, set: &Set) -> Result<(), sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let stmt = |c: &Captured| {
        Statement::from_sql_and_values(backend, c.sql.clone(), coordination::sqlcapture::decode_values(&c.values))
    };
    if set.iter().any(|c| is_write(&c.sql)) {
        // One writer at a time on SQLite, queued as the server queues them.
        let _turn = writers.acquire().await;
        let txn = writers.begin(db).await?;
        for c in set {
            if is_write(&c.sql) {
                txn.execute_raw(stmt(c)).await?;
            } else {
                txn.query_all_raw(stmt(c)).await?;
            }
        }
        txn.commit().await
    } else {
        for c in set {
            db.query_all_raw(stmt(c)).await?;
        }
        Ok(())
    }
}

/// The floor: the same statements straight against the database, same concurrency. With
/// `once`, each set runs exactly once (writes); otherwise sets cycle until `duration`.
async fn floor(
    db: &DatabaseConnection,
    writers: Arc<Writers>,
    sets: Arc<Vec<Set>>,
    clients: usize,
    duration: Duration,
    once: bool,
) -> Stats {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..clients {
        let (db, sets, next, writers) = (db.clone(), sets.clone(), next.clone(), writers.clone());
        handles.push(tokio::spawn(async move {
            let mut stats = Stats::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if (once && i >= sets.len()) || (!once && started.elapsed() >= duration) {
                    break;
                }
                let t = Instant::now();
                let result = replay(&db, &writers, &sets[i % sets.len()]).await;
                stats.latencies.push(t.elapsed());
                if let Err(e) = result {
                    stats.errors += 1;
                    stats.first_error.get_or_insert(e.to_string());
                }
            }
            stats
        }));
    }
    gather(handles, started).await
}

/// One side of a measurement that takes turns: the server it loads (by process id, for its CPU
/// time), the job its clients run, and the statements of its floor, if it has one.
struct Side<F> {
    pid: u32,
    job: Arc<F>,
    floor: Option<(DatabaseConnection, Arc<Vec<Set>>)>,
}

/// Runs each side's `job` from `clients` concurrent clients, then its floor at the same
/// concurrency, side after side, in `--slices` slices each (`--seconds` in all for each), so
/// that a shared machine's changes of speed fall on every side alike rather than on whichever
/// ran last: the server and its floor, and, for the growth table, the two scales.
async fn take_turns<F, Fut>(args: &Args, clients: usize, sides: Vec<Side<F>>) -> Vec<(Stats, Option<Stats>)>
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Vec<Outcome>> + Send,
{
    let slices = args.slices.max(1);
    let slice = Duration::from_secs(args.seconds) / slices;
    let mut out: Vec<(Stats, Option<Stats>)> = sides.iter().map(|_| (Stats::default(), None)).collect();
    let warmup = Duration::from_secs_f64(args.warmup.max(0.0));
    if !warmup.is_zero() {
        for side in &sides {
            SERVER_PID.store(side.pid, Ordering::Relaxed);
            let job = side.job.clone();
            // Rows of their own: after those of the slices below.
            let first = (slices as usize + 1) * 1_000_003;
            closed_loop(clients, warmup, move |c, i| job(c, first + i)).await;
            if let Some((db, sets)) = &side.floor {
                floor(db, Arc::default(), sets.clone(), clients, warmup, false).await;
            }
        }
    }
    for n in 0..slices as usize {
        for (side, (load, base)) in sides.iter().zip(out.iter_mut()) {
            SERVER_PID.store(side.pid, Ordering::Relaxed);
            // Iteration numbers go on across slices, so that each slice asks for other rows.
            let (job, first) = (side.job.clone(), n * 1_000_003);
            load.add_slice(closed_loop(clients, slice, move |c, i| job(c, first + i)).await);
            if let Some((db, sets)) = &side.floor {
                let measured = floor(db, Arc::default(), sets.clone(), clients, slice, false).await;
                base.get_or_insert_with(Stats::default).add_slice(measured);
            }
        }
    }
    out
}

/// A prepared database: its URL, a copy for the write floor, and what was generated.
struct Prepared {
    url: String,
    floor_url: String,
    generated: Generated,
    _dir: Option<tempfile::TempDir>,
    cleanup: Vec<String>,
}

async fn prepare(args: &Args, scale: f64) -> anyhow::Result<Prepared> {
    let (url, floor_url, dir, cleanup) = if args.db == "sqlite" {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("bench.db").display());
        let floor = format!("sqlite://{}?mode=rwc", dir.path().join("floor.db").display());
        (url, floor, Some(dir), Vec::new())
    } else {
        let name = format!("bench_{}", Uuid::new_v4().simple());
        let admin = sea_orm::Database::connect(&args.pg_url).await?;
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
        admin.close().await?;
        let base = args.pg_url.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap_or_default();
        (format!("{base}/{name}"), format!("{base}/{name}_floor"), None, vec![name.clone(), format!("{name}_floor")])
    };
    let db = DatabaseSettings::new(&url);
    let settings = ServerSettings::for_tests(SECRET);
    let state = startup::state(&db, &settings, Clock::system()).await?;
    seed::reference(&state).await.map_err(|e| anyhow::anyhow!("{}", e.detail()))?;
    let generated = dataset::generate(&state, Plan { scale, seed: args.seed })
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.detail()))?;
    if args.db == "sqlite" {
        state.db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await?;
    }
    state.db.clone().close().await?;
    if args.db == "sqlite" {
        if let Some(d) = &dir {
            std::fs::copy(d.path().join("bench.db"), d.path().join("floor.db"))?;
        }
    } else {
        let admin = sea_orm::Database::connect(&args.pg_url).await?;
        admin.execute_unprepared(&format!("CREATE DATABASE {} TEMPLATE {}", cleanup[1], cleanup[0])).await?;
        admin.close().await?;
    }
    Ok(Prepared { url, floor_url, generated, _dir: dir, cleanup })
}

/// One scale of a run: its dataset, its server, a signed-in observer and a pool for the floor.
struct Scale {
    scale: f64,
    prepared: Prepared,
    server: Server,
    client: Arc<Client>,
    observer: String,
    db: DatabaseConnection,
    /// The server's peak memory after each scenario, in MB (the peak only grows).
    memory: Vec<(String, f64)>,
}

impl Scale {
    async fn open(args: &Args, scale: f64) -> anyhow::Result<Scale> {
        eprintln!("\n== {} at scale {scale}", args.db);
        let prepared = prepare(args, scale).await?;
        let server = start_server(&prepared.url, &[("RATE_LIMIT_PER_MINUTE", "0")]).await?;
        eprintln!("  server ready in {:?}", server.ready_in);
        let http = reqwest::Client::builder().pool_max_idle_per_host(512).build()?;
        let client = Arc::new(Client { http, url: format!("{}/graphql", server.base) });
        let observer = login(&client, "bench.observer").await?;
        let db = connect(&prepared.url).await?;
        let memory = vec![("start".to_owned(), server.peak_memory_mb())];
        Ok(Scale { scale, prepared, server, client, observer, db, memory })
    }

    fn pid(&self) -> u32 {
        self.server.child.id()
    }

    /// Points the harness's readings of the server's CPU time at this scale's server.
    fn measure(&self) {
        SERVER_PID.store(self.pid(), Ordering::Relaxed);
    }

    fn after(&mut self, scenario: &str) {
        let mb = self.server.peak_memory_mb();
        self.memory.push((scenario.to_owned(), mb));
        eprintln!("  peak memory of the server at scale {} so far: {mb:.0} MB", self.scale);
    }

    /// Stops the server and drops its databases.
    async fn close(self, args: &Args) -> anyhow::Result<(Vec<(String, f64)>, Duration)> {
        self.db.close().await?;
        let ready = self.server.ready_in;
        drop(self.server);
        drop_databases(args, &self.prepared.cleanup).await;
        Ok((self.memory, ready))
    }
}

async fn drop_databases(args: &Args, names: &[String]) {
    if names.is_empty() {
        return;
    }
    if let Ok(admin) = sea_orm::Database::connect(&args.pg_url).await {
        for n in names {
            let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {n} WITH (FORCE)")).await;
        }
    }
}

/// A pool as large as the server's: DATABASE_MAX_CONNECTIONS, which the server child inherits,
/// or the database's default.
async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    let mut settings = DatabaseSettings::new(url);
    settings.database_max_connections =
        std::env::var("DATABASE_MAX_CONNECTIONS").ok().and_then(|v| v.trim().parse().ok());
    Ok(coordination::db::connect(&settings, Arc::new(Default::default())).await?)
}

async fn login(client: &Client, username: &str) -> anyhow::Result<String> {
    let q = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }";
    let body = json!({ "query": q, "variables": { "u": username, "p": dataset::PASSWORD } });
    let res: Value = client.http.post(&client.url).json(&body).send().await?.json().await?;
    res["data"]["login"]["token"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("login of {username} failed: {res}"))
}

/// One line of the results table.
struct Row {
    scenario: String,
    stats: Stats,
    floor: Option<Stats>,
    /// The pull's full pages alone, every script asking for one at a time (growth table).
    full_only: Option<Stats>,
}

const POINT: &str = "query($id: ID!) { task(id: $id) { id code title status dueDate leadMinistry { code nameVi } } }";
/// Blockers a page of the pull asks for.
const PULL_PAGE: usize = 500;
const PULL: &str = "query($after: String) { blockers(first: 500, after: $after, filter: { status: [OPEN, FORWARDED, IN_PROGRESS, ESCALATED] }) {
  nodes { id title status severity dueDate overdue task { code } raisedBy { code } responsibleMinistry { code } } pageInfo { hasNextPage endCursor } } }";
const DASHBOARD: &str = "query($wg: ID!, $p: String!) { monthlySummary(workingGroupId: $wg, period: $p) {
  tasksByTimeliness { completedOnTime completedLate inProgressOnTime overdue dueSoon } missingReportCount
  openBlockers { total bySeverity { severity count } under7Days from7To30Days over30Days oldestDays }
  ministries { ministry { code } expected submitted missing late openBlockers } }
  tasks(filter: { timeliness: [OVERDUE] }, first: 50) { totalCount nodes { code title dueDate leadMinistry { code } } } }";
const SUBMIT: &str = "mutation($i: SubmitMonthlyReportInput!, $k: String) { submitMonthlyReport(input: $i, idempotencyKey: $k) { id revision late } }";

fn submission(task: Uuid, period: &str, n: usize) -> Value {
    json!({ "taskId": task, "period": period, "progressPercent": (n * 7) % 101, "health": "ON_TRACK",
            "summary": "Đã triển khai các nội dung theo kế hoạch tháng.", "achievements": "Hoàn thành dự thảo." })
}

async fn scenario_point(args: &Args, at: &Scale) -> anyhow::Result<Row> {
    let (client, token) = (&at.client, at.observer.as_str());
    let tasks = Arc::new(at.prepared.generated.tasks.clone());
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut sets = Vec::new();
    for _ in 0..100 {
        let id = tasks[rng.gen_range(0..tasks.len())];
        sets.push(client.capture(token, POINT, json!({ "id": id })).await?.0);
    }
    let (c, t, ts) = (client.clone(), token.to_owned(), tasks.clone());
    let job = move |ci: usize, i: usize| {
        let (c, t, ts) = (c.clone(), t.clone(), ts.clone());
        async move {
            let id = ts[(ci * 7919 + i * 104_729) % ts.len()];
            vec![c.call(&t, POINT, json!({ "id": id }), false).await]
        }
    };
    let side = Side { pid: at.pid(), job: Arc::new(job), floor: Some((at.db.clone(), Arc::new(sets))) };
    let (stats, floor) = take_turns(args, args.clients, vec![side]).await.remove(0);
    Ok(Row { scenario: "point".into(), stats, floor, full_only: None })
}

/// What a script reads of a page of blockers to ask for the next; the nodes are checked to be
/// well-formed JSON but not built.
#[derive(serde::Deserialize)]
struct PullPage {
    blockers: PullConnection,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct PullConnection {
    nodes: Vec<serde::de::IgnoredAny>,
    page_info: PageInfo,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

impl PageInfo {
    fn of(body: &Value) -> Option<Self> {
        serde_json::from_value(body["data"]["blockers"]["pageInfo"].clone()).ok()
    }
}

/// Pages through every unresolved blocker. When capturing, each page's statements go to
/// `sets`, and the cursor of each page that came back full to `full`.
async fn full_pull(
    client: &Client,
    token: &str,
    capture: bool,
    sets: &mut Vec<Set>,
    full: &mut Vec<Option<String>>,
) -> anyhow::Result<Vec<Outcome>> {
    let mut after: Option<String> = None;
    let mut outcomes = Vec::new();
    loop {
        let page = if capture {
            let (set, body) = client.capture(token, PULL, json!({ "after": after })).await?;
            sets.push(set);
            if body["data"]["blockers"]["nodes"].as_array().map_or(0, Vec::len) == PULL_PAGE {
                full.push(after.clone());
            }
            PageInfo::of(&body)
        } else {
            let (out, page) = pull_page(client, token, after.as_deref()).await;
            let failed = out.error.is_some();
            outcomes.push(out);
            if failed {
                break;
            }
            page
        };
        match page {
            Some(PageInfo { has_next_page: true, end_cursor: Some(cursor) }) => after = Some(cursor),
            _ => break,
        }
    }
    Ok(outcomes)
}

/// One page of the pull, with the number of blockers it listed.
async fn pull_page(client: &Client, token: &str, after: Option<&str>) -> (Outcome, Option<PageInfo>) {
    let (mut out, data) = client.call_as::<PullPage>(token, PULL, json!({ "after": after }), false).await;
    out.items = data.as_ref().map(|d| d.blockers.nodes.len());
    (out, data.map(|d| d.blockers.page_info))
}

/// The pull at each of `scales`, which take turns (see `take_turns`): a row for each.
async fn scenario_pull(args: &Args, scales: &[&Scale]) -> anyhow::Result<Vec<Row>> {
    let clients = (args.clients / 4).max(2);
    let (mut sides, mut full_sides, mut all_full) = (Vec::new(), Vec::new(), true);
    for at in scales {
        let (mut sets, mut full) = (Vec::new(), Vec::new());
        full_pull(&at.client, &at.observer, true, &mut sets, &mut full).await?;
        let (c, t) = (at.client.clone(), at.observer.clone());
        let job = move |_: usize, _: usize| {
            let (c, t) = (c.clone(), t.clone());
            async move { full_pull(&c, &t, false, &mut Vec::new(), &mut Vec::new()).await.unwrap_or_default() }
        };
        sides.push(Side { pid: at.pid(), job: Arc::new(job), floor: Some((at.db.clone(), Arc::new(sets))) });
        // The same scripts asking only for the pages that come back full, one after another: at
        // scale 0.1 a pull is one full page and a short one, and a full page there shares the
        // machine with short ones; this load is the same at every scale.
        all_full &= !full.is_empty();
        let (c, t, full) = (at.client.clone(), at.observer.clone(), Arc::new(full));
        let job = move |ci: usize, i: usize| {
            let (c, t, full) = (c.clone(), t.clone(), full.clone());
            async move { vec![pull_page(&c, &t, full[(ci + i) % full.len().max(1)].as_deref()).await.0] }
        };
        full_sides.push(Side { pid: at.pid(), job: Arc::new(job), floor: None });
    }
    let measured = take_turns(args, clients, sides).await;
    // Only for the growth table, and when every scale has a full page.
    let full_only = if scales.len() > 1 && all_full { take_turns(args, clients, full_sides).await } else { Vec::new() };
    let mut full_only = full_only.into_iter().map(|(stats, _)| stats);
    Ok(measured
        .into_iter()
        .map(|(stats, floor)| Row {
            scenario: format!("blocker pull ({clients} scripts, per page)"),
            stats,
            floor,
            full_only: full_only.next(),
        })
        .collect())
}

/// The dashboard at each of `scales`, which take turns (see `take_turns`): a row for each.
async fn scenario_dashboard(args: &Args, scales: &[&Scale]) -> anyhow::Result<Vec<Row>> {
    let period = Period::containing(
        chrono::Utc::now().with_timezone(&coordination::clock::VIETNAM).date_naive(),
        &Default::default(),
    )
    .to_string();
    let clients = args.dashboard_clients;
    let mut sides = Vec::new();
    for at in scales {
        let vars = json!({ "wg": at.prepared.generated.working_group, "p": period });
        let (set, _) = at.client.capture(&at.observer, DASHBOARD, vars.clone()).await?;
        let (c, t) = (at.client.clone(), at.observer.clone());
        let job = move |_: usize, _: usize| {
            let (c, t, v) = (c.clone(), t.clone(), vars.clone());
            async move { vec![c.call(&t, DASHBOARD, v, false).await] }
        };
        sides.push(Side { pid: at.pid(), job: Arc::new(job), floor: Some((at.db.clone(), Arc::new(vec![set]))) });
    }
    Ok(take_turns(args, clients, sides)
        .await
        .into_iter()
        .map(|(stats, floor)| Row { scenario: format!("dashboard ({clients} screens)"), stats, floor, full_only: None })
        .collect())
}

/// Builds the floor's statement sets for the burst from one captured submission: the ids of the
/// template's task, ministry and officer are swapped for each submission's, fresh ids for rows it
/// creates, a fresh idempotency key.
fn substitute(template: &Set, map: &HashMap<String, String>, key: &str) -> Set {
    let mut fresh: HashMap<String, String> = HashMap::new();
    template
        .iter()
        .map(|c| {
            let values = c
                .values
                .iter()
                .map(|v| {
                    let mut v = v.clone();
                    let mut id = |s: &str| {
                        map.get(s).cloned().unwrap_or_else(|| {
                            fresh.entry(s.to_owned()).or_insert_with(|| Uuid::new_v4().to_string()).clone()
                        })
                    };
                    let replaced = match (v["t"].as_str(), &v["v"]) {
                        (Some("uuid"), Value::String(s)) => Some(json!(id(s))),
                        (Some("uuid[]"), Value::Array(ids)) => {
                            Some(ids.iter().map(|s| s.as_str().map_or(Value::Null, |s| json!(id(s)))).collect())
                        }
                        (Some("string"), Value::String(s)) if s == "bench-template-key" => Some(json!(key)),
                        _ => None,
                    };
                    if let Some(r) = replaced {
                        v["v"] = r;
                    }
                    v
                })
                .collect();
            Captured { sql: c.sql.clone(), values }
        })
        .collect()
}

struct Burst {
    peak: Row,
    half: Row,
}

async fn scenario_burst(
    args: &Args,
    client: &Arc<Client>,
    g: &Generated,
    prepared: &Prepared,
) -> anyhow::Result<Burst> {
    let today = chrono::Utc::now().with_timezone(&coordination::clock::VIETNAM).date_naive();
    let current = Period::containing(today, &Default::default());
    let previous = current.previous();
    // Officers sign in: two per agency.
    eprintln!("  signing in {} officers…", g.officers.len());
    let mut tokens: HashMap<Uuid, Vec<(String, Uuid)>> = HashMap::new();
    for (username, ministry) in &g.officers {
        let token = login(client, username).await?;
        let user_id = {
            let out = client.call(&token, "{ me { id } }", json!({}), false).await;
            out.json()["data"]["me"]["id"].as_str().and_then(|s| Uuid::parse_str(s).ok()).unwrap_or_default()
        };
        tokens.entry(*ministry).or_default().push((token, user_id));
    }
    // The first pair is the template for the floor; the rest are the burst's.
    let pairs = &g.report_pairs;
    if pairs.len() < 2 {
        bail!("not enough report pairs");
    }
    let (t0, m0) = pairs[0];
    let (tok0, user0) = tokens[&m0][0].clone();
    let (template, _) = client
        .capture(&tok0, SUBMIT, json!({ "i": submission(t0, &current.to_string(), 0), "k": "bench-template-key" }))
        .await
        .context("the template submission")?;
    let n = args.burst.min(pairs.len() - 1);
    let work: Vec<(Uuid, Uuid)> = pairs[1..=n].to_vec();
    let run = |period: Period, rate: Option<f64>| {
        let (client, tokens, work) = (client.clone(), tokens.clone(), work.clone());
        let clients = args.burst_clients;
        async move {
            // Popped from the back: reversed, so submissions go out in order.
            let queue = Arc::new(Mutex::new(work.into_iter().enumerate().rev().collect::<Vec<_>>()));
            let cpu = CpuUse::now();
            let started = Instant::now();
            let mut handles = Vec::new();
            for c in 0..clients {
                let (client, tokens, queue) = (client.clone(), tokens.clone(), queue.clone());
                let period = period.to_string();
                handles.push(tokio::spawn(async move {
                    let mut stats = Stats::default();
                    loop {
                        let next = queue.lock().map(|mut q| q.pop()).ok().flatten();
                        let Some((i, (task, ministry))) = next else { break };
                        if let Some(rate) = rate {
                            let due = started + Duration::from_secs_f64(i as f64 / rate);
                            tokio::time::sleep_until(due.into()).await;
                        }
                        let officers = &tokens[&ministry];
                        let token = &officers[(i + c) % officers.len()].0;
                        let key = format!("burst-{period}-{task}-{ministry}");
                        record(
                            &mut stats,
                            client
                                .call(token, SUBMIT, json!({ "i": submission(task, &period, i), "k": key }), false)
                                .await,
                        );
                    }
                    stats
                }));
            }
            let mut total = gather(handles, started).await;
            total.cpu = Some(CpuUse::now().since(cpu));
            total
        }
    };
    eprintln!("  burst: {n} submissions from {} officers at full speed…", args.burst_clients);
    let peak = run(current, None).await;
    let peak_rps = peak.rps();
    eprintln!("  burst: {n} more at half the peak rate ({:.0}/s)…", peak_rps / 2.0);
    let half = run(previous, Some(peak_rps / 2.0)).await;
    // The floor: the same submissions' statements on the untouched copy.
    let sets: Vec<Set> = work
        .iter()
        .enumerate()
        .map(|(i, (task, ministry))| {
            let (_, user) = tokens[ministry][i % tokens[ministry].len()].clone();
            let map: HashMap<String, String> = [
                (t0.to_string(), task.to_string()),
                (m0.to_string(), ministry.to_string()),
                (user0.to_string(), user.to_string()),
            ]
            .into_iter()
            .collect();
            substitute(&template, &map, &format!("floor-{i}"))
        })
        .collect();
    let floor_db = connect(&prepared.floor_url).await?;
    // Writers as the server has them: on SQLite, one queue and a connection of their own.
    let writers =
        Writers::open(&DatabaseSettings::new(&prepared.floor_url), Arc::new(Default::default()), &floor_db).await?;
    let checkpoints = tokio::spawn(coordination::db::checkpoints(floor_db.clone(), Duration::from_millis(200)));
    let fl = floor(&floor_db, Arc::new(writers), Arc::new(sets), args.burst_clients, Duration::ZERO, true).await;
    checkpoints.abort();
    floor_db.close().await?;
    Ok(Burst {
        peak: Row {
            scenario: format!("month-end burst ({n} submissions, {} officers)", args.burst_clients),
            stats: peak,
            floor: Some(fl),
            full_only: None,
        },
        half: Row { scenario: "burst at half the peak rate".into(), stats: half, floor: None, full_only: None },
    })
}

/// A scenario's share of its floor over the whole run and, where the two took turns in slices,
/// the lowest and highest share of a single slice: how far the machine moved it within the run.
fn ratio_cell(load: &Stats, floor: &Stats) -> String {
    let whole = format!("{:.0}%", 100.0 * load.rps() / floor.rps());
    let (a, b) = (&load.slice_rates, &floor.slice_rates);
    if a.len() < 2 || a.len() != b.len() {
        return whole;
    }
    let shares: Vec<f64> = a.iter().zip(b).map(|(l, f)| 100.0 * l / f.max(1e-9)).collect();
    let low = shares.iter().copied().fold(f64::INFINITY, f64::min);
    let high = shares.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!("{whole} ({low:.0}–{high:.0})")
}

fn print_table(title: &str, rows: &mut [Row]) {
    println!("\n### {title}\n");
    println!(
        "| scenario | requests | req/s | p50 ms | p95 ms | p99 ms | SQL/req | errors | floor req/s | % of floor | server CPU ms/req | client CPU ms/req |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows.iter_mut() {
        let (floor_rps, ratio) = match r.floor.as_mut() {
            Some(f) if f.errors == 0 => (format!("{:.0}", f.rps()), ratio_cell(&r.stats, f)),
            Some(f) => (
                format!("{:.0} ({} errors: {})", f.rps(), f.errors, f.first_error.clone().unwrap_or_default()),
                "-".into(),
            ),
            None => ("-".into(), "-".into()),
        };
        let (server_cpu, client_cpu) = match r.stats.cpu_per_request() {
            Some((server, client)) => (format!("{server:.2}"), format!("{client:.2}")),
            None => ("-".into(), "-".into()),
        };
        println!(
            "| {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.1} | {} | {} | {} | {} | {} |",
            r.scenario,
            r.stats.count(),
            r.stats.rps(),
            r.stats.pct(0.50),
            r.stats.pct(0.95),
            r.stats.pct(0.99),
            r.stats.per_request_statements(),
            r.stats.errors,
            floor_rps,
            ratio,
            server_cpu,
            client_cpu
        );
        if let Some(e) = &r.stats.first_error {
            println!("\nfirst error of {}: {e}\n", r.scenario);
        }
    }
    if rows.iter().any(|r| r.stats.slice_rates.len() > 1) {
        println!(
            "\nIn brackets after the share of the floor: the lowest and the highest share in one of the slices in \
             which the scenario and its floor took turns."
        );
    }
}

/// What one scale's run measured: the rows, the server's peak memory after each scenario (in
/// MB; the peak only grows), and how long the server took to become ready.
struct ScaleRun {
    rows: Vec<Row>,
    memory: Vec<(String, f64)>,
    ready: Duration,
}

impl ScaleRun {
    fn peak(&self) -> f64 {
        self.memory.last().map_or(f64::NAN, |m| m.1)
    }

    fn memory_line(&self) -> String {
        let steps: Vec<String> = self.memory.iter().map(|(s, mb)| format!("{s} {mb:.0} MB")).collect();
        format!("peak memory {:.0} MB (after each scenario: {})", self.peak(), steps.join(", "))
    }
}

/// Runs `scenarios` at `--scale`; with `--compare`, the pull and the dashboard also run at the
/// other scale, taking turns with the first in each slice. The other scale's rows follow.
async fn run(args: &Args, scenarios: &[&str]) -> anyhow::Result<(ScaleRun, Option<ScaleRun>)> {
    let mut main = Scale::open(args, args.scale).await?;
    let mut other = match args.compare {
        Some(scale) => Some(Scale::open(args, scale).await?),
        None => None,
    };
    let (mut rows, mut other_rows) = (Vec::new(), Vec::new());
    for s in scenarios {
        eprintln!("  scenario {s}…");
        match *s {
            "point" => {
                main.measure();
                rows.push(scenario_point(args, &main).await?);
            }
            "pull" | "dashboard" => {
                let scales: Vec<&Scale> = std::iter::once(&main).chain(other.as_ref()).collect();
                let mut measured = match *s {
                    "pull" => scenario_pull(args, &scales).await?,
                    _ => scenario_dashboard(args, &scales).await?,
                };
                rows.push(measured.remove(0));
                other_rows.extend(measured);
                if let Some(o) = other.as_mut() {
                    o.after(s);
                }
            }
            "burst" => {
                main.measure();
                let b = scenario_burst(args, &main.client, &main.prepared.generated, &main.prepared).await?;
                rows.push(b.peak);
                rows.push(b.half);
            }
            other => bail!("unknown scenario {other}"),
        }
        main.after(s);
    }
    let (memory, ready) = main.close(args).await?;
    let main = ScaleRun { rows, memory, ready };
    let other = match other {
        Some(o) => {
            let (memory, ready) = o.close(args).await?;
            Some(ScaleRun { rows: other_rows, memory, ready })
        }
        None => None,
    };
    Ok((main, other))
}

async fn load_test(args: &Args) -> anyhow::Result<()> {
    eprintln!("\n== load test on {}: {} clients for {} s, default rate limits", args.db, args.clients, args.seconds);
    let prepared = prepare(args, args.scale).await?;
    let server = start_server(&prepared.url, &[]).await?;
    let client = Arc::new(Client {
        http: reqwest::Client::builder().pool_max_idle_per_host(512).build()?,
        url: format!("{}/graphql", server.base),
    });
    let g = &prepared.generated;
    // Clients share the officers (two per agency) when there are more clients than officers.
    let mut signed_in = Vec::new();
    for (username, ministry) in &g.officers {
        signed_in.push((login(&client, username).await?, *ministry));
    }
    let officers: Vec<(String, Uuid, usize)> = (0..args.clients)
        .map(|i| (signed_in[i % signed_in.len()].0.clone(), signed_in[i % signed_in.len()].1, i))
        .collect();
    let pairs: Arc<HashMap<Uuid, Vec<Uuid>>> =
        Arc::new(g.report_pairs.iter().fold(HashMap::new(), |mut m, (t, min)| {
            m.entry(*min).or_insert_with(Vec::new).push(*t);
            m
        }));
    let officers = Arc::new(officers);
    let tasks = Arc::new(g.tasks.clone());
    let stop = Arc::new(AtomicBool::new(false));
    let period =
        Period::containing(Utc::now().with_timezone(&coordination::clock::VIETNAM).date_naive(), &Default::default())
            .to_string();
    let (c, o, p, t) = (client.clone(), officers.clone(), pairs.clone(), tasks.clone());
    let stats = closed_loop(officers.len(), Duration::from_secs(args.seconds), move |ci, i| {
        let (c, o, p, t, period) = (c.clone(), o.clone(), p.clone(), t.clone(), period.clone());
        async move {
            let (token, ministry, _) = &o[ci % o.len()];
            let out = match i % 10 {
                0..=4 => c.call(token, POINT, json!({ "id": t[(ci * 31 + i) % t.len()] }), false).await,
                5 | 6 => c.call(token, "{ blockers(first: 100, filter: { status: [OPEN, FORWARDED] }) { nodes { id title task { code } raisedBy { code } } } }", json!({}), false).await,
                7 | 8 => {
                    let list = p.get(ministry).cloned().unwrap_or_default();
                    if list.is_empty() {
                        c.call(token, "{ me { name } }", json!({}), false).await
                    } else {
                        let task = list[i % list.len()];
                        c.call(token, SUBMIT, json!({ "i": submission(task, &period, i), "k": format!("load-{ci}-{i}") }), false).await
                    }
                }
                _ => {
                    let q = "mutation($t: String!) { raiseBlocker(input: { title: $t, description: \"Tải thử nghiệm.\", severity: LOW, category: OTHER }) { id } }";
                    c.call(token, q, json!({ "t": format!("Tải {ci}-{i}") }), false).await
                }
            };
            vec![out]
        }
    })
    .await;
    stop.store(true, Ordering::Relaxed);
    let mut stats = stats;
    println!("\n### Load test ({} clients, {} s, {})\n", officers.len(), args.seconds, args.db);
    println!("| requests | req/s | p50 ms | p95 ms | p99 ms | rate limited | other errors | peak server MB |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {:.0} | {:.1} | {:.1} | {:.1} | {} | {} | {:.0} |",
        stats.count(),
        stats.rps(),
        stats.pct(0.5),
        stats.pct(0.95),
        stats.pct(0.99),
        stats.rate_limited,
        stats.errors,
        server.peak_memory_mb()
    );
    if let Some(e) = &stats.first_error {
        println!("\nfirst error: {e}");
    }
    let failed = stats.errors > 0;
    drop(server);
    drop_databases(args, &prepared.cleanup).await;
    if failed {
        bail!("the load test saw errors beyond rate limiting");
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    if std::env::args().nth(1).as_deref() == Some("serve-child") {
        // The real server, in its own process, so its memory is measured alone.
        let interval: u32 = std::env::var("BENCH_GQI").ok().and_then(|v| v.parse().ok()).unwrap_or(61);
        let runtime =
            tokio::runtime::Builder::new_multi_thread().enable_all().global_queue_interval(interval).build()?;
        let cli = coordination::cli::Cli::parse_from(["coordination", "serve"]);
        return runtime.block_on(coordination::cli::run(cli));
    }
    let args = Args::parse();
    if !matches!(args.db.as_str(), "sqlite" | "postgres") {
        bail!("--db is sqlite or postgres");
    }
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        if args.load {
            return load_test(&args).await;
        }
        let scenarios: Vec<&str> = args.scenarios.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
        let (mut run, small) = run(&args, &scenarios).await?;
        println!(
            "\n## {} at scale {} ({} cores)",
            args.db,
            args.scale,
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)
        );
        print_table("Scenarios", &mut run.rows);
        println!(
            "\nServer: ready {:.0} ms after start on a migrated database; {}.",
            run.ready.as_secs_f64() * 1e3,
            run.memory_line()
        );
        if let (Some(other), Some(mut small)) = (args.compare, small) {
            print_table(&format!("Growth: the same at scale {other}"), &mut small.rows);
            println!("\n| figure | at {other} | at {} | ratio |", args.scale);
            println!("|---|---:|---:|---:|");
            let line = |figure: String, a: f64, b: f64| {
                println!("| {figure} | {a:.2} | {b:.2} | {:.2}x |", b / a.max(1e-9));
            };
            for (a, b) in small.rows.iter_mut().zip(
                run.rows
                    .iter_mut()
                    .filter(|r| r.scenario.starts_with("blocker pull") || r.scenario.starts_with("dashboard")),
            ) {
                let name = a.scenario.split(" (").next().unwrap_or_default().to_owned();
                line(format!("{name}: p95 ms per request"), a.stats.pct(0.95), b.stats.pct(0.95));
                if a.stats.items > 0 {
                    // A pull at the smaller scale is a full page and a short one: the figures
                    // per full page leave the short ones out, and those of full pages only also
                    // run the same load at both scales.
                    line(
                        format!("{name}: p50 ms per full page of {PULL_PAGE}"),
                        percentile(&mut a.stats.full_pages, 0.5),
                        percentile(&mut b.stats.full_pages, 0.5),
                    );
                    line(
                        format!("{name}: p95 ms per full page of {PULL_PAGE}"),
                        percentile(&mut a.stats.full_pages, 0.95),
                        percentile(&mut b.stats.full_pages, 0.95),
                    );
                    if let (Some(x), Some(y)) = (a.full_only.as_mut(), b.full_only.as_mut()) {
                        line(format!("{name}, full pages only: p50 ms per page"), x.pct(0.5), y.pct(0.5));
                        line(format!("{name}, full pages only: p95 ms per page"), x.pct(0.95), y.pct(0.95));
                        if let (Some((xc, _)), Some((yc, _))) = (x.cpu_per_request(), y.cpu_per_request()) {
                            line(format!("{name}, full pages only: server CPU ms per page"), xc, yc);
                        }
                    }
                    if let (Some(x), Some(y)) = (a.stats.server_cpu_per_item(), b.stats.server_cpu_per_item()) {
                        line(format!("{name}: server CPU µs per blocker"), x, y);
                    }
                    println!(
                        "| {name}: blockers per page (mean) | {:.0} | {:.0} | |",
                        a.stats.items as f64 / a.stats.count().max(1) as f64,
                        b.stats.items as f64 / b.stats.count().max(1) as f64
                    );
                } else if let (Some((x, _)), Some((y, _))) = (a.stats.cpu_per_request(), b.stats.cpu_per_request()) {
                    line(format!("{name}: server CPU ms per request"), x, y);
                }
            }
            println!("\nAt scale {other}: {}.", small.memory_line());
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` requests over `secs` seconds, measured in slices of the given rates.
    fn measured(n: usize, secs: f64, slices: &[f64]) -> Stats {
        Stats {
            latencies: vec![Duration::from_millis(1); n],
            elapsed: Duration::from_secs_f64(secs),
            slice_rates: slices.to_vec(),
            ..Stats::default()
        }
    }

    #[test]
    fn a_ratio_shows_its_lowest_and_highest_slice() {
        let load = measured(400, 4.0, &[80.0, 120.0]);
        let floor = measured(800, 4.0, &[200.0, 200.0]);
        assert_eq!(ratio_cell(&load, &floor), "50% (40–60)");
    }

    #[test]
    fn a_ratio_without_slices_to_pair_stands_alone() {
        let load = measured(400, 4.0, &[]);
        let floor = measured(800, 4.0, &[]);
        assert_eq!(ratio_cell(&load, &floor), "50%");
        let uneven = measured(400, 4.0, &[100.0, 100.0]);
        assert_eq!(ratio_cell(&uneven, &measured(800, 4.0, &[200.0])), "50%");
    }
}
