//! What the app reads of an OpenID Connect provider's discovery document.

use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClientAuthMethod, CoreGrantType,
    CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm,
    CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, LogoutProviderMetadata, ProviderMetadata, RevocationUrl,
};
use serde::{Deserialize, Serialize};

/// RFC 8414's `revocation_endpoint`, which OpenID Connect discovery documents carry too.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct RevocationMetadata {
    pub revocation_endpoint: Option<RevocationUrl>,
}

impl AdditionalProviderMetadata for RevocationMetadata {}

/// Discovery as the app reads it: the core fields, RP-initiated logout's
/// `end_session_endpoint` and `revocation_endpoint`.
pub type Metadata = ProviderMetadata<
    LogoutProviderMetadata<RevocationMetadata>,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;
