//! One refresh for every replica: a single-use refresh token is spent once, by the replica
//! that claims it in Redis first, and its answer is handed to the others that carry it.

use std::time::{Duration, Instant};

use aes_gcm::aead::rand_core::RngCore;
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};

use super::{Shared, hex, hmac};
use crate::server::provider::{ProviderError, SignedIn};
use crate::server::refresh::REMEMBER;

type Answer = Result<SignedIn, ProviderError>;

/// How long a claim holds while its refresh runs: longer than a refresh may take (up to three
/// provider calls of at most 15 s each, `server/http.rs`), so it never lapses under a refresh
/// still running. Another replica waits for the answer as long; the request's own timeout
/// (`REQUEST_TIMEOUT_SECONDS`) usually ends the wait first.
const CLAIM: Duration = Duration::from_secs(60);

const PENDING: &str = "pending:";
const SEALED: &[u8] = b"sealed:";

/// Only the claimant settles its claim: if KEYS[1] still holds ARGV[1] (the claim), it becomes
/// ARGV[2] (the sealed answer) for ARGV[3] ms, or, without ARGV[2], is deleted (given up).
const SETTLE: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] then return redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return redis.call('DEL', KEYS[1])
";

static SETTLE_SCRIPT: std::sync::LazyLock<redis::Script> =
    std::sync::LazyLock::new(|| redis::Script::new(SETTLE));

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
        let mut claim_id = [0u8; 16];
        OsRng.fill_bytes(&mut claim_id);
        let claim = format!("{PENDING}{}", hex(&claim_id));
        let mut set = redis::cmd("SET");
        set.arg(&id)
            .arg(&claim)
            .arg("NX")
            .arg("PX")
            .arg(CLAIM.as_millis() as u64);
        match self.run::<Option<String>>("claiming a refresh", &set).await {
            Some(None) => self.await_answer(&id, provider, token).await,
            // Claimed, or Redis did not say: refresh here. Without an answer from Redis the
            // claim may still have been written, so it is settled either way (a claim that is
            // not ours is left alone), and no other replica waits on it in vain.
            Some(Some(_)) | None => {
                let answer = refresh.await;
                self.settle(&id, &claim, provider, token, &answer).await;
                answer
            }
        }
    }

    /// Keeps a settled answer for the other replicas; otherwise gives the claim up, so the
    /// next request (anywhere) tries again. Even while this replica does without Redis: the
    /// others wait on the claim.
    async fn settle(&self, id: &str, claim: &str, provider: &str, token: &str, answer: &Answer) {
        let keep = REMEMBER.as_millis().to_string();
        let sealed = settled(answer)
            .then(|| self.seal(id, provider, token, answer))
            .flatten();
        let mut args: Vec<&[u8]> = vec![claim.as_bytes()];
        if let Some(sealed) = &sealed {
            args.extend([sealed.as_slice(), keep.as_bytes()]);
        }
        let _: Option<redis::Value> = self
            .invoke("settling a refresh", true, &SETTLE_SCRIPT, &[id], &args)
            .await;
    }

    /// Waits for the claimant's answer.
    async fn await_answer(&self, id: &str, provider: &str, token: &str) -> Answer {
        let started = Instant::now();
        let mut pause = Duration::from_millis(5);
        while started.elapsed() < CLAIM {
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
                            "another replica's refresh answer does not open (altered in Redis?)"
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
