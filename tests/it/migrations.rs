//! The `migrate` code against InsForge's migrations API on fresh projects.

use crate::common::*;
use devstack::testing;
use insforge_auth::server::config::{self, Secret};
use insforge_auth::server::migrate::{self, MigrateError, Migrator};
use serde_json::{Value, json};

fn migrator(project: &testing::Project) -> Migrator {
    let url = config::parse_base_url(&project.url).expect("url");
    Migrator::new(&url, Secret::new(&project.keys.api_key)).expect("migrator")
}

fn dir_with(files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("migrations-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    for (name, sql) in files {
        std::fs::write(dir.join(name), sql).expect("write");
    }
    dir
}

#[tokio::test]
async fn a_fresh_project_gets_both_and_a_second_run_applies_nothing() {
    let project = testing::shared().fresh_project().await;
    assert_eq!(migrate(&project).await.expect("first run"), 2);
    let applied = migrator(&project).applied().await.expect("list");
    let versions: Vec<(&str, &str)> = applied
        .iter()
        .map(|m| (m.version.as_str(), m.name.as_str()))
        .collect();
    assert_eq!(
        versions,
        vec![("0002", "todos"), ("0001", "requesting-user-id")],
        "newest first"
    );
    assert_eq!(migrate(&project).await.expect("second run"), 0);

    // The schema works: a user can create and read a todo in the new project.
    let token = token_for(&project, &new_user());
    let todo = client(&project)
        .create_todo(&token, "fresh")
        .await
        .expect("create");
    assert_eq!(
        client(&project).list_todos(&token).await.expect("list"),
        vec![todo]
    );
}

#[tokio::test]
async fn insforge_refuses_a_version_that_is_not_newer() {
    let project = testing::shared().fresh_project().await;
    migrate(&project).await.expect("migrate");
    let res = http()
        .post(format!("{}/api/database/migrations", project.url))
        .bearer_auth(&project.keys.api_key)
        .json(&json!({"version": "0001", "name": "again", "sql": "select 1"}))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 409);
    assert_eq!(
        res.text().await.expect("body"),
        r#"{"error":"DATABASE_MIGRATION_ALREADY_EXISTS","message":"Migration version must be newer than the latest applied migration.","statusCode":409}"#
    );
}

#[tokio::test]
async fn a_file_older_than_the_newest_applied_is_reported_not_sent() {
    let project = testing::shared().fresh_project().await;
    let dir = dir_with(&[("0002_b.sql", "create table b (id int)")]);
    migrator(&project)
        .run(&migrate::read_dir(&dir).expect("read"), |_| {})
        .await
        .expect("apply 0002");
    std::fs::write(dir.join("0001_a.sql"), "create table a (id int)").expect("write");
    let err = migrator(&project)
        .run(&migrate::read_dir(&dir).expect("read"), |_| {})
        .await
        .expect_err("out of order");
    assert!(
        matches!(&err, MigrateError::OutOfOrder { file, latest } if file == "0001_a.sql" && latest == "0002"),
        "{err}"
    );
}

#[tokio::test]
async fn the_first_failure_stops_the_run_and_says_why() {
    let project = testing::shared().fresh_project().await;
    let dir = dir_with(&[
        ("0001_ok.sql", "create table one (id int)"),
        (
            "0002_broken.sql",
            "create table two (id int references nowhere(id))",
        ),
        ("0003_later.sql", "create table three (id int)"),
    ]);
    let mut applied = Vec::new();
    let err = migrator(&project)
        .run(&migrate::read_dir(&dir).expect("read"), |f| {
            applied.push(f.version.clone())
        })
        .await
        .expect_err("0002 fails");
    assert_eq!(applied, vec!["0001"]);
    let message = err.to_string();
    assert!(
        message.contains("0002_broken.sql")
            && message.contains("relation \"nowhere\" does not exist"),
        "{message}"
    );
    let versions: Vec<String> = migrator(&project)
        .applied()
        .await
        .expect("list")
        .into_iter()
        .map(|m| m.version)
        .collect();
    assert_eq!(
        versions,
        vec!["0001"],
        "the failed migration was rolled back and 0003 never sent"
    );
}

#[tokio::test]
async fn badly_named_files_are_refused_before_anything_is_sent() {
    for name in [
        "1-todos.sql",
        "0001_Todos.sql",
        "abc_todos.sql",
        "0001_.sql",
    ] {
        let dir = dir_with(&[(name, "select 1")]);
        let err = migrate::read_dir(&dir).expect_err(name);
        assert!(matches!(err, MigrateError::BadName { .. }), "{name}: {err}");
    }
    let dir = dir_with(&[("0001_a.sql", "select 1"), ("1_b.sql", "select 1")]);
    assert!(matches!(
        migrate::read_dir(&dir),
        Err(MigrateError::DuplicateVersion { .. })
    ));
}

#[tokio::test]
async fn the_api_validates_and_guards_like_insforge() {
    let project = testing::shared().fresh_project().await;
    let url = format!("{}/api/database/migrations", project.url);
    let admin = || http().get(&url).bearer_auth(&project.keys.api_key);
    let post = |body: &Value| {
        http()
            .post(&url)
            .bearer_auth(&project.keys.api_key)
            .json(body)
    };
    let cases = [
        (
            json!({}),
            400,
            "version: Required, name: Required, sql: Required",
        ),
        (
            json!({"version": "v1", "name": "x", "sql": "select 1"}),
            400,
            "Migration version must be a numeric string of at most 64 digits (e.g. 0001 or 20260418091500).",
        ),
        (
            json!({"version": "1", "name": "Bad Name", "sql": "select 1"}),
            400,
            "Use lowercase letters, numbers, and hyphens only.",
        ),
        (
            json!({"version": "1", "name": "x", "sql": "-- only a comment"}),
            400,
            "Migration SQL must contain at least one statement.",
        ),
        (
            json!({"version": "1", "name": "x", "sql": "begin; create table t (id int); commit;"}),
            403,
            "Transaction control statements are not allowed.",
        ),
        (
            json!({"version": "1", "name": "x", "sql": "creat table t (id int)"}),
            403,
            "Query could not be parsed and was rejected for security reasons.",
        ),
    ];
    for (body, status, message) in cases {
        let (got_status, got) = send(post(&body)).await;
        assert_eq!(
            (got_status, &got["message"]),
            (status, &json!(message)),
            "{body}"
        );
    }
    let as_user = http()
        .get(&url)
        .bearer_auth(token_for(&project, &new_user()));
    assert_eq!(
        send(as_user).await.0,
        403,
        "a user token is not an admin credential"
    );
    let (status, body) = send(http().get(&url)).await;
    assert_eq!(
        (status, &body["message"]),
        (401, &json!("No admin token provided"))
    );
    let (status, list) = send(admin()).await;
    assert_eq!(status, 200);
    assert_eq!(
        list,
        json!({"migrations": []}),
        "nothing was applied by the refused requests"
    );
}

/// SQL that slips past the migrations API's filter still cannot act as a superuser: the
/// stand-in logs in as a role that may only become the API roles.
#[tokio::test]
async fn a_migration_cannot_escalate_past_the_api_roles() {
    let project = testing::shared().fresh_project().await;
    let is_superuser = "DO $$ BEGIN IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) \
                        THEN RAISE EXCEPTION 'not a superuser: %', current_user; END IF; END $$";
    let attempts = [
        format!("RESET ROLE; {is_superuser}"),
        "RESET ROLE; CREATE TABLE public.escalated (id int)".to_string(),
        "SET/**/ROLE postgres; CREATE TABLE public.escalated (id int)".to_string(),
        "DO $$ BEGIN EXECUTE 'SET ROLE postgres'; END $$".to_string(),
        "DO $$ BEGIN EXECUTE 'RESET ROLE'; EXECUTE 'COPY (SELECT 1) TO PROGRAM ''true'''; END $$"
            .to_string(),
        format!("DO $$ BEGIN EXECUTE 'RESET ROLE'; END $$; {is_superuser}"),
    ];
    for (i, sql) in attempts.iter().enumerate() {
        let res = http()
            .post(format!("{}/api/database/migrations", project.url))
            .bearer_auth(&project.keys.api_key)
            .json(&json!({"version": format!("{}", 9000 + i), "name": "escalate", "sql": sql}))
            .send()
            .await
            .expect("post");
        let status = res.status();
        let body = res.text().await.unwrap_or_default();
        // Refused by PostgreSQL (permission denied, or the check's exception), not the filter.
        assert!(!status.is_success(), "{sql}: {status} {body}");
        assert!(
            [
                "permission denied",
                "must be superuser",
                "not a superuser: insforge_gateway"
            ]
            .iter()
            .any(|why| body.contains(why)),
            "{sql}: {status} {body}"
        );
    }
    let owner = devstack::pg::connect(&project.database_url)
        .await
        .expect("owner");
    let escalated: i64 = owner
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE tablename = 'escalated'",
            &[],
        )
        .await
        .expect("tables")
        .get(0);
    assert_eq!(escalated, 0);
    let recorded: i64 = owner
        .query_one("SELECT count(*) FROM system.custom_migrations", &[])
        .await
        .expect("ledger")
        .get(0);
    assert_eq!(recorded, 0, "no refused migration is recorded");
}
