//! The `coordination` binary's commands, run as an operator would, beside a running server.

mod common;

use common::TestApp;
use serde_json::json;
use std::io::Write;
use std::process::{Command, Stdio};

fn coordination(app: &TestApp, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_coordination"))
        .args(args)
        .env("DATABASE_URL", &app.database_url)
        .env("JWT_SECRET", common::SECRET)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run coordination");
    if let Some(input) = stdin {
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("wait");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

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
