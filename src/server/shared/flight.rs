//! One refresh for every replica: a single-use refresh token is spent once, by the replica
//! that claims it in Redis first, and its answer is handed to the others that carry it.

use std::time::{Duration, Instant};

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};

use super::{Shared, hex, hmac};
use crate::server::provider::{ProviderError, SignedIn};

type Answer = Result<SignedIn, ProviderError>;

/// How long a claim holds while its refresh runs: longer than a provider call may take.
const CLAIM: Duration = Duration::from_secs(20);
/// How long an answer is kept for the requests that set out with the spent token.
const KEEP: Duration = Duration::from_secs(60);
/// How long another replica waits for the claimant's answer.
const WAIT: Duration = Duration::from_secs(22);

const PENDING: &str = "pending:";
const SEALED: &[u8] = b"sealed:";

/// Deletes KEYS[1] if it still holds ARGV[1]: a claim is given up only by its claimant.
const RELEASE: &str =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

static RELEASE_SCRIPT: std::sync::LazyLock<redis::Script> =
    std::sync::LazyLock::new(|| redis::Script::new(RELEASE));

/// Whether an answer says something about the token (and so is the same for everyone who
/// carries it), rather than about the provider just now.
fn settled(answer: &Answer) -> bool {
    !matches!(
        answer,
        Err(ProviderError::Unavailable(_) | ProviderError::Limited)
    )
}

impl Shared {
    /// `refresh`'s answer, or the answer another replica got with `token` (of `provider`):
    /// `refresh` runs only here if this replica claims the token first. Without Redis, it
    /// runs here as it would on a lone replica.
    pub async fn refresh_once(
        &self,
        provider: &str,
        token: &str,
        refresh: impl Future<Output = Answer>,
    ) -> Answer {
        let id = self.name("refresh", &[provider, token]);
        let claim = format!("{PENDING}{}", hex(&Aes256Gcm::generate_nonce(&mut OsRng)));
        let mut set = redis::cmd("SET");
        set.arg(&id)
            .arg(&claim)
            .arg("NX")
            .arg("PX")
            .arg(CLAIM.as_millis() as u64);
        match self.run::<Option<String>>("claiming a refresh", &set).await {
            None => refresh.await,
            Some(Some(_)) => {
                let answer = refresh.await;
                self.settle(&id, &claim, provider, token, &answer).await;
                answer
            }
            Some(None) => self.await_answer(&id, provider, token).await,
        }
    }

    /// Keeps a settled answer for the other replicas; otherwise gives the claim up, so the
    /// next request (anywhere) tries again.
    async fn settle(&self, id: &str, claim: &str, provider: &str, token: &str, answer: &Answer) {
        if settled(answer)
            && let Some(sealed) = self.seal(id, provider, token, answer)
        {
            let mut set = redis::cmd("SET");
            set.arg(id)
                .arg(sealed)
                .arg("PX")
                .arg(KEEP.as_millis() as u64);
            let _: Option<()> = self.run("keeping a refresh's answer", &set).await;
        } else {
            let _: Option<i64> = self
                .invoke(
                    "giving up a refresh claim",
                    &RELEASE_SCRIPT,
                    &[id],
                    &[claim.to_string()],
                )
                .await;
        }
    }

    /// Waits for the claimant's answer.
    async fn await_answer(&self, id: &str, provider: &str, token: &str) -> Answer {
        let started = Instant::now();
        let mut pause = Duration::from_millis(5);
        while started.elapsed() < WAIT {
            let mut get = redis::cmd("GET");
            get.arg(id);
            let unavailable = |why: &str| Err(ProviderError::Unavailable(why.to_string()));
            match self
                .run::<Option<Vec<u8>>>("awaiting a refresh", &get)
                .await
            {
                None => return unavailable("Redis failed while another replica refreshed"),
                // Given up (the provider could not be reached) or lapsed (its replica went).
                Some(None) => return unavailable("another replica's refresh got no answer"),
                Some(Some(value)) if value.starts_with(SEALED) => {
                    return self.open(id, provider, token, &value).unwrap_or_else(|| {
                        Err(ProviderError::Unexpected(
                            "another replica's refresh answer does not open (do the replicas \
                             share SESSION_SECRET?)"
                                .into(),
                        ))
                    });
                }
                Some(Some(_)) => {}
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(50));
        }
        Err(ProviderError::Unavailable(
            "another replica's refresh took too long".into(),
        ))
    }

    /// The answer's key: from the token itself, so only a holder of it can read the answer.
    fn cipher(&self, provider: &str, token: &str) -> Aes256Gcm {
        let key = hmac(
            &self.key,
            &[b"seal\0", provider.as_bytes(), b"\0", token.as_bytes()],
        );
        Aes256Gcm::new(&Key::<Aes256Gcm>::from(key))
    }

    fn seal(&self, id: &str, provider: &str, token: &str, answer: &Answer) -> Option<Vec<u8>> {
        let plain = serde_json::to_vec(answer).ok()?;
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: &plain,
            aad: id.as_bytes(),
        };
        let sealed = self.cipher(provider, token).encrypt(&nonce, payload).ok()?;
        Some([SEALED, &nonce[..], &sealed].concat())
    }

    fn open(&self, id: &str, provider: &str, token: &str, value: &[u8]) -> Option<Answer> {
        let rest = value.strip_prefix(SEALED)?;
        let (nonce, sealed) = rest.split_at_checked(12)?;
        let nonce = Nonce::from(<[u8; 12]>::try_from(nonce).ok()?);
        let payload = Payload {
            msg: sealed,
            aad: id.as_bytes(),
        };
        let plain = self.cipher(provider, token).decrypt(&nonce, payload).ok()?;
        serde_json::from_slice(&plain).ok()
    }
}
