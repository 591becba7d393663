//! The security suite: GraphQL over HTTP, cost limits, authentication, abuse, and what errors may
//! say. Anchored on the GraphQL-over-HTTP specification, the OWASP GraphQL Cheat Sheet and API
//! Security Top 10, and RFC 8725.

mod common;

use common::{apps, apps_with, TestApp, SECRET};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("none")
}

#[tokio::test]
async fn requests_that_break_graphql_over_http_are_refused() {
    for app in apps().await {
        let s = app.admin().await;
        let post = |body: &'static str, content_type: &'static str| {
            app.client
                .post(app.url("/graphql"))
                .bearer_auth(&s.token)
                .header("content-type", content_type)
                .body(body)
                .send()
        };
        for (body, ctype, status) in [
            (r#"{"query":"{ me { name } }"}"#, "application/x-www-form-urlencoded", 415),
            (r#"{"query":"{ me { name } }"}"#, "multipart/form-data; boundary=x", 415),
            (r#"{"query":"{ me { name } }"}"#, "text/plain", 415),
            (r#"{"query": 42}"#, "application/json", 400),
            (r#"{"query":"{ me { name } }","variables":"not an object"}"#, "application/json", 400),
            (r#"{"query":"{ me { name } }","operationName": 7}"#, "application/json", 400),
            (r#"[{"query":"{ me { name } }"}]"#, "application/json", 400),
            (r#"{"query":"{ me { name }"#, "application/json", 400),
            (r#"{"query":"{ me { name } }"}"#, "application/json; charset=utf-8", 200),
        ] {
            let res = post(body, ctype).await.unwrap();
            assert_eq!(res.status().as_u16(), status, "[{}] {ctype} {body}", app.backend);
            if status != 200 {
                let body: Value = res.json().await.unwrap();
                assert_eq!(code(&body), "BAD_USER_INPUT");
            }
        }
        let res = app
            .client
            .post(app.url("/graphql"))
            .bearer_auth(&s.token)
            .header("accept", "text/html")
            .json(&json!({ "query": "{ me { name } }" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 406);
        app.finish().await;
    }
}

#[tokio::test]
async fn batching_is_a_setting() {
    for app in apps_with(|s| s.max_batch = 3).await {
        let s = app.admin().await;
        let op = json!({ "query": "{ me { role } }" });
        let res =
            app.client.post(app.url("/graphql")).bearer_auth(&s.token).json(&json!([op, op, op])).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body.as_array().unwrap().len(), 3, "[{}]", app.backend);
        assert_eq!(body[2]["data"]["me"]["role"], "ADMIN");
        let res = app
            .client
            .post(app.url("/graphql"))
            .bearer_auth(&s.token)
            .json(&json!([op, op, op, op]))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        app.finish().await;
    }
}

#[tokio::test]
async fn cost_limits_refuse_expensive_queries_and_say_which_limit() {
    for app in apps_with(|s| s.max_body_bytes = 64 * 1024).await {
        let s = app.admin().await;
        // Depth.
        // A reasonable nesting passes.
        s.data("{ tasks { nodes { leadMinistry { code } workingGroup { members { ministry { code } } secretariat { code } } } } }", json!({})).await;
        let mut too_deep = "code".to_owned();
        for _ in 0..6 {
            too_deep = format!("blockers(first: 1) {{ nodes {{ task {{ {too_deep} }} }} }}");
        }
        let body = s.send(&format!("{{ tasks {{ nodes {{ {too_deep} }} }} }}"), json!({})).await;
        assert_eq!(code(&body), "QUERY_TOO_COMPLEX", "[{}] depth: {body}", app.backend);
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("depth limit"), "{body}");
        // Complexity: aliases count.
        let aliased: String = (0..30)
            .map(|i| format!("a{i}: blockers(first: 500) {{ nodes {{ id title task {{ code }} }} }} "))
            .collect();
        let body = s.send(&format!("{{ {aliased} }}"), json!({})).await;
        assert_eq!(code(&body), "QUERY_TOO_COMPLEX", "complexity: {body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("complexity limit"), "{body}");
        // Directives per field.
        let directives = "@include(if: true) ".repeat(20);
        let body = s.send(&format!("{{ me {{ name {directives} }} }}"), json!({})).await;
        assert_eq!(code(&body), "QUERY_TOO_COMPLEX", "directives: {body}");
        // Page size.
        assert_eq!(s.error("{ blockers(first: 10000) { totalCount } }", json!({})).await, "BAD_USER_INPUT");
        // Body size: refused before parsing.
        let big = json!({ "query": format!("{{ me {{ name }} }} #{}", "x".repeat(100 * 1024)) });
        let res = app.client.post(app.url("/graphql")).bearer_auth(&s.token).json(&big).send().await.unwrap();
        assert_eq!(res.status(), 413);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_request_over_its_time_limit_is_cut_off() {
    for app in apps_with(|s| s.request_timeout_ms = 1).await {
        // A service token: signing in would itself take longer than 1 ms.
        let input = coordination::service::users::TokenInput {
            name: "t".into(),
            scopes: vec![coordination::auth::Scope::Read],
            ministry_code: None,
            ministry_id: None,
            expires_in_days: None,
        };
        let (token, _) = coordination::service::users::create_token(
            &app.state,
            &coordination::service::users::command_line_actor(),
            input,
        )
        .await
        .unwrap();
        // Work enough that no run of it fits in the limit, however fast the machine: twelve
        // lists, each several statements.
        let list =
            "tasks(first: 10) { nodes { reports { totalCount } blockers { totalCount } leadMinistry { code } } }";
        let query = format!("{{ {} }}", (0..12).map(|i| format!("l{i}: {list}")).collect::<Vec<_>>().join(" "));
        let (_, body) = app.post(Some(&token), &query, json!({})).await;
        assert_eq!(code(&body), "QUERY_TOO_COMPLEX", "[{}] {body}", app.backend);
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("time limit"), "{body}");
        app.finish().await;
    }
}

const INTROSPECTION: &str = "query IntrospectionQuery { __schema { queryType { name } mutationType { name } subscriptionType { name }
  types { ...FullType } directives { name locations args { ...InputValue } } } }
fragment FullType on __Type { kind name description fields(includeDeprecated: true) { name args { ...InputValue } type { ...TypeRef } isDeprecated }
  inputFields { ...InputValue } interfaces { ...TypeRef } enumValues(includeDeprecated: true) { name } possibleTypes { ...TypeRef } }
fragment InputValue on __InputValue { name type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }";

#[tokio::test]
async fn introspection_and_suggestions_follow_the_setting() {
    let app = TestApp::sqlite().await;
    let s = app.observer().await;
    let d = s.data(INTROSPECTION, json!({})).await;
    assert_eq!(
        d["__schema"]["subscriptionType"]["name"], "Subscription",
        "the GraphiQL introspection query fits the limits"
    );
    let (_, body) = app.post(None, "{ __schema { types { name } } }", json!({})).await;
    assert_eq!(code(&body), "UNAUTHENTICATED", "introspection needs a token");
    app.finish().await;

    let closed = common::apps_with(|s| s.introspection = false).await;
    for app in closed {
        let s = app.observer().await;
        let body = s.send("{ __schema { types { name } } }", json!({})).await;
        assert!(
            body["errors"].is_array() || body["data"]["__schema"].is_null(),
            "[{}] introspection is off: {body}",
            app.backend
        );
        assert!(!body.to_string().contains("\"Task\""), "no types are listed");
        let body = s.send("{ taks { totalCount } }", json!({})).await;
        assert!(!body["errors"][0]["message"].as_str().unwrap().contains("Did you mean"), "no suggestions: {body}");
        app.finish().await;
    }
}

#[tokio::test]
async fn tokens_cannot_be_forged_or_swapped() {
    for app in apps().await {
        let admin = app.admin().await;
        let now = chrono::Utc::now().timestamp();
        let claims = |sub: &str| json!({ "sub": sub, "iss": "coordination", "aud": "coordination-api", "iat": now, "nbf": now, "exp": now + 600, "jti": "j" });
        // The algorithm is pinned: the same secret with HS384 or HS512 is refused.
        for alg in [Algorithm::HS384, Algorithm::HS512] {
            let t = encode(&Header::new(alg), &claims(&admin.user_id), &EncodingKey::from_secret(SECRET.as_bytes()))
                .unwrap();
            let (status, body) = app.post(Some(&t), "{ me { name } }", json!({})).await;
            assert_eq!((status, code(&body)), (401, "UNAUTHENTICATED"), "[{}] {alg:?}", app.backend);
        }
        // Every registered claim is required.
        for missing in ["exp", "nbf", "iat", "iss", "aud", "sub"] {
            let mut c = claims(&admin.user_id);
            c.as_object_mut().unwrap().remove(missing);
            let t = encode(&Header::default(), &c, &EncodingKey::from_secret(SECRET.as_bytes())).unwrap();
            let (status, _) = app.post(Some(&t), "{ me { name } }", json!({})).await;
            assert_eq!(status, 401, "a token without {missing}");
        }
        let mut not_yet = claims(&admin.user_id);
        not_yet["nbf"] = json!(now + 3600);
        let t = encode(&Header::default(), &not_yet, &EncodingKey::from_secret(SECRET.as_bytes())).unwrap();
        assert_eq!(app.post(Some(&t), "{ me { name } }", json!({})).await.0, 401, "not valid before nbf");
        let mut wrong_issuer = claims(&admin.user_id);
        wrong_issuer["iss"] = json!("someone-else");
        let t = encode(&Header::default(), &wrong_issuer, &EncodingKey::from_secret(SECRET.as_bytes())).unwrap();
        assert_eq!(app.post(Some(&t), "{ me { name } }", json!({})).await.0, 401, "wrong issuer");
        // A login token naming a service token is no login token; a service token is looked up only as one.
        let d = admin
            .data(
                "mutation { createServiceToken(input: { name: \"s\", scopes: [READ] }) { token serviceToken { id } } }",
                json!({}),
            )
            .await;
        let service_id = d["createServiceToken"]["serviceToken"]["id"].as_str().unwrap();
        let t = encode(&Header::default(), &claims(service_id), &EncodingKey::from_secret(SECRET.as_bytes())).unwrap();
        assert_eq!(app.post(Some(&t), "{ me { name } }", json!({})).await.0, 401);
        let service = d["createServiceToken"]["token"].as_str().unwrap();
        assert_eq!(app.post(Some(&format!("{service}x")), "{ me { name } }", json!({})).await.0, 401);
        let (_, body) = app.post(Some(service), "{ me { kind } }", json!({})).await;
        assert_eq!(body["data"]["me"]["kind"], "SERVICE");
        app.finish().await;
    }
}

async fn verifications(app: &TestApp) -> u64 {
    let text = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("coordination_password_verifications_total "))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn logins_are_rate_limited_and_unknown_users_cost_a_full_check() {
    for app in apps_with(|s| {
        s.login_limit_per_user = 3;
        s.login_limit_per_address = 5;
    })
    .await
    {
        app.admin().await; // one login
        let q = "mutation($u: String!) { login(username: $u, password: \"wrong password here\") { token } }";
        let before = verifications(&app).await;
        let (_, body) = app.post(None, q, json!({ "u": "nobody.at.all" })).await;
        assert_eq!(code(&body), "UNAUTHENTICATED");
        assert_eq!(
            verifications(&app).await,
            before + 1,
            "[{}] an unknown user is checked against a dummy hash",
            app.backend
        );
        for _ in 0..2 {
            app.post(None, q, json!({ "u": "admin.test" })).await;
        }
        let res = app
            .client
            .post(app.url("/graphql"))
            .json(&json!({ "query": q, "variables": { "u": "admin.test" } }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 429, "[{}] the fourth try for one user name", app.backend);
        assert!(res.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
        let body: Value = res.json().await.unwrap();
        assert_eq!(code(&body), "RATE_LIMITED");
        // Per address: other names from the same address run out too.
        let (_, body) = app.post(None, q, json!({ "u": "someone.else" })).await;
        assert_eq!(code(&body), "RATE_LIMITED", "the address has made five attempts: {body}");
        app.finish().await;
    }
}

#[tokio::test]
async fn principals_are_rate_limited() {
    for app in apps_with(|s| s.rate_limit_per_minute = 5).await {
        let s = app.observer().await;
        for _ in 0..5 {
            s.data("{ me { name } }", json!({})).await;
        }
        let res = app
            .client
            .post(app.url("/graphql"))
            .bearer_auth(&s.token)
            .json(&json!({ "query": "{ me { name } }" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 429, "[{}]", app.backend);
        assert!(res.headers().contains_key("retry-after"));
        let body: Value = res.json().await.unwrap();
        assert_eq!(code(&body), "RATE_LIMITED");
        app.finish().await;
    }
}

#[tokio::test]
async fn every_response_carries_security_headers() {
    let app = TestApp::sqlite().await;
    let token = app.observer().await.token;
    let responses = vec![
        app.client.get(app.url("/healthz")).send().await.unwrap(),
        app.client.get(app.url("/nowhere")).send().await.unwrap(),
        app.client.post(app.url("/graphql")).json(&json!({ "query": "{ me { name } }" })).send().await.unwrap(),
        app.client
            .post(app.url("/graphql"))
            .bearer_auth(&token)
            .json(&json!({ "query": "{ me { name } }" }))
            .send()
            .await
            .unwrap(),
        app.client.get(app.url("/metrics")).send().await.unwrap(),
    ];
    for res in responses {
        let h = res.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{}", res.url());
        assert_eq!(h["x-frame-options"], "DENY");
        assert!(h.contains_key("content-security-policy"));
        assert_eq!(h["cache-control"], "no-store");
        assert!(h.contains_key("x-request-id"));
    }
    app.finish().await;
}

#[tokio::test]
async fn errors_never_show_internals() {
    for app in apps().await {
        let s = app.admin().await;
        let probes = [
            "{ task(id: \"' OR 1=1 --\") { code } }",
            "{ tasks(filter: { search: \"%'; DROP TABLE tasks; --\" }) { totalCount } }",
            "{ tasks(after: \"W1siMjAyNi0wNC0zMCJdLCJ4Il0\") { totalCount } }",
            "mutation { createMinistry(input: { code: \"MOST\", nameVi: \"x\", nameEn: \"x\", kind: OTHER }) { id } }",
            "{ blockers(filter: { updatedSince: \"yesterday\" }) { totalCount } }",
        ];
        for q in probes {
            let body = s.send(q, json!({})).await;
            let text = body.to_string().to_lowercase();
            for leak in
                ["select ", "sqlx", "sqlite", "postgres", "/src/", ".rs:", "panicked", "constraint", "duplicate key"]
            {
                assert!(!text.contains(leak), "[{}] `{leak}` leaks in {body}", app.backend);
            }
            if let Some(errors) = body["errors"].as_array() {
                assert!(errors.iter().all(|e| e["extensions"]["code"].is_string()), "{body}");
            }
        }
        let d = s.data("{ tasks(filter: { search: \"%'; DROP TABLE tasks; --\" }) { totalCount } }", json!({})).await;
        assert_eq!(d["tasks"]["totalCount"], 0);
        assert_eq!(
            s.data("{ tasks { totalCount } }", json!({})).await["tasks"]["totalCount"],
            11,
            "the table is still there"
        );
        app.finish().await;
    }
}
