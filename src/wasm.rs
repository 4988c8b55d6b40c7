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

/// The WebAssembly memory, so JS can read the buffers whose addresses the
/// `feed` methods return without a copy through wasm-bindgen.
#[wasm_bindgen(js_name = wasmMemory)]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}

/// SSE parser. `feed` returns 0 when the chunk completed no event, else the
/// address of four u32: the address and byte length of the UTF-8 text of all
/// completed events (type, data, last event id of each, back to back), and
/// the address and count of four u32 per event: the UTF-16 lengths of type,
/// data and id within that text, and retry + 1 (0 when unset). One boundary
/// crossing for all events of a chunk; JS decodes the text once.
#[wasm_bindgen(js_name = WasmParser)]
pub struct WasmParser {
    parser: sse::Parser,
    text: String,
    lengths: Vec<u32>,
    header: [u32; 4],
}

#[wasm_bindgen(js_class = WasmParser)]
impl WasmParser {
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> WasmParser {
        WasmParser {
            parser: sse::Parser::new(limits_from_js(&options)),
            text: String::new(),
            lengths: Vec::new(),
            header: [0; 4],
        }
    }

    pub fn feed(&mut self, chunk: &[u8]) -> Result<u32, JsValue> {
        let text = &mut self.text;
        let lengths = &mut self.lengths;
        text.clear();
        lengths.clear();
        self.parser
            .feed_raw(chunk, &mut |segment| {
                if let sse::RawSegment::Event { event, .. } = segment {
                    text.push_str(&event.event_type);
                    text.push_str(&event.data);
                    text.push_str(event.last_event_id);
                    lengths.push(utf16_len(&event.event_type));
                    lengths.push(utf16_len(&event.data));
                    lengths.push(utf16_len(event.last_event_id));
                    // NOTE: retry is carried as u32 + 1; larger values saturate.
                    lengths.push(
                        event
                            .retry
                            .map_or(0, |r| r.min(u64::from(u32::MAX - 1)) as u32 + 1),
                    );
                }
            })
            .map_err(|e| js_error(e.code(), &e.to_string()))?;
        if self.lengths.is_empty() {
            return Ok(0);
        }
        self.header = [
            addr(self.text.as_ptr()),
            self.text.len() as u32,
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

/// A linear-memory address as JS sees it (wasm32 pointers are 32-bit).
fn addr<T>(ptr: *const T) -> u32 {
    ptr as usize as u32
}
