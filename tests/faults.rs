//! Faults: the database going away under load and coming back, a SIGTERM with requests in
//! flight, and SQLite's durability settings.

mod common;

use common::TestApp;
use coordination::config::{DatabaseSettings, ServerSettings};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A TCP proxy in front of PostgreSQL that can be cut (every connection dropped, new ones
/// refused) and restored: the database "stops" for this test only.
struct Proxy {
    port: u16,
    down: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(target: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let down = Arc::new(AtomicBool::new(false));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (d, l) = (down.clone(), links.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if d.load(Ordering::SeqCst) {
                    continue; // dropped: refused
                }
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                l.lock().unwrap().push(link);
            }
        });
        Self { port, down, links }
    }

    fn cut(&self) {
        self.down.store(true, Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

const RAISE: &str = "mutation($t: String!) { raiseBlocker(input: { title: $t, description: \"Mất kết nối cơ sở dữ liệu.\", severity: MEDIUM, category: OTHER }) { id } }";

#[tokio::test]
async fn the_database_going_away_loses_no_acknowledged_write_and_leaves_nothing_half_written() {
    let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("skipped: set TEST_DATABASE_URL to a PostgreSQL server to run the fault test");
        return;
    };
    // A database of its own, reached through the proxy.
    let direct = TestApp::postgres(&admin_url).await;
    let name = direct.database_url.rsplit('/').next().unwrap().to_owned();
    let proxy = Proxy::start("127.0.0.1:5432").await;
    let mut db = DatabaseSettings::new(&format!("postgres://postgres@127.0.0.1:{}/{name}", proxy.port));
    db.database_acquire_timeout = 2;
    let app = TestApp::start(db, "postgres", ServerSettings::for_tests(common::SECRET)).await;
    let officer = app.officer_of("MOST").await;

    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::default();
    let failures = Arc::new(Mutex::new(Vec::<(Duration, String)>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..8 {
        let (client, url, token) = (app.client.clone(), app.url("/graphql"), officer.token.clone());
        let (acked, failed, stop) = (acknowledged.clone(), failures.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                i += 1;
                let started = Instant::now();
                let body = json!({ "query": RAISE, "variables": { "t": format!("w{w}-{i}") } });
                let res = client.post(&url).bearer_auth(&token).json(&body).send().await;
                let Ok(res) = res else { continue };
                let answer: Value = res.json().await.unwrap_or(Value::Null);
                match answer["data"]["raiseBlocker"]["id"].as_str() {
                    Some(id) => acked.lock().unwrap().push(id.to_owned()),
                    None => failed.lock().unwrap().push((
                        started.elapsed(),
                        answer["errors"][0]["extensions"]["code"].as_str().unwrap_or("?").to_owned(),
                    )),
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;

    proxy.cut();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503, "not ready while the database is away");
    assert!(started.elapsed() < Duration::from_secs(4), "readiness answers quickly: {:?}", started.elapsed());
    let started = Instant::now();
    let body = officer.send("{ tasks { totalCount } }", json!({})).await;
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "a request fails quickly, not hanging: {:?}",
        started.elapsed()
    );
    let text = body.to_string();
    assert!(text.contains("INTERNAL_SERVER_ERROR") || text.contains("UNAUTHENTICATED"), "{body}");
    assert!(!text.to_lowercase().contains("connection refused") && !text.contains("sqlx"), "no internals: {body}");
    tokio::time::sleep(Duration::from_millis(1500)).await;

    proxy.restore();
    let back = Instant::now();
    loop {
        if app.client.get(app.url("/readyz")).send().await.unwrap().status() == 200 {
            break;
        }
        assert!(back.elapsed() < Duration::from_secs(10), "the service recovers without a restart");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.await.unwrap();
    }
    officer.data(RAISE, json!({ "t": "after recovery" })).await;

    // Every acknowledged write is there; nothing is half there (a blocker without its event or audit).
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let db = &direct.state.db;
    let acked = acknowledged.lock().unwrap().clone();
    let failed = failures.lock().unwrap().clone();
    assert!(
        !acked.is_empty() && !failed.is_empty(),
        "the test saw writes succeed and fail: {} / {}",
        acked.len(),
        failed.len()
    );
    let stored: std::collections::HashSet<String> =
        entity::blocker::Entity::find().all(db).await.unwrap().into_iter().map(|b| b.id.to_string()).collect();
    for id in &acked {
        assert!(stored.contains(id), "acknowledged blocker {id} is missing");
    }
    let events = entity::blocker_event::Entity::find().count(db).await.unwrap();
    let audits = entity::audit_event::Entity::find()
        .filter(entity::audit_event::Column::Operation.eq("raiseBlocker"))
        .count(db)
        .await
        .unwrap();
    let outbox = entity::outbox_event::Entity::find()
        .filter(entity::outbox_event::Column::Kind.eq("blocker.raised"))
        .count(db)
        .await
        .unwrap();
    assert_eq!(
        (events, audits, outbox),
        (stored.len() as u64, stored.len() as u64, stored.len() as u64),
        "each stored blocker has exactly its event, audit and outbox rows"
    );
    let slowest = failed.iter().map(|(d, _)| *d).max().unwrap();
    eprintln!(
        "{} acknowledged, {} refused while down (slowest refusal {:?}), {} stored",
        acked.len(),
        failed.len(),
        slowest,
        stored.len()
    );
    app.finish().await;
    direct.finish().await;
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_durable_commits() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = TestApp::sqlite().await;
    let row = |sql: &str| {
        let db = app.state.db.clone();
        let sql = sql.to_owned();
        async move { db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap() }
    };
    let mode: String = row("PRAGMA journal_mode").await.try_get_by_index(0).unwrap();
    let sync: i64 = row("PRAGMA synchronous").await.try_get_by_index(0).unwrap();
    let fks: i64 = row("PRAGMA foreign_keys").await.try_get_by_index(0).unwrap();
    assert_eq!((mode.as_str(), sync, fks), ("wal", 2, 1), "WAL, synchronous=FULL, foreign keys on");
    app.finish().await;
}

/// SQLite is built (`.cargo/config.toml`) so that a prepared statement is compiled once: without
/// STAT4 histograms, which made SQLite compile a statement again whenever a parameter they could
/// plan by was bound, and with the query planner stability guarantee, without which a bound
/// `LIMIT ?` did the same on every run of a lookup by id or a page. And so that connections on
/// different threads share no lock on the way: no memory statistics (a lock on every allocation)
/// and no page cache shared by all connections (a lock on every page read).
#[tokio::test]
async fn sqlite_is_built_to_compile_each_statement_once_and_share_no_lock() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = TestApp::sqlite().await;
    let options = ["ENABLE_STAT4", "ENABLE_QPSG", "DEFAULT_MEMSTATUS=0", "ENABLE_MEMORY_MANAGEMENT"];
    let sql = format!(
        "SELECT {}",
        options.iter().map(|o| format!("sqlite_compileoption_used('{o}')")).collect::<Vec<_>>().join(", ")
    );
    let db = &app.state.db;
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
    let used: Vec<(&str, i64)> =
        options.iter().enumerate().map(|(i, o)| (*o, row.try_get_by_index::<i64>(i).unwrap())).collect();
    let expected =
        vec![("ENABLE_STAT4", 0), ("ENABLE_QPSG", 1), ("DEFAULT_MEMSTATUS=0", 1), ("ENABLE_MEMORY_MANAGEMENT", 0)];
    assert_eq!(used, expected, "SQLite's compile options (LIBSQLITE3_FLAGS in .cargo/config.toml)");
    app.finish().await;
}

/// On SQLite the writers' connection never copies the write-ahead log into the database file
/// (that copy would hold up every queued writer); a background task does, so the database file on
/// its own soon holds every acknowledged write.
#[tokio::test]
async fn sqlite_writes_reach_the_database_file_in_the_background() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = TestApp::sqlite().await;
    let officer = app.officer_of("MOH").await;
    let raise = "mutation($t: String!) { raiseBlocker(input: { title: $t, description: \"Chưa có hướng dẫn.\", severity: LOW, category: OTHER }) { id } }";
    for i in 0..3 {
        let (answer, statements) =
            app.post_counted(&officer.token, raise, json!({ "t": format!("Ghi xuống tệp {i}") })).await;
        assert!(answer["errors"].is_null(), "{answer}");
        // The mutation runs on the writer thread; its statements still count for its request.
        assert!(statements >= 5, "the raise counted {statements} statements");
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    // The database file alone, without its write-ahead log.
    let file = app.database_url.trim_start_matches("sqlite://").split('?').next().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.db");
    std::fs::copy(&file, &copy).unwrap();
    let db = sea_orm::Database::connect(format!("sqlite://{}?mode=rwc", copy.display())).await.unwrap();
    let count = Statement::from_string(
        db.get_database_backend(),
        "SELECT COUNT(*) FROM blockers WHERE title LIKE 'Ghi xuống tệp %'".to_owned(),
    );
    let n: i64 = db.query_one_raw(count).await.unwrap().unwrap().try_get_by_index(0).unwrap();
    assert_eq!(n, 3, "the three acknowledged blockers are in the database file itself");
    db.close().await.unwrap();
    app.finish().await;
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn sigterm_finishes_requests_in_flight_then_exits_zero() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_coordination"))
        .arg("serve")
        .current_dir(dir.path())
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .env("PASSWORD_CONCURRENCY", "1")
        .env("LOGIN_LIMIT_PER_USER", "100")
        .env_remove("DATABASE_URL")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut password = None;
    for line in stderr.lines() {
        let line = line.unwrap();
        if let Some(rest) = line.split("password `").nth(1) {
            password = rest.split('`').next().map(str::to_owned);
            break;
        }
    }
    let password = password.expect("the first admin's password is printed");
    // With no settings: a SQLite file in the working directory, and a generated secret beside it
    // that only the owner can read.
    assert!(dir.path().join("coordination.db").exists());
    let secret = dir.path().join("coordination.db.jwt-secret");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&secret).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(std::fs::read_to_string(&secret).unwrap().trim().len() >= 32);
    let base = format!("http://127.0.0.1:{port}/graphql");
    let client = reqwest::Client::new();
    let ready = Instant::now();
    while client.get(format!("http://127.0.0.1:{port}/healthz")).send().await.is_err() {
        assert!(ready.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Twelve logins, one password check at a time: they take a while to drain.
    let login = json!({ "query": "mutation($p: String!) { login(username: \"admin\", password: $p) { token } }", "variables": { "p": password } });
    let mut in_flight = Vec::new();
    for _ in 0..12 {
        let (client, base, login) = (client.clone(), base.clone(), login.clone());
        in_flight.push(tokio::spawn(async move {
            client.post(&base).json(&login).send().await.map(|r| r.status().as_u16())
        }));
    }
    tokio::time::sleep(Duration::from_millis(30)).await;
    let status = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().unwrap();
    assert!(status.success());
    for request in in_flight {
        assert_eq!(request.await.unwrap().expect("an in-flight request completes"), 200);
    }
    let exit = tokio::task::spawn_blocking(move || child.wait().unwrap()).await.unwrap();
    assert_eq!(exit.code(), Some(0), "exits 0 after SIGTERM");
    assert!(client.get(format!("http://127.0.0.1:{port}/healthz")).send().await.is_err(), "no longer accepting");
}
