//! The binding, the only file that knows JS: the module's raw exports (plain
//! `extern "C"` functions of u32 words, no generated glue) and its imports.
//! js/load.js instantiates the module and calls these; the hand-written JS in
//! `js/` wraps them into the public API.
//!
//! - Arguments: strings and bytes are written by JS back to back into the
//!   argument buffer ([`args`]); a call is given their byte lengths. The
//!   streams' chunks go into each object's own input buffer (`*_reserve`).
//! - Results: a u32 word; text and bytes are left in memory, at the address
//!   of an [`Output`] the call returns, until the next call.
//! - Objects (parsers, sanitizers, …) are held here; JS holds a handle
//!   ([`hold`]) and frees it with [`free`] (or a consuming `*_finish`).
//! - Errors: no call throws; a failed one returns [`FAILED`] and leaves its
//!   error for [`take_error`].
//!
//! The features choose the exports (Cargo.toml): the whole package's module
//! has them all; `sse-sanitizer/stream` loads a module of the parser and the
//! sanitizer (`stream.rs`) and, at its first `accumulate()`, one of the
//! accumulator (`accumulate.rs`).
// NOTE: `#[no_mangle]` (the exports) and calling the imports are what the
// crate's `unsafe_code` lint is allowed for here; there is no other unsafe code.
#![allow(unsafe_code)]

use std::any::Any;
use std::cell::RefCell;

use crate::json;
#[cfg(feature = "verdict")]
use crate::VerdictError;
#[cfg(feature = "history")]
use crate::{auth, history};
#[cfg(any(feature = "history", feature = "verdict"))]
use crate::{claude, to_json::ToJson, Limits};

#[cfg(feature = "accumulate")]
mod accumulate;
#[cfg(feature = "sanitize")]
mod stream;

// NOTE: the module is single-threaded (no `atomics`), which this allocator requires.
#[cfg(feature = "small-alloc")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[cfg(any(feature = "history", feature = "verdict"))]
#[link(wasm_import_module = "env")]
extern "C" {
    /// Fills `len` bytes at `ptr` with `crypto.getRandomValues`.
    fn random(ptr: *mut u8, len: usize);
}

/// Registers `crypto.getRandomValues` as the secret of the hash tables
/// (`crate::hash`); js/load.js calls it once the module is instantiated.
/// NOTE: the random values are taken at the first table, inside a call
/// (workerd refuses random values in a Worker's global scope). The
/// stream-only module builds no table and has no `start`.
#[cfg(any(feature = "history", feature = "verdict"))]
#[no_mangle]
pub extern "C" fn start() {
    crate::hash::set_entropy(|| {
        let mut bytes = [0u8; 16];
        // SAFETY: the import writes exactly `len` bytes at `ptr`, which is this array.
        unsafe { random(bytes.as_mut_ptr(), bytes.len()) };
        let (a, b) = bytes.split_at(8);
        let word = |half: &[u8]| u64::from_le_bytes(half.try_into().unwrap_or_default());
        [word(a), word(b)]
    });
}

/// The u32 result of a failed call (never an address, a handle or a count).
/// NOTE: js/load.js has the same word; tests/surface.rs checks both.
const FAILED: u32 = u32::MAX;

thread_local! {
    /// The error of the last failed call, as JSON (see [`take_error`]).
    static ERROR: RefCell<String> = const { RefCell::new(String::new()) };
    /// The argument buffer (see [`args`]).
    static ARGS: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    /// The text or bytes result of the last call that returned one.
    static RESULT: RefCell<(Vec<u8>, Output)> = const { RefCell::new((Vec::new(), Output { ptr: 0, len: 0 })) };
}

/// The error of the last failed call, the address of an [`Output`] of
/// `{"code", "message"}` (and `"upstreamType"` for an upstream error event);
/// empty once taken.
#[no_mangle]
pub extern "C" fn take_error() -> u32 {
    result(ERROR.take().into_bytes())
}

/// Makes the argument buffer `len` bytes long (a new one: a call takes its
/// arguments) and returns its address; JS writes the next call's string and
/// bytes arguments there, back to back.
#[no_mangle]
pub extern "C" fn args(len: usize) -> u32 {
    ARGS.take();
    word(zeroed(len).map(|buf| {
        let at = addr(buf.as_ptr());
        ARGS.set(buf);
        at
    }))
}

/// `len` zero bytes, or [`TOO_LARGE`] when the memory cannot hold them.
// NOTE: every buffer whose size JS decides is made here, fallibly: a trap
// (out of memory) inside a call that holds the object table would leave it
// borrowed, and every later call would trap too.
#[inline(never)]
fn zeroed(len: usize) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    ok(buf.try_reserve_exact(len).map_err(|_| TOO_LARGE))?;
    buf.resize(len, 0);
    Some(buf)
}

/// A buffer JS asked for that the wasm memory (at most 4 GiB) cannot hold.
const TOO_LARGE: Fault = Fault("invalid-input", "an input too large for the wasm memory");

/// The arguments of a call, read in order from the buffer [`args`] made.
struct Args<'a>(&'a [u8]);

impl<'a> Args<'a> {
    #[inline(never)]
    fn bytes(&mut self, len: usize) -> Option<&'a [u8]> {
        if len > self.0.len() {
            return ok(Err(Fault(
                "invalid-input",
                "internal: arguments longer than the argument buffer",
            )));
        }
        let (arg, rest) = self.0.split_at(len);
        self.0 = rest;
        Some(arg)
    }

    #[inline(never)]
    fn str(&mut self, len: usize) -> Option<&'a str> {
        let bytes = self.bytes(len)?;
        ok(std::str::from_utf8(bytes)
            .map_err(|_| Fault("invalid-input", "internal: an argument is not UTF-8")))
    }
}

/// Calls `f` with the call's arguments (taken: the buffer is freed after it).
fn with_args<R>(f: impl FnOnce(&mut Args<'_>) -> Option<R>) -> Option<R> {
    let buf = ARGS.take();
    f(&mut Args(&buf))
}

/// Leaves `bytes` for JS until the next call; returns the address of their
/// [`Output`].
#[inline(never)]
fn result(bytes: Vec<u8>) -> u32 {
    RESULT.with_borrow_mut(|(held, header)| {
        *held = bytes;
        output(header, held)
    })
}

/// A text result, or [`FAILED`].
fn text(s: Option<String>) -> u32 {
    word(s.map(|s| result(s.into_bytes())))
}

/// The errors of the core, each with its kebab-case code and its text.
trait Coded {
    fn code(&self) -> &'static str;
    fn message(&self) -> String;
    /// The `error.type` of an upstream error event.
    fn upstream_type(&self) -> Option<&str> {
        None
    }
}

macro_rules! coded {
    ($($t:ty),* ; $message:ident) => {$(
        impl Coded for $t {
            fn code(&self) -> &'static str {
                <$t>::code(self)
            }
            fn message(&self) -> String {
                self.$message()
            }
        }
    )*};
}
// NOTE: the stream path's errors make their text without `core::fmt`
// (`message`), which the stream-only module leaves out.
coded!(crate::SseError, crate::OptionError; message);
#[cfg(feature = "verdict")]
coded!(VerdictError; to_string);
#[cfg(feature = "history")]
coded!(crate::HistoryError, crate::AuthError; to_string);

/// Records `e` for [`take_error`].
// NOTE: one copy for every error type (wasm size).
#[inline(never)]
fn record(e: &dyn Coded) {
    let mut json = String::from("{\"code\":\"");
    json.push_str(e.code());
    json.push_str("\",\"message\":");
    json::escape_into(&mut json, &e.message());
    if let Some(t) = e.upstream_type() {
        json.push_str(",\"upstreamType\":");
        json::escape_into(&mut json, t);
    }
    json.push('}');
    ERROR.set(json);
}

/// `Some` of an `Ok`; an error is recorded for [`take_error`].
fn ok<T, E: Coded>(result: Result<T, E>) -> Option<T> {
    result.map_err(|e| record(&e)).ok()
}

/// A u32 result, or [`FAILED`] with the error recorded.
fn word(result: Option<u32>) -> u32 {
    result.unwrap_or(FAILED)
}

/// An error of the binding itself: its code and text.
struct Fault(&'static str, &'static str);

impl Coded for Fault {
    fn code(&self) -> &'static str {
        self.0
    }
    fn message(&self) -> String {
        self.1.into()
    }
}

/// A call on a finished stream.
#[cfg(any(feature = "sanitize", feature = "history"))]
const FINISHED: Fault = Fault("finished", "the stream was already finished");

thread_local! {
    /// The objects JS holds (parsers, sanitizers, …), each by a handle: the
    /// index of its slot. NOTE: only touched by one call at a time (the
    /// imports never call back into the module). Borrowed for the length of
    /// a call on an object (see [`with`]): what a call allocates to a size
    /// JS gave is allocated fallibly ([`zeroed`]), so that running out of
    /// memory is an error, not a trap that leaves the table borrowed.
    static OBJECTS: RefCell<Objects> = const { RefCell::new(Objects { slots: Vec::new(), vacant: Vec::new() }) };
}

/// The objects JS holds, of any type (one table, one `free` for all), and
/// the free slots.
struct Objects {
    slots: Vec<Option<Box<dyn Any>>>,
    vacant: Vec<u32>,
}

/// A handle JS never got (or one already freed).
const NO_OBJECT: Fault = Fault("invalid-input", "internal: no such object");

/// Holds `object`; its handle, for JS.
#[inline(never)]
fn hold(object: Box<dyn Any>) -> Option<u32> {
    OBJECTS.with_borrow_mut(|t| match t.vacant.pop() {
        Some(handle) => {
            t.slots[handle as usize] = Some(object);
            Some(handle)
        }
        None => {
            ok(t.slots.try_reserve(1).map_err(|_| TOO_LARGE))?;
            t.slots.push(Some(object));
            Some(t.slots.len() as u32 - 1)
        }
    })
}

/// A new object made from its options (a JSON argument, read by `read`):
/// its handle.
fn create<O, E: Coded>(
    options: usize,
    read: fn(&str) -> Result<O, E>,
    make: impl FnOnce(O) -> Box<dyn Any>,
) -> u32 {
    let options = with_args(|a| ok(read(a.str(options)?)));
    word(options.and_then(|options| hold(make(options))))
}

/// Takes the object `handle` names out of its slot; the slot stays reserved
/// (not vacant) while it is out.
#[inline(never)]
fn take(handle: u32) -> Option<Box<dyn Any>> {
    let object = OBJECTS.with_borrow_mut(|t| t.slots.get_mut(handle as usize)?.take());
    ok(object.ok_or(NO_OBJECT))
}

/// Puts an object [`take`] took back into its slot.
#[inline(never)]
fn put_back(handle: u32, object: Box<dyn Any>) {
    OBJECTS.with_borrow_mut(|t| t.slots[handle as usize] = Some(object));
}

/// `f` of the `T` `handle` names.
// NOTE: the table stays borrowed while `f` runs (taking the object out and
// putting it back cost 5% of the time of a push of 64 B in the stream module).
fn with<T: Any, R>(handle: u32, f: impl FnOnce(&mut T) -> Option<R>) -> Option<R> {
    OBJECTS.with_borrow_mut(|t| {
        let object = t.slots.get_mut(handle as usize).and_then(Option::as_mut);
        match object.and_then(|o| o.downcast_mut::<T>()) {
            Some(object) => f(object),
            None => ok(Err(NO_OBJECT)),
        }
    })
}

/// Frees the slot of a handle whose object was taken for good.
#[inline(never)]
fn vacate(handle: u32) {
    // NOTE: never grows past the slots, reserved with them in `hold`.
    OBJECTS.with_borrow_mut(|t| t.vacant.push(handle));
}

/// The `T` `handle` names, no longer held (an object of another type stays).
fn release<T: Any>(handle: u32) -> Option<T> {
    match take(handle)?.downcast() {
        Ok(object) => {
            vacate(handle);
            Some(*object)
        }
        Err(other) => {
            put_back(handle, other);
            ok(Err(NO_OBJECT))
        }
    }
}

/// Frees the object `handle` names, of any type.
#[no_mangle]
pub extern "C" fn free(handle: u32) {
    if take(handle).is_some() {
        vacate(handle);
    }
}

/// Output bytes: what [`WasmSanitizer::push`] and `finish` return the address
/// of.
#[repr(C)]
#[derive(Default, Clone, Copy)]
struct Output {
    ptr: u32,
    len: u32,
}

/// Where JS writes a chunk before a `push`: one buffer kept across
/// calls, so a chunk costs one copy and no allocation (the argument buffer,
/// [`args`], is made anew for each call).
#[derive(Default)]
struct InputBuffer(Vec<u8>);

impl InputBuffer {
    /// Resizes the buffer to `len` bytes (0 frees it); returns its address.
    /// NOTE: the address stays valid (memory growth does not move it) until
    /// the next `reserve`; JS decides when to grow or free it.
    fn reserve(&mut self, len: usize) -> Option<u32> {
        if self.0.len() != len {
            self.0 = Vec::new();
            self.0 = zeroed(len)?;
        }
        Some(addr(self.0.as_ptr()))
    }

    fn get(&self, len: usize) -> Option<&[u8]> {
        ok(self.0.get(..len).ok_or(Fault(
            "invalid-input",
            "internal: push length exceeds the reserved input buffer",
        )))
    }
}

/// A linear-memory address as JS sees it (wasm32 pointers are 32-bit).
fn addr<T>(ptr: *const T) -> u32 {
    ptr as usize as u32
}

/// Points `header` at `bytes`; returns the header's address.
fn output(header: &mut Output, bytes: &[u8]) -> u32 {
    *header = Output {
        ptr: addr(bytes.as_ptr()),
        len: bytes.len() as u32,
    };
    addr(header)
}

/// Stream verdict: `push` takes the `len` bytes JS wrote at the address
/// `reserve` returned; `finish` returns the anomalies as JSON.
#[cfg(feature = "verdict")]
struct WasmValidator {
    inner: claude::StreamValidator,
    input: InputBuffer,
}

/// `options`: the length of a JSON object of [`Limits`] (an argument).
#[cfg(feature = "verdict")]
#[no_mangle]
pub extern "C" fn validator_create(options: usize) -> u32 {
    create(options, Limits::from_json, |limits| {
        Box::new(WasmValidator {
            inner: claude::StreamValidator::new(limits),
            input: InputBuffer::default(),
        })
    })
}

/// See [`InputBuffer::reserve`].
#[cfg(feature = "verdict")]
#[no_mangle]
pub extern "C" fn validator_reserve(validator: u32, len: usize) -> u32 {
    word(with(validator, |v: &mut WasmValidator| {
        v.input.reserve(len)
    }))
}

/// 0, or [`FAILED`].
#[cfg(feature = "verdict")]
#[no_mangle]
pub extern "C" fn validator_push(validator: u32, len: usize) -> u32 {
    word(with(validator, |v: &mut WasmValidator| {
        let chunk = v.input.get(len)?;
        ok(v.inner.push(chunk)).map(|()| 0)
    }))
}

/// Frees the validator; the anomalies as JSON text.
#[cfg(feature = "verdict")]
#[no_mangle]
pub extern "C" fn validator_finish(validator: u32) -> u32 {
    let validator = release::<WasmValidator>(validator);
    text(validator.and_then(|v| Some(ok(v.inner.finish())?.to_json())))
}

/// The stream anomaly catalog as JSON text.
#[cfg(feature = "verdict")]
#[no_mangle]
pub extern "C" fn anomaly_catalog() -> u32 {
    text(Some((&claude::ANOMALIES).to_json()))
}

#[cfg(feature = "history")]
#[link(wasm_import_module = "env")]
extern "C" {
    /// A new output body of `len` bytes begins (JS makes its array).
    fn body_start(len: usize);
    /// The next `len` bytes of the output body are at `ptr`.
    fn body_piece(ptr: *const u8, len: usize);
}

/// Hands an output body to JS: `len` bytes, then its pieces through the
/// returned writer.
// SAFETY (both imports): they take numbers only; JS reads a piece from the
// memory during the call.
#[cfg(feature = "history")]
fn body(len: usize) -> impl FnMut(&[u8]) {
    unsafe { body_start(len) };
    piece
}

/// The next piece of the output body [`body`] began.
// NOTE: one copy for the writer's many call sites (wasm size).
#[cfg(feature = "history")]
#[inline(never)]
fn piece(bytes: &[u8]) {
    unsafe { body_piece(bytes.as_ptr(), bytes.len()) }
}

/// A call on a JSON body and its options (two arguments: the body's bytes,
/// then the options' JSON text, read by `read`): the text `f` makes of them.
#[cfg(feature = "history")]
fn body_call<O, E: Coded>(
    body_len: usize,
    options: usize,
    read: fn(&str) -> Result<O, E>,
    f: impl FnOnce(&[u8], O) -> Option<String>,
) -> u32 {
    text(with_args(|a| {
        let body = a.bytes(body_len)?;
        let options = ok(read(a.str(options)?))?;
        f(body, options)
    }))
}

/// Normalizes a JSON body: the changes as JSON text; the new body, when it
/// changed, through the body imports. NOTE: the body goes to JS piece by
/// piece: it is never whole in the wasm memory, which does not shrink after
/// a call.
#[cfg(feature = "history")]
#[no_mangle]
pub extern "C" fn normalize(body_len: usize, options: usize) -> u32 {
    body_call(
        body_len,
        options,
        history::NormalizeOptions::from_json,
        |src, options| Some(ok(history::normalize_to(src, &options, body))?.to_json()),
    )
}

/// Validates a JSON body: the violations as JSON text.
#[cfg(feature = "history")]
#[no_mangle]
pub extern "C" fn validate(body_len: usize, options: usize) -> u32 {
    body_call(
        body_len,
        options,
        history::NormalizeOptions::from_json,
        |src, options| {
            let violations = history::validate_bytes(src, options.profile, &options.limits);
            Some(ok(violations)?.to_json())
        },
    )
}

/// Sanitizes a non-streaming `Message` JSON body: the report as JSON text;
/// the new body, when it changed, through the body imports.
#[cfg(feature = "history")]
#[no_mangle]
pub extern "C" fn sanitize_message(body_len: usize, options: usize) -> u32 {
    body_call(
        body_len,
        options,
        claude::SanitizerOptions::from_json,
        |message, options| {
            let (out, report) = claude::sanitize_message(message, &options);
            if let std::borrow::Cow::Owned(out) = out {
                body(out.len())(&out);
            }
            Some(report.to_json())
        },
    )
}

/// The rules catalog as JSON text: every row with its upstream answers per
/// profile and the public sources behind them.
#[cfg(feature = "history")]
#[no_mangle]
pub extern "C" fn rule_catalog() -> u32 {
    text(Some((&history::RULES).to_json()))
}

/// The profiles as JSON text: `[{ id, description }]`, in documentation order.
#[cfg(feature = "history")]
#[no_mangle]
pub extern "C" fn profile_catalog() -> u32 {
    text(Some(crate::to_json::ProfileCatalog.to_json()))
}

/// Auth headers for a config (a JSON argument), as a JSON object of them.
#[cfg(feature = "history")]
#[no_mangle]
pub extern "C" fn auth_headers(config: usize) -> u32 {
    text(with_args(|a| {
        let config = ok(auth::AuthConfig::from_json(a.str(config)?))?;
        let headers = ok(auth::resolve(&config))?;
        let mut out = String::from("{");
        for (i, (name, value)) in headers.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            json::escape_into(&mut out, name);
            out.push(':');
            json::escape_into(&mut out, value);
        }
        out.push('}');
        Some(out)
    }))
}

/// A key (an argument) as it may be shown (`sk-ant-…1234`).
#[cfg(feature = "history")]
#[no_mangle]
pub extern "C" fn redact_key(key: usize) -> u32 {
    text(with_args(|a| Some(auth::redact(a.str(key)?))))
}

// Forwarding proxies (js/proxy.js, shared by the Worker and sanitizingFetch):
// the auth decisions and the secret scrubber of `auth`, and the default limits;
// the request side only (`history` feature).

/// [`Limits::max_body_bytes`] by default (the Worker's and the CLI's cap on
/// what they read).
#[cfg(feature = "history")]
#[no_mangle]
pub extern "C" fn default_max_body_bytes() -> usize {
    Limits::default().max_body_bytes
}

/// A checked [`auth::Forwarding`] (it fails as [`auth::Forwarding::check`]
/// does), from five arguments: the mode, the upstream URL, the upstream key
/// (none when empty), the client keys and the client headers to keep, both
/// comma-separated.
#[cfg(feature = "history")]
#[no_mangle]
pub extern "C" fn forwarding_create(
    mode: usize,
    upstream_url: usize,
    upstream_key: usize,
    client_keys: usize,
    keep_client_headers: usize,
) -> u32 {
    let comma_list = |list: &str| list.split(',').map(String::from).collect();
    word(with_args(|a| {
        let forwarding = auth::Forwarding {
            mode: ok(a.str(mode)?.parse())?,
            upstream_url: a.str(upstream_url)?.into(),
            upstream_key: Some(a.str(upstream_key)?)
                .filter(|key| !key.is_empty())
                .map(String::from),
            client_keys: comma_list(a.str(client_keys)?),
            keep_client_headers: comma_list(a.str(keep_client_headers)?),
        };
        ok(forwarding.check())?;
        hold(Box::new(forwarding))
    }))
}

/// Upstream headers for client headers (an argument), both as
/// `name\nvalue\n…` text (a header value never holds a line break).
#[cfg(feature = "history")]
#[no_mangle]
pub extern "C" fn forwarding_headers(forwarding: u32, client: usize) -> u32 {
    text(with(forwarding, |f: &mut auth::Forwarding| {
        with_args(|a| {
            let mut lines = a.str(client)?.split('\n');
            let mut pairs = Vec::new();
            while let (Some(name), Some(value)) = (lines.next(), lines.next()) {
                pairs.push((name.to_string(), value.to_string()));
            }
            let headers = ok(f.headers(&pairs))?;
            let mut out = String::new();
            for (name, value) in headers {
                out.push_str(&name);
                out.push('\n');
                out.push_str(&value);
                out.push('\n');
            }
            Some(out)
        })
    }))
}

/// A secret scrubber ([`auth::Redactor`], `None` once finished) fed from its
/// input buffer; its output bytes are kept for JS like the sanitizer's.
#[cfg(feature = "history")]
struct WasmRedactor {
    inner: Option<auth::Redactor>,
    input: InputBuffer,
    out: Vec<u8>,
    header: Output,
}

/// A redactor of a secret (an argument).
#[cfg(feature = "history")]
#[no_mangle]
pub extern "C" fn redactor_create(secret: usize) -> u32 {
    word(with_args(|a| {
        hold(Box::new(WasmRedactor {
            inner: Some(auth::Redactor::new(a.str(secret)?)),
            input: InputBuffer::default(),
            out: Vec::new(),
            header: Output::default(),
        }))
    }))
}

/// See [`InputBuffer::reserve`].
#[cfg(feature = "history")]
#[no_mangle]
pub extern "C" fn redactor_reserve(redactor: u32, len: usize) -> u32 {
    word(with(redactor, |r: &mut WasmRedactor| r.input.reserve(len)))
}

/// The bytes the `len` bytes JS wrote at the address `redactor_reserve`
/// returned make final, at the returned [`Output`].
#[cfg(feature = "history")]
#[no_mangle]
pub extern "C" fn redactor_push(redactor: u32, len: usize) -> u32 {
    word(with(redactor, |r: &mut WasmRedactor| {
        let redactor = ok(r.inner.as_mut().ok_or(FINISHED))?;
        let chunk = r.input.get(len)?;
        r.out.clear();
        ok(r.out.try_reserve(chunk.len()).map_err(|_| TOO_LARGE))?;
        redactor.push(chunk, &mut r.out);
        Some(output(&mut r.header, &r.out))
    }))
}

/// The bytes still held, at the returned [`Output`].
#[cfg(feature = "history")]
#[no_mangle]
pub extern "C" fn redactor_finish(redactor: u32) -> u32 {
    word(with(redactor, |r: &mut WasmRedactor| {
        r.out.clear();
        ok(r.inner.take().ok_or(FINISHED))?.finish(&mut r.out);
        Some(output(&mut r.header, &r.out))
    }))
}
