//! The foundation as a user meets it: sign-in, the role matrix at the edge, the read API with
//! its connections, search and relations, and the reference data.

mod common;

use common::{apps, ministry_id, TestApp, SECRET};
use entity::enums::Role;
use jsonwebtoken::{encode, EncodingKey, Header};
use serde_json::{json, Value};

const TASKS: &str = "{ tasks(first: 50) { totalCount nodes { code title leadMinistry { code } dueDate timeliness clarity { complete missing } } } }";

#[tokio::test]
async fn a_fresh_installation_lists_the_notice_22_tasks() {
    for app in apps().await {
        let admin = app.admin().await;
        let d = admin.data(TASKS, json!({})).await;
        assert_eq!(d["tasks"]["totalCount"], 11, "[{}]", app.backend);
        let nodes = d["tasks"]["nodes"].as_array().unwrap();
        let by_code = |code: &str| nodes.iter().find(|n| n["code"] == code).cloned().unwrap_or(Value::Null);
        assert_eq!(by_code("TB22-4B")["leadMinistry"]["code"], "MOF");
        assert_eq!(by_code("TB22-5")["leadMinistry"]["code"], "MOET");
        assert_eq!(by_code("TB22-PL1")["dueDate"], "2026-04-05");
        assert_eq!(by_code("TB22-1")["clarity"], json!({ "complete": false, "missing": ["PERSON", "RESOURCES"] }));
        let a4 = by_code("TB22-PL2B-TT");
        assert_eq!(a4["dueDate"], Value::Null);
        assert!(a4["clarity"]["missing"].as_array().unwrap().contains(&json!("TIME")));
        assert_eq!(a4["timeliness"], Value::Null, "a draft has no timeliness");
        // Ordered by due date, soonest first, undated last.
        assert_eq!(nodes[0]["code"], "TB22-PL1");
        assert_eq!(nodes[10]["code"], "TB22-PL2B-TT");
        app.finish().await;
    }
}

#[tokio::test]
async fn timeliness_is_computed_in_vietnam() {
    for app in apps().await {
        app.admin().await;
        // Signs in at the moment the clock shows, then reads TB22-3 (due 2026-06-30).
        let at = |when: &'static str| {
            let app = &app;
            async move {
                app.set_now(when);
                let token = app.login("admin.test", common::PASSWORD).await;
                let (_, body) = app
                    .post(Some(&token), "{ tasks(filter: { search: \"TB22-3\" }) { nodes { timeliness } } }", json!({}))
                    .await;
                body["data"]["tasks"]["nodes"][0]["timeliness"].as_str().unwrap_or("none").to_owned()
            }
        };
        assert_eq!(at("2026-05-01T00:00:00Z").await, "ON_SCHEDULE", "[{}]", app.backend);
        // 23:00 on 30 June in Hanoi: due soon, not overdue.
        assert_eq!(at("2026-06-30T16:00:00Z").await, "DUE_SOON");
        // An hour later it is 1 July in Hanoi (still 30 June in UTC): overdue.
        assert_eq!(at("2026-06-30T17:00:00Z").await, "OVERDUE");
        app.set_now("2026-05-01T00:00:00Z");
        let token = app.login("admin.test", common::PASSWORD).await;
        let (_, body) = app
            .post(Some(&token), "{ tasks(filter: { timeliness: [ON_SCHEDULE] }) { nodes { code } } }", json!({}))
            .await;
        let mut codes: Vec<&str> =
            body["data"]["tasks"]["nodes"].as_array().unwrap().iter().map(|n| n["code"].as_str().unwrap()).collect();
        codes.sort();
        assert_eq!(codes, ["TB22-3", "TB22-4A", "TB22-4B", "TB22-5", "TB22-6", "TB22-PL2B"], "due after 8 May");
        app.finish().await;
    }
}

fn token(claims: Value, secret: &[u8]) -> String {
    encode(&Header::default(), &claims, &EncodingKey::from_secret(secret)).unwrap()
}

async fn code_for(app: &TestApp, bearer: &str) -> (u16, String) {
    let (status, body) = app.post(Some(bearer), "{ me { name } }", json!({})).await;
    (status, body["errors"][0]["extensions"]["code"].as_str().unwrap_or("none").to_owned())
}

#[tokio::test]
async fn bad_tokens_are_refused_with_unauthenticated() {
    for app in apps().await {
        let admin = app.admin().await;
        let now = chrono::Utc::now().timestamp();
        let sub = admin.user_id.clone();
        let claims = |iat: i64, exp: i64| json!({ "sub": sub, "iss": "coordination", "aud": "coordination-api", "iat": iat, "nbf": iat, "exp": exp, "jti": "x" });

        let (status, body) = app.post(None, "{ me { name } }", json!({})).await;
        assert_eq!((status, body["errors"][0]["extensions"]["code"].as_str()), (401, Some("UNAUTHENTICATED")));

        let expired = token(claims(now - 7200, now - 3600), SECRET.as_bytes());
        assert_eq!(code_for(&app, &expired).await, (401, "UNAUTHENTICATED".into()));

        let foreign = token(claims(now, now + 3600), b"some-other-secret-some-other-secret!!");
        assert_eq!(code_for(&app, &foreign).await, (401, "UNAUTHENTICATED".into()));

        use base64::Engine;
        let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        let none = format!("{}.{}.", b64(json!({ "alg": "none", "typ": "JWT" })), b64(claims(now, now + 3600)));
        assert_eq!(code_for(&app, &none).await, (401, "UNAUTHENTICATED".into()));

        let no_audience = token(
            json!({ "sub": admin.user_id, "iss": "coordination", "iat": now, "nbf": now, "exp": now + 3600 }),
            SECRET.as_bytes(),
        );
        assert_eq!(code_for(&app, &no_audience).await, (401, "UNAUTHENTICATED".into()));

        assert_eq!(code_for(&app, "garbage").await, (401, "UNAUTHENTICATED".into()));

        // The same claims, correctly signed, pass: the refusals above are about the token.
        let good = token(claims(now, now + 3600), SECRET.as_bytes());
        assert_eq!(code_for(&app, &good).await, (200, "none".into()));
        app.finish().await;
    }
}

#[tokio::test]
async fn wrong_passwords_and_unknown_users_get_the_same_answer() {
    for app in apps().await {
        app.admin().await;
        let q = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }";
        let (_, wrong) = app.post(None, q, json!({ "u": "admin.test", "p": "not the password" })).await;
        let (_, unknown) = app.post(None, q, json!({ "u": "nobody", "p": "not the password" })).await;
        assert_eq!(wrong["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
        assert_eq!(wrong["errors"][0]["message"], unknown["errors"][0]["message"]);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_deactivated_user_is_locked_out_at_once() {
    for app in apps().await {
        let admin = app.admin().await;
        let officer = app.officer_of("MOF").await;
        officer.data("{ me { name role } }", json!({})).await;
        let d = admin.data("{ users(first: 10) { nodes { id username version } } }", json!({})).await;
        let user =
            d["users"]["nodes"].as_array().unwrap().iter().find(|u| u["username"] == "officer.mof").cloned().unwrap();
        admin
            .data(
                "mutation($id: ID!, $v: Int!) { deactivateUser(id: $id, expectedVersion: $v) { active } }",
                json!({ "id": user["id"], "v": user["version"] }),
            )
            .await;
        assert_eq!(officer.error("{ me { name } }", json!({})).await, "UNAUTHENTICATED");
        let (_, body) = app
            .post(
                None,
                "mutation { login(username: \"officer.mof\", password: \"correct horse battery staple\") { token } }",
                json!({}),
            )
            .await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
        app.finish().await;
    }
}

#[tokio::test]
async fn the_role_matrix_guards_reads() {
    for app in apps().await {
        let observer = app.observer().await;
        assert_eq!(observer.error("{ auditEvents { totalCount } }", json!({})).await, "FORBIDDEN");
        assert_eq!(observer.error("{ users { totalCount } }", json!({})).await, "FORBIDDEN");
        observer
            .data("{ blockers { totalCount } tasks { totalCount } monthlyReports { totalCount } }", json!({}))
            .await;
        let officer = app.officer_of("MOST").await;
        assert_eq!(officer.error("{ auditEvents { totalCount } }", json!({})).await, "FORBIDDEN");
        assert_eq!(officer.error("{ serviceTokens { totalCount } }", json!({})).await, "FORBIDDEN");
        let chair = app.chair().await;
        chair.data("{ auditEvents { totalCount } }", json!({})).await;
        assert_eq!(chair.error("{ users { totalCount } }", json!({})).await, "FORBIDDEN");
        app.finish().await;
    }
}

#[tokio::test]
async fn service_tokens_are_scoped_and_revocable() {
    for app in apps().await {
        let admin = app.admin().await;
        let create = "mutation($i: CreateServiceTokenInput!) { createServiceToken(input: $i) { token serviceToken { id scopes } } }";
        let d = admin.data(create, json!({ "i": { "name": "dashboard", "scopes": ["BLOCKERS_READ"] } })).await;
        let token = d["createServiceToken"]["token"].as_str().unwrap().to_owned();
        let id = d["createServiceToken"]["serviceToken"]["id"].clone();
        let (status, body) =
            app.post(Some(&token), "{ blockers(first: 5) { totalCount nodes { task { code } } } }", json!({})).await;
        assert_eq!(status, 200);
        assert!(body.get("errors").is_none(), "{body}");
        let (_, body) = app.post(Some(&token), "{ monthlyReports { totalCount } }", json!({})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
        // A write scope needs a ministry.
        assert_eq!(
            admin.error(create, json!({ "i": { "name": "x", "scopes": ["REPORTS_WRITE"] } })).await,
            "BAD_USER_INPUT"
        );
        // Revoked: refused on the next request.
        admin.data("mutation($id: ID!) { revokeServiceToken(id: $id) { revokedAt } }", json!({ "id": id })).await;
        let (status, body) = app.post(Some(&token), "{ blockers { totalCount } }", json!({})).await;
        assert_eq!((status, body["errors"][0]["extensions"]["code"].as_str()), (401, Some("UNAUTHENTICATED")));
        app.finish().await;
    }
}

#[tokio::test]
async fn search_ignores_diacritics_and_case() {
    for app in apps().await {
        let s = app.observer().await;
        let d = s.data("{ ministries(filter: { search: \"bo khoa hoc\" }) { nodes { nameVi } } }", json!({})).await;
        assert_eq!(d["ministries"]["nodes"], json!([{ "nameVi": "Bộ Khoa học và Công nghệ" }]), "[{}]", app.backend);
        let d = s.data("{ ministries(filter: { search: \"ĐẠI HỌC QUỐC GIA\" }) { totalCount } }", json!({})).await;
        assert_eq!(d["ministries"]["totalCount"], 2);
        let d = s.data("{ tasks(filter: { search: \"dang ky cong nghe\" }) { nodes { code } } }", json!({})).await;
        assert_eq!(d["tasks"]["nodes"], json!([{ "code": "TB22-PL1" }]));
        let d = s.data("{ tasks(filter: { search: \"mo hinh hop tac 3 nha\" }) { nodes { code } } }", json!({})).await;
        assert_eq!(d["tasks"]["nodes"], json!([{ "code": "TB22-PL2D" }]));
        let d = s.data("{ directives(filter: { search: \"dien bien\" }) { totalCount } }", json!({})).await;
        assert_eq!(d["directives"]["totalCount"], 2);
        app.finish().await;
    }
}

#[tokio::test]
async fn connections_page_without_repeats_or_skips_while_others_write() {
    for app in apps().await {
        let admin = app.admin().await;
        let q = "query($after: String) { ministries(first: 5, after: $after) { totalCount edges { cursor node { code } } pageInfo { hasNextPage endCursor } } }";
        let mut seen = Vec::new();
        let mut after = Value::Null;
        let mut inserted = 0;
        loop {
            let d = admin.data(q, json!({ "after": after })).await;
            let conn = &d["ministries"];
            let edges = conn["edges"].as_array().unwrap();
            for e in edges {
                seen.push(e["node"]["code"].as_str().unwrap().to_owned());
            }
            assert_eq!(edges.last().map(|e| &e["cursor"]), Some(&conn["pageInfo"]["endCursor"]));
            // Someone adds ministries before and after the cursor while we page.
            if inserted < 2 {
                for code in [format!("AAA{inserted}"), format!("ZZZ{inserted}")] {
                    admin
                        .data("mutation($i: CreateMinistryInput!) { createMinistry(input: $i) { id } }", json!({ "i": { "code": code, "nameVi": "Tỉnh thử", "nameEn": "Test", "kind": "PROVINCE" } }))
                        .await;
                }
                inserted += 1;
            }
            if !conn["pageInfo"]["hasNextPage"].as_bool().unwrap() {
                break;
            }
            after = conn["pageInfo"]["endCursor"].clone();
        }
        let mut unique = seen.clone();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "no repeats: {seen:?}");
        for code in ["MOST", "MOF", "VAST", "VNU-HCM", "VNPT", "MAE"] {
            assert!(seen.iter().any(|s| s == code), "{code} was skipped: {seen:?}");
        }
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(sorted, seen, "in code order");
        // Any edge's cursor pages on from that edge.
        let d = admin.data(q, json!({ "after": null })).await;
        let edges = d["ministries"]["edges"].as_array().unwrap().clone();
        let d = admin.data(q, json!({ "after": edges[1]["cursor"] })).await;
        assert_eq!(d["ministries"]["edges"][0]["node"]["code"], edges[2]["node"]["code"]);
        app.finish().await;
    }
}

#[tokio::test]
async fn page_limits_and_bad_cursors_are_user_errors() {
    for app in apps().await {
        let s = app.observer().await;
        assert_eq!(s.error("{ tasks(first: 501) { totalCount } }", json!({})).await, "BAD_USER_INPUT");
        assert_eq!(s.error("{ tasks(first: -1) { totalCount } }", json!({})).await, "BAD_USER_INPUT");
        assert_eq!(s.error("{ tasks(after: \"bm9wZQ\") { totalCount } }", json!({})).await, "BAD_USER_INPUT");
        assert_eq!(s.error("{ task(id: \"not-an-id\") { code } }", json!({})).await, "BAD_USER_INPUT");
        let d = s
            .data("{ tasks(last: 2) { nodes { code dueDate } pageInfo { hasPreviousPage hasNextPage } } }", json!({}))
            .await;
        assert_eq!(d["tasks"]["nodes"][0]["dueDate"], "2026-06-30");
        assert_eq!(d["tasks"]["nodes"][1], json!({ "code": "TB22-PL2B-TT", "dueDate": null }));
        assert_eq!(d["tasks"]["pageInfo"]["hasPreviousPage"], true);
        app.finish().await;
    }
}

/// Inserts `n` blockers straight into the database (the API's own raising is tested elsewhere).
async fn insert_blockers(app: &TestApp, n: usize) {
    use entity::blocker;
    use entity::enums::*;
    use sea_orm::{ColumnTrait, QueryFilter};
    use sea_orm::{EntityTrait, Set};
    let db = &app.state.db;
    let ministries = entity::ministry::Entity::find().all(db).await.unwrap();
    let tasks =
        entity::task::Entity::find().filter(entity::task::Column::Status.eq(TaskStatus::Active)).all(db).await.unwrap();
    let now = chrono::Utc::now();
    let rows: Vec<blocker::ActiveModel> = (0..n)
        .map(|i| blocker::ActiveModel {
            id: Set(uuid::Uuid::new_v4()),
            title: Set(format!("Vướng mắc số {i}")),
            description: Set("Doanh nghiệp chưa được hướng dẫn".into()),
            severity: Set(Severity::Medium),
            category: Set(BlockerCategory::Funding),
            status: Set(BlockerStatus::Forwarded),
            origin: Set(BlockerOrigin::Enterprise),
            origin_name: Set(Some("Công ty thử".into())),
            raised_by_ministry_id: Set(ministries[i % ministries.len()].id),
            raised_by_actor_id: Set(uuid::Uuid::new_v4()),
            raised_by_actor_name: Set("seed".into()),
            responsible_ministry_id: Set(Some(ministries[(i + 3) % ministries.len()].id)),
            task_id: Set(Some(tasks[i % tasks.len()].id)),
            due_date: Set(None),
            resolution: Set(None),
            escalated_to: Set(None),
            escalation_reason: Set(None),
            resolved_at: Set(None),
            search_text: Set(format!("vuong mac so {i}")),
            version: Set(1),
            created_at: Set(now + chrono::Duration::milliseconds(i as i64)),
            updated_at: Set(now),
        })
        .collect();
    for chunk in rows.chunks(100) {
        blocker::Entity::insert_many(chunk.to_vec()).exec(db).await.unwrap();
    }
}

const BLOCKER_PAGE: &str = "query($n: Int!) { blockers(first: $n, filter: { status: [FORWARDED] }) { totalCount nodes { id title task { code leadMinistry { code } } raisedBy { code } responsibleMinistry { code } } } }";

#[tokio::test]
async fn a_page_of_blockers_with_relations_costs_a_fixed_number_of_statements() {
    for app in apps().await {
        let s = app.observer().await;
        insert_blockers(&app, 500).await;
        let mut costs = Vec::new();
        for n in [5, 50, 500] {
            let (body, statements) = app.post_counted(&s.token, BLOCKER_PAGE, json!({ "n": n })).await;
            let d = &body["data"];
            assert_eq!(d["blockers"]["nodes"].as_array().unwrap().len(), n, "{body}");
            assert!(d["blockers"]["nodes"][0]["task"]["leadMinistry"]["code"].is_string());
            costs.push(statements);
        }
        assert!(costs.iter().all(|c| *c == costs[0]), "[{}] statements grew with the page: {costs:?}", app.backend);
        // The principal, the page, its count, its tasks, and all ministries (raising, responsible, leads) at once.
        assert_eq!(costs[0], 5, "[{}] statements for a page", app.backend);
        app.finish().await;
    }
}

const ONE_PAGE: &str = "{ a: blockers(first: 20, filter: { status: [FORWARDED] }) { nodes { id raisedBy { code } responsibleMinistry { code } } } }";
const TWO_PAGES: &str = "{ a: blockers(first: 20, filter: { status: [FORWARDED] }) { nodes { id raisedBy { code } responsibleMinistry { code } } }
  b: blockers(first: 20, filter: { status: [FORWARDED] }) { nodes { id raisedBy { code } responsibleMinistry { code } } } }";

#[tokio::test]
async fn a_request_does_not_read_again_the_rows_it_holds() {
    for app in apps().await {
        let s = app.observer().await;
        insert_blockers(&app, 50).await;
        // The principal, the page, and its raising and responsible ministries at once.
        let (one, single) = app.post_counted(&s.token, ONE_PAGE, json!({})).await;
        assert_eq!(single, 3, "[{}] {one}", app.backend);
        let (two, double) = app.post_counted(&s.token, TWO_PAGES, json!({})).await;
        assert_eq!(two["data"]["a"], one["data"]["a"], "[{}]", app.backend);
        assert_eq!(two["data"]["b"], one["data"]["a"], "[{}]", app.backend);
        if app.backend == "sqlite" {
            // Root fields take turns on SQLite: the second page finds every ministry it shows
            // among those the first one read, and reads only its blockers.
            assert_eq!(double, 4, "[{}] statements for two pages", app.backend);
        } else {
            // At once on PostgreSQL: the second page's ministries are read again only when both
            // pages ask for them at the same moment.
            assert!((4..=5).contains(&double), "[{}] {double} statements for two pages", app.backend);
        }
        app.finish().await;
    }
}

#[tokio::test]
async fn on_sqlite_the_root_fields_of_a_request_take_turns() {
    for app in common::apps_with(|s| s.debug_sql_capture = true).await {
        let s = app.observer().await;
        // The ministries' page, then its count; the tasks' page would start beside the first.
        let q = "{ ministries(first: 3) { totalCount nodes { code } } tasks(first: 3) { nodes { code } } }";
        let res = app
            .client
            .post(app.url("/graphql"))
            .bearer_auth(&s.token)
            .header("x-capture-sql", "1")
            .json(&json!({ "query": q }))
            .send()
            .await
            .unwrap();
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["data"]["tasks"]["nodes"].as_array().map(Vec::len), Some(3), "{body}");
        let sql: Vec<&str> = body["extensions"]["sqlStatements"]
            .as_array()
            .expect("captured")
            .iter()
            .map(|c| c["sql"].as_str().unwrap())
            .collect();
        let tasks = sql.iter().position(|q| q.contains("FROM \"tasks\"")).expect("the tasks' page");
        let ministries = sql.iter().rposition(|q| q.contains("FROM \"ministries\"")).expect("the ministries' count");
        // On PostgreSQL they run at once, and either may end first.
        if app.backend == "sqlite" {
            assert!(ministries < tasks, "[sqlite] the second root field started before the first ended: {sql:#?}");
        }
        app.finish().await;
    }
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    for app in apps().await {
        let get = |p: &str| app.client.get(app.url(p)).send();
        assert_eq!(get("/healthz").await.unwrap().status(), 200);
        assert_eq!(get("/readyz").await.unwrap().status(), 200);
        let s = app.observer().await;
        assert_eq!(s.error("{ tasks(first: 900) { totalCount } }", json!({})).await, "BAD_USER_INPUT");
        let metrics = get("/metrics").await.unwrap();
        assert!(metrics.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
        let text = metrics.text().await.unwrap();
        for needle in [
            "coordination_http_requests_total{path=\"/graphql\",status=\"200\"}",
            "coordination_http_request_duration_seconds_bucket",
            "coordination_graphql_errors_total{code=\"BAD_USER_INPUT\"} 1",
            "coordination_db_pool_connections{state=\"open\"}",
        ] {
            assert!(text.contains(needle), "[{}] /metrics lacks {needle}:\n{text}", app.backend);
        }
        app.finish().await;
    }
}

#[tokio::test]
async fn graphql_over_http_rules() {
    for app in apps().await {
        let s = app.admin().await;
        let client = &app.client;
        // A query over GET works; a mutation over GET is refused and changes nothing.
        let res = client
            .get(app.url("/graphql"))
            .query(&[("query", "{ me { name } }")])
            .bearer_auth(&s.token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let m =
            "mutation { createMinistry(input: { code: \"GETX\", nameVi: \"x\", nameEn: \"x\", kind: OTHER }) { id } }";
        let res = client.get(app.url("/graphql")).query(&[("query", m)]).bearer_auth(&s.token).send().await.unwrap();
        assert_eq!(res.status(), 405);
        let d = s.data("{ ministry(code: \"GETX\") { id } }", json!({})).await;
        assert_eq!(d["ministry"], Value::Null);
        // No text/plain side door, no batches, no broken JSON.
        let res = client
            .post(app.url("/graphql"))
            .bearer_auth(&s.token)
            .header("content-type", "text/plain")
            .body(r#"{"query":"{ me { name } }"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 415);
        let res = client
            .post(app.url("/graphql"))
            .bearer_auth(&s.token)
            .json(&json!([{ "query": "{ me { name } }" }]))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        let res = client
            .post(app.url("/graphql"))
            .bearer_auth(&s.token)
            .header("content-type", "application/json")
            .body("{")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        // application/graphql-response+json: a validation error is a 400 without data.
        let res = client
            .post(app.url("/graphql"))
            .bearer_auth(&s.token)
            .header("accept", "application/graphql-response+json")
            .json(&json!({ "query": "{ noSuchField }" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        assert_eq!(res.headers()["content-type"], "application/graphql-response+json");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        // A browser gets GraphiQL.
        let res = client.get(app.url("/graphql")).header("accept", "text/html").send().await.unwrap();
        assert!(res.text().await.unwrap().contains("graphiql"));
        app.finish().await;
    }
}

#[tokio::test]
async fn the_working_group_and_its_members() {
    for app in apps().await {
        let s = app.observer().await;
        let d = s
            .data("{ workingGroups { nameVi secretariat { code } directive { number } members { role title ministry { code } } } }", json!({}))
            .await;
        let wg = &d["workingGroups"][0];
        assert_eq!(wg["secretariat"]["code"], "MOST");
        assert_eq!(wg["directive"]["number"], "22-TB/CQTTBCĐ");
        let members = wg["members"].as_array().unwrap();
        assert_eq!(members.iter().filter(|m| m["role"] == "MEMBER").count(), 10);
        assert_eq!(members.iter().filter(|m| m["role"] == "CHAIR").count(), 1);
        let id = ministry_id(&s, "MOH").await;
        let d = s.data("query($id: ID) { ministry(id: $id) { code kind nameEn } }", json!({ "id": id })).await;
        assert_eq!(d["ministry"], json!({ "code": "MOH", "kind": "MINISTRY", "nameEn": "Ministry of Health" }));
        app.finish().await;
    }
}

#[tokio::test]
async fn seeding_twice_changes_nothing() {
    let app = TestApp::sqlite().await;
    let report = coordination::service::seed::reference(&app.state).await.unwrap();
    assert_eq!((report.ministries, report.directives, report.working_groups, report.tasks), (0, 0, 0, 0));
    let s = app.session("x.admin", Role::Admin, None).await;
    let d = s.data("{ tasks { totalCount } ministries { totalCount } directives { totalCount } }", json!({})).await;
    assert_eq!(
        d,
        json!({ "tasks": { "totalCount": 11 }, "ministries": { "totalCount": 16 }, "directives": { "totalCount": 5 } })
    );
    app.finish().await;
}
