//! The accumulator's exports (feature `accumulate`): events → the final Message.

use super::*;
use crate::{claude, sse, AccumulateError};

impl Coded for AccumulateError {
    fn code(&self) -> &'static str {
        AccumulateError::code(self)
    }
    fn message(&self) -> String {
        AccumulateError::message(self)
    }
    fn upstream_type(&self) -> Option<&str> {
        match self {
            AccumulateError::Upstream { error_type, .. } => Some(error_type),
            _ => None,
        }
    }
}

/// Accumulator fed with raw SSE bytes (`push`, from its input buffer) or with
/// events (`push_event`, two arguments).
struct WasmAccumulator {
    parser: sse::Parser,
    inner: claude::Accumulator,
    all: bool,
    input: InputBuffer,
}

/// `options`: the length of a JSON object (an argument), see
/// [`claude::AccumulateOptions::from_json`].
#[no_mangle]
pub extern "C" fn accumulator_create(options: usize) -> u32 {
    create(options, claude::AccumulateOptions::from_json, |options| {
        Box::new(WasmAccumulator {
            parser: sse::Parser::new(options.limits),
            inner: options.accumulator(),
            all: options.messages == claude::Messages::All,
            input: InputBuffer::default(),
        })
    })
}

/// Feeds the `len` bytes of raw SSE JS wrote at the address
/// `accumulator_reserve` returned: 0, or [`FAILED`].
#[no_mangle]
pub extern "C" fn accumulator_push(accumulator: u32, len: usize) -> u32 {
    word(with(accumulator, |acc: &mut WasmAccumulator| {
        let chunk = acc.input.get(len)?;
        let inner = &mut acc.inner;
        let mut result = Ok(());
        let parsed = acc.parser.push_raw(chunk, &mut |segment| {
            if let (sse::RawSegment::Event { event, .. }, Ok(())) = (segment, &result) {
                result = inner.push(&event.event_type, &event.data);
            }
        });
        ok(parsed).and_then(|()| ok(result)).map(|()| 0)
    }))
}

/// See [`InputBuffer::reserve`].
#[no_mangle]
pub extern "C" fn accumulator_reserve(accumulator: u32, len: usize) -> u32 {
    word(with(accumulator, |acc: &mut WasmAccumulator| {
        acc.input.reserve(len)
    }))
}

/// Feeds one event, its type and data (two arguments): 0, or [`FAILED`].
#[no_mangle]
pub extern "C" fn accumulator_push_event(accumulator: u32, event_type: usize, data: usize) -> u32 {
    word(with(accumulator, |acc: &mut WasmAccumulator| {
        with_args(|a| ok(acc.inner.push(a.str(event_type)?, a.str(data)?)).map(|()| 0))
    }))
}

/// Frees the accumulator; its final message as JSON text (with `messages:
/// "all"`, the array of them).
#[no_mangle]
pub extern "C" fn accumulator_finish(accumulator: u32) -> u32 {
    text(release(accumulator).and_then(|acc: WasmAccumulator| {
        let WasmAccumulator {
            parser, inner, all, ..
        } = acc;
        ok(parser.finish())?;
        // NOTE: `Accumulator::finish` is the last of `finish_all` (one call
        // to it here: wasm size).
        let mut messages = ok(inner.finish_all())?;
        if !all {
            return Some(messages.pop().unwrap_or_default());
        }
        let mut out = String::from("[");
        for (i, message) in messages.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(message);
        }
        out.push(']');
        Some(out)
    }))
}
