//! The JSON the wasm binding hands to JS for the crate's report types and
//! catalogs: the field names and shapes of their serde `Serialize` (a test
//! checks that the two agree), written by hand so that the module carries no
//! generic serializer.
// NOTE: the accumulator's module (feature `accumulate` alone) hands no such
// JSON to JS.
#![cfg_attr(
    not(any(test, feature = "sanitize", feature = "history", feature = "verdict")),
    allow(dead_code)
)]

use crate::claude::{Anomaly, AnomalyClass, DroppedBlock, Note, ReplacedBlock, Report, TraceEntry};
use crate::history::{Change, Rule, Violation};
use crate::json::escape_into;
use crate::Profile;

/// A value that writes itself as compact JSON.
pub(crate) trait ToJson {
    fn write_json(&self, out: &mut String);

    fn to_json(&self) -> String
    where
        Self: Sized,
    {
        json_text(self)
    }
}

/// [`ToJson::to_json`] behind one `dyn` call: one copy in the wasm, not one per
/// type. NOTE: an unsized value (a slice, `str`) calls it through a reference,
/// `(&RULES).to_json()`.
fn json_text(value: &dyn ToJson) -> String {
    let mut out = String::new();
    value.write_json(&mut out);
    out
}

/// Writes an object field by field: `Obj::new(out).field("a", &1).end()`.
struct Obj<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Obj<'a> {
    fn new(out: &'a mut String) -> Self {
        out.push('{');
        Obj { out, first: true }
    }

    #[inline(never)] // NOTE: one copy for its many callers (wasm size)
    fn field(mut self, name: &str, value: &dyn ToJson) -> Self {
        if !std::mem::take(&mut self.first) {
            self.out.push(',');
        }
        escape_into(self.out, name);
        self.out.push(':');
        value.write_json(self.out);
        self
    }

    /// A field left out when `None` (serde's `skip_serializing_if`).
    #[inline(never)] // NOTE: one copy for its many callers (wasm size)
    fn some(self, name: &str, value: Option<&dyn ToJson>) -> Self {
        match value {
            Some(value) => self.field(name, value),
            None => self,
        }
    }

    fn end(self) {
        self.out.push('}');
    }
}

impl ToJson for str {
    fn write_json(&self, out: &mut String) {
        escape_into(out, self);
    }
}

impl ToJson for &str {
    fn write_json(&self, out: &mut String) {
        escape_into(out, self);
    }
}

impl ToJson for String {
    fn write_json(&self, out: &mut String) {
        escape_into(out, self);
    }
}

impl ToJson for bool {
    fn write_json(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

impl ToJson for u64 {
    fn write_json(&self, out: &mut String) {
        crate::text::push_decimal(out, *self);
    }
}

impl ToJson for u32 {
    fn write_json(&self, out: &mut String) {
        u64::from(*self).write_json(out);
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn write_json(&self, out: &mut String) {
        match self {
            Some(value) => value.write_json(out),
            None => out.push_str("null"),
        }
    }
}

impl<T: ToJson> ToJson for [T] {
    fn write_json(&self, out: &mut String) {
        out.push('[');
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            item.write_json(out);
        }
        out.push(']');
    }
}

impl<T: ToJson> ToJson for &[T] {
    fn write_json(&self, out: &mut String) {
        (**self).write_json(out);
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn write_json(&self, out: &mut String) {
        self[..].write_json(out);
    }
}

impl<T: ToJson, const N: usize> ToJson for [T; N] {
    fn write_json(&self, out: &mut String) {
        self[..].write_json(out);
    }
}

impl ToJson for Report {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("eventsSeen", &self.events_seen)
            .field("eventsChanged", &self.events_changed)
            .field("eventsNamed", &self.events_named)
            .field("blocksDropped", &self.blocks_dropped)
            .field("blocksReplaced", &self.blocks_replaced)
            .field("notes", &self.notes)
            .field("truncated", &self.truncated)
            .some(
                "trace",
                (!self.trace.is_empty()).then_some(&self.trace as &dyn ToJson),
            )
            .end();
    }
}

impl ToJson for TraceEntry {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("event", &self.event)
            .field("action", &self.action)
            .field("input", &self.input)
            .field("output", &self.output)
            .some("index", self.index.as_ref().map(|v| v as &dyn ToJson))
            .some(
                "newIndex",
                self.new_index.as_ref().map(|v| v as &dyn ToJson),
            )
            .some(
                "heldUntil",
                self.held_until.as_ref().map(|v| v as &dyn ToJson),
            )
            .some("rule", self.rule.as_ref().map(|v| v as &dyn ToJson))
            .end();
    }
}

impl ToJson for DroppedBlock {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("message", &self.message)
            .field("index", &self.index)
            .field("reason", &self.reason)
            .field("bytes", &self.bytes)
            .end();
    }
}

impl ToJson for ReplacedBlock {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("message", &self.message)
            .field("index", &self.index)
            .field("rule", &self.rule)
            .field("blank", &self.blank)
            .field("reason", &self.reason)
            .end();
    }
}

impl ToJson for Note {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("code", &self.code)
            .field("event", &self.event)
            .field("detail", &self.detail)
            .end();
    }
}

impl ToJson for Anomaly {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("code", &self.code)
            .field("event", &self.event)
            .field("index", &self.index)
            .field("message", &self.message)
            .field("sdk", &self.sdk)
            .end();
    }
}

/// A row of the anomaly catalog (`anomalies()` in JS).
impl ToJson for AnomalyClass {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("code", &self.code)
            .field("summary", &self.summary)
            .field("sdk", &self.sdk)
            .end();
    }
}

impl ToJson for Change {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("rule", &self.rule)
            .field("path", &self.path)
            .field("action", &self.action)
            .field("detail", &self.detail)
            .end();
    }
}

impl ToJson for Violation {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("rule", &self.rule)
            .field("path", &self.path)
            .field("message", &self.message)
            .some("hint", self.hint.as_ref().map(|v| v as &dyn ToJson))
            .end();
    }
}

impl ToJson for Profile {
    fn write_json(&self, out: &mut String) {
        self.as_str().write_json(out);
    }
}

/// The profiles (`profiles()` in JS): `[{ id, description }]`, in
/// documentation order.
#[cfg(any(feature = "history", test))]
pub(crate) struct ProfileCatalog;

#[cfg(any(feature = "history", test))]
impl ToJson for ProfileCatalog {
    fn write_json(&self, out: &mut String) {
        out.push('[');
        for (i, profile) in Profile::ALL.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            Obj::new(out)
                .field("id", profile)
                .field("description", &profile.describe())
                .end();
        }
        out.push(']');
    }
}

/// A row of the rules catalog (`rules()` in JS).
impl ToJson for Rule {
    fn write_json(&self, out: &mut String) {
        Obj::new(out)
            .field("id", &self.id)
            .field("profiles", &self.profiles)
            .field("fix", &self.fix)
            .field("optIn", &self.opt_in)
            .field("message", &self.message)
            .field("otherMessages", &self.other_messages)
            .field("messages", &ProfileMessages(self))
            .field("sources", &self.sources)
            .field("note", &self.note)
            .end();
    }
}

/// A rule's upstream answers by profile: `{ "anthropic": [...], ... }`.
struct ProfileMessages<'a>(&'a Rule);

impl ToJson for ProfileMessages<'_> {
    fn write_json(&self, out: &mut String) {
        let mut obj = Obj::new(out);
        for profile in self.0.profiles {
            obj = obj.field(profile.as_str(), &self.0.messages(*profile));
        }
        obj.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claude::{sanitize, validate_stream, SanitizerOptions, ANOMALIES};
    use crate::history::RULES;

    #[test]
    fn reports_read_as_their_serde_form() {
        let stream = concat!(
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"content\":[]}}\n\n",
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}\n\n",
            "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
            "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n",
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
            "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":2}\n\n",
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":3,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}\n\n",
            "data: {\"type\":\"ping\"}\n\n",
            "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"x\",\"message\":\"\\u0001\\\"é\"}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":\"a\"\n\n",
            "data: {\"type\":\"message_start\"\n",
        );
        for trace in [false, true] {
            let options = SanitizerOptions {
                trace,
                ..Default::default()
            };
            let (_, report) = sanitize(stream.as_bytes(), &options);
            assert!(!report.notes.is_empty() && !report.blocks_replaced.is_empty());
            assert_eq!(trace, !report.trace.is_empty());
            assert_eq!(report.to_json(), serde_json::to_string(&report).unwrap());
        }
        let anomalies = validate_stream(stream.as_bytes(), Default::default()).unwrap();
        assert!(anomalies.len() > 3);
        assert_eq!(
            anomalies.to_json(),
            serde_json::to_string(&anomalies).unwrap()
        );

        let body = br#"{"messages":[{"role":"user","content":[{"type":"text","text":""},{"type":"text","text":"hi","x":1}]},{"role":"assistant","content":" "},{"role":"user","content":"a"},{"role":"user","content":"b"},{"role":"assistant","content":[{"type":"text","text":""},{"type":"thinking","thinking":"t","signature":"s"}]}]}"#;
        let options = crate::history::NormalizeOptions {
            strict_fields: true,
            ..Default::default()
        };
        let (_, changes) = crate::history::normalize_bytes(body, &options).unwrap();
        assert!(changes.len() > 1, "{changes:?}");
        assert_eq!(changes.to_json(), serde_json::to_string(&changes).unwrap());
        for profile in Profile::ALL {
            let violations =
                crate::history::validate_bytes(body, profile, &Default::default()).unwrap();
            assert!(
                violations.iter().any(|v| v.hint.is_some()),
                "{violations:?}"
            );
            assert_eq!(
                violations.to_json(),
                serde_json::to_string(&violations).unwrap()
            );
        }
    }

    #[test]
    fn catalogs_read_as_their_fields() {
        let rows: Vec<_> = ANOMALIES
            .iter()
            .map(|a| serde_json::json!({ "code": a.code, "summary": a.summary, "sdk": a.sdk }))
            .collect();
        assert_eq!(
            (&ANOMALIES).to_json(),
            serde_json::to_string(&rows).unwrap()
        );
        let rows: Vec<_> = RULES
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
        assert_eq!((&RULES).to_json(), serde_json::to_string(&rows).unwrap());
        let profiles: Vec<_> = Profile::ALL
            .iter()
            .map(|p| serde_json::json!({ "id": p.as_str(), "description": p.describe() }))
            .collect();
        assert_eq!(
            ProfileCatalog.to_json(),
            serde_json::to_string(&profiles).unwrap()
        );
    }

    #[test]
    fn numbers_and_strings() {
        for n in [0, 7, 10, 1234567890, u64::MAX] {
            assert_eq!(n.to_json(), n.to_string());
        }
        assert_eq!(
            (&"a\"\n\u{1}é").to_json(),
            serde_json::to_string("a\"\n\u{1}é").unwrap()
        );
    }
}
