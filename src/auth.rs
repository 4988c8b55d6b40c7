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
    let chars: Vec<char> = key.chars().collect();
    if chars.len() < 16 {
        return "…".to_string();
    }
    let prefix = ["sk-ant-", "sk-"]
        .into_iter()
        .find(|p| key.starts_with(p))
        .unwrap_or("");
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{prefix}…{tail}")
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
    let key = match key.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("bearer ") => key[7..].trim(),
        _ => key,
    };
    if key.is_empty() || !key.bytes().all(|b| (0x21..0x7f).contains(&b)) {
        return Err(AuthError::InvalidKey {
            redacted: redact(key),
        });
    }
    let custom_host = match non_blank(&config.base_url) {
        Some(url) => parse_base_url(url)? != ANTHROPIC_HOST,
        None => false,
    };
    let oauth = key.starts_with("sk-ant-oat");
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

/// Redacts anything shaped like an API key (`sk-…`, 16+ characters) in a report
/// detail or an error message: details quote removed values and upstream error
/// texts, and either may hold a key.
pub(crate) fn scrub_keys(detail: &str) -> String {
    let is_key_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut out = String::with_capacity(detail.len());
    let mut rest = detail;
    while let Some(at) = rest.find("sk-") {
        let starts_word = !rest[..at].chars().next_back().is_some_and(is_key_char);
        let len = rest[at..]
            .find(|c: char| !is_key_char(c))
            .unwrap_or(rest.len() - at);
        out.push_str(&rest[..at]);
        let token = &rest[at..at + len];
        if starts_word && len >= 16 {
            out.push_str(&redact(token));
        } else {
            out.push_str(token);
        }
        rest = &rest[at + len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
