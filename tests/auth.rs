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

// Forwarding proxies: what the Worker sends upstream for a client's request.

use sse_sanitizer::auth::{ForwardMode, Forwarding, Redactor};

const UPSTREAM: &str = "sk-litellm-upstream-secret-0099";

fn pairs(headers: &[(&str, &str)]) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

fn proxy(mode: ForwardMode) -> Forwarding {
    Forwarding {
        mode,
        upstream_url: "http://127.0.0.1:4000/anthropic".into(),
        upstream_key: Some(UPSTREAM.into()),
        client_keys: vec!["app-key-0001".into(), API_KEY.into()],
        ..Default::default()
    }
}

#[test]
fn forwarding_modes_choose_the_key_and_the_header() {
    // (mode, client headers) → the auth header sent upstream.
    type Case<'a> = (ForwardMode, &'a [(&'a str, &'a str)], (&'a str, String));
    let cases: [Case; 8] = [
        (
            ForwardMode::Bearer,
            &[("x-api-key", API_KEY)],
            ("authorization", format!("Bearer {API_KEY}")),
        ),
        (
            ForwardMode::Bearer,
            &[("authorization", &format!("bearer  {VIRTUAL} "))],
            ("authorization", format!("Bearer {VIRTUAL}")),
        ),
        (
            ForwardMode::Passthrough,
            &[("x-api-key", API_KEY)],
            ("x-api-key", API_KEY.into()),
        ),
        (
            ForwardMode::Passthrough,
            &[("authorization", &format!("Bearer {API_KEY}"))],
            ("authorization", format!("Bearer {API_KEY}")),
        ),
        // An OAuth token only works as Bearer, whatever header it came in.
        (
            ForwardMode::Passthrough,
            &[("x-api-key", OAUTH)],
            ("authorization", format!("Bearer {OAUTH}")),
        ),
        (
            ForwardMode::Bearer,
            &[("x-api-key", OAUTH)],
            ("authorization", format!("Bearer {OAUTH}")),
        ),
        // Secret: the upstream key, as Bearer for a host that is not the Anthropic API…
        (
            ForwardMode::Secret,
            &[("x-api-key", "app-key-0001")],
            ("authorization", format!("Bearer {UPSTREAM}")),
        ),
        (
            ForwardMode::Secret,
            &[("authorization", &format!("Bearer {API_KEY}"))],
            ("authorization", format!("Bearer {UPSTREAM}")),
        ),
    ];
    for (mode, client, (name, value)) in cases {
        let headers = proxy(mode).headers(&pairs(client)).unwrap();
        assert_eq!(
            headers[0],
            (name.to_string(), value.clone()),
            "{mode:?} {client:?}"
        );
        let auth_headers = headers
            .iter()
            .filter(|(n, _)| n == "x-api-key" || n == "authorization")
            .count();
        assert_eq!(auth_headers, 1, "never both");
        assert_eq!(h(&headers, "anthropic-version").unwrap(), "2023-06-01");
        let oauth_beta =
            h(&headers, "anthropic-beta").is_some_and(|b| b.contains("oauth-2025-04-20"));
        assert_eq!(oauth_beta, value.contains(OAUTH), "{mode:?} {client:?}");
    }
    // …and as x-api-key for the Anthropic API itself.
    let anthropic = Forwarding {
        upstream_url: "https://api.anthropic.com".into(),
        ..proxy(ForwardMode::Secret)
    };
    let headers = anthropic
        .headers(&pairs(&[("x-api-key", "app-key-0001")]))
        .unwrap();
    assert_eq!(headers[0], ("x-api-key".into(), UPSTREAM.into()));
}

#[test]
fn forwarding_refuses_missing_conflicting_and_unknown_client_keys() {
    for mode in [
        ForwardMode::Bearer,
        ForwardMode::Passthrough,
        ForwardMode::Secret,
    ] {
        let p = proxy(mode);
        let err = |client: &[(&str, &str)]| p.headers(&pairs(client)).unwrap_err();
        assert_eq!(
            err(&[("x-api-key", API_KEY), ("authorization", "Bearer x")]),
            AuthError::ConflictingCredentials
        );
        // An empty x-api-key still counts as sent.
        assert_eq!(
            err(&[("x-api-key", ""), ("authorization", "Bearer x")]),
            AuthError::ConflictingCredentials
        );
        for client in [
            &[][..],
            &[("x-api-key", " ")],
            &[("authorization", "Basic dXNlcjpwdw==")],
            &[("authorization", "Bearer ")],
        ] {
            assert_eq!(
                err(client),
                AuthError::MissingClientKey,
                "{mode:?} {client:?}"
            );
        }
    }
    let p = proxy(ForwardMode::Secret);
    for key in ["app-key-000", "app-key-00011", UPSTREAM, "APP-KEY-0001"] {
        let e = p.headers(&pairs(&[("x-api-key", key)])).unwrap_err();
        assert_eq!(
            (e.code(), e.to_string()),
            ("unknown-client-key", "invalid x-api-key".to_string())
        );
    }
}

#[test]
fn forwarding_keeps_end_to_end_headers_and_withholds_credentials_in_secret_mode() {
    let client = pairs(&[
        ("content-type", "application/json"),
        ("x-api-key", "app-key-0001"),
        ("anthropic-version", "2023-06-01"),
        ("anthropic-beta", "files-api-2025-04-14"),
        ("anthropic-beta", "prompt-caching-2024-07-31"),
        ("x-stainless-os", "Linux"),
        ("x-litellm-api-key", "sk-litellm-client"),
        ("api-key", "azure"),
        ("x-goog-api-key", "goog"),
        ("cookie", "session=1"),
        ("x-forwarded-for", "203.0.113.9"),
        ("forwarded", "for=203.0.113.9"),
        ("x-auth-token", "t"),
        ("user-agent", "Anthropic/JS 1.12.0"),
    ]);
    let names =
        |headers: &[(String, String)]| headers.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    let secret = proxy(ForwardMode::Secret).headers(&client).unwrap();
    assert_eq!(
        names(&secret),
        [
            "authorization",
            "anthropic-version",
            "anthropic-beta",
            "content-type",
            "x-stainless-os",
            "user-agent"
        ]
    );
    assert_eq!(
        h(&secret, "anthropic-beta").unwrap(),
        "files-api-2025-04-14,prompt-caching-2024-07-31"
    );
    let keep = Forwarding {
        keep_client_headers: vec![" Cookie".into(), "X-FORWARDED-FOR".into()],
        ..proxy(ForwardMode::Secret)
    };
    let kept = names(&keep.headers(&client).unwrap());
    assert!(kept.contains(&"cookie".into()) && kept.contains(&"x-forwarded-for".into()));
    assert!(!kept.contains(&"x-goog-api-key".into()));
    // The other modes forward the client's own credentials for other services.
    let bearer = names(&proxy(ForwardMode::Bearer).headers(&client).unwrap());
    // The client's 14 minus x-api-key, anthropic-version and two anthropic-beta
    // lines, plus the three resolved ones.
    assert_eq!(bearer.len(), 13);
    assert!(!bearer.contains(&"x-api-key".into()));
}

#[test]
fn forwarding_check_refuses_bad_settings_without_quoting_secrets() {
    let ok = proxy(ForwardMode::Secret);
    ok.check().unwrap();
    let bad = [
        Forwarding {
            upstream_url: "http://127.0.0.1:4000/?key=1".into(),
            ..ok.clone()
        },
        Forwarding {
            upstream_url: "http://127.0.0.1:4000/base#frag".into(),
            ..ok.clone()
        },
        Forwarding {
            upstream_url: "http://127.0.0.1:4000?".into(),
            ..ok.clone()
        },
        Forwarding {
            upstream_url: format!("https://{UPSTREAM}@proxy.example"),
            ..ok.clone()
        },
        Forwarding {
            upstream_url: "litellm.example".into(),
            ..ok.clone()
        },
        Forwarding {
            upstream_key: None,
            ..ok.clone()
        },
        Forwarding {
            client_keys: vec![" ".into()],
            ..ok.clone()
        },
        Forwarding {
            upstream_key: Some(format!("{UPSTREAM} x")),
            ..ok.clone()
        },
    ];
    let codes: Vec<&str> = bad
        .iter()
        .map(|f| f.check().err().map_or("ok", |e| e.code()))
        .collect();
    assert_eq!(
        codes,
        [
            "invalid-base-url",
            "invalid-base-url",
            "invalid-base-url",
            "invalid-base-url",
            "invalid-base-url",
            "missing-secret",
            "missing-secret",
            "invalid-key"
        ]
    );
    for f in &bad {
        let printed = format!("{f:?} {}", f.check().unwrap_err());
        assert!(!printed.contains(&UPSTREAM[10..]), "{printed}");
    }
    assert!(Forwarding {
        upstream_key: None,
        client_keys: vec![],
        ..proxy(ForwardMode::Bearer)
    }
    .check()
    .is_ok());
    assert_eq!(
        "none".parse::<ForwardMode>().unwrap_err().code(),
        "invalid-forward-mode"
    );
}

#[test]
fn redactor_replaces_the_secret_across_any_chunking_and_holds_back_only_its_prefixes() {
    let secret = "sk-upstream-secret-0002";
    let shown = redact(secret);
    let text = format!("{secret}: key {secret} is over budget (sk-up, sk-upstream-secret-000, {secret}{secret})\n\nsk-upstream-secre");
    let expected = text.replace(secret, &shown);
    let bytes = text.as_bytes();
    for size in 1..=bytes.len() {
        let mut r = Redactor::new(secret);
        let mut out = Vec::new();
        for chunk in bytes.chunks(size) {
            r.push(chunk, &mut out);
            assert!(expected.as_bytes().starts_with(&out), "chunks of {size}");
        }
        r.finish(&mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            expected,
            "chunks of {size}"
        );
    }
    // A chunk that cannot continue into the secret is not delayed at all.
    let mut r = Redactor::new(secret);
    let mut out = Vec::new();
    r.push(b"data: {}\n\n", &mut out);
    assert_eq!(out, b"data: {}\n\n");
    // A blank secret changes nothing.
    let mut out = Vec::new();
    Redactor::new(" ").push(b"sk-anything", &mut out);
    assert_eq!(out, b"sk-anything");
}
