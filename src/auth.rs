//! Which key to send, and in which header.
//!
//! - Key sources, first wins: [`AuthConfig::key`] (the call's option) →
//!   [`AuthConfig::configured_key`] → the provider variable: `ANTHROPIC_API_KEY`,
//!   or `ANTHROPIC_AUTH_TOKEN` (a bearer token; with `auth_mode: Bearer` it is
//!   looked at first). A key for another provider is never used. Blank values count
//!   as absent.
//! - Header: an explicit [`AuthMode`] wins. Otherwise `Authorization: Bearer` for
//!   an OAuth token (`sk-ant-oat…`, which also adds `oauth-2025-04-20` to
//!   `anthropic-beta`), for a key from `ANTHROPIC_AUTH_TOKEN`, and for any base URL
//!   other than the Anthropic API (proxy virtual keys); `x-api-key` otherwise.
//!   Never both.
//! - `anthropic-version: 2023-06-01` unless given; `anthropic-beta` values are
//!   kept in order, deduplicated.
//! - Keys never appear in errors, `Debug` output or anything else this crate
//!   prints: [`redact`] shows `sk-ant-…1234` at most.
//!
//! ```
//! use sse_sanitizer::auth::{resolve, AuthConfig};
//! let headers = resolve(&AuthConfig {
//!     key: Some("sk-ant-api03-abcdefghijklmnop".into()),
//!     ..Default::default()
//! })
//! .unwrap();
//! assert_eq!(headers[0], ("x-api-key".to_string(), "sk-ant-api03-abcdefghijklmnop".to_string()));
//! assert_eq!(headers[1], ("anthropic-version".to_string(), "2023-06-01".to_string()));
//! ```

use crate::error::AuthError;
use crate::options::Options;
use std::fmt;
use std::str::FromStr;

/// The default `anthropic-version` header.
pub const DEFAULT_VERSION: &str = "2023-06-01";
/// The beta flag OAuth tokens need.
pub const OAUTH_BETA: &str = "oauth-2025-04-20";
/// The Anthropic API host.
pub const ANTHROPIC_HOST: &str = "api.anthropic.com";

/// How the key is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// `x-api-key: <key>`.
    ApiKey,
    /// `authorization: Bearer <key>`.
    Bearer,
}

impl FromStr for AuthMode {
    type Err = AuthError;
    /// `"api-key"` (or `"x-api-key"`) and `"bearer"`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "api-key" | "apikey" | "x-api-key" => Ok(AuthMode::ApiKey),
            "bearer" => Ok(AuthMode::Bearer),
            _ => Err(AuthError::InvalidAuthMode),
        }
    }
}

/// Everything [`resolve`] looks at. `Default` is all `None`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AuthConfig {
    /// The key passed to the call itself.
    pub key: Option<String>,
    /// The key configured once (client options, Worker binding).
    pub configured_key: Option<String>,
    /// `ANTHROPIC_API_KEY`.
    pub env_api_key: Option<String>,
    /// `ANTHROPIC_AUTH_TOKEN` (a bearer token).
    pub env_auth_token: Option<String>,
    /// Where requests go; `None` means the Anthropic API.
    pub base_url: Option<String>,
    /// Forces the header; `None` chooses as the module docs say.
    pub auth_mode: Option<AuthMode>,
    /// `anthropic-version`; default [`DEFAULT_VERSION`].
    pub anthropic_version: Option<String>,
    /// `anthropic-beta` already wanted (comma-separated).
    pub anthropic_beta: Option<String>,
}

impl AuthConfig {
    /// The config from a JSON object, as the JS `authHeaders()` takes it:
    /// `apiKey`, `configuredKey`, `baseURL`, `authMode`, `anthropicVersion`,
    /// `anthropicBeta`, and `env` (an object of environment variables:
    /// `ANTHROPIC_API_KEY`, `ANTHROPIC_AUTH_TOKEN`), each a string or absent.
    /// An unknown `authMode` is [`AuthError::InvalidAuthMode`]; a value of
    /// another type [`AuthError::InvalidOption`].
    pub fn from_json(json: &str) -> Result<Self, AuthError> {
        let options = Options::parse(json)?;
        let env = options.object("env")?;
        let mut config = AuthConfig::default();
        for (from, name, to) in [
            (&options, "apiKey", &mut config.key),
            (&options, "configuredKey", &mut config.configured_key),
            (&env, "ANTHROPIC_API_KEY", &mut config.env_api_key),
            (&env, "ANTHROPIC_AUTH_TOKEN", &mut config.env_auth_token),
            (&options, "baseURL", &mut config.base_url),
            (&options, "anthropicVersion", &mut config.anthropic_version),
            (&options, "anthropicBeta", &mut config.anthropic_beta),
        ] {
            *to = from.string(name)?.map(String::from);
        }
        config.auth_mode = options
            .string("authMode")?
            .map(|mode| mode.parse())
            .transpose()?;
        Ok(config)
    }
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = |k: &Option<String>| k.as_deref().map(redact);
        f.debug_struct("AuthConfig")
            .field("key", &r(&self.key))
            .field("configured_key", &r(&self.configured_key))
            .field("env_api_key", &r(&self.env_api_key))
            .field("env_auth_token", &r(&self.env_auth_token))
            .field("base_url", &self.base_url.as_deref().map(redact_url))
            .field("auth_mode", &self.auth_mode)
            .field("anthropic_version", &self.anthropic_version)
            .field("anthropic_beta", &self.anthropic_beta)
            .finish()
    }
}

/// A key as it may be shown: a known prefix and the last 4 characters at most
/// (`sk-ant-…1234`); only `…` for keys too short to show any of.
pub fn redact(key: &str) -> String {
    let key = key.trim();
    if key.chars().nth(15).is_none() {
        return "…".to_string();
    }
    let tail = key.char_indices().rev().nth(3).map_or(0, |(at, _)| at);
    shown(key, tail)
}

/// [`redact`] of a key of 16 or more ASCII bytes and no spaces (what
/// [`scrub_keys`] finds): the same text, without decoding chars (which keeps
/// that machinery out of the stream-only wasm module).
fn redact_ascii(key: &str) -> String {
    shown(key, key.len().saturating_sub(4))
}

/// The known prefix of `key`, `…`, and `key` from `tail` on.
fn shown(key: &str, tail: usize) -> String {
    let prefix = ["sk-ant-", "sk-"]
        .into_iter()
        .find(|p| key.starts_with(p))
        .unwrap_or("");
    let mut out = String::from(prefix);
    out.push('…');
    out.push_str(key.get(tail..).unwrap_or_default());
    out
}

/// A base URL as it may be shown: scheme and host only.
fn redact_url(url: &str) -> String {
    match parse_base_url(url) {
        Ok(host) => format!("…{host}…"),
        Err(_) => "(invalid)".into(),
    }
}

fn non_blank(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Checks a base URL and returns its host (lowercase, without port). The URL is
/// never quoted in errors: it may hold a token in its path.
fn parse_base_url(url: &str) -> Result<String, AuthError> {
    let url = url.trim();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or(AuthError::InvalidBaseUrl {
            reason: "expected an absolute http:// or https:// URL",
        })?;
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(AuthError::InvalidBaseUrl {
            reason: "contains whitespace or control characters",
        });
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(AuthError::InvalidBaseUrl {
            reason: "credentials in the URL are not supported; pass the key instead",
        });
    }
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() {
        return Err(AuthError::InvalidBaseUrl {
            reason: "has no host",
        });
    }
    Ok(host)
}

fn header_safe(v: &str) -> bool {
    v.bytes().all(|b| (0x21..0x7f).contains(&b) || b == b' ')
}

/// The request headers (lowercase names) for `config`: the auth header first, then
/// `anthropic-version`, then `anthropic-beta` when there is one.
pub fn resolve(config: &AuthConfig) -> Result<Vec<(String, String)>, AuthError> {
    let prefer_token = config.auth_mode == Some(AuthMode::Bearer);
    let env = if prefer_token {
        [(&config.env_auth_token, true), (&config.env_api_key, false)]
    } else {
        [(&config.env_api_key, false), (&config.env_auth_token, true)]
    };
    let (key, from_token_var) = [(&config.key, false), (&config.configured_key, false)]
        .into_iter()
        .chain(env)
        .find_map(|(k, token)| non_blank(k).map(|k| (k, token)))
        .ok_or(AuthError::MissingKey)?;
    // NOTE: a key pasted with its scheme ("Bearer sk-…") is taken without it.
    let key = strip_bearer(key).unwrap_or(key);
    if key.is_empty() || !key.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        return Err(AuthError::InvalidKey {
            redacted: redact(key),
        });
    }
    let custom_host = match non_blank(&config.base_url) {
        Some(url) => parse_base_url(url)? != ANTHROPIC_HOST,
        None => false,
    };
    let oauth = is_oauth(key);
    let mode = config
        .auth_mode
        .unwrap_or(if oauth || from_token_var || custom_host {
            AuthMode::Bearer
        } else {
            AuthMode::ApiKey
        });

    let version = non_blank(&config.anthropic_version).unwrap_or(DEFAULT_VERSION);
    if !header_safe(version) {
        return Err(AuthError::InvalidHeaderValue {
            name: "anthropic-version",
        });
    }
    let mut betas: Vec<&str> = Vec::new();
    for b in non_blank(&config.anthropic_beta)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|b| !b.is_empty())
    {
        if !betas.contains(&b) {
            betas.push(b);
        }
    }
    if oauth && mode == AuthMode::Bearer && !betas.contains(&OAUTH_BETA) {
        betas.push(OAUTH_BETA);
    }
    if !betas.iter().all(|b| header_safe(b)) {
        return Err(AuthError::InvalidHeaderValue {
            name: "anthropic-beta",
        });
    }

    let mut headers = vec![match mode {
        AuthMode::ApiKey => ("x-api-key".to_string(), key.to_string()),
        AuthMode::Bearer => ("authorization".to_string(), format!("Bearer {key}")),
    }];
    headers.push(("anthropic-version".into(), version.to_string()));
    if !betas.is_empty() {
        headers.push(("anthropic-beta".into(), betas.join(",")));
    }
    Ok(headers)
}

/// The credential of an `authorization: Bearer …` value (scheme matched in
/// any case, spaces trimmed); `None` for another scheme.
fn strip_bearer(value: &str) -> Option<&str> {
    let value = value.trim();
    match value.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("bearer ") => Some(value[7..].trim()),
        _ => None,
    }
}

/// Whether `key` is an OAuth token (`sk-ant-oat…`): those only work as
/// `Authorization: Bearer`, with the [`OAUTH_BETA`] flag.
fn is_oauth(key: &str) -> bool {
    key.starts_with("sk-ant-oat")
}

/// How a forwarding proxy (the Worker's `UPSTREAM_AUTH`) sends the client's
/// credential upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ForwardMode {
    /// The client's key, always as `Authorization: Bearer` (default).
    #[default]
    Bearer,
    /// The client's key in the header the client used; an OAuth token always
    /// as Bearer.
    Passthrough,
    /// The client's key must be one of [`Forwarding::client_keys`]; the
    /// upstream gets [`Forwarding::upstream_key`] instead, in the header
    /// [`resolve`] chooses for the upstream's host.
    Secret,
}

impl FromStr for ForwardMode {
    type Err = AuthError;
    /// `"bearer"`, `"passthrough"` or `"secret"`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "bearer" => Ok(ForwardMode::Bearer),
            "passthrough" => Ok(ForwardMode::Passthrough),
            "secret" => Ok(ForwardMode::Secret),
            _ => Err(AuthError::InvalidForwardMode),
        }
    }
}

/// The auth settings of a forwarding proxy: what it sends upstream for a
/// client's request. Build one, [`check`](Forwarding::check) it once (at
/// startup), then call [`headers`](Forwarding::headers) per request.
///
/// ```
/// use sse_sanitizer::auth::{ForwardMode, Forwarding};
/// let proxy = Forwarding {
///     mode: ForwardMode::Secret,
///     upstream_url: "https://litellm.example".into(),
///     upstream_key: Some("sk-litellm-upstream-secret".into()),
///     client_keys: vec!["app-key-0001".into()],
///     ..Default::default()
/// };
/// proxy.check().unwrap();
/// let client = [("x-api-key".to_string(), "app-key-0001".to_string()), ("cookie".to_string(), "s=1".to_string())];
/// let headers = proxy.headers(&client).unwrap();
/// assert_eq!(headers[0], ("authorization".to_string(), "Bearer sk-litellm-upstream-secret".to_string()));
/// assert!(headers.iter().all(|(name, _)| name != "cookie" && name != "x-api-key"));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Forwarding {
    /// See [`ForwardMode`]. Default [`ForwardMode::Bearer`].
    pub mode: ForwardMode,
    /// The upstream's base URL: absolute `http(s)`, with a host, without
    /// credentials, query or fragment (the route path is appended to it).
    pub upstream_url: String,
    /// [`ForwardMode::Secret`]: the key sent upstream.
    pub upstream_key: Option<String>,
    /// [`ForwardMode::Secret`]: the keys clients must present.
    pub client_keys: Vec<String>,
    /// [`ForwardMode::Secret`]: credential-like client headers forwarded anyway
    /// (names, any case). Default none: see [`Forwarding::headers`].
    pub keep_client_headers: Vec<String>,
}

impl fmt::Debug for Forwarding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Forwarding")
            .field("mode", &self.mode)
            .field("upstream_url", &redact_url(&self.upstream_url))
            .field("upstream_key", &self.upstream_key.as_deref().map(redact))
            .field("client_keys", &self.client_keys.len())
            .field("keep_client_headers", &self.keep_client_headers)
            .finish()
    }
}

impl Forwarding {
    /// Checks the settings: the upstream URL (a query or a fragment would
    /// swallow the route path appended to it), and for [`ForwardMode::Secret`]
    /// an upstream key that fits in a header and at least one client key.
    pub fn check(&self) -> Result<(), AuthError> {
        parse_base_url(&self.upstream_url)?;
        if self.upstream_url.contains(['?', '#']) {
            return Err(AuthError::InvalidBaseUrl {
                reason: "has a query or a fragment, where the route path would land",
            });
        }
        if self.mode == ForwardMode::Secret {
            let key = non_blank(&self.upstream_key).ok_or(AuthError::MissingSecret)?;
            if !self.client_keys.iter().any(|k| !k.trim().is_empty()) {
                return Err(AuthError::MissingSecret);
            }
            if !key.bytes().all(|b| (0x21..0x7f).contains(&b)) {
                return Err(AuthError::InvalidKey {
                    redacted: redact(key),
                });
            }
        }
        Ok(())
    }

    /// The headers to send upstream for a client request with `client`
    /// headers (lowercase names, in order, hop-by-hop ones already removed):
    /// the client's headers minus its credential (`x-api-key`, `authorization`)
    /// and `anthropic-version` / `anthropic-beta`, then the auth headers
    /// [`resolve`] makes from the client's key (or, in secret mode, the upstream
    /// key) and those two values.
    ///
    /// In secret mode the other credential-like client headers (cookies, API
    /// keys and tokens for other services, `x-forwarded-for` and the like) are
    /// dropped as well, unless listed in [`Forwarding::keep_client_headers`]:
    /// the client's credentials are not meant to reach the upstream, and the
    /// upstream sees the proxy, not the client. In the other modes the client's
    /// own key goes upstream anyway, and so do they.
    ///
    /// Errors: [`AuthError::ConflictingCredentials`] when the client sent both
    /// `x-api-key` and `authorization`; [`AuthError::MissingClientKey`] when it
    /// sent neither (or a non-Bearer `authorization`, or an empty value);
    /// [`AuthError::UnknownClientKey`] when, in secret mode, its key is not one
    /// of the client keys (compared in constant time).
    pub fn headers(&self, client: &[(String, String)]) -> Result<Vec<(String, String)>, AuthError> {
        // A header sent several times counts once, its values joined.
        let value = |name: &str| {
            let mut joined: Option<String> = None;
            for (n, v) in client {
                if n == name {
                    joined = Some(match joined {
                        Some(all) => all + "," + v,
                        None => v.clone(),
                    });
                }
            }
            joined
        };
        let api_key = value("x-api-key");
        let authorization = value("authorization");
        let (key, used) = match (&api_key, &authorization) {
            (Some(_), Some(_)) => return Err(AuthError::ConflictingCredentials),
            (Some(k), None) => (k.trim(), AuthMode::ApiKey),
            (None, Some(a)) => (strip_bearer(a).unwrap_or_default(), AuthMode::Bearer),
            (None, None) => ("", AuthMode::ApiKey),
        };
        if key.is_empty() {
            return Err(AuthError::MissingClientKey);
        }
        let mut config = AuthConfig {
            anthropic_version: value("anthropic-version"),
            anthropic_beta: value("anthropic-beta"),
            ..Default::default()
        };
        match self.mode {
            ForwardMode::Bearer => {
                config.key = Some(key.into());
                config.auth_mode = Some(AuthMode::Bearer);
            }
            ForwardMode::Passthrough => {
                config.key = Some(key.into());
                config.auth_mode = Some(if is_oauth(key) {
                    AuthMode::Bearer
                } else {
                    used
                });
            }
            ForwardMode::Secret => {
                // NOTE: every listed key is compared, so the time does not tell which matched.
                let mut known = false;
                for k in &self.client_keys {
                    let k = k.trim();
                    known |= !k.is_empty() && same_key(key, k);
                }
                if !known {
                    return Err(AuthError::UnknownClientKey);
                }
                config.configured_key = self.upstream_key.clone();
                config.base_url = Some(self.upstream_url.clone());
            }
        }
        let auth = resolve(&config)?;
        let mut out = auth;
        for (name, value) in client {
            if self.forwards(name) {
                out.push((name.clone(), value.clone()));
            }
        }
        Ok(out)
    }

    /// Whether a client header goes upstream as it is (see [`Forwarding::headers`]).
    fn forwards(&self, name: &str) -> bool {
        let rebuilt = matches!(
            name,
            "x-api-key" | "authorization" | "anthropic-version" | "anthropic-beta"
        );
        let withheld = self.mode == ForwardMode::Secret
            && is_credential_like(name)
            && !self
                .keep_client_headers
                .iter()
                .any(|k| k.trim().eq_ignore_ascii_case(name));
        !rebuilt && !withheld
    }
}

/// Header names that carry a credential or the client's identity: cookies,
/// API keys, tokens, sessions, passwords, `authorization`-like names, and the
/// forwarding headers that name the client's address.
fn is_credential_like(name: &str) -> bool {
    const WORDS: [&str; 8] = [
        "api-key", "apikey", "api_key", "token", "secret", "password", "session", "auth",
    ];
    // NOTE: a byte window, not str::contains: its two-way searcher costs more
    // wasm than this whole function.
    let has = |w: &str| name.as_bytes().windows(w.len()).any(|x| x == w.as_bytes());
    matches!(
        name,
        "cookie" | "forwarded" | "x-real-ip" | "true-client-ip" | "cf-connecting-ip"
    ) || name.starts_with("x-forwarded-")
        || WORDS.iter().any(|w| has(w))
}

/// Constant-time comparison: the lengths may leak, the contents do not.
fn same_key(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i % b.len().max(1)).copied().unwrap_or(0));
    }
    diff == 0
}

/// Replaces one secret (the proxy's upstream key) with its redacted form
/// ([`redact`]) wherever it appears in a byte stream, also across chunk
/// boundaries. Only a chunk's tail that could be the start of the secret is
/// held back until the next chunk, so nothing else is delayed.
///
/// ```
/// use sse_sanitizer::auth::Redactor;
/// let mut r = Redactor::new("sk-upstream-secret-0002");
/// let mut out = Vec::new();
/// r.push(b"invalid key sk-upstream-se", &mut out);
/// r.push(b"cret-0002, sk-up", &mut out);
/// r.finish(&mut out);
/// assert_eq!(out, b"invalid key sk-\xe2\x80\xa60002, sk-up");
/// ```
pub struct Redactor {
    secret: Vec<u8>,
    replacement: Vec<u8>,
    tail: Vec<u8>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("secret", &String::from_utf8_lossy(&self.replacement))
            .finish()
    }
}

impl Redactor {
    /// A redactor of `secret` (blank: it changes nothing).
    pub fn new(secret: &str) -> Self {
        let secret = secret.trim();
        Redactor {
            secret: secret.as_bytes().to_vec(),
            replacement: redact(secret).into_bytes(),
            tail: Vec::new(),
        }
    }

    /// Writes `chunk` to `out` with the secret replaced, holding back a tail
    /// that is a proper prefix of the secret.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        if self.secret.is_empty() {
            out.extend_from_slice(chunk);
            return;
        }
        let joined;
        let data = if self.tail.is_empty() {
            chunk
        } else {
            joined = [std::mem::take(&mut self.tail).as_slice(), chunk].concat();
            &joined
        };
        let mut pos = 0;
        // NOTE: memchr on the first byte, then a compare: O(input × secret
        // length) at worst, and a secret is short (memmem's searchers would
        // add more to the wasm than the rest of this module).
        while let Some(at) = memchr::memchr_iter(self.secret[0], &data[pos..])
            .map(|i| pos + i)
            .find(|&i| data[i..].starts_with(&self.secret))
        {
            out.extend_from_slice(&data[pos..at]);
            out.extend_from_slice(&self.replacement);
            pos = at + self.secret.len();
        }
        let rest = &data[pos..];
        let from = rest.len().saturating_sub(self.secret.len() - 1);
        let held = memchr::memchr_iter(self.secret[0], &rest[from..])
            .map(|i| from + i)
            .find(|&i| self.secret.starts_with(&rest[i..]))
            .unwrap_or(rest.len());
        out.extend_from_slice(&rest[..held]);
        self.tail.extend_from_slice(&rest[held..]);
    }

    /// Writes the held tail (it was not the secret after all).
    pub fn finish(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.tail);
    }
}

/// Redacts anything shaped like an API key (`sk-…`, 16+ characters) in a report
/// detail or an error message: details quote removed values and upstream error
/// texts, and either may hold a key.
pub(crate) fn scrub_keys(detail: &str) -> String {
    // NOTE: bytes, not chars: every byte of a key is ASCII, so offsets next to
    // one are char boundaries.
    let b = detail.as_bytes();
    let is_key_byte = |c: &u8| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_';
    let mut out = String::with_capacity(detail.len());
    let (mut copied, mut at) = (0, 0);
    while let Some(p) = memchr::memchr(b's', &b[at..]) {
        let start = at + p;
        if b.get(start..start + 3) != Some(b"sk-") {
            at = start + 1;
            continue;
        }
        let len = b[start..].iter().take_while(|c| is_key_byte(c)).count();
        let starts_word = start == 0 || !is_key_byte(&b[start - 1]);
        at = start + len;
        if starts_word && len >= 16 {
            out.push_str(detail.get(copied..start).unwrap_or_default());
            out.push_str(&redact_ascii(detail.get(start..at).unwrap_or_default()));
            copied = at;
        }
    }
    out.push_str(detail.get(copied..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_ascii_is_redact_for_the_keys_scrub_keys_finds() {
        for key in [
            "sk-ant-api03-abcdefghijklmnopqrstuvwxyz1234",
            "sk-litellm-virtual-key-9876",
            "sk-0123456789abc",
            "sk-ant-_-_-_-_-_-_-",
        ] {
            assert_eq!(redact_ascii(key), redact(key), "{key}");
        }
    }

    #[test]
    fn redact_shows_prefix_and_last_four_at_most() {
        assert_eq!(
            redact("sk-ant-api03-abcdefghijklmnopqrstuvwxyz1234"),
            "sk-ant-…1234"
        );
        assert_eq!(redact("sk-litellm-virtual-key-9876"), "sk-…9876");
        assert_eq!(redact("proxy-token-0123456789"), "…6789");
        assert_eq!(redact("short"), "…");
    }

    #[test]
    fn base_url_hosts() {
        assert_eq!(
            parse_base_url("https://api.anthropic.com").unwrap(),
            "api.anthropic.com"
        );
        assert_eq!(
            parse_base_url("https://API.anthropic.com.:443/v1").unwrap(),
            "api.anthropic.com"
        );
        assert_eq!(parse_base_url("http://[::1]:4000/x").unwrap(), "::1");
        assert!(parse_base_url("api.anthropic.com").is_err());
        assert!(parse_base_url("https://user:pw@proxy.example").is_err());
        assert!(parse_base_url("https:///path").is_err());
    }
}
