//! Test fixtures: a real server on an ephemeral port against a fresh SQLite file and, when
//! `TEST_DATABASE_URL` points at PostgreSQL, against a fresh PostgreSQL database as well.
#![allow(dead_code)]

use chrono::{DateTime, Utc};
use coordination::clock::Clock;
use coordination::config::{DatabaseSettings, ServerSettings};
use coordination::service::{users, AppState};
use coordination::startup::{self, Application};
use entity::enums::Role;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::oneshot;

pub const SECRET: &str = "test-secret-test-secret-test-secret-0123";
pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub state: Arc<AppState>,
    pub clock: Clock,
    pub backend: &'static str,
    /// The database the server uses, for commands run beside it.
    pub database_url: String,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

/// The apps every test runs against: SQLite always, PostgreSQL when configured.
pub async fn apps() -> Vec<TestApp> {
    apps_with(|_| {}).await
}

/// The same, with settings changed by `change`.
pub async fn apps_with(change: impl Fn(&mut ServerSettings)) -> Vec<TestApp> {
    let mut settings = ServerSettings::for_tests(SECRET);
    change(&mut settings);
    let mut apps = vec![TestApp::sqlite_with(settings.clone()).await];
    if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
        if url.starts_with("postgres") {
            apps.push(TestApp::postgres_with(&url, settings).await);
        }
    }
    apps
}

impl TestApp {
    pub async fn sqlite() -> Self {
        Self::sqlite_with(ServerSettings::for_tests(SECRET)).await
    }

    pub async fn sqlite_with(settings: ServerSettings) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
        let mut app = Self::start(DatabaseSettings::new(&url), "sqlite", settings).await;
        app._dir = Some(dir);
        app
    }

    pub async fn postgres(admin_url: &str) -> Self {
        Self::postgres_with(admin_url, ServerSettings::for_tests(SECRET)).await
    }

    pub async fn postgres_with(admin_url: &str, settings: ServerSettings) -> Self {
        let name = format!("coordtest_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(admin_url).await.expect("connect to TEST_DATABASE_URL");
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
        admin.close().await.ok();
        let url = with_database(admin_url, &name);
        let mut app = Self::start(DatabaseSettings::new(&url), "postgres", settings).await;
        app.pg = Some((admin_url.to_owned(), name));
        app
    }

    pub async fn start(db: DatabaseSettings, backend: &'static str, server: ServerSettings) -> Self {
        let clock = Clock::manual(Utc::now());
        let database_url = db.database_url.clone();
        let state = startup::state(&db, &server, clock.clone()).await.expect("state");
        coordination::service::seed::reference(&state).await.expect("seed");
        let app = Application::build(state.clone(), &server).await.expect("build");
        let addr = app.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until_stopped(async move {
            let _ = rx.await;
        }));
        Self {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            state,
            clock,
            backend,
            database_url,
            stop: Some(tx),
            server: Some(server),
            _dir: None,
            pg: None,
        }
    }

    /// Another server on the same database, as a second instance behind a load balancer.
    pub async fn second_instance(&self) -> TestApp {
        Self::start(DatabaseSettings::new(&self.database_url), self.backend, ServerSettings::for_tests(SECRET)).await
    }

    /// Stops the server and drops a PostgreSQL test database.
    pub async fn finish(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.state.db.clone().close().await.ok();
        if let Some((admin_url, name)) = self.pg.take() {
            if let Ok(admin) = Database::connect(&admin_url).await {
                let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
                admin.close().await.ok();
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn set_now(&self, rfc3339: &str) {
        self.clock.set(DateTime::parse_from_rfc3339(rfc3339).expect("time").with_timezone(&Utc));
    }

    /// POSTs an operation; returns the JSON answer whatever the status.
    pub async fn post(&self, token: Option<&str>, query: &str, variables: Value) -> (u16, Value) {
        let mut req = self.client.post(self.url("/graphql")).json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Creates a user with `role` (and ministry code) directly, then signs in over HTTP.
    pub async fn session(&self, username: &str, role: Role, ministry: Option<&str>) -> Session<'_> {
        let input = users::UserInput {
            username: username.into(),
            display_name: Some(format!("{username} (test)")),
            role,
            ministry_code: ministry.map(Into::into),
            ministry_id: None,
            password: PASSWORD.into(),
        };
        let user = users::create_user(&self.state, &users::command_line_actor(), input).await.expect("create user");
        let token = self.login(username, PASSWORD).await;
        Session { app: self, token, user_id: user.id.to_string() }
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let (_, body) = self
            .post(
                None,
                "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }",
                json!({ "u": username, "p": password }),
            )
            .await;
        body["data"]["login"]["token"].as_str().unwrap_or_else(|| panic!("login failed: {body}")).to_owned()
    }

    pub async fn admin(&self) -> Session<'_> {
        self.session("admin.test", Role::Admin, None).await
    }
    pub async fn secretariat(&self) -> Session<'_> {
        self.session("secretariat.test", Role::Secretariat, Some("MOST")).await
    }
    pub async fn chair(&self) -> Session<'_> {
        self.session("chair.test", Role::Chair, None).await
    }
    pub async fn observer(&self) -> Session<'_> {
        self.session("observer.test", Role::Observer, None).await
    }
    pub async fn officer_of(&self, code: &str) -> Session<'_> {
        self.session(&format!("officer.{}", code.to_lowercase()), Role::MinistryOfficer, Some(code)).await
    }

    /// POSTs an operation; returns the answer and the SQL statements the server ran for it.
    pub async fn post_counted(&self, token: &str, query: &str, variables: Value) -> (Value, u64) {
        let res = self
            .client
            .post(self.url("/graphql"))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request");
        let count = res.headers()["x-sql-statements"].to_str().expect("header").parse().expect("count");
        (res.json().await.expect("json"), count)
    }
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let prefix = match base.rfind('/') {
        Some(i) if i > base.find("://").map(|s| s + 2).unwrap_or(0) => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

/// A signed-in caller.
pub struct Session<'a> {
    pub app: &'a TestApp,
    pub token: String,
    pub user_id: String,
}

impl Session<'_> {
    /// The whole answer.
    pub async fn send(&self, query: &str, variables: Value) -> Value {
        self.app.post(Some(&self.token), query, variables).await.1
    }

    /// `data`, failing the test on any error.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.send(query, variables).await;
        assert!(body.get("errors").is_none(), "[{}] unexpected errors: {body}", self.app.backend);
        body["data"].clone()
    }

    /// The `extensions.code` of the first error, failing the test if there is none.
    pub async fn error(&self, query: &str, variables: Value) -> String {
        let body = self.send(query, variables).await;
        body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("[{}] expected an error, got {body}", self.app.backend))
            .to_owned()
    }
}

/// The id of a ministry by code.
pub async fn ministry_id(s: &Session<'_>, code: &str) -> String {
    let d = s.data("query($c: String) { ministry(code: $c) { id } }", json!({ "c": code })).await;
    d["ministry"]["id"].as_str().expect("ministry").to_owned()
}

/// The id and version of a seeded task by code.
pub async fn task_by_code(s: &Session<'_>, code: &str) -> (String, i64) {
    let d = s
        .data(
            "query($q: String) { tasks(filter: { search: $q }, first: 5) { nodes { id code version } } }",
            json!({ "q": code }),
        )
        .await;
    let node =
        d["tasks"]["nodes"].as_array().expect("nodes").iter().find(|n| n["code"] == code).cloned().expect("task");
    (node["id"].as_str().expect("id").to_owned(), node["version"].as_i64().expect("version"))
}

/// Runs the `coordination` binary against `app`'s database, as an operator would beside the
/// running server: (success, stdout, stderr).
pub fn coordination(app: &TestApp, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_coordination"))
        .args(args)
        .env("DATABASE_URL", &app.database_url)
        .env("JWT_SECRET", SECRET)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run coordination");
    if let Some(input) = stdin {
        std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), input.as_bytes()).expect("write stdin");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("wait");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
