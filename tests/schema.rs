//! The checked-in `schema.graphql` must equal the schema the code serves.
//! Run with `UPDATE_SCHEMA=1` to rewrite it after changing the API.

#[test]
fn checked_in_schema_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    let current = coordination::graphql::sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &current).expect("write schema.graphql");
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == current,
        "schema.graphql differs from the running schema; run `UPDATE_SCHEMA=1 cargo test --test schema` and commit it"
    );
}

#[test]
fn types_and_fields_carry_their_documentation() {
    let sdl = coordination::graphql::sdl();
    for needle in [
        "A unit of assigned work with one lead ministry.",
        "Which of the seven \"7 rõ\" items are set.",
        "How many items match the filter, across all pages.",
        "The ministry accountable for the task (cơ quan chủ trì).",
    ] {
        assert!(sdl.contains(needle), "schema lacks the description {needle:?}");
    }
}
