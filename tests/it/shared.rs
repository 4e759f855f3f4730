//! What replicas share through Redis (`server/shared`), against a real `redis-server`: one
//! refresh per single-use token whichever replica asks, its answer handed to the others; an
//! answer that says nothing about the token (the provider down) is not kept; and replicas that
//! do not share `SESSION_SECRET` share nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use devstack::redis::RedisServer;
use insforge_auth::server::config::Secret;
use insforge_auth::server::provider::{ProviderError, SignedIn};
use insforge_auth::server::shared::Shared;
use serde_json::json;

fn replica(redis: &RedisServer, secret: &str) -> Shared {
    Shared::new(&Secret::new(redis.url()), &Secret::new(secret)).expect("shared")
}

fn renewed(refresh_token: &str) -> SignedIn {
    SignedIn {
        user_id: "user_01".into(),
        email: Some("ann@example.com".into()),
        state: json!({"refresh_token": refresh_token}),
        expires_at: None,
    }
}

/// A refresh that takes a moment, counted.
async fn refresh(
    count: Arc<AtomicUsize>,
    answer: Result<SignedIn, ProviderError>,
) -> Result<SignedIn, ProviderError> {
    count.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(200)).await;
    answer
}

#[tokio::test]
async fn one_refresh_answers_every_replica_and_an_outage_is_not_kept() {
    let redis = RedisServer::start(None).await.expect("redis-server");
    let (a, b) = (
        replica(&redis, &"s".repeat(40)),
        replica(&redis, &"s".repeat(40)),
    );
    let count = Arc::new(AtomicUsize::new(0));
    let (first, second) = tokio::join!(
        a.refresh_once(
            "workos",
            "rt-1",
            refresh(count.clone(), Ok(renewed("rt-2")))
        ),
        async {
            // Once the first replica holds the claim.
            tokio::time::sleep(Duration::from_millis(50)).await;
            b.refresh_once(
                "workos",
                "rt-1",
                refresh(count.clone(), Ok(renewed("rt-x"))),
            )
            .await
        },
    );
    assert_eq!(count.load(Ordering::SeqCst), 1, "one refresh");
    let (first, second) = (first.expect("renewed"), second.expect("the same answer"));
    // Whichever replica claimed the token first (the first, unless it was slow to start).
    assert!(first.state["refresh_token"] == "rt-2" || first.state["refresh_token"] == "rt-x");
    assert_eq!(second.state, first.state);
    assert_eq!(second.email.as_deref(), Some("ann@example.com"));
    // Later, too, within the minute.
    let later = b
        .refresh_once(
            "workos",
            "rt-1",
            refresh(count.clone(), Ok(renewed("rt-y"))),
        )
        .await
        .expect("kept");
    assert_eq!(later.state, first.state);
    assert_eq!(count.load(Ordering::SeqCst), 1);

    // The provider could not be reached: those waiting hear so, and the next one tries again.
    let down = Err(ProviderError::Unavailable("connect".into()));
    let (first, second) = tokio::join!(
        a.refresh_once("workos", "rt-3", refresh(count.clone(), down.clone())),
        async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            b.refresh_once("workos", "rt-3", refresh(count.clone(), down.clone()))
                .await
        },
    );
    assert!(
        matches!(first, Err(ProviderError::Unavailable(_))),
        "{first:?}"
    );
    assert!(
        matches!(second, Err(ProviderError::Unavailable(_))),
        "{second:?}"
    );
    assert_eq!(
        count.load(Ordering::SeqCst),
        2,
        "the waiter did not refresh"
    );
    let again = b
        .refresh_once(
            "workos",
            "rt-3",
            refresh(count.clone(), Ok(renewed("rt-4"))),
        )
        .await;
    assert!(again.is_ok(), "{again:?}");
    assert_eq!(count.load(Ordering::SeqCst), 3);

    // A replica with another SESSION_SECRET shares nothing (nor can it read the answers).
    let other = replica(&redis, &"o".repeat(40));
    let own = other
        .refresh_once(
            "workos",
            "rt-1",
            refresh(count.clone(), Ok(renewed("rt-z"))),
        )
        .await
        .expect("its own refresh");
    assert_eq!(own.state, json!({"refresh_token": "rt-z"}));
    assert_eq!(count.load(Ordering::SeqCst), 4);
}
