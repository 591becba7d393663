//! Every refusal: roles against mutations they may not call, officers against other ministries'
//! objects, invalid transitions, stale versions, idempotent retries and bad input. A refusal
//! answers with the right code and changes nothing.

mod common;

use common::{apps, ministry_id, task_by_code, Session, TestApp};
use serde_json::{json, Value};

async fn audit_count(app: &TestApp) -> u64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    entity::audit_event::Entity::find().count(&app.state.db).await.unwrap()
}

/// Asserts `code` and that no audit event (so no mutation) was written.
async fn refused(s: &Session<'_>, code: &str, query: &str, vars: Value) {
    let before = audit_count(s.app).await;
    let got = s.error(query, vars.clone()).await;
    assert_eq!(got, code, "[{}] {query} with {vars}", s.app.backend);
    assert_eq!(audit_count(s.app).await, before, "[{}] a refused call wrote something: {query}", s.app.backend);
}

const RAISE: &str =
    "mutation($i: RaiseBlockerInput!, $k: String) { raiseBlocker(input: $i, idempotencyKey: $k) { id version } }";
const SUBMIT: &str = "mutation($i: SubmitMonthlyReportInput!, $k: String) { submitMonthlyReport(input: $i, idempotencyKey: $k) { id revision } }";
const UPDATE_TASK: &str = "mutation($id: ID!, $v: Int!, $i: UpdateTaskInput!) { updateTask(id: $id, expectedVersion: $v, input: $i) { version title } }";

fn blocker_input() -> Value {
    json!({ "title": "Thiếu dữ liệu dùng chung", "description": "Chưa có quy định chia sẻ dữ liệu.", "severity": "MEDIUM", "category": "INFRASTRUCTURE_AND_DATA" })
}

#[tokio::test]
async fn each_role_is_refused_what_it_may_not_do() {
    for app in apps().await {
        app.set_now("2026-05-10T03:00:00Z");
        let admin = app.admin().await;
        let observer = app.observer().await;
        let officer = app.officer_of("MOST").await;
        let chair = app.chair().await;
        let sec = app.secretariat().await;
        let (task, v) = task_by_code(&admin, "TB22-1").await;
        let most = ministry_id(&admin, "MOST").await;
        let mut as_most = blocker_input();
        as_most["raisedByMinistryId"] = json!(most);
        let d = admin.data(RAISE, json!({ "i": as_most })).await;
        let blocker = d["raiseBlocker"]["id"].clone();
        let calls: Vec<(&str, Value, Vec<&Session>)> = vec![
            ("mutation($i: CreateUserInput!) { createUser(input: $i) { id } }", json!({ "i": { "username": "x.y", "role": "OBSERVER", "password": "long enough password" } }), vec![&observer, &officer, &chair, &sec]),
            ("mutation($i: CreateServiceTokenInput!) { createServiceToken(input: $i) { token } }", json!({ "i": { "name": "t", "scopes": ["READ"] } }), vec![&observer, &officer, &chair, &sec]),
            ("mutation($i: CreateMinistryInput!) { createMinistry(input: $i) { id } }", json!({ "i": { "code": "NEW", "nameVi": "Mới", "nameEn": "New", "kind": "OTHER" } }), vec![&observer, &officer, &chair]),
            ("mutation($i: CreateDirectiveInput!) { createDirective(input: $i) { id } }", json!({ "i": { "number": "1/TB", "title": "t", "issuer": "i", "issuedOn": "2026-05-01" } }), vec![&observer, &officer, &chair]),
            ("mutation($i: CreateTaskInput!) { createTask(input: $i) { id } }", json!({ "i": { "title": "t", "leadMinistryId": most } }), vec![&observer, &officer, &chair]),
            (UPDATE_TASK, json!({ "id": task, "v": v, "i": { "title": "x" } }), vec![&observer, &officer, &chair]),
            ("mutation($id: ID!, $v: Int!) { completeTask(id: $id, expectedVersion: $v) { id } }", json!({ "id": task, "v": v }), vec![&observer, &officer]),
            ("mutation($id: ID!, $v: Int!) { cancelTask(id: $id, expectedVersion: $v, input: { reason: \"r\" }) { id } }", json!({ "id": task, "v": v }), vec![&observer, &officer]),
            (SUBMIT, json!({ "i": { "taskId": task, "period": "2026-05", "progressPercent": 10, "health": "ON_TRACK", "summary": "s" } }), vec![&observer, &chair, &sec]),
            (RAISE, json!({ "i": blocker_input() }), vec![&observer, &chair]),
            ("mutation($id: ID!) { forwardBlocker(id: $id, expectedVersion: 1, input: { responsibleMinistryId: \"00000000-0000-0000-0000-000000000000\", dueDate: \"2026-06-01\" }) { id } }", json!({ "id": blocker }), vec![&observer, &officer, &chair]),
        ];
        for (query, vars, who) in calls {
            for s in who {
                refused(s, "FORBIDDEN", query, vars.clone()).await;
            }
        }
        app.finish().await;
    }
}

#[tokio::test]
async fn officers_act_only_for_their_own_ministry() {
    for app in apps().await {
        app.set_now("2026-05-10T03:00:00Z");
        let sec = app.secretariat().await;
        let moit = app.officer_of("MOIT").await;
        let (moet_task, _) = task_by_code(&sec, "TB22-5").await; // MOET leads, nobody cooperates
        let (most_task, _) = task_by_code(&sec, "TB22-1").await; // MOIT cooperates
        let report = |t: &str| json!({ "i": { "taskId": t, "period": "2026-05", "progressPercent": 10, "health": "AT_RISK", "summary": "Đang triển khai." } });
        refused(&moit, "FORBIDDEN", SUBMIT, report(&moet_task)).await;
        // For a task it cooperates on, it may report its own part, but not as another ministry.
        moit.data(SUBMIT, report(&most_task)).await;
        let most = ministry_id(&sec, "MOST").await;
        let mut as_most = report(&most_task);
        as_most["i"]["ministryId"] = json!(most);
        refused(&moit, "FORBIDDEN", SUBMIT, as_most).await;
        let mut raise_as_most = blocker_input();
        raise_as_most["raisedByMinistryId"] = json!(most);
        refused(&moit, "FORBIDDEN", RAISE, json!({ "i": raise_as_most })).await;
        // A blocker forwarded to MOF: MOIT may not work on it, nor withdraw one it did not raise.
        let d = sec.data(RAISE, json!({ "i": blocker_input(), "k": null })).await;
        let b = d["raiseBlocker"]["id"].clone();
        let mof = ministry_id(&sec, "MOF").await;
        sec.data(
            "mutation($id: ID!, $m: ID!) { forwardBlocker(id: $id, expectedVersion: 1, input: { responsibleMinistryId: $m, dueDate: \"2026-06-01\" }) { id } }",
            json!({ "id": b, "m": mof }),
        )
        .await;
        refused(
            &moit,
            "FORBIDDEN",
            "mutation($id: ID!) { acknowledgeBlocker(id: $id, expectedVersion: 2) { id } }",
            json!({ "id": b }),
        )
        .await;
        refused(
            &moit,
            "FORBIDDEN",
            "mutation($id: ID!) { withdrawBlocker(id: $id, expectedVersion: 2) { id } }",
            json!({ "id": b }),
        )
        .await;
        refused(
            &moit,
            "FORBIDDEN",
            "mutation($id: ID!) { commentOnBlocker(id: $id, expectedVersion: 2, input: { note: \"x\" }) { id } }",
            json!({ "id": b }),
        )
        .await;
        app.finish().await;
    }
}

#[tokio::test]
async fn service_tokens_act_as_their_ministry_and_no_more() {
    for app in apps().await {
        app.set_now("2026-05-10T03:00:00Z");
        let admin = app.admin().await;
        let moit = ministry_id(&admin, "MOIT").await;
        let d = admin
            .data("mutation($m: ID) { createServiceToken(input: { name: \"MOIT system\", scopes: [REPORTS_WRITE], ministryId: $m }) { token } }", json!({ "m": moit }))
            .await;
        let script = Session {
            app: &app,
            token: d["createServiceToken"]["token"].as_str().unwrap().into(),
            user_id: String::new(),
        };
        let (most_task, _) = task_by_code(&admin, "TB22-1").await;
        let (moet_task, _) = task_by_code(&admin, "TB22-5").await;
        let report = |t: &str| json!({ "i": { "taskId": t, "period": "2026-05", "progressPercent": 20, "health": "ON_TRACK", "summary": "Đồng bộ từ hệ thống của Bộ." } });
        let d = script.data("mutation($i: SubmitMonthlyReportInput!) { submitMonthlyReport(input: $i) { ministry { code } submittedBy { name } } }", report(&most_task)).await;
        assert_eq!(d["submitMonthlyReport"]["ministry"]["code"], "MOIT");
        assert_eq!(d["submitMonthlyReport"]["submittedBy"]["name"], "MOIT system (service token)");
        refused(&script, "FORBIDDEN", SUBMIT, report(&moet_task)).await;
        refused(&script, "FORBIDDEN", RAISE, json!({ "i": blocker_input() })).await;
        refused(&script, "FORBIDDEN", "{ blockers { totalCount } }", json!({})).await;
        app.finish().await;
    }
}

#[tokio::test]
async fn invalid_transitions_are_refused() {
    for app in apps().await {
        app.set_now("2026-05-10T03:00:00Z");
        let sec = app.secretariat().await;
        let chair = app.chair().await;
        let mof = ministry_id(&sec, "MOF").await;
        let transitions = [
            ("forward", "mutation($id: ID!, $v: Int!, $m: ID!) { forwardBlocker(id: $id, expectedVersion: $v, input: { responsibleMinistryId: $m, dueDate: \"2026-06-01\" }) { version } }"),
            ("acknowledge", "mutation($id: ID!, $v: Int!) { acknowledgeBlocker(id: $id, expectedVersion: $v) { version } }"),
            ("escalate", "mutation($id: ID!, $v: Int!) { escalateBlocker(id: $id, expectedVersion: $v, input: { escalatedTo: \"Thủ tướng\", reason: \"r\" }) { version } }"),
            ("resolve", "mutation($id: ID!, $v: Int!) { resolveBlocker(id: $id, expectedVersion: $v, input: { resolution: \"r\" }) { version } }"),
            ("withdraw", "mutation($id: ID!, $v: Int!) { withdrawBlocker(id: $id, expectedVersion: $v) { version } }"),
        ];
        // Which steps are allowed from each status (domain.md's graph); all others must be refused.
        let allowed: [(&str, &[&str]); 6] = [
            ("OPEN", &["forward", "withdraw"]),
            ("FORWARDED", &["acknowledge", "withdraw"]),
            ("IN_PROGRESS", &["escalate", "resolve", "withdraw"]),
            ("ESCALATED", &["resolve", "withdraw"]),
            ("RESOLVED", &[]),
            ("WITHDRAWN", &[]),
        ];
        // The path to each status from OPEN.
        let path = |status: &str| -> Vec<&str> {
            match status {
                "OPEN" => vec![],
                "FORWARDED" => vec!["forward"],
                "IN_PROGRESS" => vec!["forward", "acknowledge"],
                "ESCALATED" => vec!["forward", "acknowledge", "escalate"],
                "RESOLVED" => vec!["forward", "acknowledge", "resolve"],
                _ => vec!["withdraw"],
            }
        };
        for (status, ok) in allowed {
            for (step, _) in transitions {
                if ok.contains(&step) {
                    continue;
                }
                let d = sec.data(RAISE, json!({ "i": blocker_input() })).await;
                let id = d["raiseBlocker"]["id"].clone();
                let mut v = 1;
                for p in path(status) {
                    let body = step_on(&sec, &transitions, p, &id, v, &mof).await;
                    assert!(body.get("errors").is_none(), "[{}] path to {status}: {body}", app.backend);
                    v += 1;
                }
                let actor = if status == "ESCALATED" { &chair } else { &sec };
                let before = audit_count(&app).await;
                let body = step_on(actor, &transitions, step, &id, v, &mof).await;
                let code = body["errors"][0]["extensions"]["code"].as_str().unwrap_or("none");
                assert!(
                    code == "INVALID_TRANSITION" || (code == "FORBIDDEN" && actor.user_id == chair.user_id),
                    "[{}] {step} from {status}: {body}",
                    app.backend
                );
                assert_eq!(audit_count(&app).await, before);
            }
        }
        // Tasks: only the lifecycle's steps.
        let (task, v) = task_by_code(&sec, "TB22-PL2B-TT").await; // a DRAFT
        refused(
            &sec,
            "INVALID_TRANSITION",
            "mutation($id: ID!, $v: Int!) { completeTask(id: $id, expectedVersion: $v) { id } }",
            json!({ "id": task, "v": v }),
        )
        .await;
        let (active, v) = task_by_code(&sec, "TB22-2").await;
        refused(
            &sec,
            "INVALID_TRANSITION",
            "mutation($id: ID!, $v: Int!) { issueTask(id: $id, expectedVersion: $v) { id } }",
            json!({ "id": active, "v": v }),
        )
        .await;
        sec.data("mutation($id: ID!, $v: Int!) { cancelTask(id: $id, expectedVersion: $v, input: { reason: \"Gộp vào nhiệm vụ 1\" }) { status } }", json!({ "id": active, "v": v })).await;
        refused(&sec, "INVALID_TRANSITION", "mutation($id: ID!, $v: Int!) { cancelTask(id: $id, expectedVersion: $v, input: { reason: \"again\" }) { id } }", json!({ "id": active, "v": v + 1 })).await;
        app.finish().await;
    }
}

async fn step_on(s: &Session<'_>, transitions: &[(&str, &str)], step: &str, id: &Value, v: i64, mof: &str) -> Value {
    let q = transitions.iter().find(|(n, _)| *n == step).unwrap().1;
    s.send(q, json!({ "id": id, "v": v, "m": mof })).await
}

#[tokio::test]
async fn stale_versions_conflict_and_change_nothing() {
    for app in apps().await {
        let sec = app.secretariat().await;
        let (task, v) = task_by_code(&sec, "TB22-3").await;
        sec.data(UPDATE_TASK, json!({ "id": task, "v": v, "i": { "title": "Tiêu đề mới" } })).await;
        refused(&sec, "CONFLICT", UPDATE_TASK, json!({ "id": task, "v": v, "i": { "title": "Ghi đè" } })).await;
        let d = sec.data("query($id: ID!) { task(id: $id) { title version } }", json!({ "id": task })).await;
        assert_eq!(d["task"], json!({ "title": "Tiêu đề mới", "version": v + 1 }));
        app.finish().await;
    }
}

#[tokio::test]
async fn twenty_concurrent_updates_with_one_version_let_exactly_one_through() {
    for app in apps().await {
        let sec = app.secretariat().await;
        let (task, v) = task_by_code(&sec, "TB22-5").await;
        let calls = (0..20).map(|i| {
            let sec = &sec;
            let task = task.clone();
            async move {
                sec.send(UPDATE_TASK, json!({ "id": task, "v": v, "i": { "title": format!("Phiên bản {i}") } })).await
            }
        });
        let results = futures::future::join_all(calls).await;
        let ok = results.iter().filter(|r| r.get("errors").is_none()).count();
        let conflicts = results.iter().filter(|r| r["errors"][0]["extensions"]["code"] == "CONFLICT").count();
        assert_eq!((ok, conflicts), (1, 19), "[{}] {results:?}", app.backend);
        let d = sec.data("query($id: ID!) { task(id: $id) { version } }", json!({ "id": task })).await;
        assert_eq!(d["task"]["version"], v + 1);
        app.finish().await;
    }
}

#[tokio::test]
async fn retries_with_an_idempotency_key_create_nothing_new() {
    for app in apps().await {
        app.set_now("2026-05-10T03:00:00Z");
        let moet = app.officer_of("MOET").await;
        let (task, _) = task_by_code(&moet, "TB22-5").await;
        let input = json!({ "taskId": task, "period": "2026-05", "progressPercent": 15, "health": "ON_TRACK", "summary": "Khảo sát chương trình đào tạo." });
        let first = moet.data(SUBMIT, json!({ "i": input, "k": "moet-2026-05-tb22-5" })).await;
        let before = audit_count(&app).await;
        let again = moet.data(SUBMIT, json!({ "i": input, "k": "moet-2026-05-tb22-5" })).await;
        assert_eq!(first, again, "[{}]", app.backend);
        assert_eq!(again["submitMonthlyReport"]["revision"], 1, "no new revision");
        assert_eq!(audit_count(&app).await, before, "a replay writes nothing");
        let mut other = input.clone();
        other["progressPercent"] = json!(90);
        refused(&moet, "CONFLICT", SUBMIT, json!({ "i": other, "k": "moet-2026-05-tb22-5" })).await;
        let b1 = moet.data(RAISE, json!({ "i": blocker_input(), "k": "raise-1" })).await;
        let b2 = moet.data(RAISE, json!({ "i": blocker_input(), "k": "raise-1" })).await;
        assert_eq!(b1, b2);
        let d = moet.data("{ blockers { totalCount } }", json!({})).await;
        assert_eq!(d["blockers"]["totalCount"], 1);
        app.finish().await;
    }
}

#[tokio::test]
async fn bad_input_names_the_field_and_changes_nothing() {
    for app in apps().await {
        app.set_now("2026-05-10T03:00:00Z");
        let sec = app.secretariat().await;
        let moet = app.officer_of("MOET").await;
        let (task, v) = task_by_code(&sec, "TB22-5").await;
        let report = |progress: i64, period: &str, summary: &str| json!({ "i": { "taskId": task, "period": period, "progressPercent": progress, "health": "ON_TRACK", "summary": summary } });
        let field_of = |body: &Value| body["errors"][0]["extensions"]["field"].as_str().unwrap_or("").to_owned();
        for (vars, field) in [
            (report(120, "2026-05", "ok"), "progressPercent"),
            (report(-1, "2026-05", "ok"), "progressPercent"),
            (report(10, "2026-13", "ok"), "period"),
            (report(10, "May 2026", "ok"), "period"),
            (report(10, "2026-07", "ok"), "period"), // has not begun
            (report(10, "2026-05", "   "), "summary"),
            (report(10, "2026-05", &"x".repeat(10_001)), "summary"),
        ] {
            let before = audit_count(&app).await;
            let body = moet.send(SUBMIT, vars).await;
            assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "[{}] {body}", app.backend);
            assert_eq!(field_of(&body), field);
            assert_eq!(audit_count(&app).await, before);
        }
        refused(&sec, "BAD_USER_INPUT", UPDATE_TASK, json!({ "id": task, "v": v, "i": { "title": "" } })).await;
        refused(&sec, "BAD_USER_INPUT", UPDATE_TASK, json!({ "id": task, "v": v, "i": { "dueDate": "2026-01-01" } }))
            .await;
        refused(&sec, "BAD_USER_INPUT", UPDATE_TASK, json!({ "id": task, "v": v, "i": { "dueDate": "2026-02-30" } }))
            .await;
        refused(&sec, "NOT_FOUND", UPDATE_TASK, json!({ "id": uuid::Uuid::new_v4(), "v": 1, "i": { "title": "x" } }))
            .await;
        refused(&sec, "BAD_USER_INPUT", UPDATE_TASK, json!({ "id": "nope", "v": 1, "i": { "title": "x" } })).await;
        let lead = ministry_id(&sec, "MOET").await;
        refused(
            &sec,
            "BAD_USER_INPUT",
            UPDATE_TASK,
            json!({ "id": task, "v": v, "i": { "cooperatingMinistryIds": [lead] } }),
        )
        .await;
        // An active task must stay "7 clear".
        refused(&sec, "INCOMPLETE_TASK", UPDATE_TASK, json!({ "id": task, "v": v, "i": { "expectedOutput": "" } }))
            .await;
        refused(&moet, "NOT_FOUND", SUBMIT, json!({ "i": { "taskId": uuid::Uuid::new_v4(), "period": "2026-05", "progressPercent": 1, "health": "ON_TRACK", "summary": "s" } })).await;
        refused(&moet, "BAD_USER_INPUT", RAISE, json!({ "i": { "title": "t", "description": "d", "severity": "LOW", "category": "OTHER", "origin": "UNIVERSITY" } })).await;
        let mut long = blocker_input();
        long["title"] = json!("t".repeat(501));
        refused(&moet, "BAD_USER_INPUT", RAISE, json!({ "i": long })).await;
        let d = sec.data(RAISE, json!({ "i": blocker_input() })).await;
        let b = d["raiseBlocker"]["id"].clone();
        refused(&sec, "BAD_USER_INPUT", "mutation($id: ID!, $m: ID!) { forwardBlocker(id: $id, expectedVersion: 1, input: { responsibleMinistryId: $m, dueDate: \"2026-05-01\" }) { id } }", json!({ "id": b, "m": lead })).await;
        refused(&sec, "NOT_FOUND", "mutation($id: ID!, $m: ID!) { forwardBlocker(id: $id, expectedVersion: 1, input: { responsibleMinistryId: $m, dueDate: \"2026-06-01\" }) { id } }", json!({ "id": b, "m": uuid::Uuid::new_v4() })).await;
        app.finish().await;
    }
}

#[tokio::test]
async fn every_mutation_is_audited_and_the_audit_is_read_only() {
    for app in apps().await {
        let sec = app.secretariat().await;
        let (task, v) = task_by_code(&sec, "TB22-4A").await;
        sec.data(UPDATE_TASK, json!({ "id": task, "v": v, "i": { "resources": "Ngân sách sự nghiệp KH&CN" } })).await;
        let d = sec
            .data("query($id: ID) { auditEvents(filter: { objectId: $id }) { totalCount nodes { operation objectType actorName actorRole requestId before after } } }", json!({ "id": task }))
            .await;
        let e = &d["auditEvents"]["nodes"][0];
        assert_eq!(d["auditEvents"]["totalCount"], 1, "[{}]", app.backend);
        assert_eq!(
            (e["operation"].as_str(), e["objectType"].as_str(), e["actorRole"].as_str()),
            (Some("updateTask"), Some("Task"), Some("SECRETARIAT"))
        );
        assert_eq!(e["before"]["resources"], Value::Null);
        assert_eq!(e["after"]["resources"], "Ngân sách sự nghiệp KH&CN");
        assert!(e["requestId"].as_str().is_some_and(|r| !r.is_empty()));
        let sdl = coordination::graphql::sdl();
        let mutation = &sdl[sdl.find("type Mutation {").unwrap()..];
        let mutation = &mutation[..mutation.find("\n}").unwrap()];
        assert!(!mutation.to_lowercase().contains("audit"), "no mutation touches audit events");
        app.finish().await;
    }
}

/// A document that has passed validation once is later checked only for its limits, with its
/// variables checked at the edge: bad variables are refused exactly as the first time, whether
/// the document was seen before or not, and the limits still hold.
#[tokio::test]
async fn a_document_seen_before_refuses_bad_variables_as_the_first_time() {
    for app in apps().await {
        let admin = app.admin().await;
        let (task, _) = task_by_code(&admin, "TB22-1").await;
        let good = json!({ "id": task, "n": 5, "s": "x" });
        let bad = [
            json!({ "id": 5, "n": 5, "s": "x" }),
            json!({ "id": null, "n": 5, "s": "x" }),
            json!({ "n": 5, "s": "x" }),
            json!({ "id": task, "n": "5", "s": "x" }),
            json!({ "id": task, "n": 1.5, "s": "x" }),
            json!({ "id": task, "n": 4_294_967_296i64, "s": "x" }),
            json!({ "id": task, "n": 5, "s": 7 }),
            json!({ "id": task, "n": 5, "s": ["x"] }),
            // Well typed, over the complexity limit: checked on every run.
            json!({ "id": task, "n": 1_000_000, "s": "x" }),
            json!({ "id": "not an id", "n": 5, "s": "x" }),
        ];
        for (i, vars) in bad.into_iter().enumerate() {
            // A text of its own each time, so that the first answer is a first sight.
            let query = format!(
                "query($id: ID!, $n: Int, $s: String) {{ task(id: $id) {{ code }} tasks(first: $n, filter: {{ search: $s }}) {{ nodes {{ code title }} }} }} # {i}"
            );
            let first = app.post(Some(&admin.token), &query, vars.clone()).await;
            assert!(first.1.get("errors").is_some(), "[{}] {vars} was not refused: {}", app.backend, first.1);
            let ok = app.post(Some(&admin.token), &query, good.clone()).await;
            assert!(ok.1.get("errors").is_none(), "[{}] {}", app.backend, ok.1);
            for _ in 0..2 {
                let again = app.post(Some(&admin.token), &query, vars.clone()).await;
                assert_eq!(again, first, "[{}] {vars} answered otherwise once the document was known", app.backend);
            }
            let ok = app.post(Some(&admin.token), &query, good.clone()).await;
            assert_eq!(ok.1["data"]["task"]["code"], "TB22-1", "[{}] {}", app.backend, ok.1);
        }
        app.finish().await;
    }
}
