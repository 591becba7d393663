//! The `coordination` binary's commands, run as an operator would, beside a running server.

mod common;

use common::{coordination, TestApp};
use serde_json::json;
use std::process::Command;

#[tokio::test]
async fn operators_create_users_and_service_tokens() {
    for app in common::apps().await {
        let (ok, _, err) = coordination(
            &app,
            &[
                "create-user",
                "--username",
                "can.bo.moh",
                "--role",
                "MINISTRY_OFFICER",
                "--ministry",
                "MOH",
                "--display-name",
                "Cán bộ Bộ Y tế",
                "--password-stdin",
            ],
            Some("mat khau du dai 123\n"),
        );
        assert!(ok, "[{}] {err}", app.backend);
        let token = app.login("can.bo.moh", "mat khau du dai 123").await;
        let (_, body) = app.post(Some(&token), "{ me { role displayName } }", json!({})).await;
        assert_eq!(body["data"]["me"], json!({ "role": "MINISTRY_OFFICER", "displayName": "Cán bộ Bộ Y tế" }));

        let (ok, _, err) = coordination(
            &app,
            &["create-user", "--username", "x", "--role", "MINISTRY_OFFICER", "--password-stdin"],
            Some("mat khau du dai 123"),
        );
        assert!(!ok && err.contains("MINISTRY_OFFICER"), "a ministry is required: {err}");
        let (ok, _, err) = coordination(
            &app,
            &["create-user", "--username", "y", "--role", "KING", "--password-stdin"],
            Some("mat khau du dai 123"),
        );
        assert!(!ok && err.contains("unknown role"), "{err}");

        let (ok, out, err) = coordination(
            &app,
            &[
                "create-service-token",
                "--name",
                "Hệ thống Bộ Y tế",
                "--scope",
                "reports:write",
                "--scope",
                "read",
                "--ministry",
                "MOH",
                "--expires-in",
                "30",
            ],
            None,
        );
        assert!(ok, "{err}");
        let token = out.trim();
        assert!(token.starts_with("cst_"));
        let (_, body) = app.post(Some(token), "{ me { kind scopes ministryId } }", json!({})).await;
        assert_eq!(body["data"]["me"]["kind"], "SERVICE");
        assert_eq!(body["data"]["me"]["scopes"], json!(["READ", "REPORTS_WRITE"]));
        let (ok, _, err) = coordination(&app, &["create-service-token", "--name", "n", "--scope", "everything"], None);
        assert!(!ok && err.contains("unknown scope"), "{err}");
        app.finish().await;
    }
}

#[tokio::test]
async fn seed_demo_export_schema_and_the_vietnamese_report() {
    let app = TestApp::sqlite().await;
    let (ok, out, err) = coordination(&app, &["seed", "--demo"], None);
    assert!(ok, "{err}");
    assert!(err.contains("added 0 ministries"), "seeding twice changes nothing: {err}");
    let line = out.lines().find(|l| l.trim_start().starts_with("demo.chair")).expect("demo chair");
    let password = line.split_whitespace().last().unwrap();
    let token = app.login("demo.chair", password).await;
    let (_, body) = app.post(Some(&token), "{ me { role } }", json!({})).await;
    assert_eq!(body["data"]["me"]["role"], "CHAIR");

    let (ok, sdl, _) = coordination(&app, &["export-schema"], None);
    assert!(ok);
    assert_eq!(sdl, coordination::graphql::sdl());
    let out = tempfile::NamedTempFile::new().unwrap();
    let (ok, _, err) = coordination(&app, &["export-schema", "--out", out.path().to_str().unwrap()], None);
    assert!(ok, "{err}");
    assert_eq!(std::fs::read_to_string(out.path()).unwrap(), sdl);
    let (ok, _, err) = coordination(&app, &["migrate"], None);
    assert!(ok && err.contains("migrations applied"), "migrating an up-to-date database is a no-op: {err}");

    let (ok, md, err) = coordination(&app, &["report", "--period", "2026-05"], None);
    assert!(ok, "{err}");
    assert!(md.starts_with("# Báo cáo tình hình thực hiện nhiệm vụ — kỳ 05/2026"), "{md}");
    assert!(md.contains("Tổ Công tác của Chính phủ về phát triển công nghệ chiến lược"));
    assert!(md.contains("Số liệu từ ngày 15/04/2026 đến ngày 14/05/2026"));
    assert!(md.contains("| Quá hạn chưa hoàn thành | 10 |"), "the ten active tasks are past due today: {md}");
    assert!(md.contains("- Bộ Tài chính: TB22-4B"), "MOF's missing report is listed for urging");
    let (ok, _, err) = coordination(&app, &["report", "--period", "2026-13"], None);
    assert!(!ok && err.contains("period"), "{err}");
    app.finish().await;
}

/// The Python script in the README, run as printed against a live server.
#[tokio::test]
async fn the_readme_script_pulls_every_open_blocker() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("<!-- open-blockers.py -->\n```python\n").expect("the script in the README")
        + "<!-- open-blockers.py -->\n```python\n".len();
    let script = &readme[start..start + readme[start..].find("```").unwrap()];
    assert!(script.lines().count() <= 22, "a short script");
    let app = TestApp::sqlite().await;
    let officer = app.officer_of("VAST").await;
    let raise = "mutation($t: String!) { raiseBlocker(input: { title: $t, description: \"Thiết bị đo chưa được thông quan.\", severity: LOW, category: INFRASTRUCTURE_AND_DATA }) { id version } }";
    for i in 0..3 {
        officer.data(raise, json!({ "t": format!("Phòng thí nghiệm trọng điểm {i}") })).await;
    }
    let d = officer.data(raise, json!({ "t": "Đã rút" })).await;
    officer
        .data(
            "mutation($id: ID!) { withdrawBlocker(id: $id, expectedVersion: 1) { id } }",
            json!({ "id": d["raiseBlocker"]["id"] }),
        )
        .await;
    let app_url = app.url("/graphql");
    let token = officer.token.clone();
    let script = script.to_owned();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg("-c")
            .arg(script)
            .env("COORDINATION_URL", app_url)
            .env("COORDINATION_TOKEN", token)
            .output()
    })
    .await
    .unwrap()
    .expect("python3");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let pulled: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let titles: Vec<&str> = pulled.as_array().unwrap().iter().map(|b| b["title"].as_str().unwrap()).collect();
    assert_eq!(titles.len(), 3, "open blockers only: {titles:?}");
    assert!(titles.contains(&"Phòng thí nghiệm trọng điểm 0"));
    assert_eq!(pulled[0]["raisedBy"]["code"], "VAST");
    app.finish().await;
}

#[tokio::test]
async fn the_urge_command_urges_once() {
    let app = TestApp::sqlite().await;
    let (ok, out, err) = coordination(&app, &["urge", "--period", "2026-05"], None);
    assert!(ok, "{err}");
    assert_eq!(out.lines().filter(|l| l.starts_with("urged ")).count(), 3, "{out}");
    let (ok, out, err) = coordination(&app, &["urge", "--period", "2026-05"], None);
    assert!(ok);
    assert_eq!(out.lines().count(), 0, "{out}");
    assert!(err.contains("urged 0 ministries now; 3 had been urged before"), "{err}");
    app.finish().await;
}

/// What a generated dataset holds, as the API shows it: counts, and every task's code, status and
/// lead ministry.
async fn dataset_fingerprint(app: &TestApp) -> serde_json::Value {
    let token = app.login("bench.secretariat", coordination::service::dataset::PASSWORD).await;
    let query = "{ ministries(first: 1) { totalCount }
        tasks(orderBy: { field: CODE }, first: 100) { totalCount nodes { code status leadMinistry { code } } }
        monthlyReports(first: 1) { totalCount }
        blockers(first: 1) { totalCount }
        open: blockers(filter: { status: [OPEN, FORWARDED, IN_PROGRESS, ESCALATED] }, first: 1) { totalCount } }";
    let (status, body) = app.post(Some(&token), query, json!({})).await;
    assert_eq!(status, 200);
    assert!(body.get("errors").is_none(), "{body}");
    body["data"].clone()
}

/// `generate` fills a fresh database with the planned agencies and the history times the scale,
/// the same from the same seed on every database, showing its progress; it refuses a second run.
#[tokio::test]
async fn generate_builds_the_same_dataset_from_the_same_seed() {
    let mut apps = common::apps().await;
    if apps.len() == 1 {
        apps.push(TestApp::sqlite().await);
    }
    let mut fingerprints = Vec::new();
    for app in &apps {
        let before = app
            .admin()
            .await
            .data("{ tasks { totalCount } monthlyReports { totalCount } blockers { totalCount } }", json!({}))
            .await;
        let count = |data: &serde_json::Value, what: &str| data[what]["totalCount"].as_i64().unwrap();
        let (ok, _, err) = coordination(app, &["generate", "--scale", "0.01", "--seed", "11"], None);
        assert!(ok, "{}: {err}", app.backend);
        for step in ["agencies", "tasks", "monthly reports", "blockers", "generated in"] {
            assert!(err.contains(step), "{}: progress names {step}: {err}", app.backend);
        }
        let data = dataset_fingerprint(app).await;
        assert_eq!(data["ministries"]["totalCount"], 100, "the 100 planned agencies at every scale");
        // The reference tasks of the seed documents, then the generated history.
        assert_eq!(count(&data, "tasks"), count(&before, "tasks") + 50);
        assert_eq!(data["tasks"]["nodes"].as_array().unwrap().len() as i64, count(&data, "tasks"));
        assert_eq!(count(&data, "monthlyReports"), count(&before, "monthlyReports") + 3_000);
        assert_eq!(count(&data, "blockers"), count(&before, "blockers") + 500);
        let open = data["open"]["totalCount"].as_i64().unwrap();
        assert!((25..=80).contains(&open), "about 10% unresolved: {open}");

        let (ok, _, err) = coordination(app, &["generate", "--scale", "0.01", "--seed", "12"], None);
        assert!(!ok && err.contains("already holds a generated dataset"), "{err}");
        assert_eq!(dataset_fingerprint(app).await, data, "a refused run changes nothing");
        let (ok, _, err) = coordination(app, &["generate", "--scale", "0"], None);
        assert!(!ok && err.contains("--scale must be between"), "{err}");
        fingerprints.push(data);
    }
    assert_eq!(fingerprints[0], fingerprints[1], "same seed, same data ({} and {})", apps[0].backend, apps[1].backend);
    for app in apps {
        app.finish().await;
    }
}
