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
use crate::json::{self, Kind, Raw};
use std::borrow::Cow;

/// One options object, read in place from its JSON text.
pub(crate) struct Options<'a>(Option<Raw<'a>>);

impl<'a> Options<'a> {
    /// `json` must be an object or `null` (no options).
    #[inline(never)]
    pub(crate) fn parse(json: &'a str) -> Result<Self, OptionError> {
        match json::read(json) {
            Ok(raw) if raw.kind() == Kind::Obj => Ok(Options(Some(raw))),
            Ok(raw) if raw.kind() == Kind::Null => Ok(Options(None)),
            _ => Err(OptionError {
                name: "options",
                expected: "an object",
            }),
        }
    }

    #[inline(never)]
    fn get(&self, name: &str) -> Option<Raw<'a>> {
        self.0?.get_some(name)
    }

    #[inline(never)] // NOTE: one copy, not one per option (wasm size)
    pub(crate) fn bool(&self, name: &'static str) -> Result<Option<bool>, OptionError> {
        self.get(name)
            .map(|v| match v.text() {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(OptionError {
                    name,
                    expected: "true or false",
                }),
            })
            .transpose()
    }

    #[inline(never)] // NOTE: one copy, not one per option (wasm size)
    pub(crate) fn string(&self, name: &'static str) -> Result<Option<Cow<'a, str>>, OptionError> {
        self.get(name)
            .map(|v| {
                v.str().ok_or(OptionError {
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
        let digits = if value.kind() == Kind::Num {
            value.text()
        } else {
            "-"
        };
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
                v.str()
                    .and_then(|s| parse(&s))
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
    ) -> Result<Vec<(Cow<'a, str>, bool)>, OptionError> {
        let error = || OptionError { name, expected };
        let Some(value) = self.get(name) else {
            return Ok(Vec::new());
        };
        if value.kind() != Kind::Obj {
            return Err(error());
        }
        value
            .entries()
            .map(|(k, v)| {
                let on = match v.text() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(error()),
                };
                Ok((k.str().ok_or_else(error)?, on))
            })
            .collect()
    }

    /// A nested options object (`env` of the auth config).
    pub(crate) fn object(&self, name: &'static str) -> Result<Options<'a>, OptionError> {
        match self.get(name) {
            None => Ok(Options(None)),
            Some(v) if v.kind() == Kind::Obj => Ok(Options(Some(v))),
            Some(_) => Err(OptionError {
                name,
                expected: "an object",
            }),
        }
    }
}
