//! Options given as JSON: the option objects of the JS API (camelCase keys),
//! read here so that the binding only passes them on. Each option has one
//! type; a value of another type is refused with `invalid-option`. `null`
//! counts as absent, and keys this crate does not know are ignored (a JS
//! options object also holds callbacks and other layers' options).
//!
//! The readers are used by the `from_json` constructors:
//! [`Limits::from_json`](crate::Limits::from_json),
//! [`SanitizerOptions::from_json`](crate::claude::SanitizerOptions::from_json),
//! [`AccumulateOptions::from_json`](crate::claude::AccumulateOptions::from_json),
//! [`NormalizeOptions::from_json`](crate::history::NormalizeOptions::from_json),
//! [`AuthConfig::from_json`](crate::auth::AuthConfig::from_json).

use crate::error::OptionError;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// One options object (a nested one borrows from its parent).
pub(crate) struct Options<'a>(Cow<'a, Map<String, Value>>);

impl Options<'static> {
    /// `json` must be an object or `null` (no options).
    #[inline(never)]
    pub(crate) fn parse(json: &str) -> Result<Self, OptionError> {
        match serde_json::from_str(json) {
            Ok(Value::Object(map)) => Ok(Options(Cow::Owned(map))),
            Ok(Value::Null) => Ok(Options(Cow::Owned(Map::new()))),
            _ => Err(OptionError {
                name: "options",
                expected: "an object",
            }),
        }
    }
}

impl Options<'_> {
    #[inline(never)]
    fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    #[inline(never)] // NOTE: one copy, not one per option (wasm size)
    pub(crate) fn bool(&self, name: &'static str) -> Result<Option<bool>, OptionError> {
        self.get(name)
            .map(|v| {
                v.as_bool().ok_or(OptionError {
                    name,
                    expected: "true or false",
                })
            })
            .transpose()
    }

    #[inline(never)] // NOTE: one copy, not one per option (wasm size)
    pub(crate) fn string(&self, name: &'static str) -> Result<Option<&str>, OptionError> {
        self.get(name)
            .map(|v| {
                v.as_str().ok_or(OptionError {
                    name,
                    expected: "a string",
                })
            })
            .transpose()
    }

    /// A byte count or depth: a whole number ≥ 0 (past `usize::MAX`, that).
    #[inline(never)] // NOTE: one copy, not one per option (wasm size)
    pub(crate) fn size(&self, name: &'static str) -> Result<Option<usize>, OptionError> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        // NOTE: digits only, read here (float parsing would double the stream
        // module's size); a JS number past 2^64 is written with all its
        // digits and saturates.
        let digits = value.as_number().map_or("-", |n| n.as_str());
        digits
            .bytes()
            .try_fold(0usize, |n, b| {
                let digit = b.checked_sub(b'0').filter(|d| *d < 10)?;
                Some(n.saturating_mul(10).saturating_add(usize::from(digit)))
            })
            .map(Some)
            .ok_or(OptionError {
                name,
                expected: "a whole number of 0 or more",
            })
    }

    /// A string that `parse` maps to a value; `expected` names the strings it
    /// accepts.
    pub(crate) fn one_of<T>(
        &self,
        name: &'static str,
        expected: &'static str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>, OptionError> {
        self.get(name)
            .map(|v| {
                v.as_str()
                    .and_then(parse)
                    .ok_or(OptionError { name, expected })
            })
            .transpose()
    }

    /// An object of booleans (`rules: { "empty-text": false }`), its entries
    /// in order.
    pub(crate) fn flags(
        &self,
        name: &'static str,
        expected: &'static str,
    ) -> Result<Vec<(&str, bool)>, OptionError> {
        let error = || OptionError { name, expected };
        let Some(value) = self.get(name) else {
            return Ok(Vec::new());
        };
        let map = value.as_object().ok_or_else(error)?;
        map.iter()
            .map(|(k, v)| Ok((k.as_str(), v.as_bool().ok_or_else(error)?)))
            .collect()
    }

    /// A nested options object (`env` of the auth config).
    pub(crate) fn object(&self, name: &'static str) -> Result<Options<'_>, OptionError> {
        match self.get(name) {
            None => Ok(Options(Cow::Owned(Map::new()))),
            Some(Value::Object(map)) => Ok(Options(Cow::Borrowed(map))),
            Some(_) => Err(OptionError {
                name,
                expected: "an object",
            }),
        }
    }
}
