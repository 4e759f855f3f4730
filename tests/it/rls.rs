//! Row-level security through the real path: app client → InsForge stand-in → PostgreSQL with
//! the project's policy. Each user sees and changes only their own rows; anon sees nothing.

use crate::common::*;
use insforge_auth::server::insforge::InsForgeError;
use insforge_auth::todos::model::TodoPatch;
use serde_json::json;

#[tokio::test]
async fn each_user_sees_only_their_own_todos() {
    let project = project();
    let client = client(project);
    let (alice, bob) = (new_user(), new_user());
    let (ta, tb) = (token_for(project, &alice), token_for(project, &bob));
    let a1 = client.create_todo(&ta, "alice one").await.expect("create");
    let a2 = client.create_todo(&ta, "alice two").await.expect("create");
    let b1 = client.create_todo(&tb, "bob one").await.expect("create");

    let mine = client.list_todos(&ta).await.expect("list");
    assert_eq!(
        mine.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![a2.id, a1.id],
        "newest first, only alice's"
    );
    let theirs = client.list_todos(&tb).await.expect("list");
    assert_eq!(theirs.iter().map(|t| t.id).collect::<Vec<_>>(), vec![b1.id]);

    // Asking for the other's row by id finds nothing.
    let url = format!("{}?id=eq.{}", records_url(project, "todos"), b1.id);
    assert_eq!(
        send(http().get(&url).bearer_auth(&ta)).await,
        (200, json!([]))
    );
}

#[tokio::test]
async fn another_users_todo_cannot_be_changed_or_deleted() {
    let project = project();
    let client = client(project);
    let (owner, intruder) = (new_user(), new_user());
    let (to, ti) = (token_for(project, &owner), token_for(project, &intruder));
    let todo = client.create_todo(&to, "keep me").await.expect("create");

    let patch = TodoPatch {
        title: Some("hacked".into()),
        is_complete: Some(true),
    };
    let err = client
        .update_todo(&ti, todo.id, &patch)
        .await
        .expect_err("not theirs");
    assert!(matches!(err, InsForgeError::NotFound(_)), "{err:?}");
    let err = client
        .delete_todo(&ti, todo.id)
        .await
        .expect_err("not theirs");
    assert!(matches!(err, InsForgeError::NotFound(_)), "{err:?}");

    let rows = client.list_todos(&to).await.expect("list");
    assert_eq!(rows, vec![todo], "the owner's row is intact");
}

#[tokio::test]
async fn rows_cannot_be_created_or_moved_into_someone_elses_name() {
    let project = project();
    let (attacker, victim) = (new_user(), new_user());
    let ta = token_for(project, &attacker);
    let url = records_url(project, "todos");

    // Inserting with a forged user_id: the policy's WITH CHECK refuses it (403, PostgreSQL 42501).
    let forged = json!({ "title": "planted", "user_id": victim });
    let (status, body) = send(http().post(&url).bearer_auth(&ta).json(&forged)).await;
    assert_eq!(status, 403);
    assert_eq!(body["code"], "42501");
    assert_eq!(
        body["message"],
        "new row violates row-level security policy for table \"todos\""
    );

    // Moving one's own row to the victim is refused the same way.
    let own = client(project)
        .create_todo(&ta, "mine")
        .await
        .expect("create");
    let res = http()
        .patch(format!("{url}?id=eq.{}", own.id))
        .bearer_auth(&ta)
        .json(&json!({ "user_id": victim }))
        .send()
        .await
        .expect("patch");
    assert_eq!(res.status(), 403);

    let victims = client(project)
        .list_todos(&token_for(project, &victim))
        .await
        .expect("list");
    assert!(victims.is_empty(), "nothing was planted: {victims:?}");
}

#[tokio::test]
async fn anon_sees_nothing_and_cannot_write() {
    let project = project();
    let owner = new_user();
    client(project)
        .create_todo(&token_for(project, &owner), "private")
        .await
        .expect("create");
    let url = records_url(project, "todos");
    let anon = &project.keys.anon_key;

    assert_eq!(
        send(http().get(&url).bearer_auth(anon)).await,
        (200, json!([]))
    );

    // No policy applies to anon, so the insert fails RLS; PostgREST answers 401 for the anon role.
    let (status, body) = send(
        http()
            .post(&url)
            .bearer_auth(anon)
            .json(&json!({ "title": "x" })),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["code"], "42501");

    let (status, _) = send(http().delete(&url).bearer_auth(anon)).await;
    assert_eq!(status, 204, "deletes nothing it cannot see");
    let as_admin = http()
        .get(format!("{url}?user_id=eq.{owner}"))
        .bearer_auth(&project.keys.api_key);
    let (status, admin) = send(as_admin).await;
    assert_eq!(status, 200);
    assert_eq!(
        admin.as_array().map(Vec::len),
        Some(1),
        "the row survived, as the admin key (RLS bypassed) shows"
    );
}
