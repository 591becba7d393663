//! A schema-driven fuzz test: documents generated from the running schema, valid and broken, with
//! well- and ill-typed arguments and variables. The server must never answer 5xx, never report an
//! internal error, and stay healthy. `FUZZ_SEED` and `FUZZ_CASES` repeat or widen a run.

mod common;

use async_graphql::parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};
use common::apps;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::HashMap;

struct Schema {
    types: HashMap<String, TypeKind>,
}

impl Schema {
    fn load() -> Self {
        let doc = async_graphql::parser::parse_schema(coordination::graphql::sdl()).expect("the SDL parses");
        let mut types = HashMap::new();
        for def in doc.definitions {
            if let TypeSystemDefinition::Type(t) = def {
                types.insert(t.node.name.node.to_string(), t.node.kind);
            }
        }
        Self { types }
    }
}

const STRINGS: &[&str] = &[
    "",
    "x",
    "Bộ Khoa học và Công nghệ",
    "' OR 1=1 --",
    "%_%",
    "\\u0000",
    "2026-05",
    "2026-13",
    "MOST",
    "null",
    "{}",
    "🚀🚀",
];
const IDS: &[&str] = &["00000000-0000-0000-0000-000000000000", "not-an-id", "", "9c5b94b1-35ad-49bb-b118-8e8fc24abf80"];

struct Gen<'a> {
    schema: &'a Schema,
    rng: StdRng,
}

impl Gen<'_> {
    fn pick<'b, T>(&mut self, items: &'b [T]) -> &'b T {
        &items[self.rng.gen_range(0..items.len())]
    }

    fn scalar(&mut self, name: &str) -> String {
        let s = match name {
            "Int" => {
                self.pick(&["0", "-1", "1", "50", "500", "501", "2147483647", "-2147483648", "99999999999"]).to_string()
            }
            "Float" => "1.5".into(),
            "Boolean" => self.pick(&["true", "false"]).to_string(),
            "ID" => format!("{:?}", self.pick(IDS)),
            "Date" => {
                format!("{:?}", self.pick(&["2026-05-01", "2099-12-31", "2020-01-01", "2026-02-30", "yesterday"]))
            }
            "DateTime" => format!("{:?}", self.pick(&["2026-05-01T00:00:00Z", "2026-05-01", "soon"])),
            "JSON" => "{}".into(),
            _ => {
                let base = *self.pick(STRINGS);
                if self.rng.gen_bool(0.05) {
                    format!("{:?}", base.repeat(2_000))
                } else {
                    format!("{base:?}")
                }
            }
        };
        if self.rng.gen_bool(0.05) {
            // Ill-typed on purpose.
            return self.pick(&["\"text\"", "12", "true", "[]", "{ }", "NOPE"]).to_string();
        }
        s
    }

    fn value(&mut self, ty: &Type, depth: usize) -> String {
        match &ty.base {
            BaseType::List(inner) => {
                let n = self.rng.gen_range(0..3);
                let items: Vec<String> = (0..n).map(|_| self.value(inner, depth + 1)).collect();
                format!("[{}]", items.join(", "))
            }
            BaseType::Named(name) => match self.schema.types.get(name.as_str()) {
                Some(TypeKind::Enum(e)) => {
                    if self.rng.gen_bool(0.05) {
                        "NOT_A_VALUE".into()
                    } else {
                        e.values[self.rng.gen_range(0..e.values.len())].node.value.node.to_string()
                    }
                }
                Some(TypeKind::InputObject(obj)) if depth < 4 => {
                    let mut fields = Vec::new();
                    for f in &obj.fields {
                        if !f.node.ty.node.nullable || self.rng.gen_bool(0.4) {
                            fields.push(format!("{}: {}", f.node.name.node, self.value(&f.node.ty.node, depth + 1)));
                        }
                    }
                    format!("{{ {} }}", fields.join(", "))
                }
                Some(TypeKind::InputObject(_)) => "{ }".into(),
                _ => self.scalar(name),
            },
        }
    }

    fn selection(&mut self, type_name: &str, depth: usize) -> Option<String> {
        let TypeKind::Object(obj) = self.schema.types.get(type_name)? else { return None };
        let n = self.rng.gen_range(1..=3);
        let mut out = Vec::new();
        for _ in 0..n {
            let f = &obj.fields[self.rng.gen_range(0..obj.fields.len())].node;
            let mut call = f.name.node.to_string();
            let mut args = Vec::new();
            for a in &f.arguments {
                if !a.node.ty.node.nullable || self.rng.gen_bool(0.3) {
                    args.push(format!("{}: {}", a.node.name.node, self.value(&a.node.ty.node, 0)));
                }
            }
            if !args.is_empty() {
                call = format!("{call}({})", args.join(", "));
            }
            let inner = innermost(&f.ty.node);
            match self.schema.types.get(inner) {
                Some(TypeKind::Object(_)) if depth < 4 => match self.selection(inner, depth + 1) {
                    Some(sel) => out.push(format!("{call} {{ {sel} }}")),
                    None => out.push(format!("{call} {{ __typename }}")),
                },
                Some(TypeKind::Object(_)) => out.push(format!("{call} {{ __typename }}")),
                _ => out.push(call),
            }
        }
        Some(out.join(" "))
    }

    fn document(&mut self) -> String {
        let (keyword, root) = if self.rng.gen_bool(0.7) { ("query", "Query") } else { ("mutation", "Mutation") };
        let body = self.selection(root, 0).unwrap_or_else(|| "__typename".into());
        let doc = format!("{keyword} {{ {body} }}");
        if self.rng.gen_bool(0.15) {
            return self.break_it(doc);
        }
        doc
    }

    fn break_it(&mut self, doc: String) -> String {
        let chars: Vec<char> = doc.chars().collect();
        let at = self.rng.gen_range(0..chars.len());
        match self.rng.gen_range(0..4) {
            0 => chars[..at].iter().collect(),
            1 => chars.iter().enumerate().filter(|(i, _)| *i != at).map(|(_, c)| c).collect(),
            2 => {
                let mut c = chars.clone();
                c.insert(at, *self.pick(&['{', '}', '(', ')', '"', '$', '@', '\\', ':']));
                c.into_iter().collect()
            }
            _ => format!("{doc} {doc}"),
        }
    }
}

fn innermost(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(n) => n.as_str(),
        BaseType::List(inner) => innermost(inner),
    }
}

#[tokio::test]
async fn generated_documents_never_break_the_server() {
    let seed: u64 = std::env::var("FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20260320);
    let cases: usize = std::env::var("FUZZ_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(300);
    let schema = Schema::load();
    for app in apps().await {
        let admin = app.admin().await;
        let mut generator = Gen { schema: &schema, rng: StdRng::seed_from_u64(seed) };
        let (mut executed, mut refused) = (0usize, 0usize);
        for case in 0..cases {
            let doc = generator.document();
            let variables = match case % 7 {
                0 => json!({ "x": "y" }),
                1 => json!([1, 2]),
                _ => Value::Null,
            };
            let res = app
                .client
                .post(app.url("/graphql"))
                .bearer_auth(&admin.token)
                .json(&json!({ "query": doc, "variables": variables }))
                .send()
                .await
                .expect("the server answers");
            let status = res.status().as_u16();
            let text = res.text().await.unwrap();
            assert!(status < 500, "[{}] case {case} (seed {seed}) got {status}: {doc}\n{text}", app.backend);
            let body: Value =
                serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON for case {case}: {text}"));
            if body["errors"].is_null() {
                executed += 1;
            } else {
                refused += 1;
            }
            if let Some(errors) = body["errors"].as_array() {
                for e in errors {
                    let code = e["extensions"]["code"].as_str().unwrap_or("none");
                    assert!(
                        code != "INTERNAL_SERVER_ERROR" && code != "none",
                        "[{}] case {case} (seed {seed}): {doc}\n{e}",
                        app.backend
                    );
                }
            }
        }
        eprintln!("[{}] {cases} documents: {executed} ran cleanly, {refused} were refused", app.backend);
        assert!(executed >= cases / 10, "the generator should produce mostly valid documents, not only errors");
        assert_eq!(app.client.get(app.url("/healthz")).send().await.unwrap().status(), 200);
        admin.data("{ me { name } tasks { totalCount } }", json!({})).await;
        app.finish().await;
    }
}
