use super::*;

fn message(body: Value) -> String {
    match validate(&body) {
        Ok(_) => "ok".into(),
        Err(e) => e.message,
    }
}

#[test]
fn validation_messages_match_zod() {
    assert_eq!(
        message(json!({})),
        "version: Required, name: Required, sql: Required"
    );
    assert_eq!(
        message(json!({"version": 1, "name": 2, "sql": null})),
        "version: Expected string, received number, name: Expected string, received number, sql: Expected string, received null"
    );
    assert_eq!(
        message(json!({"version": "v1", "name": "ok", "sql": "select 1"})),
        "Migration version must be a numeric string of at most 64 digits (e.g. 0001 or 20260418091500)."
    );
    assert_eq!(
        message(json!({"version": "1", "name": "Bad Name", "sql": "x"})),
        "Use lowercase letters, numbers, and hyphens only."
    );
    assert_eq!(
        message(json!({"version": "1", "name": "  ", "sql": "   "})),
        "name: Migration name is required, sql: Migration SQL is required"
    );
    assert_eq!(message(json!([])), "Expected object, received array");
    assert_eq!(
        message(json!({"version": "0001", "name": " todos ", "sql": " select 1 "})),
        "ok"
    );
}

#[test]
fn guards_refuse_what_insforge_refuses() {
    let s = |sql: &str| guard(&[sql.to_string()]);
    assert_eq!(
        s("BEGIN"),
        Some("Transaction control statements are not allowed.")
    );
    assert_eq!(
        s("set role postgres"),
        Some("Changing SQL execution role or session authorization is not allowed.")
    );
    assert_eq!(
        s("SET LOCAL search_path TO x"),
        Some("Changing SQL search_path is not allowed.")
    );
    assert_eq!(
        s("create role x"),
        Some("Managing database roles is not allowed.")
    );
    assert_eq!(
        s("drop database insforge"),
        Some("Query contains restricted operations")
    );
    assert_eq!(s("create table t (id int)"), None);
    assert_eq!(
        s("set search_path=public"),
        Some("Changing SQL search_path is not allowed.")
    );
    assert_eq!(
        s("SET \"search_path\" TO x"),
        Some("Changing SQL search_path is not allowed.")
    );
    assert_eq!(
        s("grant authenticated to someone"),
        Some("Managing database roles is not allowed.")
    );
    assert_eq!(s("grant select on public.t to anon"), None);
}
