//! The InsForge client's behaviour: the todo operations, how failures are reported, and which
//! requests it retries.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::common::*;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::any;
use insforge_auth::server::config;
use insforge_auth::server::insforge::{ClientOptions, InsForgeClient, InsForgeError};
use insforge_auth::todos::model::TodoPatch;

#[tokio::test]
async fn create_list_update_toggle_delete() {
    let project = project();
    let client = client(project);
    let token = token_for(project, &new_user());
    let first = client.create_todo(&token, "first").await.expect("create");
    let second = client.create_todo(&token, "second").await.expect("create");
    assert!(!first.is_complete);
    assert!(second.created_at >= first.created_at);

    let renamed = client
        .update_todo(
            &token,
            first.id,
            &TodoPatch {
                title: Some("renamed".into()),
                is_complete: None,
            },
        )
        .await
        .expect("rename");
    assert_eq!(
        (renamed.title.as_str(), renamed.is_complete),
        ("renamed", false)
    );
    let done = client
        .update_todo(
            &token,
            first.id,
            &TodoPatch {
                title: None,
                is_complete: Some(true),
            },
        )
        .await
        .expect("toggle");
    assert_eq!((done.title.as_str(), done.is_complete), ("renamed", true));
    assert_eq!(done.created_at, first.created_at);

    client.delete_todo(&token, second.id).await.expect("delete");
    assert_eq!(client.list_todos(&token).await.expect("list"), vec![done]);
    let err = client
        .delete_todo(&token, second.id)
        .await
        .expect_err("already gone");
    assert!(matches!(err, InsForgeError::NotFound(_)), "{err:?}");
    let err = client
        .update_todo(&token, first.id, &TodoPatch::default())
        .await
        .expect_err("empty patch");
    assert!(matches!(err, InsForgeError::InvalidInput(_)), "{err:?}");
}

#[tokio::test]
async fn a_token_for_another_project_is_unauthorized() {
    let other = devstack::testing::shared().fresh_project().await;
    let token = token_for(&other, &new_user());
    let err = client(project())
        .list_todos(&token)
        .await
        .expect_err("wrong secret");
    assert_eq!(err, InsForgeError::Unauthorized("Invalid token".into()));
}

fn fast_options() -> ClientOptions {
    ClientOptions {
        connect_timeout: Duration::from_millis(500),
        request_timeout: Duration::from_secs(2),
        attempts: 3,
        backoff: Duration::from_millis(10),
    }
}

#[tokio::test]
async fn an_unreachable_insforge_is_unavailable() {
    // Bind and drop: nothing listens on this port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let url = config::parse_base_url(&format!("http://127.0.0.1:{port}")).expect("url");
    let client = InsForgeClient::new(&url, fast_options()).expect("client");
    let err = client
        .list_todos("token")
        .await
        .expect_err("nothing listens");
    assert!(err.is_transient(), "{err:?}");
    let err = client
        .create_todo("token", "x")
        .await
        .expect_err("nothing listens");
    assert!(matches!(err, InsForgeError::Unavailable(_)), "{err:?}");
}

/// An InsForge that answers `status` to every request, counting them.
async fn failing_insforge(status: StatusCode) -> (InsForgeClient, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = Router::new().route(
        "/api/database/records/todos",
        any(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                (
                    status,
                    r#"{"code":"PGRST001","details":null,"hint":null,"message":"Database client error. Retrying the connection."}"#)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = config::parse_base_url(&format!("http://{}", listener.local_addr().expect("addr")))
        .expect("url");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (
        InsForgeClient::new(&url, fast_options()).expect("client"),
        hits,
    )
}

#[tokio::test]
async fn reads_are_retried_and_writes_are_not() {
    let (client, hits) = failing_insforge(StatusCode::SERVICE_UNAVAILABLE).await;
    let err = client.list_todos("token").await.expect_err("503");
    assert_eq!(
        err,
        InsForgeError::Unavailable("Database client error. Retrying the connection.".into())
    );
    assert_eq!(
        hits.swap(0, Ordering::SeqCst),
        3,
        "a read is tried three times"
    );

    client.create_todo("token", "x").await.expect_err("503");
    assert_eq!(
        hits.swap(0, Ordering::SeqCst),
        1,
        "a write that reached the server is not repeated"
    );
    client
        .delete_todo("token", uuid::Uuid::new_v4())
        .await
        .expect_err("503");
    assert_eq!(hits.swap(0, Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_500_is_not_retried_because_insforge_already_retried_upstream() {
    let (client, hits) = failing_insforge(StatusCode::INTERNAL_SERVER_ERROR).await;
    let err = client.list_todos("token").await.expect_err("500");
    assert!(err.is_transient(), "{err:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}
