//! The only file that knows wasm-bindgen: it converts types between the core
//! and JS and does nothing else. The hand-written JS in `js/` wraps these
//! exports into the public API.

use wasm_bindgen::prelude::*;

use crate::sse;
use crate::Limits;

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
    if s.is_ascii() {
        s.len() as u32
    } else {
        s.encode_utf16().count() as u32
    }
}

/// SSE parser. `feed` returns the text of every event the chunk completed as
/// one string; `lengths()` then gives four numbers per event: the UTF-16
/// lengths of type, data and last event id in that string, and retry + 1 (0
/// when unset). One boundary crossing for all events of a chunk.
#[wasm_bindgen(js_name = WasmParser)]
pub struct WasmParser {
    parser: sse::Parser,
    lengths: Vec<u32>,
}

#[wasm_bindgen(js_class = WasmParser)]
impl WasmParser {
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> WasmParser {
        WasmParser {
            parser: sse::Parser::new(limits_from_js(&options)),
            lengths: Vec::new(),
        }
    }

    pub fn feed(&mut self, chunk: &[u8]) -> Result<String, JsValue> {
        let mut text = String::new();
        let lengths = &mut self.lengths;
        lengths.clear();
        self.parser
            .feed(chunk, &mut |e| {
                text.push_str(&e.event_type);
                text.push_str(&e.data);
                text.push_str(&e.last_event_id);
                lengths.push(utf16_len(&e.event_type));
                lengths.push(utf16_len(&e.data));
                lengths.push(utf16_len(&e.last_event_id));
                // NOTE: retry is carried as u32 + 1; larger values saturate.
                lengths.push(
                    e.retry
                        .map_or(0, |r| r.min(u64::from(u32::MAX - 1)) as u32 + 1),
                );
            })
            .map_err(|e| js_error(e.code(), &e.to_string()))?;
        Ok(text)
    }

    pub fn lengths(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.lengths)
    }

    /// Ends the stream; returns whether an unterminated event was discarded.
    pub fn finish(self) -> Result<bool, JsValue> {
        self.parser
            .finish()
            .map_err(|e| js_error(e.code(), &e.to_string()))
    }
}
