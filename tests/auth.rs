//! Auth header resolution: key sources × key kinds × base URLs × explicit modes,
//! and a grep of everything printable for the key material.

use sse_sanitizer::auth::{redact, resolve, AuthConfig, AuthMode};
use sse_sanitizer::history::{normalize_bytes, validate_bytes, NormalizeOptions, Profile};
use sse_sanitizer::{AuthError, HistoryError, Limits};

const API_KEY: &str = "sk-ant-api03-Zx9QwErTyUiOpAsDfGhJkL1234";
const OAUTH: &str = "sk-ant-oat01-MnBvCxZlKjHgFdSaPoIuYt5678";
const VIRTUAL: &str = "sk-litellm-virtual-8f3e2d1c0b9a";

fn h(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
}

#[test]
fn matrix_of_key_kinds_base_urls_and_modes() {
    let bases = [
        None,
        Some("https://api.anthropic.com"),
        Some("https://litellm.internal.example:4000/anthropic"),
    ];
    let modes = [None, Some(AuthMode::ApiKey), Some(AuthMode::Bearer)];
    let mut rows = 0;
    for key in [API_KEY, OAUTH, VIRTUAL] {
        for base in bases {
            for mode in modes {
                let config = AuthConfig {
                    key: Some(key.into()),
                    base_url: base.map(Into::into),
                    auth_mode: mode,
                    ..Default::default()
                };
                let headers = resolve(&config).unwrap();
                let custom = base.is_some_and(|b| b.contains("litellm"));
                let bearer = match mode {
                    Some(m) => m == AuthMode::Bearer,
                    None => key == OAUTH || custom,
                };
                let what = format!("{} {base:?} {mode:?}", redact(key));
                // Never both headers, and exactly the expected one.
                assert_eq!(
                    (
                        h(&headers, "x-api-key").is_some(),
                        h(&headers, "authorization").is_some()
                    ),
                    (!bearer, bearer),
                    "{what}"
                );
                if bearer {
                    assert_eq!(
                        h(&headers, "authorization").unwrap(),
                        format!("Bearer {key}")
                    );
                } else {
                    assert_eq!(h(&headers, "x-api-key").unwrap(), key);
                }
                assert_eq!(h(&headers, "anthropic-version").unwrap(), "2023-06-01");
                let beta = h(&headers, "anthropic-beta");
                assert_eq!(
                    beta.as_deref(),
                    (key == OAUTH && bearer).then_some("oauth-2025-04-20"),
                    "{what}"
                );
                assert!(headers.iter().all(|(n, _)| *n == n.to_ascii_lowercase()));
                rows += 1;
            }
        }
    }
    assert_eq!(rows, 27);
}

#[test]
fn key_sources_first_wins() {
    let all = AuthConfig {
        key: Some("sk-ant-api03-explicit-key-0001".into()),
        configured_key: Some("sk-ant-api03-configured-0002".into()),
        env_api_key: Some("sk-ant-api03-env-api-key-0003".into()),
        env_auth_token: Some("sk-ant-oat01-env-token-0004".into()),
        ..Default::default()
    };
    let key_of = |c: &AuthConfig| resolve(c).unwrap()[0].1.clone();
    assert_eq!(key_of(&all), "sk-ant-api03-explicit-key-0001");
    let c = AuthConfig {
        key: Some("  ".into()),
        ..all.clone()
    };
    assert_eq!(key_of(&c), "sk-ant-api03-configured-0002");
    let c = AuthConfig {
        key: None,
        configured_key: None,
        ..all.clone()
    };
    assert_eq!(key_of(&c), "sk-ant-api03-env-api-key-0003");
    // ANTHROPIC_AUTH_TOKEN: a bearer token.
    let c = AuthConfig {
        env_auth_token: Some("proxy-issued-token-77889900".into()),
        ..Default::default()
    };
    let headers = resolve(&c).unwrap();
    assert_eq!(
        headers[0],
        (
            "authorization".into(),
            "Bearer proxy-issued-token-77889900".into()
        )
    );
    // With bearer mode the token variable is looked at first.
    let c = AuthConfig {
        key: None,
        configured_key: None,
        auth_mode: Some(AuthMode::Bearer),
        ..all
    };
    assert_eq!(key_of(&c), "Bearer sk-ant-oat01-env-token-0004");
    // Nothing at all.
    assert_eq!(
        resolve(&AuthConfig::default()).unwrap_err(),
        AuthError::MissingKey
    );
    assert_eq!(
        resolve(&AuthConfig::default()).unwrap_err().code(),
        "missing-key"
    );
}

#[test]
fn beta_merging_keeps_existing_values_and_dedups() {
    let c = AuthConfig {
        key: Some(OAUTH.into()),
        anthropic_beta: Some(" prompt-caching-2024-07-31, oauth-2025-04-20,files-api-2025-04-14,prompt-caching-2024-07-31 ,".into()),
        anthropic_version: Some("2024-01-01".into()),
        ..Default::default()
    };
    let headers = resolve(&c).unwrap();
    assert_eq!(
        h(&headers, "anthropic-beta").unwrap(),
        "prompt-caching-2024-07-31,oauth-2025-04-20,files-api-2025-04-14"
    );
    assert_eq!(h(&headers, "anthropic-version").unwrap(), "2024-01-01");
    let c = AuthConfig {
        anthropic_beta: Some("a,b".into()),
        ..c
    };
    assert_eq!(
        h(&resolve(&c).unwrap(), "anthropic-beta").unwrap(),
        "a,b,oauth-2025-04-20"
    );
    // A key pasted with its scheme.
    let c = AuthConfig {
        key: Some(format!("Bearer {VIRTUAL}")),
        ..Default::default()
    };
    assert_eq!(
        resolve(&c).unwrap()[0],
        ("x-api-key".into(), VIRTUAL.into())
    );
}

#[test]
fn nothing_printable_holds_a_key() {
    let keys = [API_KEY, OAUTH, VIRTUAL];
    let mut printed = Vec::new();
    for key in keys {
        let bad_key = format!("{key} with space");
        let configs = [
            AuthConfig {
                key: Some(bad_key.clone()),
                ..Default::default()
            },
            AuthConfig {
                key: Some(key.into()),
                base_url: Some("ftp://x".into()),
                ..Default::default()
            },
            AuthConfig {
                key: Some(key.into()),
                base_url: Some(format!("https://{key}@proxy.example")),
                ..Default::default()
            },
            AuthConfig {
                key: Some(key.into()),
                anthropic_beta: Some("a\nb".into()),
                ..Default::default()
            },
            AuthConfig {
                key: Some(key.into()),
                anthropic_version: Some("\u{7f}".into()),
                ..Default::default()
            },
            AuthConfig {
                env_auth_token: Some(key.into()),
                base_url: Some(format!("https://proxy.example/{key}")),
                ..Default::default()
            },
        ];
        for c in &configs {
            printed.push(format!("{c:?}"));
            match resolve(c) {
                Err(e) => printed.push(format!("{e} {e:?} {}", e.code())),
                Ok(headers) => assert!(headers.iter().any(|(_, v)| v.contains(key))),
            }
        }
        printed.push(format!("{:?}", "mode".parse::<AuthMode>()));
        // History reports: a key stored by a client in fields the normalizer removes.
        let body = format!(
            r#"{{"messages":[{{"role":"user","content":[{{"type":"text","text":"hi","api_key":"{key}"}},{{"type":"text","text":"","headers":{{"x-api-key":"{key}"}}}}],"auth":"Bearer {key}"}},{{"role":"assistant","content":[{{"type":"tool_use","id":"t1","name":"n","input":"{{\"token\": \"{key}\"}}","text":"{key}"}}]}},{{"role":"user","content":"{key}"}}]}}"#
        );
        let options = NormalizeOptions {
            strict_fields: true,
            ..Default::default()
        };
        for profile in [Profile::Anthropic, Profile::Bedrock] {
            let options = NormalizeOptions {
                profile,
                ..options.clone()
            };
            let (_, changes) = normalize_bytes(body.as_bytes(), &options).unwrap();
            assert!(changes.iter().any(|c| c.rule == "foreign-field"));
            printed.push(format!("{changes:?}"));
            printed.push(serde_json::to_string(&changes).unwrap());
            let violations = validate_bytes(body.as_bytes(), profile, &Limits::default()).unwrap();
            printed.push(format!("{violations:?}"));
        }
        // Errors of the history entry points never quote the input.
        let errors: Vec<HistoryError> = vec![
            normalize_bytes(format!("{{\"messages\": [\"{key}").as_bytes(), &options).unwrap_err(),
            normalize_bytes(format!("{{\"k\": \"{key}\"}}").as_bytes(), &options).unwrap_err(),
            normalize_bytes(format!("\"{key}\"").as_bytes(), &options).unwrap_err(),
            normalize_bytes(format!("{{\"a\": {key}}}").as_bytes(), &options).unwrap_err(),
        ];
        for e in errors {
            printed.push(format!("{e} {e:?}"));
        }
    }
    let all = printed.join("\n");
    for key in keys {
        // The key, and any 8-character window of its secret part.
        let secret = &key[key.len() - 16..];
        for w in 0..=secret.len() - 8 {
            assert!(
                !all.contains(&secret[w..w + 8]),
                "key material printed: {}",
                &secret[w..w + 8]
            );
        }
    }
    assert!(all.contains("sk-ant-…1234") && all.contains("…5678"));
}
