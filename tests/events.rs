//! Live updates and scripts: subscriptions over WebSocket (across instances on PostgreSQL),
//! signed webhooks with retries, incremental sync, exports, and urging.

mod common;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use common::{apps, ministry_id, task_by_code, Session, TestApp};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

#[derive(Debug, PartialEq)]
enum Frame {
    Json(Value),
    Closed(u16),
    Timeout,
}

async fn connect(app: &TestApp, protocol: &str) -> Ws {
    let mut req = format!("{}/graphql", app.base.replace("http://", "ws://")).into_client_request().unwrap();
    req.headers_mut().insert("sec-websocket-protocol", protocol.parse().unwrap());
    tokio_tungstenite::connect_async(req).await.expect("websocket").0
}

async fn next(ws: &mut Ws, wait: Duration) -> Frame {
    loop {
        match tokio::time::timeout(wait, ws.next()).await {
            Err(_) => return Frame::Timeout,
            Ok(None) => return Frame::Closed(0),
            Ok(Some(Err(_))) => return Frame::Closed(0),
            Ok(Some(Ok(Message::Text(t)))) => {
                let v: Value = serde_json::from_str(&t).unwrap();
                if matches!(v["type"].as_str(), Some("ping" | "pong" | "ka")) {
                    continue;
                }
                return Frame::Json(v);
            }
            Ok(Some(Ok(Message::Close(frame)))) => return Frame::Closed(frame.map(|f| u16::from(f.code)).unwrap_or(0)),
            Ok(Some(Ok(_))) => continue,
        }
    }
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string().into())).await.unwrap();
}

/// Connects with `graphql-transport-ws`, initialises with `token`, returns the socket and the answer.
async fn subscriber(app: &TestApp, token: Option<&str>) -> (Ws, Frame) {
    let mut ws = connect(app, "graphql-transport-ws").await;
    let payload = match token {
        Some(t) => json!({ "Authorization": format!("Bearer {t}") }),
        None => json!({}),
    };
    send(&mut ws, json!({ "type": "connection_init", "payload": payload })).await;
    let answer = next(&mut ws, Duration::from_secs(5)).await;
    (ws, answer)
}

async fn subscribe(ws: &mut Ws, id: &str, query: &str) {
    send(ws, json!({ "id": id, "type": "subscribe", "payload": { "query": query } })).await;
}

const BLOCKER_EVENTS: &str = "subscription { blockerEvents { kind actor blocker { title status raisedBy { code } } } }";

fn blocker_input(title: &str) -> Value {
    json!({ "title": title, "description": "Thủ tục cấp phép bay thử UAV kéo dài.", "severity": "HIGH", "category": "INSTITUTIONS_AND_LAW" })
}

const RAISE: &str = "mutation($i: RaiseBlockerInput!) { raiseBlocker(input: $i) { id version } }";

#[tokio::test]
async fn a_subscriber_sees_blockers_raised_on_its_instance() {
    for app in apps().await {
        let observer = app.observer().await;
        let mod_officer = app.officer_of("MOD").await;
        let (mut ws, ack) = subscriber(&app, Some(&observer.token)).await;
        assert_eq!(ack, Frame::Json(json!({ "type": "connection_ack" })), "[{}]", app.backend);
        subscribe(&mut ws, "1", BLOCKER_EVENTS).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        mod_officer.data(RAISE, json!({ "i": blocker_input("Cấp phép bay thử UAV") })).await;
        let Frame::Json(msg) = next(&mut ws, Duration::from_secs(1)).await else {
            panic!("[{}] no event within a second", app.backend)
        };
        assert_eq!(msg["type"], "next");
        assert_eq!(msg["payload"]["data"]["blockerEvents"]["kind"], "RAISED");
        assert_eq!(
            msg["payload"]["data"]["blockerEvents"]["blocker"],
            json!({ "title": "Cấp phép bay thử UAV", "status": "OPEN", "raisedBy": { "code": "MOD" } })
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn an_event_committed_on_one_instance_reaches_subscribers_of_another() {
    let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("skipped: set TEST_DATABASE_URL to a PostgreSQL server to run the two-instance test");
        return;
    };
    let a = TestApp::postgres(&url).await;
    let b = a.second_instance().await;
    let officer = a.officer_of("MPS").await;
    let observer_token = {
        let s = a.observer().await;
        s.token.clone()
    };
    let (mut ws, ack) = subscriber(&b, Some(&observer_token)).await;
    assert_eq!(ack, Frame::Json(json!({ "type": "connection_ack" })));
    subscribe(&mut ws, "s", BLOCKER_EVENTS).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    officer.data(RAISE, json!({ "i": blocker_input("Chia sẻ dữ liệu dân cư") })).await;
    let frame = next(&mut ws, Duration::from_secs(1)).await;
    let Frame::Json(msg) = frame else { panic!("instance B saw nothing within a second: {frame:?}") };
    assert_eq!(msg["payload"]["data"]["blockerEvents"]["blocker"]["raisedBy"]["code"], "MPS");
    eprintln!("cross-instance delivery took {:?}", started.elapsed());
    b.finish().await;
    a.finish().await;
}

#[tokio::test]
async fn subscribers_without_a_valid_token_or_permission_are_refused() {
    for app in apps().await {
        let (_, answer) = subscriber(&app, None).await;
        assert_eq!(answer, Frame::Closed(4403), "[{}] no token", app.backend);
        let (_, answer) = subscriber(&app, Some("not-a-token")).await;
        assert_eq!(answer, Frame::Closed(4403));
        let now = chrono::Utc::now().timestamp();
        let admin = app.admin().await;
        let claims = json!({ "sub": admin.user_id, "iss": "coordination", "aud": "coordination-api", "iat": now - 7200, "nbf": now - 7200, "exp": now - 3600, "jti": "x" });
        let expired = jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(common::SECRET.as_bytes()),
        )
        .unwrap();
        let (_, answer) = subscriber(&app, Some(&expired)).await;
        assert_eq!(answer, Frame::Closed(4403), "expired token");

        // A script that may read tasks only is refused blocker events, without losing the socket.
        let d = admin.data("mutation { createServiceToken(input: { name: \"tasks only\", scopes: [TASKS_READ] }) { token serviceToken { id } } }", json!({})).await;
        let token = d["createServiceToken"]["token"].as_str().unwrap().to_owned();
        let (mut ws, ack) = subscriber(&app, Some(&token)).await;
        assert_eq!(ack, Frame::Json(json!({ "type": "connection_ack" })));
        subscribe(&mut ws, "b", BLOCKER_EVENTS).await;
        let Frame::Json(msg) = next(&mut ws, Duration::from_secs(2)).await else { panic!("no answer") };
        // Refused by the resolver: a result carrying the error (graphql-transport-ws `next`), or an `error` message.
        let code = match msg["type"].as_str() {
            Some("next") => msg["payload"]["errors"][0]["extensions"]["code"].clone(),
            _ => msg["payload"][0]["extensions"]["code"].clone(),
        };
        assert_eq!(code, "FORBIDDEN", "{msg}");
        assert!(msg["payload"]["data"].is_null() || msg["payload"]["data"]["blockerEvents"].is_null());

        // Revoked while subscribed: the socket is closed with 4403 at the next check.
        let id = d["createServiceToken"]["serviceToken"]["id"].clone();
        admin.data("mutation($id: ID!) { revokeServiceToken(id: $id) { id } }", json!({ "id": id })).await;
        let mut frame = next(&mut ws, Duration::from_secs(3)).await;
        if frame == Frame::Json(json!({ "id": "b", "type": "complete" })) {
            frame = next(&mut ws, Duration::from_secs(3)).await;
        }
        assert_eq!(frame, Frame::Closed(4403), "revoked token");
        app.finish().await;
    }
}

#[tokio::test]
async fn the_older_graphql_ws_subprotocol_also_works() {
    let app = TestApp::sqlite().await;
    let observer = app.observer().await;
    let mut ws = connect(&app, "graphql-ws").await;
    send(&mut ws, json!({ "type": "connection_init", "payload": { "authToken": observer.token } })).await;
    assert_eq!(next(&mut ws, Duration::from_secs(2)).await, Frame::Json(json!({ "type": "connection_ack" })));
    send(&mut ws, json!({ "id": "1", "type": "start", "payload": { "query": BLOCKER_EVENTS } })).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.officer_of("MOC").await.data(RAISE, json!({ "i": blocker_input("Tiêu chuẩn xây dựng số") })).await;
    let Frame::Json(msg) = next(&mut ws, Duration::from_secs(2)).await else { panic!("no event") };
    assert_eq!(msg["type"], "data");
    assert_eq!(msg["payload"]["data"]["blockerEvents"]["blocker"]["raisedBy"]["code"], "MOC");
    app.finish().await;
}

/// One call a receiver got: headers, body, and the status it answered.
type Call = (HeaderMap, Vec<u8>, u16);

/// A local webhook receiver that fails the first `failures` calls and records the rest.
#[derive(Clone, Default)]
struct Receiver {
    calls: Arc<Mutex<Vec<Call>>>,
    failures: usize,
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: axum::body::Bytes) -> StatusCode {
    let mut calls = r.calls.lock().unwrap();
    let status = if calls.len() < r.failures { 500 } else { 200 };
    calls.push((headers, body.to_vec(), status));
    StatusCode::from_u16(status).unwrap()
}

async fn start_receiver(failures: usize) -> (String, Receiver) {
    let receiver = Receiver { failures, ..Default::default() };
    let router = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{addr}/hook"), receiver)
}

async fn wait_for(mut check: impl FnMut() -> bool, within: Duration) -> bool {
    let until = std::time::Instant::now() + within;
    while std::time::Instant::now() < until {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    check()
}

const SECRET: &str = "webhook-secret-0123456789";

fn verify(body: &[u8], header: &str) -> bool {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    header.strip_prefix("sha256=").and_then(|h| hex::decode(h).ok()).is_some_and(|sig| mac.verify_slice(&sig).is_ok())
}

#[tokio::test]
async fn webhooks_are_signed_and_retried_until_delivered() {
    for app in apps().await {
        let sec = app.secretariat().await;
        let (url, receiver) = start_receiver(2).await;
        sec.data("mutation($u: String!, $s: String!) { createWebhook(input: { url: $u, events: [\"blocker.raised\", \"blocker.forwarded\"], secret: $s }) { id } }", json!({ "u": url, "s": SECRET })).await;
        let officer = app.officer_of("MOIT").await;
        let d = officer.data(RAISE, json!({ "i": blocker_input("Thiếu cơ chế thử nghiệm có kiểm soát") })).await;
        let blocker = d["raiseBlocker"]["id"].as_str().unwrap().to_owned();
        let calls = receiver.calls.clone();
        assert!(
            wait_for(|| calls.lock().unwrap().len() >= 3, Duration::from_secs(10)).await,
            "[{}] three attempts",
            app.backend
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        let calls = receiver.calls.lock().unwrap().clone();
        assert_eq!(
            calls.iter().map(|c| c.2).collect::<Vec<_>>(),
            [500, 500, 200],
            "[{}] delivered on the third try, then no more",
            app.backend
        );
        let (headers, body, _) = &calls[2];
        assert!(verify(body, headers["x-coordination-signature"].to_str().unwrap()), "the signature verifies");
        assert!(!verify(b"tampered", headers["x-coordination-signature"].to_str().unwrap()));
        let event: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(event["event"], "blocker.raised");
        assert_eq!(event["data"]["blockerId"], blocker);
        assert_eq!(headers["x-coordination-event"], "blocker.raised");
        let d = sec.data("{ webhookDeliveries { nodes { event status attempts lastStatusCode } } }", json!({})).await;
        assert_eq!(
            d["webhookDeliveries"]["nodes"],
            json!([{ "event": "blocker.raised", "status": "DELIVERED", "attempts": 3, "lastStatusCode": 200 }])
        );
        // A refused transition announces nothing; the delivery log does not grow.
        let body = officer
            .send(
                "mutation($id: ID!) { acknowledgeBlocker(id: $id, expectedVersion: 1) { id } }",
                json!({ "id": blocker }),
            )
            .await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(receiver.calls.lock().unwrap().len(), 3);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_rolled_back_change_delivers_nothing() {
    for app in apps().await {
        let sec = app.secretariat().await;
        let (url, receiver) = start_receiver(0).await;
        sec.data("mutation($u: String!, $s: String!) { createWebhook(input: { url: $u, events: [\"*\"], secret: $s }) { id } }", json!({ "u": url, "s": SECRET })).await;
        let (mut ws, _) = subscriber(&app, Some(&sec.token)).await;
        subscribe(&mut ws, "1", BLOCKER_EVENTS).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        // The same write a mutation makes, in a transaction that is then rolled back.
        {
            use sea_orm::TransactionTrait;
            let txn = app.state.db.begin().await.unwrap();
            coordination::service::events::publish(
                &txn,
                "blocker",
                "blocker.raised",
                None,
                json!({ "kind": "RAISED" }),
                chrono::Utc::now(),
            )
            .await
            .unwrap();
            txn.rollback().await.unwrap();
            app.state.events.poke();
        }
        assert_eq!(
            next(&mut ws, Duration::from_millis(1500)).await,
            Frame::Timeout,
            "[{}] no event for a rolled-back change",
            app.backend
        );
        assert!(receiver.calls.lock().unwrap().is_empty());
        let d = sec.data("{ webhookDeliveries { totalCount } }", json!({})).await;
        assert_eq!(d["webhookDeliveries"]["totalCount"], 0);
        // And a committed one does arrive, so the silence above means something.
        let officer = app.officer_of("MOH").await;
        officer.data(RAISE, json!({ "i": blocker_input("Dữ liệu y tế") })).await;
        assert!(matches!(next(&mut ws, Duration::from_secs(2)).await, Frame::Json(_)));
        let calls = receiver.calls.clone();
        assert!(wait_for(|| calls.lock().unwrap().len() == 1, Duration::from_secs(5)).await);
        app.finish().await;
    }
}

#[tokio::test]
async fn webhook_targets_are_checked() {
    let mut settings = coordination::config::ServerSettings::for_tests(common::SECRET);
    settings.events.webhook_allow_private = false;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let app = TestApp::start(coordination::config::DatabaseSettings::new(&url), "sqlite", settings).await;
    let sec = app.secretariat().await;
    let q = "mutation($u: String!) { createWebhook(input: { url: $u, events: [\"*\"], secret: \"0123456789abcdef\" }) { id } }";
    for bad in [
        "http://127.0.0.1:9/x",
        "http://localhost/x",
        "http://10.0.0.5/x",
        "http://169.254.169.254/latest",
        "ftp://example.vn/x",
        "http://[::1]/x",
    ] {
        let body = sec.send(q, json!({ "u": bad })).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{bad}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "url");
    }
    let body = sec.send("mutation { createWebhook(input: { url: \"https://hooks.example.vn/x\", events: [\"blocker.exploded\"], secret: \"0123456789abcdef\" }) { id } }", json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "events");
    sec.data("mutation { createWebhook(input: { url: \"https://hooks.example.vn/x\", events: [\"report.missing\"], secret: \"0123456789abcdef\" }) { id } }", json!({})).await;
    let officer = app.officer_of("MOF").await;
    assert_eq!(officer.error("{ webhooks { id } }", json!({})).await, "FORBIDDEN");
    app.finish().await;
}

/// Pages through `updatedSince` as a sync script would; returns the newest `updatedAt` seen.
async fn sync(s: &Session<'_>, since: &str, copy: &mut std::collections::HashMap<String, (String, i64)>) -> String {
    let q = "query($since: DateTime, $after: String) { blockers(filter: { updatedSince: $since }, orderBy: { field: UPDATED_AT }, first: 3, after: $after) {
        nodes { id status version updatedAt } pageInfo { hasNextPage endCursor } } }";
    let mut after = Value::Null;
    let mut newest = since.to_owned();
    loop {
        let d = s.data(q, json!({ "since": since, "after": after })).await;
        for n in d["blockers"]["nodes"].as_array().unwrap() {
            copy.insert(
                n["id"].as_str().unwrap().into(),
                (n["status"].as_str().unwrap().into(), n["version"].as_i64().unwrap()),
            );
            newest = n["updatedAt"].as_str().unwrap().to_owned();
        }
        if !d["blockers"]["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            return newest;
        }
        after = d["blockers"]["pageInfo"]["endCursor"].clone();
    }
}

#[tokio::test]
async fn a_script_syncing_by_updated_since_ends_with_the_servers_state() {
    for app in apps().await {
        let script = app.observer().await;
        let officer = app.officer_of("MOET").await;
        let sec = app.secretariat().await;
        let mut ids = Vec::new();
        for i in 0..8 {
            let d = officer.data(RAISE, json!({ "i": blocker_input(&format!("Vướng mắc {i}")) })).await;
            ids.push(d["raiseBlocker"]["id"].as_str().unwrap().to_owned());
        }
        let mut copy = std::collections::HashMap::new();
        let mut since = "2000-01-01T00:00:00Z".to_owned();
        // Others keep writing while the script pages.
        let writer = async {
            for (i, id) in ids.iter().enumerate().take(5) {
                let _ = sec
                    .send(
                        "mutation($id: ID!) { withdrawBlocker(id: $id, expectedVersion: 1) { id } }",
                        json!({ "id": id }),
                    )
                    .await;
                officer.data(RAISE, json!({ "i": blocker_input(&format!("Mới {i}")) })).await;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        };
        let reader = async {
            for _ in 0..4 {
                since = sync(&script, &since, &mut copy).await;
            }
        };
        tokio::join!(writer, reader);
        // A last pass after the writers stop, from the newest change seen.
        sync(&script, &since, &mut copy).await;
        let d = script.data("{ blockers(first: 500) { nodes { id status version } } }", json!({})).await;
        let server: std::collections::HashMap<String, (String, i64)> = d["blockers"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                (
                    n["id"].as_str().unwrap().into(),
                    (n["status"].as_str().unwrap().into(), n["version"].as_i64().unwrap()),
                )
            })
            .collect();
        assert_eq!(copy, server, "[{}] the script's copy equals the server's", app.backend);
        assert_eq!(server.len(), 13);
        app.finish().await;
    }
}

#[tokio::test]
async fn blocker_exports_stream_csv_and_ndjson() {
    for app in apps().await {
        let officer = app.officer_of("MAE").await;
        for i in 0..3 {
            officer.data(RAISE, json!({ "i": blocker_input(&format!("Đất đai cho khu công nghệ cao số {i}")) })).await;
        }
        let csv = app.client.get(app.url("/export/blockers.csv")).bearer_auth(&officer.token).send().await.unwrap();
        assert_eq!(csv.status(), 200);
        assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
        let bytes = csv.bytes().await.unwrap();
        assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "[{}] a BOM for Excel", app.backend);
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "a header and one row per blocker");
        assert!(lines[0].starts_with("id,title,status"));
        assert!(lines.iter().any(|l| l.contains("\"Đất đai cho khu công nghệ cao số 2\"") && l.contains("\"MAE\"")));
        let filtered = app
            .client
            .get(app.url("/export/blockers.ndjson?status=OPEN&raisedByMinistry=MAE&search=so%201"))
            .bearer_auth(&officer.token)
            .send()
            .await
            .unwrap();
        let text = filtered.text().await.unwrap();
        let rows: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["title"], "Đất đai cho khu công nghệ cao số 1");
        assert_eq!(rows[0]["raisedBy"], "MAE");
        let anonymous = app.client.get(app.url("/export/blockers.csv")).send().await.unwrap();
        assert_eq!(anonymous.status(), 401);
        let bad = app
            .client
            .get(app.url("/export/blockers.csv?status=LOST"))
            .bearer_auth(&officer.token)
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 400);
        app.finish().await;
    }
}

#[tokio::test]
async fn urging_emits_one_event_per_ministry_and_period() {
    for app in apps().await {
        app.set_now("2026-05-22T02:00:00Z");
        let sec = app.secretariat().await;
        let (url, receiver) = start_receiver(0).await;
        sec.data("mutation($u: String!, $s: String!) { createWebhook(input: { url: $u, events: [\"report.missing\"], secret: $s }) { id } }", json!({ "u": url, "s": SECRET })).await;
        let moet = app.officer_of("MOET").await;
        let (t5, _) = task_by_code(&moet, "TB22-5").await;
        moet.data("mutation($i: SubmitMonthlyReportInput!) { submitMonthlyReport(input: $i) { id } }", json!({ "i": { "taskId": t5, "period": "2026-05", "progressPercent": 50, "health": "ON_TRACK", "summary": "Đang rà soát." } })).await;
        let d = sec
            .data("{ pendingReports(period: \"2026-05\") { ministry { code } tasks { code } urgedAt } }", json!({}))
            .await;
        let by_code: std::collections::HashMap<String, Vec<String>> = d["pendingReports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["ministry"]["code"].as_str().unwrap().into(),
                    p["tasks"].as_array().unwrap().iter().map(|t| t["code"].as_str().unwrap().to_owned()).collect(),
                )
            })
            .collect();
        assert_eq!(by_code["MOET"], ["TB22-PL2D"], "[{}] TB22-5 was reported", app.backend);
        assert_eq!(by_code["MOF"], ["TB22-4B"]);
        assert_eq!(by_code["MOST"].len(), 7);
        let (mut ws, _) = subscriber(&app, Some(&sec.token)).await;
        subscribe(&mut ws, "m", "subscription { monthlyReportEvents(filter: { kinds: [MISSING] }) { kind period ministry { code } missingTasks { code } } }").await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let d = sec.data("mutation { urgeMissingReports(period: \"2026-05\") { ministry { code } } }", json!({})).await;
        assert_eq!(d["urgeMissingReports"].as_array().unwrap().len(), 3, "MOST, MOF and MOET");
        let again =
            sec.data("mutation { urgeMissingReports(period: \"2026-05\") { ministry { code } } }", json!({})).await;
        assert_eq!(again["urgeMissingReports"], json!([]), "at most once per ministry and period");
        let mut seen = Vec::new();
        while let Frame::Json(msg) = next(&mut ws, Duration::from_millis(800)).await {
            seen.push(msg["payload"]["data"]["monthlyReportEvents"]["ministry"]["code"].as_str().unwrap().to_owned());
        }
        seen.sort();
        assert_eq!(seen, ["MOET", "MOF", "MOST"]);
        let calls = receiver.calls.clone();
        assert!(wait_for(|| calls.lock().unwrap().len() == 3, Duration::from_secs(5)).await);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(receiver.calls.lock().unwrap().len(), 3);
        let d = sec.data("{ pendingReports(period: \"2026-05\") { urgedAt } }", json!({})).await;
        assert!(d["pendingReports"].as_array().unwrap().iter().all(|p| p["urgedAt"].is_string()));
        let _ = ministry_id(&sec, "MOF").await;
        app.finish().await;
    }
}

#[tokio::test]
async fn two_instances_urging_at_once_urge_each_ministry_once() {
    let Ok(url) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("skipped: set TEST_DATABASE_URL to a PostgreSQL server to run the two-instance test");
        return;
    };
    let a = TestApp::postgres(&url).await;
    let b = a.second_instance().await;
    let (ra, rb) = tokio::join!(
        coordination::service::urging::urge(&a.state, "2026-05"),
        coordination::service::urging::urge(&b.state, "2026-05")
    );
    let total = ra.unwrap().len() + rb.unwrap().len();
    assert_eq!(total, 3, "MOST, MOF and MOET, each once");
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let events = entity::outbox_event::Entity::find()
        .filter(entity::outbox_event::Column::Kind.eq("report.missing"))
        .count(&a.state.db)
        .await
        .unwrap();
    assert_eq!(events, 3);
    b.finish().await;
    a.finish().await;
}

/// The outbox's ids, oldest first, read from the database beside the server.
async fn outbox_ids(app: &TestApp) -> Vec<i64> {
    use sea_orm::{EntityTrait, QueryOrder, QuerySelect};
    entity::outbox_event::Entity::find()
        .select_only()
        .column(entity::outbox_event::Column::Id)
        .order_by_asc(entity::outbox_event::Column::Id)
        .into_tuple()
        .all(&app.state.db)
        .await
        .unwrap()
}

/// Waits until `n` deliveries are recorded as delivered: a receiver has its call a moment before
/// the server writes down the answer, and pruning takes only finished deliveries.
async fn delivered(app: &TestApp, n: u64) -> bool {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let until = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let done = entity::webhook_delivery::Entity::find()
            .filter(entity::webhook_delivery::Column::Status.eq("DELIVERED"))
            .count(&app.state.db)
            .await
            .unwrap();
        if done >= n || std::time::Instant::now() > until {
            return done >= n;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// What the server's hourly pruning does, with its own state: (deliveries, events) deleted.
async fn prune_events(app: &TestApp, days: u32) -> (u64, u64) {
    coordination::service::events::prune(&app.state, days).await.expect("pruning")
}

/// The same user with a token issued at the server's current time.
async fn signed_in_again<'a>(s: Session<'a>, username: &str) -> Session<'a> {
    let token = s.app.login(username, common::PASSWORD).await;
    Session { token, ..s }
}

/// Events and finished deliveries older than the retention go; a delivery still being retried
/// keeps its event, and new events keep rising ids.
#[tokio::test]
async fn old_events_and_finished_deliveries_are_pruned() {
    for app in common::apps_with(|s| s.events.webhook_max_attempts = 100).await {
        let long_ago = chrono::Utc::now() - chrono::Duration::days(100);
        app.set_now(&long_ago.to_rfc3339());
        let sec = app.secretariat().await;
        let (ok_url, ok_receiver) = start_receiver(0).await;
        let (failing_url, _) = start_receiver(usize::MAX).await;
        let hook = "mutation($u: String!, $s: String!, $e: [String!]!) { createWebhook(input: { url: $u, events: $e, secret: $s }) { id } }";
        sec.data(hook, json!({ "u": ok_url, "s": SECRET, "e": ["blocker.raised"] })).await;
        sec.data(hook, json!({ "u": failing_url, "s": SECRET, "e": ["blocker.forwarded"] })).await;
        let officer = app.officer_of("MOIT").await;
        let first = officer.data(RAISE, json!({ "i": blocker_input("Vướng mắc cũ thứ nhất") })).await;
        officer.data(RAISE, json!({ "i": blocker_input("Vướng mắc cũ thứ hai") })).await;
        let forward = "mutation($id: ID!, $i: ForwardBlockerInput!) { forwardBlocker(id: $id, expectedVersion: 1, input: $i) { version } }";
        let due = (long_ago + chrono::Duration::days(30)).date_naive().to_string();
        let most = ministry_id(&sec, "MOST").await;
        sec.data(
            forward,
            json!({ "id": first["raiseBlocker"]["id"], "i": { "responsibleMinistryId": most, "dueDate": due } }),
        )
        .await;
        let calls = ok_receiver.calls.clone();
        assert!(wait_for(|| calls.lock().unwrap().len() >= 2, Duration::from_secs(10)).await, "[{}]", app.backend);

        // Tokens are checked against the server's clock: sign in again after moving it.
        app.set_now(&chrono::Utc::now().to_rfc3339());
        let (sec, officer) =
            (signed_in_again(sec, "secretariat.test").await, signed_in_again(officer, "officer.moit").await);
        officer.data(RAISE, json!({ "i": blocker_input("Vướng mắc mới") })).await;
        assert!(wait_for(|| calls.lock().unwrap().len() >= 3, Duration::from_secs(10)).await, "[{}]", app.backend);
        assert!(delivered(&app, 3).await, "[{}] three deliveries recorded", app.backend);
        let before = outbox_ids(&app).await;
        assert_eq!(before.len(), 4, "[{}] three raised and one forwarded", app.backend);

        assert_eq!(prune_events(&app, 90).await, (2, 2), "[{}] two old deliveries and their events", app.backend);
        let after = outbox_ids(&app).await;
        assert_eq!(after, [before[2], before[3]], "[{}] the forwarding, still being retried, stays", app.backend);
        let d = sec.data("{ webhookDeliveries { nodes { event status } } }", json!({})).await;
        let mut left: Vec<(String, String)> = d["webhookDeliveries"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| (n["event"].as_str().unwrap().to_owned(), n["status"].as_str().unwrap().to_owned()))
            .collect();
        left.sort();
        assert_eq!(
            left,
            [("blocker.forwarded".into(), "PENDING".into()), ("blocker.raised".into(), "DELIVERED".into())],
            "[{}]",
            app.backend
        );
        assert_eq!(prune_events(&app, 90).await, (0, 0), "[{}] pruning again finds nothing", app.backend);
        let (ok, _, err) = common::coordination(&app, &["prune-events", "--days", "0"], None);
        assert!(!ok && err.contains("--days must be at least 1"), "{err}");

        // The newest event stays even when it is old, so that ids keep rising.
        app.set_now(&long_ago.to_rfc3339());
        let officer = signed_in_again(officer, "officer.moit").await;
        officer.data(RAISE, json!({ "i": blocker_input("Vướng mắc cũ cuối cùng") })).await;
        assert!(wait_for(|| calls.lock().unwrap().len() >= 4, Duration::from_secs(10)).await, "[{}]", app.backend);
        assert!(delivered(&app, 2).await, "[{}] the last delivery recorded", app.backend);
        app.set_now(&chrono::Utc::now().to_rfc3339());
        assert_eq!(prune_events(&app, 90).await, (1, 0), "[{}] the newest event stays", app.backend);
        let kept = outbox_ids(&app).await;
        assert_eq!(kept.len(), 3, "[{}]", app.backend);
        let officer = signed_in_again(officer, "officer.moit").await;
        officer.data(RAISE, json!({ "i": blocker_input("Vướng mắc sau khi dọn") })).await;
        let newest = *outbox_ids(&app).await.last().unwrap();
        assert!(newest > kept[2], "[{}] ids keep rising after pruning", app.backend);
        app.finish().await;
    }
}
