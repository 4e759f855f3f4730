//! Bad input gets a clear 4xx and changes nothing; hostile input cannot reach the SQL; any text
//! a user types comes back byte-for-byte.

use crate::common::*;
use insforge_auth::server::insforge::InsForgeError;
use insforge_auth::todos::model::TodoPatch;
use serde_json::json;

async fn count_rows(token: &str) -> usize {
    client(project())
        .list_todos(token)
        .await
        .expect("list")
        .len()
}

#[tokio::test]
async fn blank_and_overlong_titles_are_refused_by_the_database() {
    let project = project();
    let client = client(project);
    let token = token_for(project, &new_user());
    for bad in ["", "   ", " \t\n ", &"x".repeat(501)] {
        let err = client.create_todo(&token, bad).await.expect_err("refused");
        match err {
            InsForgeError::InvalidInput(m) => assert!(m.contains("todos_title_length"), "{m}"),
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    assert_eq!(count_rows(&token).await, 0, "nothing was stored");
    let longest = "é".repeat(500);
    assert_eq!(
        client
            .create_todo(&token, &longest)
            .await
            .expect("500 chars fit")
            .title,
        longest
    );

    // Updating to a blank title is refused too, and the row keeps its title.
    let todo = client.create_todo(&token, "keep").await.expect("create");
    let err = client
        .update_todo(
            &token,
            todo.id,
            &TodoPatch {
                title: Some("  ".into()),
                is_complete: None,
            },
        )
        .await
        .expect_err("blank");
    assert!(matches!(err, InsForgeError::InvalidInput(_)), "{err:?}");
    let rows = client.list_todos(&token).await.expect("list");
    assert!(rows.iter().any(|t| t.id == todo.id && t.title == "keep"));
}

#[tokio::test]
async fn any_text_round_trips_byte_for_byte() {
    let project = project();
    let client = client(project);
    let token = token_for(project, &new_user());
    let titles = [
        "<script>alert('x')</script> & <b>bold</b>",
        r#"quotes " ' ` \ and \" escapes"#,
        "emoji 👩🏽‍💻🎉 and combining é (e\u{301})",
        "עברית ومرحبا right-to-left \u{202E}override",
        "line\nbreak and\ttab inside",
        "'; DROP TABLE todos; --",
    ];
    for title in titles {
        let created = client.create_todo(&token, title).await.expect("create");
        assert_eq!(created.title, title);
    }
    let listed: Vec<String> = client
        .list_todos(&token)
        .await
        .expect("list")
        .into_iter()
        .map(|t| t.title)
        .collect();
    let mut expected: Vec<String> = titles.iter().rev().map(|t| t.to_string()).collect();
    expected.sort();
    let mut got = listed.clone();
    got.sort();
    assert_eq!(got, expected);
}

#[tokio::test]
async fn malformed_ids_and_unknown_columns_are_4xx() {
    let project = project();
    let token = token_for(project, &new_user());
    let url = records_url(project, "todos");
    let get = |query: &str| http().get(format!("{url}?{query}")).bearer_auth(&token);

    let (status, body) = send(get("id=eq.not-a-uuid")).await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "22P02");
    assert_eq!(
        body["message"],
        "invalid input syntax for type uuid: \"not-a-uuid\""
    );

    let (status, _) = send(
        http()
            .delete(format!("{url}?id=eq.1%20or%201=1"))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(status, 400);

    let (status, body) = send(get("select=id,nope")).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"code":"42703","details":null,"hint":null,"message":"column todos.nope does not exist"})
    );

    let post = || http().post(&url).bearer_auth(&token);
    let (status, body) = send(post().json(&json!({"title": "x", "nope": 1}))).await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "PGRST204");
    assert_eq!(
        body["message"],
        "Could not find the 'nope' column of 'todos' in the schema cache"
    );

    let (status, body) = send(get("is_complete=maybe.true")).await;
    assert_eq!((status, &body["code"]), (400, &json!("PGRST100")));

    let broken = post()
        .header("content-type", "application/json")
        .body("{\"title\":");
    let (status, body) = send(broken).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "INVALID_INPUT");
    assert_eq!(
        body["nextActions"],
        "Please ensure your request body contains valid JSON"
    );
    assert_eq!(count_rows(&token).await, 0);
}

#[tokio::test]
async fn hostile_identifiers_and_filters_cannot_inject_sql() {
    let project = project();
    let token = token_for(project, &new_user());
    let other = token_for(project, &new_user());
    let survivor = client(project)
        .create_todo(&other, "survivor")
        .await
        .expect("create");
    let base = format!("{}/api/database/records", project.url);

    let get = |path_and_query: &str| {
        http()
            .get(format!("{base}/{path_and_query}"))
            .bearer_auth(&token)
    };

    // A quote in the table name: refused by InsForge's identifier check.
    let (status, body) = send(get("todos%22%3B%20drop%20table%20todos%3B--")).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["message"],
        "Invalid table name: cannot contain quotes or control characters"
    );
    // Other odd table names are just tables that do not exist.
    let (status, body) = send(get("todos;%20delete%20from%20todos")).await;
    assert_eq!((status, &body["code"]), (404, &json!("42P01")));

    for query in [
        "title=eq.x'%20or%20'1'='1",
        "title=in.(a,b))%20or%20(1=1",
        "title=like.*'%3B%20delete%20from%20todos%3B--",
        "select=id,title%20from%20todos%3B--",
        "select=id::text%3Bdelete",
        "order=title%3B%20drop%20table%20todos",
        "id%3Bdrop=eq.1",
        "limit=1%3B%20delete%20from%20todos",
    ] {
        let (status, body) = send(get(&format!("todos?{query}"))).await;
        assert!(
            status == 200 && body == json!([]) || (400..500).contains(&status),
            "{query}: {status} {body}"
        );
    }
    let rows = client(project).list_todos(&other).await.expect("list");
    assert_eq!(rows, vec![survivor], "the other user's data is untouched");
}
