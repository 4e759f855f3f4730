use super::*;

fn cache() -> JwksCache {
    let url = Url::parse("http://127.0.0.1:9/jwks").expect("url");
    JwksCache::new(reqwest::Client::new(), url)
}

fn remembered_for(exp: Option<u64>, validation: &Validation) -> bool {
    let cache = cache();
    let claims = match exp {
        Some(exp) => serde_json::json!({ "sub": "u", "exp": exp }),
        None => serde_json::json!({ "sub": "u" }),
    };
    cache.remember([7; 32], 0, claims);
    cache
        .remembered::<serde_json::Value>(&[7; 32], validation)
        .is_some()
}

#[test]
fn a_verified_token_is_remembered_only_while_the_validation_would_pass_it() {
    let mut validation = Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.leeway = 0;
    let now = unix_now();
    assert!(remembered_for(Some(now + 60), &validation));
    assert!(!remembered_for(Some(now - 1), &validation), "expired");
    // Within the leeway jsonwebtoken still passes it, so may we.
    validation.leeway = 30;
    assert!(remembered_for(Some(now - 10), &validation));
    validation.reject_tokens_expiring_in_less_than = 60;
    assert!(!remembered_for(Some(now + 20), &validation));
    assert!(!remembered_for(None, &validation), "no exp");
    validation.validate_exp = false;
    assert!(remembered_for(None, &validation));
}

#[test]
fn a_verification_begun_before_the_keys_changed_is_not_remembered() {
    let cache = cache();
    let validation = Validation::new(jsonwebtoken::Algorithm::RS256);
    let claims = serde_json::json!({ "exp": unix_now() + 60 });
    // What `fetch_and_keep` does once the keys are replaced.
    if let Ok(mut verified) = cache.verified.lock() {
        verified.generation += 1;
        verified.by_digest.clear();
    }
    cache.remember([7; 32], 0, claims.clone());
    assert!(
        cache
            .remembered::<serde_json::Value>(&[7; 32], &validation)
            .is_none()
    );
    cache.remember([7; 32], 1, claims);
    assert!(
        cache
            .remembered::<serde_json::Value>(&[7; 32], &validation)
            .is_some()
    );
}

#[test]
fn when_full_forgets_the_expired_first_then_everything() {
    let cache = cache();
    let validation = Validation::new(jsonwebtoken::Algorithm::RS256);
    let now = unix_now();
    let digest = |i: usize| {
        let mut d = [0; 32];
        d[..8].copy_from_slice(&(i as u64).to_le_bytes());
        d
    };
    for i in 0..REMEMBERED {
        // One in ten already expired.
        let exp = if i % 10 == 0 { now - 100 } else { now + 60 };
        cache.remember(digest(i), 0, serde_json::json!({ "exp": exp }));
    }
    cache.remember([9; 32], 0, serde_json::json!({ "exp": now + 60 }));
    assert!(
        cache
            .remembered::<serde_json::Value>(&digest(1), &validation)
            .is_some(),
        "kept"
    );
    assert!(
        cache
            .remembered::<serde_json::Value>(&[9; 32], &validation)
            .is_some()
    );
    for i in 0..REMEMBERED / 10 {
        let exp = serde_json::json!({ "exp": now + 60 });
        cache.remember(digest(REMEMBERED + i), 0, exp);
    }
    assert!(
        cache
            .remembered::<serde_json::Value>(&digest(1), &validation)
            .is_none(),
        "full of unexpired tokens: all forgotten"
    );
}
