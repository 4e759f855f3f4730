use super::*;

fn headers(forwarded: &[&str]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for value in forwarded {
        headers.append("x-forwarded-for", value.parse().expect("header"));
    }
    headers
}

fn limits(hops: usize) -> Limits {
    Limits::new(
        &LimitConfig {
            trusted_proxy_hops: hops,
            ..LimitConfig::default()
        },
        None,
    )
}

#[test]
fn the_client_address_comes_from_the_trusted_hop_only() {
    let peer: SocketAddr = "10.0.0.2:5000".parse().expect("peer");
    let spoofed = headers(&["6.6.6.6, 203.0.113.7"]);
    // No proxy: whatever the client wrote, the peer is the client.
    assert_eq!(limits(0).client_ip(&spoofed, Some(peer)), Some(peer.ip()));
    // One proxy: the entry it appended, not the client's own claim before it.
    let one = "203.0.113.7".parse().ok();
    assert_eq!(limits(1).client_ip(&spoofed, Some(peer)), one);
    // Two proxies, the header split over two lines as some proxies send it.
    let two = headers(&["6.6.6.6, 198.51.100.9", "203.0.113.7"]);
    assert_eq!(
        limits(2).client_ip(&two, Some(peer)),
        "198.51.100.9".parse().ok()
    );
    // Fewer entries than trusted hops: no address to trust.
    assert_eq!(limits(4).client_ip(&two, Some(peer)), Some(peer.ip()));
    assert_eq!(
        limits(1).client_ip(&headers(&["junk"]), Some(peer)),
        Some(peer.ip())
    );
    // Ports and brackets, as some proxies write them.
    let ported = headers(&["198.51.100.9:5678, [2001:db8::7]:443"]);
    assert_eq!(
        limits(1).client_ip(&ported, Some(peer)),
        "2001:db8::7".parse().ok()
    );
    assert_eq!(
        limits(2).client_ip(&ported, Some(peer)),
        "198.51.100.9".parse().ok()
    );
    // Bytes that are not text before the proxy's entry do not hide it.
    let mut binary = HeaderMap::new();
    binary.append(
        "x-forwarded-for",
        axum::http::HeaderValue::from_bytes(b"\xff, 203.0.113.7").expect("header"),
    );
    assert_eq!(
        limits(1).client_ip(&binary, Some(peer)),
        "203.0.113.7".parse().ok()
    );
}

#[tokio::test]
async fn links_are_spaced_and_counted_per_address_and_per_client() {
    let limits = Limits::new(
        &LimitConfig {
            links_per_ip_per_hour: 3,
            ..LimitConfig::default()
        },
        None,
    );
    let ip: IpAddr = "203.0.113.7".parse().expect("ip");
    assert_eq!(limits.link("Ann@example.com", Some(ip)).await, Ok(()));
    let wait = limits
        .link("ann@example.com", Some(ip))
        .await
        .expect_err("a minute apart");
    assert!((55..=60).contains(&wait.seconds()), "{wait:?}");
    // Another client is not locked out of Ann's sign-in by this one.
    let elsewhere: IpAddr = "198.51.100.9".parse().expect("ip");
    assert_eq!(
        limits.link("ann@example.com", Some(elsewhere)).await,
        Ok(())
    );
    assert_eq!(limits.link("bo@example.com", Some(ip)).await, Ok(()));
    // The third link from this client was counted by the refused one too: the fourth is over.
    let wait = limits
        .link("cy@example.com", Some(ip))
        .await
        .expect_err("per client");
    assert!(wait.seconds() > 60, "{wait:?}");
    assert_eq!(limits.link("cy@example.com", Some(elsewhere)).await, Ok(()));
}

#[tokio::test]
async fn calls_are_counted_per_client_and_per_user() {
    let limits = Limits::new(
        &LimitConfig {
            ip_per_minute: 2,
            user_per_minute: 1,
            ..LimitConfig::default()
        },
        None,
    );
    let ip: IpAddr = "203.0.113.7".parse().expect("ip");
    assert_eq!(limits.call_from(ip).await, Ok(()));
    assert_eq!(limits.call_from(ip).await, Ok(()));
    let wait = limits.call_from(ip).await.expect_err("third in a minute");
    assert!((1..=30).contains(&wait.seconds()), "{wait:?}");
    assert_eq!(limits.call_by("user-1").await, Ok(()));
    assert!(limits.call_by("user-1").await.is_err());
    assert_eq!(limits.call_by("user-2").await, Ok(()));
}

#[tokio::test]
async fn many_clients_together_cannot_fill_one_inbox_and_ipv6_counts_by_its_64() {
    let limits = Limits::new(
        &LimitConfig {
            links_per_address_per_hour: 1,
            ..LimitConfig::default()
        },
        None,
    );
    for n in 0..ADDRESS_SHARE {
        let ip: IpAddr = format!("203.0.113.{n}").parse().expect("ip");
        assert_eq!(
            limits.link("dee@example.com", Some(ip)).await,
            Ok(()),
            "client {n}"
        );
    }
    let more: IpAddr = "203.0.113.99".parse().expect("ip");
    assert!(limits.link("dee@example.com", Some(more)).await.is_err());

    let calls = Limits::new(
        &LimitConfig {
            ip_per_minute: 1,
            ..LimitConfig::default()
        },
        None,
    );
    let a: IpAddr = "2001:db8:1:2::1".parse().expect("ip");
    let b: IpAddr = "2001:db8:1:2:ffff::9".parse().expect("ip");
    assert_eq!(calls.call_from(a).await, Ok(()));
    assert!(calls.call_from(b).await.is_err(), "the same /64");
    assert_eq!(
        calls
            .call_from("2001:db8:1:3::1".parse().expect("ip"))
            .await,
        Ok(())
    );
}
