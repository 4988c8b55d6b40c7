//! Request bodies recorded in `tests/corpus/exchanges`: JSON inline snapshots
//! (`[{request: {url, body}, response: {status_code}}]`), a nock recording
//! (`[{scope, path, body, status}]`) and VCR cassettes (`interactions[].request.body`,
//! a JSON string).

use super::corpus_dir;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Accepted requests collected beside the corpus (`tests/accepted`, see its
/// README): mid-conversation system messages.
pub fn accepted_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/accepted")
}

/// Which API a recorded request went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// api.anthropic.com `/v1/messages` or `/v1/messages/count_tokens`.
    Anthropic,
    /// Bedrock InvokeModel (Anthropic body format).
    Bedrock,
    /// Vertex AI rawPredict (Anthropic body format).
    Vertex,
}

#[derive(Debug, Clone)]
pub struct Recorded {
    pub source: String,
    pub index: usize,
    pub api: Api,
    pub status: u64,
    /// The body exactly as recorded: the cassette's string, or the snapshot's
    /// object serialized compactly (key order and numbers kept).
    pub raw: String,
    pub body: Value,
}

fn yaml_get<'a>(v: &'a serde_norway::Value, key: &str) -> Option<&'a serde_norway::Value> {
    v.as_mapping()?.get(serde_norway::Value::String(key.into()))
}

fn api_of(url: &str) -> Option<Api> {
    let path = url.split('?').next().unwrap_or(url);
    if path.contains("api.anthropic.com")
        && (path.ends_with("/v1/messages") || path.ends_with("/v1/messages/count_tokens"))
    {
        Some(Api::Anthropic)
    } else if path.contains("bedrock-runtime") && path.contains("/invoke") {
        Some(Api::Bedrock)
    } else if path.contains("aiplatform.googleapis.com") && path.contains("awPredict") {
        Some(Api::Vertex)
    } else {
        None
    }
}

fn push(out: &mut Vec<Recorded>, source: &str, index: usize, url: &str, status: u64, raw: String) {
    let Some(api) = api_of(url) else { return };
    let Ok(body) = serde_json::from_str::<Value>(&raw) else {
        return;
    };
    if !body.get("messages").is_some_and(Value::is_array) {
        return;
    }
    out.push(Recorded {
        source: source.to_string(),
        index,
        api,
        status,
        raw,
        body,
    });
}

/// Every recorded request of the corpus with a `messages` array, any status,
/// in file order.
pub fn recorded_requests() -> Vec<Recorded> {
    recorded_in(&corpus_dir().join("exchanges"))
}

/// Every recorded request with a `messages` array in the exchange files of
/// `dir`, any status, in file order.
pub fn recorded_in(dir: &Path) -> Vec<Recorded> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("an exchanges directory")
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        if name.ends_with(".json") {
            let v: Value = serde_json::from_str(&text).unwrap();
            for (i, x) in v.as_array().into_iter().flatten().enumerate() {
                if let Some(req) = x.get("request") {
                    let url = req["url"].as_str().unwrap_or_default();
                    let status = x["response"]["status_code"].as_u64().unwrap_or(0);
                    let raw = match &req["body"] {
                        Value::String(s) => s.clone(),
                        b => b.to_string(),
                    };
                    push(&mut out, &name, i, url, status, raw);
                } else if let Some(scope) = x.get("scope").and_then(Value::as_str) {
                    let url = format!("{scope}{}", x["path"].as_str().unwrap_or_default());
                    let status = x["status"].as_u64().unwrap_or(0);
                    push(&mut out, &name, i, &url, status, x["body"].to_string());
                }
            }
        } else if name.ends_with(".yaml") {
            let Ok(v) = serde_norway::from_str::<serde_norway::Value>(&text) else {
                continue;
            };
            let Some(list) = yaml_get(&v, "interactions").and_then(|l| l.as_sequence()) else {
                continue;
            };
            for (i, it) in list.iter().enumerate() {
                let (Some(req), Some(resp)) = (yaml_get(it, "request"), yaml_get(it, "response"))
                else {
                    continue;
                };
                let url = yaml_get(req, "url")
                    .or_else(|| yaml_get(req, "uri"))
                    .and_then(|u| u.as_str())
                    .unwrap_or_default();
                let status = yaml_get(resp, "code")
                    .and_then(|c| c.as_u64())
                    .or_else(|| {
                        yaml_get(resp, "status").and_then(|s| {
                            s.as_u64()
                                .or_else(|| yaml_get(s, "code").and_then(|c| c.as_u64()))
                        })
                    })
                    .unwrap_or(0);
                let body = yaml_get(req, "body");
                let body = body.and_then(|b| b.as_str()).or_else(|| {
                    body.and_then(|b| yaml_get(b, "string"))
                        .and_then(|s| s.as_str())
                });
                // NOTE: pydantic-ai cassettes store the body as YAML
                // (`parsed_body`), not as the bytes sent: serialized back to JSON.
                let parsed =
                    yaml_get(req, "parsed_body").and_then(|b| serde_json::to_string(b).ok());
                if let Some(raw) = body.map(str::to_string).or(parsed) {
                    push(&mut out, &name, i, url, status, raw);
                }
            }
        }
    }
    out
}

/// The request bodies of the history spec cases (`tests/specs/history`), as
/// written: crafted defects of every rule, for property runs and fuzz seeds.
pub fn spec_inputs() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs/history");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/specs/history")
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(p).ok()?;
            let (_, rest) = text.split_once("# input\n")?;
            Some(rest.split("\n# output").next()?.to_string())
        })
        .collect()
}

/// Requests the real API accepted (2xx).
pub fn accepted(api: Api) -> Vec<Recorded> {
    recorded_requests()
        .into_iter()
        .filter(|r| r.api == api && (200..300).contains(&r.status))
        .collect()
}
