//! The month as its people play it, through HTTP, on SQLite and PostgreSQL: the Secretariat drafts
//! and issues a task, ministries report (one late), a report is returned and revised, a blocker
//! travels from raised to resolved by the Chair, and the monthly summary shows exactly that.

mod common;

use common::{apps, ministry_id, Session, TestApp};
use serde_json::{json, Value};

const CREATE_TASK: &str =
    "mutation($i: CreateTaskInput!) { createTask(input: $i) { id code status version clarity { complete missing } } }";
const UPDATE_TASK: &str = "mutation($id: ID!, $v: Int!, $i: UpdateTaskInput!) { updateTask(id: $id, expectedVersion: $v, input: $i) { id status version clarity { complete missing } cooperatingMinistries { code } } }";
const ISSUE_TASK: &str = "mutation($id: ID!, $v: Int!) { issueTask(id: $id, expectedVersion: $v) { status version } }";
const SUBMIT: &str = "mutation($i: SubmitMonthlyReportInput!, $k: String) { submitMonthlyReport(input: $i, idempotencyKey: $k) { id status late revision version ministry { code } submittedBy { name } } }";
const REVIEW: &str = "mutation($id: ID!, $v: Int!, $i: ReviewMonthlyReportInput!) { reviewMonthlyReport(id: $id, expectedVersion: $v, input: $i) { status version reviewComment } }";
const RAISE: &str = "mutation($i: RaiseBlockerInput!, $k: String) { raiseBlocker(input: $i, idempotencyKey: $k) { id status version raisedBy { code } } }";
const FORWARD: &str = "mutation($id: ID!, $v: Int!, $i: ForwardBlockerInput!) { forwardBlocker(id: $id, expectedVersion: $v, input: $i) { status version responsibleMinistry { code } dueDate } }";
const ACK: &str =
    "mutation($id: ID!, $v: Int!) { acknowledgeBlocker(id: $id, expectedVersion: $v) { status version } }";
const ESCALATE: &str = "mutation($id: ID!, $v: Int!, $i: EscalateBlockerInput!) { escalateBlocker(id: $id, expectedVersion: $v, input: $i) { status version escalatedTo } }";
const RESOLVE: &str = "mutation($id: ID!, $v: Int!, $i: ResolveBlockerInput!) { resolveBlocker(id: $id, expectedVersion: $v, input: $i) { status version resolution } }";
const WITHDRAW: &str =
    "mutation($id: ID!, $v: Int!) { withdrawBlocker(id: $id, expectedVersion: $v) { status version } }";

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}")).to_owned()
}

fn report_input(task: &str, period: &str, progress: i64) -> Value {
    json!({ "taskId": task, "period": period, "progressPercent": progress, "health": "ON_TRACK", "summary": "Đã hoàn thành dự thảo lần 1." })
}

async fn working_group_id(s: &Session<'_>) -> String {
    let d = s.data("{ workingGroups { id } }", json!({})).await;
    d["workingGroups"][0]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_month_played_through() {
    for app in apps().await {
        app.set_now("2026-05-10T03:00:00Z");
        let sec = app.secretariat().await;
        let chair = app.chair().await;
        let moit = app.officer_of("MOIT").await;
        let moh = app.officer_of("MOH").await;
        let mof = app.officer_of("MOF").await;
        let wg = working_group_id(&sec).await;

        // The Secretariat drafts an incomplete task; it cannot be issued until it is "7 clear".
        let moit_id = ministry_id(&sec, "MOIT").await;
        let moh_id = ministry_id(&sec, "MOH").await;
        let d = sec
            .data(CREATE_TASK, json!({ "i": { "title": "Thí điểm camera AI xử lý tại biên", "leadMinistryId": moit_id, "workingGroupId": wg } }))
            .await;
        let task = s(&d["createTask"]["id"]);
        assert_eq!(d["createTask"]["status"], "DRAFT");
        assert_eq!(
            d["createTask"]["clarity"]["missing"],
            json!(["PERSON", "WORK", "TIME", "AUTHORITY", "PRODUCT", "RESOURCES"])
        );
        let body = sec.send(ISSUE_TASK, json!({ "id": task, "v": 1 })).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "INCOMPLETE_TASK", "[{}]", app.backend);
        assert_eq!(
            body["errors"][0]["extensions"]["missing"],
            json!(["PERSON", "WORK", "TIME", "AUTHORITY", "PRODUCT", "RESOURCES"])
        );
        let directive = s(&sec.data("{ directives(filter: { search: \"1131\" }) { nodes { id } } }", json!({})).await
            ["directives"]["nodes"][0]["id"]);
        let fill = json!({
            "description": "Triển khai thí điểm tại 3 địa phương", "cooperatingMinistryIds": [moh_id], "directiveId": directive,
            "focalPersonName": "Trần Thị Bình", "focalPersonTitle": "Cục trưởng", "dueDate": "2026-07-31",
            "approvingAuthority": "Thủ tướng Chính phủ", "expectedOutput": "Báo cáo kết quả thí điểm", "resources": "Ngân sách nhà nước 20 tỷ đồng"
        });
        let d = sec.data(UPDATE_TASK, json!({ "id": task, "v": 1, "i": fill })).await;
        assert_eq!(d["updateTask"]["clarity"], json!({ "complete": true, "missing": [] }));
        assert_eq!(d["updateTask"]["cooperatingMinistries"], json!([{ "code": "MOH" }]));
        let d = sec.data(ISSUE_TASK, json!({ "id": task, "v": 2 })).await;
        assert_eq!(d["issueTask"]["status"], "ACTIVE");

        // The lead reports on time (23:30 on the 20th in Hanoi); the cooperating ministry late (00:30 on the 21st).
        app.set_now("2026-05-20T16:30:00Z");
        let moit = relogin(&app, moit).await;
        let d = moit.data(SUBMIT, json!({ "i": report_input(&task, "2026-05", 40) })).await;
        let moit_report = d["submitMonthlyReport"].clone();
        assert_eq!(moit_report["late"], false, "[{}] 23:30 on the 20th is on time", app.backend);
        assert_eq!(moit_report["ministry"]["code"], "MOIT");
        assert_eq!(moit_report["revision"], 1);
        app.set_now("2026-05-20T17:30:00Z");
        let moh = relogin(&app, moh).await;
        let d = moh.data(SUBMIT, json!({ "i": report_input(&task, "2026-05", 30) })).await;
        assert_eq!(d["submitMonthlyReport"]["late"], true, "00:30 on the 21st is late");
        assert_eq!(d["submitMonthlyReport"]["ministry"]["code"], "MOH");

        // The Secretariat returns the lead's report; it is revised and accepted; then it is final.
        let sec = relogin(&app, sec).await;
        let rid = s(&moit_report["id"]);
        assert_eq!(
            sec.error(REVIEW, json!({ "id": rid, "v": 1, "i": { "decision": "RETURN" } })).await,
            "BAD_USER_INPUT"
        );
        let d = sec
            .data(
                REVIEW,
                json!({ "id": rid, "v": 1, "i": { "decision": "RETURN", "comment": "Bổ sung số liệu địa phương." } }),
            )
            .await;
        assert_eq!(d["reviewMonthlyReport"]["status"], "RETURNED");
        let moit = relogin(&app, moit).await;
        let d = moit.data(SUBMIT, json!({ "i": report_input(&task, "2026-05", 45) })).await;
        assert_eq!(
            (d["submitMonthlyReport"]["status"].clone(), d["submitMonthlyReport"]["revision"].clone()),
            (json!("SUBMITTED"), json!(2))
        );
        assert_eq!(d["submitMonthlyReport"]["late"], false, "lateness is that of the first submission");
        let v = d["submitMonthlyReport"]["version"].as_i64().unwrap();
        let d = sec.data(REVIEW, json!({ "id": rid, "v": v, "i": { "decision": "ACCEPT" } })).await;
        assert_eq!(d["reviewMonthlyReport"]["status"], "ACCEPTED");
        assert_eq!(moit.error(SUBMIT, json!({ "i": report_input(&task, "2026-05", 50) })).await, "INVALID_TRANSITION");
        let d = sec
            .data("query($id: ID!) { monthlyReport(id: $id) { revision revisions { revision progressPercent late } reviewComment } }", json!({ "id": rid }))
            .await;
        assert_eq!(
            d["monthlyReport"]["revisions"],
            json!([{ "revision": 1, "progressPercent": 40, "late": false }, { "revision": 2, "progressPercent": 45, "late": false }])
        );

        // A blocker: raised, forwarded, acknowledged, escalated, then resolved by the Chair.
        let raise = json!({ "title": "Chưa có cơ chế mua lô sản phẩm đầu tiên", "description": "Doanh nghiệp không thể ký hợp đồng đặt hàng.",
            "severity": "HIGH", "category": "FUNDING", "origin": "ENTERPRISE", "originName": "Công ty Cổ phần Camera Việt", "taskId": task });
        let d = moit.data(RAISE, json!({ "i": raise })).await;
        let b = s(&d["raiseBlocker"]["id"]);
        assert_eq!(d["raiseBlocker"]["raisedBy"]["code"], "MOIT");
        let mof_id = ministry_id(&sec, "MOF").await;
        let d = sec
            .data(
                FORWARD,
                json!({ "id": b, "v": 1, "i": { "responsibleMinistryId": mof_id, "dueDate": "2026-06-05" } }),
            )
            .await;
        assert_eq!(d["forwardBlocker"]["responsibleMinistry"]["code"], "MOF");
        assert_eq!(
            moit.error(ACK, json!({ "id": b, "v": 2 })).await,
            "FORBIDDEN",
            "only the responsible ministry acknowledges"
        );
        let mof = relogin(&app, mof).await;
        mof.data(ACK, json!({ "id": b, "v": 2 })).await;
        let d = mof
            .data(ESCALATE, json!({ "id": b, "v": 3, "i": { "escalatedTo": "Thủ tướng Chính phủ", "reason": "Vượt thẩm quyền của Bộ." } }))
            .await;
        assert_eq!(d["escalateBlocker"]["status"], "ESCALATED");
        assert_eq!(mof.error(RESOLVE, json!({ "id": b, "v": 4, "i": { "resolution": "x" } })).await, "FORBIDDEN");
        let chair = relogin(&app, chair).await;
        let d = chair
            .data(
                RESOLVE,
                json!({ "id": b, "v": 4, "i": { "resolution": "Thủ tướng cho phép áp dụng cơ chế đặt hàng." } }),
            )
            .await;
        assert_eq!(d["resolveBlocker"]["status"], "RESOLVED");
        let d = sec
            .data(
                "query($id: ID!) { blocker(id: $id) { events { kind fromStatus toStatus actor { name } } } }",
                json!({ "id": b }),
            )
            .await;
        let kinds: Vec<&str> =
            d["blocker"]["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["RAISED", "FORWARDED", "ACKNOWLEDGED", "ESCALATED", "RESOLVED"]);
        assert_eq!(d["blocker"]["events"][4]["actor"]["name"], "chair.test (test)");

        // The monthly summary shows exactly that.
        let q = "query($wg: ID!) { monthlySummary(workingGroupId: $wg, period: \"2026-05\") {
            tasksByTimeliness { completedOnTime completedLate inProgressOnTime overdue }
            missingReports { task { code } ministry { code } }
            lateReports { ministry { code } task { id } }
            overdueTasks { code }
            openBlockers { total }
            ministries { ministry { code } expected submitted missing late openBlockers } } }";
        let d = sec.data(q, json!({ "wg": wg })).await;
        let m = &d["monthlySummary"];
        // As of 21 May in Hanoi: TB22-PL1, TB22-1, TB22-2 and TB22-PL2D are overdue.
        assert_eq!(
            m["tasksByTimeliness"],
            json!({ "completedOnTime": 0, "completedLate": 0, "inProgressOnTime": 7, "overdue": 4 }),
            "[{}]",
            app.backend
        );
        let mut overdue: Vec<String> = m["overdueTasks"].as_array().unwrap().iter().map(|t| s(&t["code"])).collect();
        overdue.sort();
        assert_eq!(overdue, ["TB22-1", "TB22-2", "TB22-PL1", "TB22-PL2D"]);
        assert_eq!(m["lateReports"], json!([{ "ministry": { "code": "MOH" }, "task": { "id": task } }]));
        assert_eq!(m["missingReports"].as_array().unwrap().len(), 10, "the ten seeded active tasks have no report");
        assert!(m["missingReports"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["task"]["code"].as_str().unwrap().starts_with("TB22")));
        assert_eq!(m["openBlockers"]["total"], 0);
        let row = |code: &str| {
            m["ministries"].as_array().unwrap().iter().find(|r| r["ministry"]["code"] == code).cloned().unwrap()
        };
        assert_eq!(
            row("MOIT"),
            json!({ "ministry": { "code": "MOIT" }, "expected": 1, "submitted": 1, "missing": 0, "late": 0, "openBlockers": 0 })
        );
        assert_eq!(
            row("MOH"),
            json!({ "ministry": { "code": "MOH" }, "expected": 0, "submitted": 1, "missing": 0, "late": 1, "openBlockers": 0 })
        );
        assert_eq!(row("MOST")["missing"], 7);

        // Completed on time, it moves to its class.
        let v = sec.data("query($id: ID!) { task(id: $id) { version } }", json!({ "id": task })).await["task"]
            ["version"]
            .as_i64()
            .unwrap();
        chair
            .data(
                "mutation($id: ID!, $v: Int!) { completeTask(id: $id, expectedVersion: $v) { status timeliness } }",
                json!({ "id": task, "v": v }),
            )
            .await;
        let d = sec.data(q, json!({ "wg": wg })).await;
        assert_eq!(d["monthlySummary"]["tasksByTimeliness"]["completedOnTime"], 1);
        app.finish().await;
    }
}

/// Signs the same user in again (the clock moved past the token's life).
async fn relogin<'a>(app: &'a TestApp, old: Session<'a>) -> Session<'a> {
    use sea_orm::EntityTrait;
    let id = uuid::Uuid::parse_str(&old.user_id).unwrap();
    let user = entity::user::Entity::find_by_id(id).one(&app.state.db).await.unwrap().unwrap();
    let token = app.login(&user.username, common::PASSWORD).await;
    Session { app, token, user_id: old.user_id }
}

#[tokio::test]
async fn the_reporting_calendar() {
    for app in apps().await {
        app.set_now("2026-05-20T10:00:00Z");
        let s = app.observer().await;
        let q = "query($p: String) { reportingPeriod(period: $p) { period dataFrom dataTo ministryDueDate ministryDueAt consolidatedDueDate hasBegun isOpen } }";
        let d = s.data(q, json!({ "p": "2026-05" })).await;
        assert_eq!(
            d["reportingPeriod"],
            json!({ "period": "2026-05", "dataFrom": "2026-04-15", "dataTo": "2026-05-14", "ministryDueDate": "2026-05-20",
                    "ministryDueAt": "2026-05-20T17:00:00+00:00", "consolidatedDueDate": "2026-05-25", "hasBegun": true, "isOpen": true }),
            "[{}]",
            app.backend
        );
        let d = s.data(q, json!({ "p": "2026-07" })).await;
        assert_eq!(
            (d["reportingPeriod"]["hasBegun"].clone(), d["reportingPeriod"]["isOpen"].clone()),
            (json!(false), json!(false))
        );
        let d = s.data(q, json!({ "p": null })).await;
        assert_eq!(d["reportingPeriod"]["period"], "2026-06", "20 May is in the data window of June's period");
        assert_eq!(s.error(q, json!({ "p": "2026-5" })).await, "BAD_USER_INPUT");
        app.finish().await;
    }
}

#[tokio::test]
async fn raisers_comment_and_withdraw_and_the_audit_can_be_filtered() {
    for app in apps().await {
        let moh = app.officer_of("MOH").await;
        let sec = app.secretariat().await;
        let raise = json!({ "title": "Thiếu chuyên gia AI y tế", "description": "Bệnh viện chưa tuyển được.", "severity": "LOW",
            "category": "PEOPLE_AND_SKILLS", "origin": "UNIVERSITY", "originName": "Đại học Y Hà Nội" });
        let d = moh.data(RAISE, json!({ "i": raise })).await;
        let b = s(&d["raiseBlocker"]["id"]);
        let d = moh
            .data("mutation($id: ID!) { commentOnBlocker(id: $id, expectedVersion: 1, input: { note: \"Đã làm việc với trường.\" }) { status version } }", json!({ "id": b }))
            .await;
        assert_eq!(d["commentOnBlocker"], json!({ "status": "OPEN", "version": 2 }), "[{}]", app.backend);
        let d = moh.data(WITHDRAW, json!({ "id": b, "v": 2 })).await;
        assert_eq!(d["withdrawBlocker"]["status"], "WITHDRAWN");
        let d = sec.data("{ blockers(filter: { search: \"dai hoc y\", status: [WITHDRAWN] }) { nodes { originName events { kind note } } } }", json!({})).await;
        assert_eq!(
            d["blockers"]["nodes"][0]["events"][1],
            json!({ "kind": "COMMENTED", "note": "Đã làm việc với trường." })
        );
        let d = sec
            .data("query($a: ID) { auditEvents(filter: { operation: \"withdrawBlocker\", actorId: $a }) { totalCount nodes { objectId actorName } } }", json!({ "a": moh.user_id }))
            .await;
        assert_eq!(d["auditEvents"]["totalCount"], 1);
        assert_eq!(d["auditEvents"]["nodes"][0]["objectId"], b);
        let d =
            sec.data("{ auditEvents(filter: { since: \"2999-01-01T00:00:00Z\" }) { totalCount } }", json!({})).await;
        assert_eq!(d["auditEvents"]["totalCount"], 0);
        app.finish().await;
    }
}

/// The ids of the blockers listed with `status` (every page).
async fn listed(session: &Session<'_>, status: &[&str]) -> Vec<String> {
    let q = "query($s: [BlockerStatus!]) { blockers(first: 500, filter: { status: $s }) { nodes { id } } }";
    let d = session.data(q, json!({ "s": status })).await;
    d["blockers"]["nodes"].as_array().unwrap().iter().map(|n| s(&n["id"])).collect()
}

#[tokio::test]
async fn lists_of_unresolved_blockers_follow_every_transition() {
    const UNRESOLVED: [&str; 4] = ["OPEN", "FORWARDED", "IN_PROGRESS", "ESCALATED"];
    for app in apps().await {
        let moit = app.officer_of("MOIT").await;
        let mof = app.officer_of("MOF").await;
        let sec = app.secretariat().await;
        let wg = working_group_id(&sec).await;
        let open_total = |d: &Value| d["monthlySummary"]["openBlockers"]["total"].as_i64().unwrap();
        let summary =
            "query($wg: ID!) { monthlySummary(workingGroupId: $wg, period: \"2026-05\") { openBlockers { total } } }";
        let before = open_total(&sec.data(summary, json!({ "wg": wg })).await);
        let raise = |title: &str| json!({ "i": { "title": title, "description": "Chưa có hướng dẫn.", "severity": "MEDIUM", "category": "INSTITUTIONS_AND_LAW" } });
        let a = s(&moit.data(RAISE, raise("Vướng mắc A")).await["raiseBlocker"]["id"]);
        let b = s(&moit.data(RAISE, raise("Vướng mắc B")).await["raiseBlocker"]["id"]);
        assert_eq!(open_total(&sec.data(summary, json!({ "wg": wg })).await), before + 2, "[{}]", app.backend);
        for status in [&UNRESOLVED[..], &["OPEN"]] {
            let ids = listed(&sec, status).await;
            assert!(ids.contains(&a) && ids.contains(&b), "[{}] {status:?}", app.backend);
        }

        let mof_id = ministry_id(&sec, "MOF").await;
        sec.data(
            FORWARD,
            json!({ "id": a, "v": 1, "i": { "responsibleMinistryId": mof_id, "dueDate": "2030-06-05" } }),
        )
        .await;
        assert!(listed(&sec, &UNRESOLVED).await.contains(&a));
        assert!(listed(&sec, &["FORWARDED"]).await.contains(&a));
        assert!(!listed(&sec, &["OPEN"]).await.contains(&a), "[{}] forwarded is no longer open", app.backend);
        mof.data(ACK, json!({ "id": a, "v": 2 })).await;
        assert!(listed(&sec, &["IN_PROGRESS", "ESCALATED"]).await.contains(&a));
        mof.data(RESOLVE, json!({ "id": a, "v": 3, "i": { "resolution": "Đã ban hành hướng dẫn." } })).await;
        moit.data(WITHDRAW, json!({ "id": b, "v": 1 })).await;

        let unresolved = listed(&sec, &UNRESOLVED).await;
        assert!(!unresolved.contains(&a) && !unresolved.contains(&b), "[{}] {unresolved:?}", app.backend);
        assert!(listed(&sec, &["RESOLVED"]).await.contains(&a));
        let mixed = listed(&sec, &["RESOLVED", "OPEN", "WITHDRAWN"]).await;
        assert!(
            mixed.contains(&a) && mixed.contains(&b),
            "[{}] a list of resolved and unresolved statuses",
            app.backend
        );
        assert_eq!(open_total(&sec.data(summary, json!({ "wg": wg })).await), before, "[{}]", app.backend);
        app.finish().await;
    }
}

/// The summary's counts, as the summary gives them and as recounted from the listed rows:
/// (tasks by timeliness, active tasks per lead, unresolved blockers by severity, per holder).
async fn summary_and_recount(sec: &Session<'_>, wg: &str) -> (Value, Value) {
    let q = "query($wg: ID!) {
        monthlySummary(workingGroupId: $wg, period: \"2026-05\") {
            tasksByTimeliness { completedOnTime completedLate inProgressOnTime overdue dueSoon }
            openBlockers { total bySeverity { severity count } }
            ministries { ministry { code } expected openBlockers } }
        tasks(first: 500, filter: { workingGroupId: $wg }) { nodes { status timeliness leadMinistry { code } } }
        blockers(first: 500, filter: { status: [OPEN, FORWARDED, IN_PROGRESS, ESCALATED] }) {
            nodes { severity raisedBy { code } responsibleMinistry { code } } } }";
    let d = sec.data(q, json!({ "wg": wg })).await;
    let m = &d["monthlySummary"];
    let mut expected: std::collections::BTreeMap<String, i64> = Default::default();
    let mut holders: std::collections::BTreeMap<String, i64> = Default::default();
    let mut classes: std::collections::BTreeMap<String, i64> = Default::default();
    for t in d["tasks"]["nodes"].as_array().unwrap() {
        if let Some(class) = t["timeliness"].as_str() {
            *classes.entry(class.to_owned()).or_default() += 1;
        }
        if t["status"] == "ACTIVE" {
            *expected.entry(s(&t["leadMinistry"]["code"])).or_default() += 1;
        }
    }
    let mut severities: std::collections::BTreeMap<String, i64> = Default::default();
    let blockers = d["blockers"]["nodes"].as_array().unwrap();
    for b in blockers {
        *severities.entry(s(&b["severity"])).or_default() += 1;
        let holder = if b["responsibleMinistry"].is_null() { &b["raisedBy"] } else { &b["responsibleMinistry"] };
        *holders.entry(s(&holder["code"])).or_default() += 1;
    }
    let class = |c: &str| classes.get(c).copied().unwrap_or(0);
    let recount = json!({
        "timeliness": { "completedOnTime": class("COMPLETED_ON_TIME"), "completedLate": class("COMPLETED_LATE"),
            "inProgressOnTime": class("ON_SCHEDULE") + class("DUE_SOON"), "overdue": class("OVERDUE"), "dueSoon": class("DUE_SOON") },
        "expected": expected, "blockers": blockers.len(), "bySeverity": severities, "holders": holders,
    });
    let rows = m["ministries"].as_array().unwrap();
    let nonzero = |field: &str| -> std::collections::BTreeMap<String, i64> {
        rows.iter()
            .filter(|r| r[field].as_i64().unwrap() > 0)
            .map(|r| (s(&r["ministry"]["code"]), r[field].as_i64().unwrap()))
            .collect()
    };
    let by_severity: std::collections::BTreeMap<String, i64> = m["openBlockers"]["bySeverity"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["count"].as_i64().unwrap() > 0)
        .map(|c| (s(&c["severity"]), c["count"].as_i64().unwrap()))
        .collect();
    let summary = json!({
        "timeliness": m["tasksByTimeliness"], "expected": nonzero("expected"), "blockers": m["openBlockers"]["total"],
        "bySeverity": by_severity, "holders": nonzero("openBlockers"),
    });
    (summary, recount)
}

/// Checks that the summary and the recount agree; returns the summary's counts.
async fn agree(sec: &Session<'_>, wg: &str, label: &str) -> Value {
    let (summary, recount) = summary_and_recount(sec, wg).await;
    assert_eq!(summary, recount, "[{}] after {label}", sec.app.backend);
    summary
}

/// Checks the summary's blocker ages against the listed unresolved blockers' creation times, as of
/// `now`; returns the summary's ages.
async fn ages_agree(sec: &Session<'_>, wg: &str, now: &str) -> Value {
    let q = "query($wg: ID!) {
        monthlySummary(workingGroupId: $wg, period: \"2026-05\") { openBlockers { under7Days from7To30Days over30Days oldestDays } }
        blockers(first: 500, filter: { status: [OPEN, FORWARDED, IN_PROGRESS, ESCALATED] }) { nodes { createdAt } } }";
    let d = sec.data(q, json!({ "wg": wg })).await;
    let now = chrono::DateTime::parse_from_rfc3339(now).unwrap();
    let created: Vec<_> = d["blockers"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| chrono::DateTime::parse_from_rfc3339(&s(&b["createdAt"])).unwrap())
        .collect();
    let newer = |days: i64| created.iter().filter(|c| **c > now - chrono::Duration::days(days)).count();
    let recount = json!({
        "under7Days": newer(7), "from7To30Days": newer(30) - newer(7), "over30Days": created.len() - newer(30),
        "oldestDays": created.iter().min().map(|o| (now - *o).num_days()),
    });
    assert_eq!(d["monthlySummary"]["openBlockers"], recount, "[{}] ages as of {now}", sec.app.backend);
    recount
}

/// The summary's counts are kept by the database as rows change; after every kind of change they
/// agree with a count of the rows themselves.
#[tokio::test]
async fn summary_counts_follow_every_change_of_tasks_and_blockers() {
    for app in apps().await {
        app.set_now("2026-05-21T03:00:00Z");
        let sec = app.secretariat().await;
        let chair = app.chair().await;
        let moit = app.officer_of("MOIT").await;
        let mof = app.officer_of("MOF").await;
        let wg = working_group_id(&sec).await;
        let (moit_id, mof_id) = (ministry_id(&sec, "MOIT").await, ministry_id(&sec, "MOF").await);
        let before = agree(&sec, &wg, "the seed").await;

        // Tasks: drafted, issued, moved to another lead, completed on time and late, cancelled,
        // moved to another working group.
        let directive = s(&sec.data("{ directives(filter: { search: \"1131\" }) { nodes { id } } }", json!({})).await
            ["directives"]["nodes"][0]["id"]);
        let mut tasks = Vec::new();
        for (i, due) in ["2026-05-25", "2026-09-30", "2026-12-31", "2026-06-30"].into_iter().enumerate() {
            let i = json!({ "title": format!("Nhiệm vụ kiểm đếm {i}"), "leadMinistryId": moit_id, "workingGroupId": wg,
                "description": "Kiểm đếm", "directiveId": directive, "focalPersonName": "Lê Văn C", "focalPersonTitle": "Vụ trưởng",
                "dueDate": due, "approvingAuthority": "Thủ tướng Chính phủ", "expectedOutput": "Báo cáo", "resources": "Ngân sách" });
            let id = s(&sec.data(CREATE_TASK, json!({ "i": i })).await["createTask"]["id"]);
            sec.data(ISSUE_TASK, json!({ "id": id, "v": 1 })).await;
            tasks.push(id);
        }
        let after_issue = agree(&sec, &wg, "issuing four tasks").await;
        assert_eq!(
            after_issue["expected"]["MOIT"].as_i64().unwrap_or(0),
            before["expected"]["MOIT"].as_i64().unwrap_or(0) + 4,
            "[{}]",
            app.backend
        );
        assert_eq!(
            after_issue["timeliness"]["dueSoon"].as_i64().unwrap(),
            before["timeliness"]["dueSoon"].as_i64().unwrap() + 1
        );
        sec.data(UPDATE_TASK, json!({ "id": tasks[0], "v": 2, "i": { "leadMinistryId": mof_id } })).await;
        agree(&sec, &wg, "changing a lead ministry").await;
        let complete = "mutation($id: ID!, $v: Int!) { completeTask(id: $id, expectedVersion: $v) { status } }";
        chair.data(complete, json!({ "id": tasks[0], "v": 3 })).await;
        app.set_now("2027-01-05T03:00:00Z");
        let sec = relogin(&app, sec).await;
        let chair = relogin(&app, chair).await;
        chair.data(complete, json!({ "id": tasks[1], "v": 2 })).await;
        let cancel = "mutation($id: ID!, $v: Int!) { cancelTask(id: $id, expectedVersion: $v, input: { reason: \"Gộp\" }) { status } }";
        sec.data(cancel, json!({ "id": tasks[2], "v": 2 })).await;
        let summary = agree(&sec, &wg, "completing and cancelling").await;
        assert!(summary["timeliness"]["completedLate"].as_i64().unwrap() >= 1);
        // Overdue tasks page in due-date order (sorted by the column itself, as all have a date).
        let page =
            "query($after: String, $n: Int) { tasks(first: $n, after: $after, filter: { timeliness: [OVERDUE] }) {
            nodes { code dueDate } pageInfo { hasNextPage endCursor } } }";
        let all = sec.data(page, json!({ "n": 500 })).await["tasks"]["nodes"].as_array().unwrap().clone();
        assert!(all.len() >= 10 && all.windows(2).all(|w| s(&w[0]["dueDate"]) <= s(&w[1]["dueDate"])));
        let (mut paged, mut after) = (Vec::new(), Value::Null);
        loop {
            let d = sec.data(page, json!({ "n": 3, "after": after })).await;
            paged.extend(d["tasks"]["nodes"].as_array().unwrap().iter().cloned());
            if d["tasks"]["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = d["tasks"]["pageInfo"]["endCursor"].clone();
        }
        assert_eq!(paged, all, "[{}] pages of 3 give the whole list once, in order", app.backend);
        let admin = app.admin().await;
        let other = s(&admin
            .data(
                "mutation { createWorkingGroup(input: { nameVi: \"Tổ công tác khác\", nameEn: \"Another group\" }) { id } }",
                json!({}),
            )
            .await["createWorkingGroup"]["id"]);
        sec.data(UPDATE_TASK, json!({ "id": tasks[3], "v": 2, "i": { "workingGroupId": other } })).await;
        agree(&sec, &wg, "moving a task to another group").await;
        let moved = agree(&sec, &other, "moving a task into this group").await;
        assert_eq!(moved["expected"], json!({ "MOIT": 1 }), "[{}]", app.backend);

        // Blockers: raised, forwarded (the holder changes), acknowledged, escalated, resolved,
        // withdrawn.
        let moit = relogin(&app, moit).await;
        let mof = relogin(&app, mof).await;
        let raise = |severity: &str| json!({ "i": { "title": "Vướng mắc kiểm đếm", "description": "Chưa có hướng dẫn.", "severity": severity, "category": "INSTITUTIONS_AND_LAW" } });
        let a = s(&moit.data(RAISE, raise("HIGH")).await["raiseBlocker"]["id"]);
        let b = s(&moit.data(RAISE, raise("LOW")).await["raiseBlocker"]["id"]);
        let c = s(&moit.data(RAISE, raise("CRITICAL")).await["raiseBlocker"]["id"]);
        agree(&sec, &wg, "raising three blockers").await;
        let forward =
            |id: &str| json!({ "id": id, "v": 1, "i": { "responsibleMinistryId": mof_id, "dueDate": "2027-02-01" } });
        sec.data(FORWARD, forward(&a)).await;
        sec.data(FORWARD, forward(&b)).await;
        agree(&sec, &wg, "forwarding two to MOF").await;
        mof.data(ACK, json!({ "id": a, "v": 2 })).await;
        mof.data(
            ESCALATE,
            json!({ "id": a, "v": 3, "i": { "escalatedTo": "Thủ tướng Chính phủ", "reason": "Vượt thẩm quyền." } }),
        )
        .await;
        agree(&sec, &wg, "acknowledging and escalating").await;
        chair.data(RESOLVE, json!({ "id": a, "v": 4, "i": { "resolution": "Đã có ý kiến chỉ đạo." } })).await;
        moit.data(WITHDRAW, json!({ "id": c, "v": 1 })).await;
        let last = agree(&sec, &wg, "resolving one and withdrawing one").await;
        assert_eq!(
            last["blockers"].as_i64().unwrap(),
            before["blockers"].as_i64().unwrap() + 1,
            "[{}] only the forwarded LOW one is left",
            app.backend
        );
        assert_eq!(last["holders"]["MOF"].as_i64().unwrap(), 1 + before["holders"]["MOF"].as_i64().unwrap_or(0));

        // Ages are counted against the clock: b is 15 days old and d new, then both over 30.
        app.set_now("2027-01-20T03:00:00Z");
        let moit = relogin(&app, moit).await;
        moit.data(RAISE, raise("MEDIUM")).await;
        let sec = relogin(&app, sec).await;
        let ages = ages_agree(&sec, &wg, "2027-01-20T03:00:00Z").await;
        assert!(ages["under7Days"].as_i64().unwrap() >= 1 && ages["from7To30Days"].as_i64().unwrap() >= 1);
        app.set_now("2027-02-25T03:00:00Z");
        let sec = relogin(&app, sec).await;
        let ages = ages_agree(&sec, &wg, "2027-02-25T03:00:00Z").await;
        assert!(ages["over30Days"].as_i64().unwrap() >= 2, "[{}] {ages}", app.backend);
        app.finish().await;
    }
}
