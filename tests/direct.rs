//! Objects in lists resolve their plain fields and their related objects directly
//! (`graphql::direct`), without the general path's future per field. These tests check, field by
//! field, that both paths give the same answer: a fragment on a node sends it the general way.
//! The fields come from introspection, so a field added later is compared too.

mod common;

use common::{apps, ministry_id, Session, TestApp};
use entity::enums::Role;
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

fn string(v: &Value) -> String {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}")).to_owned()
}

/// Every field of `ty` that needs no argument, objects with `__typename` inside.
async fn selection(s: &Session<'_>, ty: &str) -> (String, Vec<String>) {
    let (parts, names) = field_selections(s, ty).await;
    (parts.join(" "), names)
}

/// The selection of each field of `ty` that needs no argument, and the fields' names.
async fn field_selections(s: &Session<'_>, ty: &str) -> (Vec<String>, Vec<String>) {
    let q = "query($t: String!) { __type(name: $t) { fields { name args { type { kind } }
        type { kind ofType { kind ofType { kind ofType { kind } } } } } } }";
    let d = s.data(q, json!({ "t": ty })).await;
    let mut parts = Vec::new();
    let mut names = Vec::new();
    for f in d["__type"]["fields"].as_array().unwrap_or_else(|| panic!("no type {ty}")) {
        if f["args"].as_array().unwrap().iter().any(|a| a["type"]["kind"] == "NON_NULL") {
            continue;
        }
        let mut t = &f["type"];
        while matches!(t["kind"].as_str(), Some("NON_NULL" | "LIST")) {
            t = &t["ofType"];
        }
        let name = string(&f["name"]);
        let leaf = matches!(t["kind"].as_str(), Some("SCALAR" | "ENUM"));
        parts.push(if leaf { name.clone() } else { format!("{name} {{ __typename }}") });
        names.push(name);
    }
    assert!(names.len() > 5, "{ty} has fields: {names:?}");
    (parts, names)
}

/// The same selection sent the general way.
fn general(ty: &str, sel: &str) -> String {
    format!("... on {ty} {{ {sel} }}")
}

/// Asks for `template` with `{}` replaced by the direct selection and by the general one, and
/// checks that the answers are equal. The direct selection is asked for twice: as it is, when a
/// page of plain fields is written as JSON text at once (`graphql::connection`), and with a
/// skipped fragment at the top, which rules the text out, so that nodes resolve as `Direct`
/// values.
async fn same_both_ways(s: &Session<'_>, template: &str, direct: &str, general: &str, vars: Value) -> Value {
    let query = template.replace("{}", direct);
    let a = s.data(&query, vars.clone()).await;
    let values = s.data(&without_text(&query), vars.clone()).await;
    let b = s.data(&template.replace("{}", general), vars).await;
    assert_eq!(a, b, "[{}] direct and general answers differ for {template}", s.app.backend);
    assert_eq!(values, b, "[{}] direct values and general answers differ for {template}", s.app.backend);
    a
}

/// The same query with a fragment that adds nothing, so that no list is written as text.
fn without_text(query: &str) -> String {
    let at = query.find('{').expect("a selection") + 1;
    format!("{} ... on Query @skip(if: true) {{ __typename }} {}", &query[..at], &query[at..])
}

/// Pages of lists the server has answered as JSON text at once, and field by field (`/metrics`).
async fn pages(app: &TestApp) -> (u64, u64) {
    let text =
        app.client.get(format!("{}/metrics", app.base)).send().await.expect("metrics").text().await.expect("text");
    let count = |how: &str| {
        let line = format!("coordination_graphql_pages_total{{how=\"{how}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(line.as_str()))
            .unwrap_or_else(|| panic!("no {line} in /metrics"))
            .parse()
            .expect("a count")
    };
    (count("written"), count("resolved"))
}

/// Fields of `names` that are null in every item of `items`.
fn never_set(items: &Value, names: &[String]) -> Vec<String> {
    let items = items.as_array().expect("a list");
    assert!(!items.is_empty(), "nothing listed");
    names.iter().filter(|n| items.iter().all(|i| i[n.as_str()].is_null())).cloned().collect()
}

/// Reports, and blockers in every state that sets a field: open, forwarded and overdue,
/// escalated, resolved; a completed and a cancelled task.
async fn some_of_everything(app: &TestApp) -> (String, Vec<String>) {
    app.set_now("2026-05-10T03:00:00Z");
    let sec = app.secretariat().await;
    let d = sec
        .data(
            "{ tasks(first: 3, filter: { status: [ACTIVE] }) { nodes { id version leadMinistry { code } } } }",
            json!({}),
        )
        .await;
    let tasks: Vec<Value> = d["tasks"]["nodes"].as_array().unwrap().clone();
    let update = "mutation($id: ID!, $v: Int!, $i: UpdateTaskInput!) { updateTask(id: $id, expectedVersion: $v, input: $i) { id } }";
    let fill = json!({ "focalPersonName": "Trần Thị Bình", "focalPersonTitle": "Cục trưởng", "resources": "Ngân sách nhà nước" });
    sec.data(update, json!({ "id": tasks[0]["id"], "v": tasks[0]["version"], "i": fill })).await;
    let lead = string(&tasks[0]["leadMinistry"]["code"]);
    let officer = app.officer_of(&lead).await;
    let submit = "mutation($i: SubmitMonthlyReportInput!) { submitMonthlyReport(input: $i) { id version } }";
    let input = json!({ "taskId": tasks[0]["id"], "period": "2026-05", "progressPercent": 40, "health": "AT_RISK",
        "summary": "Đã hoàn thành dự thảo.", "achievements": "Lấy ý kiến các bộ.", "nextSteps": "Trình Chính phủ." });
    let r = officer.data(submit, json!({ "i": input })).await;
    let review = "mutation($id: ID!, $v: Int!, $i: ReviewMonthlyReportInput!) { reviewMonthlyReport(id: $id, expectedVersion: $v, input: $i) { id } }";
    sec.data(
        review,
        json!({ "id": r["submitMonthlyReport"]["id"], "v": r["submitMonthlyReport"]["version"],
        "i": { "decision": "RETURN", "comment": "Bổ sung số liệu." } }),
    )
    .await;

    let raise = "mutation($i: RaiseBlockerInput!) { raiseBlocker(input: $i) { id version } }";
    let mut blockers = Vec::new();
    for (i, title) in ["Chưa có hướng dẫn", "Thiếu kinh phí", "Chưa có cơ chế", "Thiếu nhân lực"].iter().enumerate()
    {
        let input = json!({ "title": title, "description": "Doanh nghiệp đề nghị hướng dẫn.", "severity": "HIGH",
            "category": "FUNDING", "origin": "ENTERPRISE", "originName": format!("Công ty {i}"), "taskId": tasks[0]["id"] });
        blockers.push(officer.data(raise, json!({ "i": input })).await["raiseBlocker"].clone());
    }
    // Blockers on the task about to be completed (late: it was due on or before 30 April) and on
    // the one about to be cancelled, so that related tasks show those fields too.
    for (i, task) in tasks[1..].iter().enumerate() {
        let input = json!({ "title": format!("Vướng mắc {i}"), "description": "Chờ ý kiến.", "severity": "LOW",
            "category": "INSTITUTIONS_AND_LAW", "origin": "MINISTRY", "taskId": task["id"] });
        officer.data(raise, json!({ "i": input })).await;
    }
    let mof = ministry_id(&sec, "MOF").await;
    // A body of another kind than the ministries, so that a ministry's `kind` is compared too.
    let vast = ministry_id(&sec, "VAST").await;
    let forward = "mutation($id: ID!, $v: Int!, $i: ForwardBlockerInput!) { forwardBlocker(id: $id, expectedVersion: $v, input: $i) { version } }";
    let mut versions = Vec::new();
    for (i, b) in blockers[1..].iter().enumerate() {
        let to = if i == 0 { &vast } else { &mof };
        let input = json!({ "responsibleMinistryId": to, "dueDate": "2026-05-15" });
        versions.push(
            sec.data(forward, json!({ "id": b["id"], "v": b["version"], "i": input })).await["forwardBlocker"]
                ["version"]
                .clone(),
        );
    }
    let acknowledge = "mutation($id: ID!, $v: Int!) { acknowledgeBlocker(id: $id, expectedVersion: $v) { version } }";
    let v = sec.data(acknowledge, json!({ "id": blockers[2]["id"], "v": versions[1] })).await["acknowledgeBlocker"]
        ["version"]
        .clone();
    let escalate = "mutation($id: ID!, $v: Int!, $i: EscalateBlockerInput!) { escalateBlocker(id: $id, expectedVersion: $v, input: $i) { id } }";
    sec.data(
        escalate,
        json!({ "id": blockers[2]["id"], "v": v,
        "i": { "escalatedTo": "Thủ tướng Chính phủ", "reason": "Vượt thẩm quyền của bộ." } }),
    )
    .await;
    let resolve = "mutation($id: ID!, $v: Int!, $i: ResolveBlockerInput!) { resolveBlocker(id: $id, expectedVersion: $v, input: $i) { id } }";
    let v = sec.data(acknowledge, json!({ "id": blockers[3]["id"], "v": versions[2] })).await["acknowledgeBlocker"]
        ["version"]
        .clone();
    sec.data(resolve, json!({ "id": blockers[3]["id"], "v": v, "i": { "resolution": "Đã ban hành hướng dẫn." } }))
        .await;

    let complete = "mutation($id: ID!, $v: Int!) { completeTask(id: $id, expectedVersion: $v) { id } }";
    sec.data(complete, json!({ "id": tasks[1]["id"], "v": tasks[1]["version"] })).await;
    let cancel = "mutation($id: ID!, $v: Int!, $r: String!) { cancelTask(id: $id, expectedVersion: $v, input: { reason: $r }) { id } }";
    sec.data(cancel, json!({ "id": tasks[2]["id"], "v": tasks[2]["version"], "r": "Gộp vào nhiệm vụ khác." })).await;
    let wg = string(&sec.data("{ workingGroups { id } }", json!({})).await["workingGroups"][0]["id"]);
    // A day past the forwarded blockers' due date: they are overdue.
    app.set_now("2026-05-16T03:00:00Z");
    (wg, vec![lead])
}

#[tokio::test]
async fn plain_fields_resolve_as_their_resolvers_do() {
    for app in apps().await {
        let (wg, _) = some_of_everything(&app).await;
        let s = app.observer().await;
        for (ty, list, unset_allowed) in [
            ("Blocker", "blockers(first: 50, filter: { status: [OPEN, FORWARDED, ESCALATED, RESOLVED] })", vec![]),
            ("Task", "tasks(first: 50, filter: { status: [ACTIVE, COMPLETED, CANCELLED] })", vec![]),
            ("MonthlyReport", "monthlyReports(first: 50)", vec!["reviewedBy", "reviewedAt"]),
            ("Ministry", "ministries(first: 100)", vec![]),
        ] {
            let (sel, names) = selection(&s, ty).await;
            let field = list.split('(').next().unwrap();
            let template = format!("{{ {list} {{ nodes {{ {{}} }} }} }}");
            let d = same_both_ways(&s, &template, &sel, &general(ty, &sel), json!({})).await;
            let unset: Vec<String> = never_set(&d[field]["nodes"], &names)
                .into_iter()
                .filter(|n| !unset_allowed.contains(&n.as_str()))
                .collect();
            assert!(unset.is_empty(), "[{}] {ty}: no item sets {unset:?}, so they were not compared", app.backend);
        }
        // The summary's rows.
        let (sel, names) = selection(&s, "MinistrySummary").await;
        let template =
            "query($wg: ID!) { monthlySummary(workingGroupId: $wg, period: \"2026-05\") { ministries { {} } } }";
        let d = same_both_ways(&s, template, &sel, &general("MinistrySummary", &sel), json!({ "wg": wg })).await;
        let rows = &d["monthlySummary"]["ministries"];
        assert!(never_set(rows, &names).is_empty(), "[{}] summary rows: {rows}", app.backend);
        assert!(rows.as_array().unwrap().iter().any(|r| r["submitted"].as_u64() > Some(0)), "{rows}");
        app.finish().await;
    }
}

#[tokio::test]
async fn related_objects_aliases_and_repeated_fields_resolve_as_on_the_general_path() {
    for app in apps().await {
        some_of_everything(&app).await;
        let s = app.observer().await;
        let (task, _) = selection(&s, "Task").await;
        let (ministry, _) = selection(&s, "Ministry").await;
        // Related objects, each with every field, the direct way and the general way.
        let direct = format!("task {{ {task} }} raisedBy {{ {ministry} }} responsibleMinistry {{ {ministry} }}");
        let general = format!(
            "task {{ ... on Task {{ {task} }} }} raisedBy {{ ... on Ministry {{ {ministry} }} }} responsibleMinistry {{ ... on Ministry {{ {ministry} }} }}"
        );
        let d = same_both_ways(&s, "{ blockers(first: 10) { nodes { {} } } }", &direct, &general, json!({})).await;
        let nodes = d["blockers"]["nodes"].as_array().unwrap();
        assert!(nodes.iter().any(|n| n["responsibleMinistry"].is_null()), "an unforwarded blocker has none");
        assert!(nodes.iter().any(|n| n["responsibleMinistry"]["code"] == "MOF"));
        assert!(nodes.iter().all(|n| n["task"]["leadMinistry"]["__typename"] == "Ministry"));
        // Aliases, a key asked for twice (merged), __typename, and reports' relations.
        let direct = "a: title title b: title __typename t: task { code } t: task { title leadMinistry { code } } raisedBy { id }";
        let general = format!("... on Blocker {{ {direct} }}");
        let d = same_both_ways(&s, "{ blockers(first: 10) { nodes { {} } } }", direct, &general, json!({})).await;
        let first = &d["blockers"]["nodes"][0];
        assert_eq!(first["a"], first["title"]);
        assert_eq!(first["__typename"], "Blocker");
        assert!(first["t"]["code"].is_string() && first["t"]["title"].is_string(), "merged: {first}");
        let direct = "id task { code leadMinistry { nameVi } } ministry { code name }";
        let d = same_both_ways(
            &s,
            "{ monthlyReports(first: 10) { nodes { {} } } }",
            direct,
            &format!("... on MonthlyReport {{ {direct} }}"),
            json!({}),
        )
        .await;
        assert!(d["monthlyReports"]["nodes"][0]["ministry"]["code"].is_string(), "{d}");
        app.finish().await;
    }
}

/// A page of blockers or tasks, and a related task or ministry, whose selection asks only for plain fields
/// reads only their columns (`service::rows`). Asked for one field at a time, each must come out
/// as from the whole row, which is what the general way (a fragment) reads; each field must be
/// set in some item, or the comparison would prove nothing.
#[tokio::test]
async fn each_field_alone_reads_what_the_whole_row_gives() {
    for app in apps().await {
        some_of_everything(&app).await;
        let s = app.observer().await;
        let all = "status: [OPEN, FORWARDED, ESCALATED, RESOLVED]";
        // (type, query, where the objects are in the answer, fields allowed to be unset in all)
        let tasks = "status: [ACTIVE, COMPLETED, CANCELLED]";
        let cases: [(&str, String, &str, &[&str]); 4] = [
            ("Blocker", format!("{{ blockers(first: 50, filter: {{ {all} }}) {{ nodes {{ {{}} }} }} }}"), "", &[]),
            ("Task", format!("{{ tasks(first: 50, filter: {{ {tasks} }}) {{ nodes {{ {{}} }} }} }}"), "", &[]),
            (
                "Task",
                format!("{{ blockers(first: 50, filter: {{ {all} }}) {{ nodes {{ id task {{ {{}} }} }} }} }}"),
                "task",
                &[],
            ),
            (
                "Ministry",
                format!("{{ blockers(first: 50, filter: {{ {all} }}) {{ nodes {{ raisedBy {{ {{}} }} responsibleMinistry {{ {{}} }} }} }} }}"),
                "responsibleMinistry",
                &[],
            ),
        ];
        for (ty, template, inside, unset_allowed) in cases {
            let (parts, names) = field_selections(&s, ty).await;
            let mut too_few = Vec::new();
            for (part, name) in parts.iter().zip(&names) {
                // A fragment on the object itself sends it the general way, reading whole rows.
                let d = same_both_ways(&s, &template, part, &general(ty, part), json!({})).await;
                let list = d.as_object().and_then(|d| d.values().next()).expect("a list");
                let items: Vec<&Value> = list["nodes"]
                    .as_array()
                    .expect("nodes")
                    .iter()
                    .map(|n| if inside.is_empty() { n } else { &n[inside] })
                    .filter(|o| !o.is_null())
                    .collect();
                let values: std::collections::HashSet<String> =
                    items.iter().map(|o| o[name.as_str()].to_string()).collect();
                // A field read from a column left out would be blank (null, empty text, zero,
                // false, 1970, the first enum value); it is caught when its items differ, or
                // when their one value is none of those. An object must be there in some item.
                let set: Vec<&String> = values.iter().filter(|v| *v != "null").collect();
                let blank = |v: &str| matches!(v, "\"\"" | "0" | "false") || v.starts_with("\"1970-01-01");
                let compared = !set.is_empty() && (part.contains('{') || values.len() >= 2 || !blank(set[0]));
                if !compared && !unset_allowed.contains(&name.as_str()) {
                    too_few.push(format!("{name} {values:?}"));
                }
            }
            assert!(too_few.is_empty(), "[{}] {ty}: too few values to compare: {too_few:?}", app.backend);
        }
        app.finish().await;
    }
}

/// One task by id, and its lead ministry, read with the columns the selection shows: each field
/// alone comes out as from the whole row (a fragment), for tasks in every state.
#[tokio::test]
async fn a_task_by_id_reads_what_the_whole_row_gives() {
    for app in apps().await {
        some_of_everything(&app).await;
        let s = app.observer().await;
        let d = s
            .data(
                "{ tasks(first: 50, filter: { status: [ACTIVE, COMPLETED, CANCELLED] }) { nodes { id } } }",
                json!({}),
            )
            .await;
        let ids: Vec<Value> = d["tasks"]["nodes"].as_array().unwrap().iter().map(|n| n["id"].clone()).collect();
        assert!(ids.len() >= 3, "{d}");
        for (ty, template) in [
            ("Task", "query($id: ID!) { task(id: $id) { {} } }"),
            ("Ministry", "query($id: ID!) { task(id: $id) { code leadMinistry { {} } } }"),
        ] {
            let (parts, names) = field_selections(&s, ty).await;
            for (part, name) in parts.iter().zip(&names) {
                let mut values = std::collections::HashSet::new();
                for id in &ids {
                    let d = same_both_ways(&s, template, part, &general(ty, part), json!({ "id": id })).await;
                    let object = if ty == "Task" { &d["task"] } else { &d["task"]["leadMinistry"] };
                    values.insert(object[name.as_str()].to_string());
                }
                assert!(values.iter().any(|v| v != "null"), "[{}] {ty}.{name} never set: {values:?}", app.backend);
            }
        }
        app.finish().await;
    }
}

/// The statements a request ran, with their values as captured (`DEBUG_SQL_CAPTURE`), and its data.
async fn captured(app: &TestApp, token: &str, query: &str, variables: Value) -> (Vec<(String, Vec<Value>)>, Value) {
    let res = app
        .client
        .post(format!("{}/graphql", app.base))
        .bearer_auth(token)
        .header("x-capture-sql", "1")
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("request");
    let body: Value = res.json().await.expect("json");
    assert!(body["errors"].is_null(), "[{}] {body}", app.backend);
    let statements = body["extensions"]["sqlStatements"]
        .as_array()
        .unwrap_or_else(|| panic!("no statements captured: {body}"))
        .iter()
        .map(|c| (string(&c["sql"]), c["values"].as_array().cloned().unwrap_or_default()))
        .collect();
    (statements, body["data"].clone())
}

/// The statement of `statements` that reads `table`.
fn reading<'a>(app: &TestApp, statements: &'a [(String, Vec<Value>)], table: &str) -> &'a (String, Vec<Value>) {
    let from = format!("FROM \"{table}\"");
    statements
        .iter()
        .find(|(sql, _)| sql.contains(&from))
        .unwrap_or_else(|| panic!("[{}] no statement on {table}: {statements:?}", app.backend))
}

/// The pull's shape reads a task's code without its other columns.
#[tokio::test]
async fn a_page_of_blockers_selects_only_the_columns_it_shows() {
    for app in common::apps_with(|s| s.debug_sql_capture = true).await {
        some_of_everything(&app).await;
        let s = app.observer().await;
        let q = "{ blockers(first: 50) { nodes { id title task { code } raisedBy { code } } } }";
        let (statements, data) = captured(&app, &s.token, q, json!({})).await;
        let (tasks, blockers) = (&reading(&app, &statements, "tasks").0, &reading(&app, &statements, "blockers").0);
        assert!(tasks.contains("\"code\"") && !tasks.contains("\"title\""), "[{}] {tasks}", app.backend);
        assert!(!blockers.contains("\"description\""), "[{}] {blockers}", app.backend);
        assert!(data["blockers"]["nodes"][0]["task"]["code"].is_string(), "{data}");
        app.finish().await;
    }
}

/// A page of the unresolved blockers, in creation or update order, lists exactly the blockers
/// whose status is unresolved, in that order. On SQLite it reads them from the partial index
/// that holds them with the columns a list shows, without the table and without a sort: the
/// cursor's later pages too, on a new database that has never been analyzed. Blockers raised at
/// different times, the first of them changed last, make the two orders differ.
#[tokio::test]
async fn the_unresolved_blockers_are_listed_from_their_own_index() {
    for app in common::apps_with(|s| s.debug_sql_capture = true).await {
        let (_, leads) = some_of_everything(&app).await;
        let sec = app.session("secretariat.second", Role::Secretariat, Some("MOST")).await;
        let officer = app.session("officer.second", Role::MinistryOfficer, Some(&leads[0])).await;
        let task = &officer.data("{ tasks(first: 1) { nodes { id } } }", json!({})).await["tasks"]["nodes"][0]["id"];
        let raise = "mutation($i: RaiseBlockerInput!) { raiseBlocker(input: $i) { id version } }";
        let mut later = Vec::new();
        for minute in 1..4 {
            app.set_now(&format!("2026-05-16T03:0{minute}:00Z"));
            let input = json!({ "title": format!("Vướng mắc thứ {minute}"), "description": "Chờ hướng dẫn.",
                "severity": "MEDIUM", "category": "FUNDING", "origin": "MINISTRY", "taskId": task });
            later.push(officer.data(raise, json!({ "i": input })).await["raiseBlocker"].clone());
        }
        app.set_now("2026-05-16T03:04:00Z");
        let forward = "mutation($id: ID!, $v: Int!, $i: ForwardBlockerInput!) { forwardBlocker(id: $id, expectedVersion: $v, input: $i) { version } }";
        let input = json!({ "responsibleMinistryId": ministry_id(&sec, "MOF").await, "dueDate": "2026-06-15" });
        sec.data(forward, json!({ "id": later[0]["id"], "v": later[0]["version"], "i": input })).await;
        let s = app.observer().await;
        let all = s.data("{ blockers(first: 100) { nodes { id status createdAt updatedAt } } }", json!({})).await;
        let all = all["blockers"]["nodes"].as_array().expect("nodes").clone();
        let unresolved =
            |n: &&Value| ["OPEN", "FORWARDED", "IN_PROGRESS", "ESCALATED"].contains(&n["status"].as_str().unwrap());
        assert!(all.iter().any(|n| !unresolved(&n)), "[{}] no resolved blocker to leave out", app.backend);
        let q = "query($after: String, $field: BlockerOrderField!) { blockers(first: 2, after: $after,
            orderBy: { field: $field }, filter: { status: [OPEN, FORWARDED, IN_PROGRESS, ESCALATED] }) {
            nodes { id title status severity dueDate overdue task { code } raisedBy { code } responsibleMinistry { code } }
            pageInfo { hasNextPage endCursor } } }";
        let in_order = |key: &str| {
            let mut listed: Vec<&Value> = all.iter().filter(unresolved).collect();
            listed.sort_by_key(|n| (string(&n[key]), string(&n["id"])));
            listed.iter().map(|n| string(&n["id"])).collect::<Vec<String>>()
        };
        let (by_creation, by_update) = (in_order("createdAt"), in_order("updatedAt"));
        let first = string(&later[0]["id"]);
        assert_eq!(by_update.last(), Some(&first), "[{}] the blocker changed last", app.backend);
        assert_ne!(by_creation.last(), Some(&first), "[{}] the orders do not differ", app.backend);
        for (field, expected, index) in [
            ("CREATED_AT", by_creation, "ix_blockers_open_created"),
            ("UPDATED_AT", by_update, "ix_blockers_open_updated"),
        ] {
            let (mut listed, mut after) = (Vec::new(), Value::Null);
            loop {
                let (statements, data) = captured(&app, &s.token, q, json!({ "after": after, "field": field })).await;
                let page = &data["blockers"];
                listed.extend(page["nodes"].as_array().expect("nodes").iter().map(|n| string(&n["id"])));
                if app.backend == "sqlite" {
                    let (sql, _) = reading(&app, &statements, "blockers");
                    let plan = app
                        .state
                        .db
                        .query_all_raw(sea_orm::Statement::from_string(
                            sea_orm::DbBackend::Sqlite,
                            format!("EXPLAIN QUERY PLAN {sql}"),
                        ))
                        .await
                        .expect("a plan");
                    let plan: Vec<String> =
                        plan.iter().map(|row| row.try_get_by_index::<String>(3).expect("detail")).collect();
                    let covering = format!("USING COVERING INDEX {index}");
                    assert!(
                        plan.len() == 1 && plan[0].contains(&covering),
                        "[sqlite] {field} page read otherwise than from {index}: {plan:?}\n{sql}"
                    );
                }
                if page["pageInfo"]["hasNextPage"] != true {
                    break;
                }
                after = page["pageInfo"]["endCursor"].clone();
            }
            assert_eq!(listed, expected, "[{}] unresolved blockers by {field}", app.backend);
        }
        app.finish().await;
    }
}

/// The pull's shape is written as JSON text at once; a fragment anywhere, a key asked for twice,
/// or a node field that needs its resolver sends the page the general way; and each way gives
/// the same answer, the count and the cursors included.
#[tokio::test]
async fn pages_of_plain_fields_are_written_at_once() {
    for app in apps().await {
        some_of_everything(&app).await;
        let s = app.observer().await;
        let pull = "query($after: String) { blockers(first: 3, after: $after) { totalCount
            nodes { id title status severity dueDate overdue task { code leadMinistry { code } } raisedBy { code } responsibleMinistry { code } }
            edges { cursor node { id __typename } __typename }
            pageInfo { hasNextPage hasPreviousPage startCursor endCursor __typename } __typename } }";
        let cases = [
            (pull.to_owned(), (1, 0)),
            (without_text(pull), (0, 1)),
            (pull.replace("id title", "id title title"), (0, 1)),
            (pull.replace("status severity", "status events { kind } severity"), (0, 1)),
        ];
        let mut answers = Vec::new();
        for (query, (written, resolved)) in &cases {
            let (w0, r0) = pages(&app).await;
            let mut d = s.data(query, json!({})).await;
            let (w1, r1) = pages(&app).await;
            assert_eq!((w1 - w0, r1 - r0), (*written, *resolved), "[{}] {query}", app.backend);
            for node in d["blockers"]["nodes"].as_array_mut().expect("nodes") {
                node.as_object_mut().expect("a node").remove("events");
            }
            answers.push(d);
        }
        let page = &answers[0]["blockers"];
        assert!(page["totalCount"].as_u64() > Some(3), "{page}");
        assert_eq!(page["pageInfo"]["hasNextPage"], true, "{page}");
        assert_eq!(page["pageInfo"]["endCursor"], page["edges"][2]["cursor"], "{page}");
        assert_eq!(page["edges"][0]["__typename"], "BlockerEdge");
        assert_eq!(page["__typename"], "BlockerConnection");
        for other in &answers[1..] {
            assert_eq!(&answers[0], other, "[{}] the ways differ", app.backend);
        }
        // The next page through the written cursor.
        let after = page["pageInfo"]["endCursor"].clone();
        let next = s.data(pull, json!({ "after": after })).await;
        let first_ids: Vec<&Value> = page["nodes"].as_array().unwrap().iter().map(|n| &n["id"]).collect();
        assert!(!first_ids.contains(&&next["blockers"]["nodes"][0]["id"]), "{next}");
        app.finish().await;
    }
}

/// Rows of a list are read by position with the server's own decoders (`service::rows`); a
/// single blocker is read by SeaORM's derived model and sqlx's decoders. Every field of every
/// blocker must come out the same both ways: ids, text, enums, dates, timestamps, nulls.
#[tokio::test]
async fn rows_read_by_position_give_what_the_derived_model_reads() {
    for app in apps().await {
        some_of_everything(&app).await;
        let s = app.observer().await;
        let (fields, _) = field_selections(&s, "Blocker").await;
        let plain: Vec<&str> = fields.iter().map(String::as_str).filter(|f| !f.contains('{')).collect();
        for field in ["id", "title", "status", "dueDate", "resolvedAt", "createdAt", "updatedAt"] {
            assert!(plain.contains(&field), "{field} is not among the plain fields {plain:?}");
        }
        let sel = plain.join(" ");
        let q = format!(
            "{{ blockers(first: 50, filter: {{ status: [OPEN, FORWARDED, ESCALATED, RESOLVED] }}) {{ nodes {{ {sel} }} }} }}"
        );
        let listed = s.data(&q, json!({})).await;
        let nodes = listed["blockers"]["nodes"].as_array().expect("nodes").clone();
        assert!(nodes.len() >= 3, "[{}] too few blockers to compare: {}", app.backend, nodes.len());
        let one_by_one: Vec<String> =
            nodes.iter().enumerate().map(|(i, n)| format!("b{i}: blocker(id: {}) {{ {sel} }}", n["id"])).collect();
        let single = s.data(&format!("{{ {} }}", one_by_one.join(" ")), json!({})).await;
        for (i, node) in nodes.iter().enumerate() {
            assert_eq!(&single[format!("b{i}")], node, "[{}] blocker {} differs", app.backend, node["id"]);
        }
        // A nullable timestamp was compared both set and null.
        let stamps: Vec<&Value> = nodes.iter().map(|n| &n["resolvedAt"]).collect();
        assert!(stamps.iter().any(|v| v.is_null()) && stamps.iter().any(|v| v.is_string()), "{stamps:?}");
        app.finish().await;
    }
}
