//! The only file that knows wasm-bindgen: it converts types between the core
//! and JS and does nothing else. The hand-written JS in `js/` wraps these
//! exports into the public API.
//!
//! Without the `history` feature (normalize, validate, rules, auth headers,
//! `sanitizeMessage`), the module holds only the stream path: parser,
//! sanitizer, accumulator; that build is the `sse-sanitizer/stream` entry.

use wasm_bindgen::prelude::*;

#[cfg(feature = "history")]
use crate::{auth, history, HistoryError};
use crate::{claude, sse, AccumulateError, Limits};

/// A JS `Error` with a kebab-case `code`; `js/core.js` turns it into a `SanitizerError`.
fn js_error(code: &str, message: &str) -> JsValue {
    let err = js_sys::Error::new(message);
    // NOTE: Reflect::set on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&err, &"code".into(), &code.into());
    err.into()
}

/// Limits from JS: a plain object of optional numbers (camelCase keys).
fn limits_from_js(options: &JsValue) -> Limits {
    let mut limits = Limits::default();
    if !options.is_object() {
        return limits;
    }
    let get = |key: &str| {
        js_sys::Reflect::get(options, &key.into())
            .ok()
            .and_then(|v| v.as_f64())
            .filter(|n| n.is_finite() && *n >= 0.0)
            .map(|n| n as usize)
    };
    if let Some(n) = get("maxLineBytes") {
        limits.max_line_bytes = n;
    }
    if let Some(n) = get("maxEventBytes") {
        limits.max_event_bytes = n;
    }
    if let Some(n) = get("maxHeldBytes") {
        limits.max_held_bytes = n;
    }
    if let Some(n) = get("maxJsonDepth") {
        limits.max_json_depth = n;
    }
    if let Some(n) = get("maxBodyBytes") {
        limits.max_body_bytes = n;
    }
    limits
}

fn utf16_len(s: &str) -> u32 {
    // NOTE: in valid UTF-8 every char has exactly one byte that is not a
    // continuation byte (0b10xx_xxxx), and takes two UTF-16 units exactly when
    // its leading byte is ≥ 0xF0. Branch-free, so it vectorizes.
    s.bytes()
        .map(|b| u32::from(b & 0xC0 != 0x80) + u32::from(b >= 0xF0))
        .sum()
}

/// The WebAssembly memory, so JS can read the buffers whose addresses the
/// `feed` methods return without a copy through wasm-bindgen.
#[wasm_bindgen(js_name = wasmMemory)]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}

/// SSE parser. `feed` returns 0 when the chunk completed no event, else the
/// address of six u32: the address and byte length of the text of the
/// completed events that are all ASCII (type, data, last event id of each,
/// back to back), the same for the other events, and the address and count of
/// five u32 per event: the UTF-16 lengths of type, data and id within its
/// text, retry + 1 (0 when unset), and 1 when the event is in the second text.
/// One boundary crossing for all events of a chunk; JS decodes each text once.
// NOTE: the split matters for speed: one non-ASCII byte makes the JS engine
// build a two-byte string of a whole text (≈4× slower to decode, twice the
// memory), and most events of a chunk that has one are ASCII.
#[wasm_bindgen(js_name = WasmParser)]
pub struct WasmParser {
    parser: sse::Parser,
    input: InputBuffer,
    ascii: String,
    wide: String,
    lengths: Vec<u32>,
    header: [u32; 6],
}

#[wasm_bindgen(js_class = WasmParser)]
impl WasmParser {
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> WasmParser {
        WasmParser {
            parser: sse::Parser::new(limits_from_js(&options)),
            input: InputBuffer::default(),
            ascii: String::new(),
            wide: String::new(),
            lengths: Vec::new(),
            header: [0; 6],
        }
    }

    /// See [`InputBuffer::reserve`].
    pub fn reserve(&mut self, len: usize) -> u32 {
        self.input.reserve(len)
    }

    /// Parses the `len` bytes JS wrote at the address `reserve` returned.
    pub fn feed(&mut self, len: usize) -> Result<u32, JsValue> {
        let chunk = self.input.get(len)?;
        let (ascii, wide, lengths) = (&mut self.ascii, &mut self.wide, &mut self.lengths);
        ascii.clear();
        wide.clear();
        lengths.clear();
        self.parser
            .feed_raw(chunk, &mut |segment| {
                let sse::RawSegment::Event { event, .. } = segment else {
                    return;
                };
                let fields = [&*event.event_type, &*event.data, event.last_event_id];
                let is_ascii = fields.iter().all(|f| f.is_ascii());
                let text = if is_ascii { &mut *ascii } else { &mut *wide };
                for field in fields {
                    text.push_str(field);
                    // NOTE: JS slices UTF-16 units, which equal the bytes for ASCII.
                    lengths.push(if is_ascii {
                        field.len() as u32
                    } else {
                        utf16_len(field)
                    });
                }
                // NOTE: retry is carried as u32 + 1; larger values saturate.
                lengths.push(
                    event
                        .retry
                        .map_or(0, |r| r.min(u64::from(u32::MAX - 1)) as u32 + 1),
                );
                lengths.push(u32::from(!is_ascii));
            })
            .map_err(|e| js_error(e.code(), &e.to_string()))?;
        if self.lengths.is_empty() {
            return Ok(0);
        }
        self.header = [
            addr(self.ascii.as_ptr()),
            self.ascii.len() as u32,
            addr(self.wide.as_ptr()),
            self.wide.len() as u32,
            addr(self.lengths.as_ptr()),
            self.lengths.len() as u32,
        ];
        Ok(addr(self.header.as_ptr()))
    }

    /// Ends the stream; returns whether an unterminated event was discarded.
    pub fn finish(self) -> Result<bool, JsValue> {
        self.parser
            .finish()
            .map_err(|e| js_error(e.code(), &e.to_string()))
    }
}

/// Where JS writes a chunk before a `push`/`feed`: one buffer kept across
/// calls, so a chunk costs one copy and no allocation (wasm-bindgen's `&[u8]`
/// argument allocates and frees a buffer per call).
#[derive(Default)]
struct InputBuffer(Vec<u8>);

impl InputBuffer {
    /// Resizes the buffer to `len` bytes (0 frees it); returns its address.
    /// NOTE: the address stays valid (memory growth does not move it) until
    /// the next `reserve`; JS decides when to grow or free it.
    fn reserve(&mut self, len: usize) -> u32 {
        if self.0.len() != len {
            self.0 = vec![0; len];
        }
        addr(self.0.as_ptr())
    }

    fn get(&self, len: usize) -> Result<&[u8], JsValue> {
        self.0.get(..len).ok_or_else(|| {
            js_error(
                "invalid-input",
                "internal: push/feed length exceeds the reserved input buffer",
            )
        })
    }
}

/// A linear-memory address as JS sees it (wasm32 pointers are 32-bit).
fn addr<T>(ptr: *const T) -> u32 {
    ptr as usize as u32
}

/// A `[address, length]` pair JS reads from memory; kept in the owning struct so
/// its address stays valid until the next call.
type Header = [u32; 2];

fn header_of(header: &mut Header, bytes: &[u8]) -> u32 {
    *header = [addr(bytes.as_ptr()), bytes.len() as u32];
    addr(header.as_ptr())
}

fn sanitizer_options(options: &JsValue) -> Result<claude::SanitizerOptions, JsValue> {
    let option_error = |e: crate::OptionError| js_error(e.code(), &e.to_string());
    let mut out = claude::SanitizerOptions {
        limits: limits_from_js(options),
        ..Default::default()
    };
    // NOTE: `dropWhitespaceOnlyText` is the option's old name: `true` is the
    // bedrock profile's rule, `false` the anthropic one's; `profile` wins.
    if let Some(b) = get(options, "dropWhitespaceOnlyText").and_then(|v| v.as_bool()) {
        out.profile = if b {
            crate::Profile::Bedrock
        } else {
            crate::Profile::Anthropic
        };
    }
    if let Some(p) = get_string(options, "profile") {
        out.profile = p.parse().map_err(option_error)?;
    }
    if let Some(text) = get(options, "placeholderText") {
        let text = text.as_string().unwrap_or_default();
        out.placeholder = crate::Placeholder::new(&text).map_err(option_error)?;
    }
    if let Some(b) = get(options, "trace").and_then(|v| v.as_bool()) {
        out.trace = b;
    }
    if let Some(b) = get(options, "eventNames").and_then(|v| v.as_bool()) {
        out.event_names = b;
    }
    if let Some(mode) = get_string(options, "onTruncated") {
        out.on_truncated = match mode.as_str() {
            "pass" => claude::OnTruncated::Pass,
            "error-event" => claude::OnTruncated::ErrorEvent,
            _ => {
                return Err(option_error(crate::OptionError {
                    name: "onTruncated",
                    expected: "\"pass\" or \"error-event\"",
                }))
            }
        };
    }
    Ok(out)
}

fn get(options: &JsValue, key: &str) -> Option<JsValue> {
    if !options.is_object() {
        return None;
    }
    js_sys::Reflect::get(options, &key.into())
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

fn get_string(options: &JsValue, key: &str) -> Option<String> {
    get(options, key).and_then(|v| v.as_string())
}

/// Stream sanitizer. `push` returns 0 when the output of the chunk is the
/// chunk itself (JS then forwards the input buffer, no copy), else the address
/// of `[address, length]` of the output bytes.
#[wasm_bindgen(js_name = WasmSanitizer)]
pub struct WasmSanitizer {
    inner: Option<claude::StreamSanitizer>,
    input: InputBuffer,
    out: Vec<u8>,
    header: Header,
    report: Option<claude::Report>,
}

#[wasm_bindgen(js_class = WasmSanitizer)]
impl WasmSanitizer {
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<WasmSanitizer, JsValue> {
        Ok(WasmSanitizer {
            inner: Some(claude::StreamSanitizer::new(sanitizer_options(&options)?)),
            input: InputBuffer::default(),
            out: Vec::new(),
            header: [0; 2],
            report: None,
        })
    }

    /// See [`InputBuffer::reserve`].
    pub fn reserve(&mut self, len: usize) -> u32 {
        self.input.reserve(len)
    }

    /// Sanitizes the `len` bytes JS wrote at the address `reserve` returned;
    /// returns 0 when the output is exactly those bytes, else the address of
    /// `[address, length]` of the output.
    pub fn push(&mut self, len: usize) -> Result<u32, JsValue> {
        let inner = self.inner.as_mut().ok_or_else(finished)?;
        let chunk = self.input.get(len)?;
        self.out.clear();
        inner.push(chunk, &mut self.out);
        if self.out == chunk {
            return Ok(0);
        }
        Ok(header_of(&mut self.header, &self.out))
    }

    /// Ends the stream; returns the address of `[address, length]` of the last
    /// output bytes. The report is then available from `report()`.
    pub fn finish(&mut self) -> Result<u32, JsValue> {
        let inner = self.inner.take().ok_or_else(finished)?;
        self.out.clear();
        self.report = Some(inner.finish(&mut self.out));
        Ok(header_of(&mut self.header, &self.out))
    }

    /// The report (so far, or final after `finish`) as JSON.
    pub fn report(&self) -> String {
        let report = match (&self.inner, &self.report) {
            (Some(inner), _) => inner.report(),
            (None, Some(report)) => report,
            (None, None) => return "null".into(),
        };
        json_string(report)
    }
}

fn finished() -> JsValue {
    js_error("finished", "the stream was already finished")
}

fn json_string<T: serde::Serialize + ?Sized>(value: &T) -> String {
    // NOTE: serializing our own report types to a String cannot fail.
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// Accumulator fed with raw SSE bytes (`feed`) or with events (`push`).
#[wasm_bindgen(js_name = WasmAccumulator)]
pub struct WasmAccumulator {
    parser: sse::Parser,
    inner: claude::Accumulator,
}

#[wasm_bindgen(js_class = WasmAccumulator)]
impl WasmAccumulator {
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> WasmAccumulator {
        WasmAccumulator {
            parser: sse::Parser::new(limits_from_js(&options)),
            inner: claude::Accumulator::new(),
        }
    }

    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), JsValue> {
        let inner = &mut self.inner;
        let mut result = Ok(());
        self.parser
            .feed_raw(chunk, &mut |segment| {
                if let (sse::RawSegment::Event { event, .. }, Ok(())) = (segment, &result) {
                    result = inner.push(&event.event_type, &event.data);
                }
            })
            .map_err(|e| js_error(e.code(), &e.to_string()))?;
        result.map_err(|e| accumulate_error(&e))
    }

    pub fn push(&mut self, event_type: &str, data: &str) -> Result<(), JsValue> {
        self.inner
            .push(event_type, data)
            .map_err(|e| accumulate_error(&e))
    }

    /// The final message as JSON.
    pub fn finish(self) -> Result<String, JsValue> {
        let WasmAccumulator { parser, inner } = self;
        parser
            .finish()
            .map_err(|e| js_error(e.code(), &e.to_string()))?;
        let message = inner.finish().map_err(|e| accumulate_error(&e))?;
        Ok(json_string(&message))
    }
}

fn accumulate_error(e: &AccumulateError) -> JsValue {
    let err = js_error(e.code(), &e.to_string());
    if let AccumulateError::Upstream { error_type, .. } = e {
        let _ = js_sys::Reflect::set(&err, &"upstreamType".into(), &error_type.into());
    }
    err
}

#[cfg(feature = "history")]
fn normalize_options(options: &JsValue) -> Result<history::NormalizeOptions, JsValue> {
    let mut out = history::NormalizeOptions {
        limits: limits_from_js(options),
        ..Default::default()
    };
    if let Some(p) = get_string(options, "profile") {
        out.profile = p
            .parse()
            .map_err(|e: crate::OptionError| js_error(e.code(), &e.to_string()))?;
    }
    if let Some(b) = get(options, "strictFields").and_then(|v| v.as_bool()) {
        out.strict_fields = b;
    }
    if let Some(b) = get(options, "capCacheControl").and_then(|v| v.as_bool()) {
        out.cap_cache_control = b;
    }
    if let Some(text) = get(options, "placeholderText") {
        let text = text.as_string().unwrap_or_default();
        out.placeholder =
            crate::Placeholder::new(&text).map_err(|e| js_error(e.code(), &e.to_string()))?;
    }
    // `rules: { "empty-text": false }` switches a rule off.
    if let Some(rules) = get(options, "rules") {
        for entry in js_sys::Object::entries(&rules.into()).iter() {
            let entry: js_sys::Array = entry.into();
            let (id, on) = (entry.get(0).as_string(), entry.get(1).as_bool());
            match (id, on) {
                (Some(id), Some(false)) if history::rule(&id).is_some() => {
                    out.disabled_rules.push(id)
                }
                (Some(id), Some(_)) if history::rule(&id).is_some() => {}
                (Some(id), _) => {
                    return Err(js_error(
                        "invalid-option",
                        &format!("invalid option `rules`: unknown rule `{id}` or a value that is not a boolean"),
                    ))
                }
                (None, _) => {}
            }
        }
    }
    Ok(out)
}

#[cfg(feature = "history")]
fn history_error(e: &HistoryError) -> JsValue {
    js_error(e.code(), &e.to_string())
}

#[cfg(feature = "history")]
/// Normalizes a JSON body: `[bytes | null, changesJson]`, `null` when unchanged.
#[wasm_bindgen(js_name = normalizeBytes)]
pub fn normalize_bytes(body: &[u8], options: JsValue) -> Result<js_sys::Array, JsValue> {
    let options = normalize_options(&options)?;
    let (out, changes) = history::normalize_bytes(body, &options).map_err(|e| history_error(&e))?;
    let out = match out {
        std::borrow::Cow::Borrowed(_) => JsValue::NULL,
        std::borrow::Cow::Owned(out) => js_sys::Uint8Array::from(&out[..]).into(),
    };
    Ok(js_sys::Array::of2(&out, &json_string(&changes).into()))
}

#[cfg(feature = "history")]
/// Validates a JSON body; the violations as JSON.
#[wasm_bindgen(js_name = validateBytes)]
pub fn validate_bytes(body: &[u8], options: JsValue) -> Result<String, JsValue> {
    let options = normalize_options(&options)?;
    let violations = history::validate_bytes(body, options.profile, &options.limits)
        .map_err(|e| history_error(&e))?;
    Ok(json_string(&violations))
}

#[cfg(feature = "history")]
/// The rules catalog as JSON: every row with its upstream answers per profile
/// and the public sources behind them.
#[wasm_bindgen(js_name = ruleCatalog)]
pub fn rule_catalog() -> String {
    let rules: Vec<_> = history::RULES
        .iter()
        .map(|r| {
            let messages: serde_json::Map<String, serde_json::Value> = r
                .profiles
                .iter()
                .map(|p| (p.as_str().to_string(), serde_json::json!(r.messages(*p))))
                .collect();
            serde_json::json!({
                "id": r.id,
                "profiles": r.profiles,
                "fix": r.fix,
                "optIn": r.opt_in,
                "message": r.message,
                "otherMessages": r.other_messages,
                "messages": messages,
                "sources": r.sources,
                "note": r.note,
            })
        })
        .collect();
    json_string(&rules)
}

#[cfg(feature = "history")]
/// The profiles as JSON: `[{ id, description }]`, in documentation order.
#[wasm_bindgen(js_name = profileCatalog)]
pub fn profile_catalog() -> String {
    let profiles: Vec<_> = crate::Profile::ALL
        .iter()
        .map(|p| serde_json::json!({ "id": p.as_str(), "description": p.describe() }))
        .collect();
    json_string(&profiles)
}

#[cfg(feature = "history")]
/// Auth headers as `[name, value, name, value, …]`.
#[wasm_bindgen(js_name = authHeaders)]
pub fn auth_headers(config: JsValue) -> Result<Vec<String>, JsValue> {
    let env = get(&config, "env").unwrap_or(JsValue::UNDEFINED);
    let auth_mode = match get_string(&config, "authMode") {
        Some(m) => Some(
            m.parse::<auth::AuthMode>()
                .map_err(|e| js_error(e.code(), &e.to_string()))?,
        ),
        None => None,
    };
    let config = auth::AuthConfig {
        key: get_string(&config, "apiKey"),
        configured_key: get_string(&config, "configuredKey"),
        env_api_key: get_string(&env, "ANTHROPIC_API_KEY"),
        env_auth_token: get_string(&env, "ANTHROPIC_AUTH_TOKEN"),
        base_url: get_string(&config, "baseURL"),
        auth_mode,
        anthropic_version: get_string(&config, "anthropicVersion"),
        anthropic_beta: get_string(&config, "anthropicBeta"),
    };
    let headers = auth::resolve(&config).map_err(|e| js_error(e.code(), &e.to_string()))?;
    Ok(headers.into_iter().flat_map(|(k, v)| [k, v]).collect())
}

#[cfg(feature = "history")]
/// A key as it may be shown (`sk-ant-…1234`).
#[wasm_bindgen(js_name = redactKey)]
pub fn redact_key(key: &str) -> String {
    auth::redact(key)
}

#[cfg(feature = "history")]
/// Sanitizes a non-streaming `Message` JSON body: `[bytes | null, reportJson]`,
/// `null` when unchanged.
#[wasm_bindgen(js_name = sanitizeMessageBytes)]
pub fn sanitize_message_bytes(body: &[u8], options: JsValue) -> Result<js_sys::Array, JsValue> {
    let (out, report) = claude::sanitize_message(body, &sanitizer_options(&options)?);
    let out = match out {
        std::borrow::Cow::Borrowed(_) => JsValue::NULL,
        std::borrow::Cow::Owned(out) => js_sys::Uint8Array::from(&out[..]).into(),
    };
    Ok(js_sys::Array::of2(&out, &json_string(&report).into()))
}

// Forwarding proxies (js/proxy.js, shared by the Worker and sanitizingFetch):
// the auth decisions and the secret scrubber of `auth`, and the default limits;
// the request side only (`history` feature).

#[cfg(feature = "history")]
/// [`Limits::max_body_bytes`] by default (the Worker's and the CLI's cap on
/// what they read).
#[wasm_bindgen(js_name = defaultMaxBodyBytes)]
pub fn default_max_body_bytes() -> usize {
    Limits::default().max_body_bytes
}

#[cfg(feature = "history")]
fn auth_error(e: &crate::AuthError) -> JsValue {
    js_error(e.code(), &e.to_string())
}

#[cfg(feature = "history")]
/// A checked [`auth::Forwarding`]: the constructor fails as
/// [`auth::Forwarding::check`] does; the key and header lists are
/// comma-separated.
#[wasm_bindgen(js_name = WasmForwarding)]
pub struct WasmForwarding(auth::Forwarding);

#[cfg(feature = "history")]
fn comma_list(list: &str) -> Vec<String> {
    list.split(',').map(String::from).collect()
}

#[cfg(feature = "history")]
#[wasm_bindgen(js_class = WasmForwarding)]
impl WasmForwarding {
    #[wasm_bindgen(constructor)]
    pub fn new(
        mode: &str,
        upstream_url: String,
        upstream_key: Option<String>,
        client_keys: &str,
        keep_client_headers: &str,
    ) -> Result<WasmForwarding, JsValue> {
        let forwarding = auth::Forwarding {
            mode: mode.parse().map_err(|e| auth_error(&e))?,
            upstream_url,
            upstream_key,
            client_keys: comma_list(client_keys),
            keep_client_headers: comma_list(keep_client_headers),
        };
        forwarding.check().map_err(|e| auth_error(&e))?;
        Ok(WasmForwarding(forwarding))
    }

    /// Upstream headers for client headers, both as `name\nvalue\n…` (a
    /// header value never holds a line break).
    pub fn headers(&self, client: &str) -> Result<String, JsValue> {
        let mut lines = client.split('\n');
        let mut pairs = Vec::new();
        while let (Some(name), Some(value)) = (lines.next(), lines.next()) {
            pairs.push((name.to_string(), value.to_string()));
        }
        let headers = self.0.headers(&pairs).map_err(|e| auth_error(&e))?;
        let mut out = String::new();
        for (name, value) in headers {
            out.push_str(&name);
            out.push('\n');
            out.push_str(&value);
            out.push('\n');
        }
        Ok(out)
    }
}

#[cfg(feature = "history")]
/// [`auth::Redactor`].
#[wasm_bindgen(js_name = WasmRedactor)]
pub struct WasmRedactor(Option<auth::Redactor>);

#[cfg(feature = "history")]
#[wasm_bindgen(js_class = WasmRedactor)]
impl WasmRedactor {
    #[wasm_bindgen(constructor)]
    pub fn new(secret: &str) -> WasmRedactor {
        WasmRedactor(Some(auth::Redactor::new(secret)))
    }

    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<u8>, JsValue> {
        let mut out = Vec::with_capacity(chunk.len());
        self.0.as_mut().ok_or_else(finished)?.push(chunk, &mut out);
        Ok(out)
    }

    pub fn finish(&mut self) -> Result<Vec<u8>, JsValue> {
        let mut out = Vec::new();
        self.0.take().ok_or_else(finished)?.finish(&mut out);
        Ok(out)
    }
}
