//! Signing out at an OpenID Connect provider: its sign-out page, as each flavour has it.

use url::Url;

use super::flavors::{LogoutStyle, OidcConfig};

/// The provider's sign-out page for `config`, given the `end_session_endpoint` its discovery
/// published (if any), coming back to `return_to`; `None` when there is none.
pub(super) fn logout_url(
    config: &OidcConfig,
    end_session: Option<Url>,
    return_to: &str,
) -> Option<Url> {
    let issuer = config.issuer.trim_end_matches('/');
    let (url, params): (String, Vec<(&str, &str)>) =
        match (config.flavor.quirks().sign_out, end_session) {
            (LogoutStyle::KindeLogout, _) => {
                (format!("{issuer}/logout"), vec![("redirect", return_to)])
            }
            (_, Some(endpoint)) => (
                endpoint.to_string(),
                vec![
                    ("client_id", &config.client_id),
                    ("post_logout_redirect_uri", return_to),
                ],
            ),
            // Auth0 tenants without RP-initiated logout: its older endpoint.
            (LogoutStyle::DiscoveredOrAuth0V2, None) => (
                format!("{issuer}/v2/logout"),
                vec![("returnTo", return_to), ("client_id", &config.client_id)],
            ),
            (LogoutStyle::Discovered, None) => return None,
        };
    let mut url = Url::parse(&url).ok()?;
    url.query_pairs_mut().extend_pairs(params);
    Some(url)
}
