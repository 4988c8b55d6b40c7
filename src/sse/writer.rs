/// Serializes events as `text/event-stream` bytes: `event:` (omitted for
/// `message`), one `data:` line per line of data, `id:` when it changed, then a
/// blank line. Line breaks are LF.
///
/// ```
/// let mut out = Vec::new();
/// sse_sanitizer::sse::Writer::default().write(&mut out, "ping", "{}");
/// assert_eq!(out, b"event: ping\ndata: {}\n\n");
/// ```
#[derive(Debug, Default)]
pub struct Writer {
    last_event_id: String,
}

impl Writer {
    /// Appends one event. CR, LF and CRLF in `data` become separate `data:`
    /// lines (which a parser joins back with LF); line breaks in `event_type`
    /// are dropped, since a field value cannot hold them.
    pub fn write(&mut self, out: &mut Vec<u8>, event_type: &str, data: &str) {
        if event_type != "message" && !event_type.is_empty() {
            out.extend_from_slice(b"event: ");
            push_single_line(out, event_type);
            out.push(b'\n');
        }
        let mut rest = data.as_bytes();
        loop {
            let (line, next) = match memchr::memchr2(b'\r', b'\n', rest) {
                Some(i) => {
                    let skip = if rest[i] == b'\r' && rest.get(i + 1) == Some(&b'\n') {
                        2
                    } else {
                        1
                    };
                    (&rest[..i], Some(&rest[i + skip..]))
                }
                None => (rest, None),
            };
            out.extend_from_slice(b"data: ");
            out.extend_from_slice(line);
            out.push(b'\n');
            match next {
                Some(next) => rest = next,
                None => break,
            }
        }
        out.push(b'\n');
    }

    /// Like [`Writer::write`], also writing `id:` when `last_event_id` differs
    /// from the one last written (ids persist across events on the reading side).
    pub fn write_with_id(
        &mut self,
        out: &mut Vec<u8>,
        event_type: &str,
        data: &str,
        last_event_id: &str,
    ) {
        if last_event_id != self.last_event_id && !last_event_id.contains('\0') {
            out.extend_from_slice(b"id: ");
            push_single_line(out, last_event_id);
            out.push(b'\n');
            self.last_event_id = last_event_id.to_owned();
        }
        self.write(out, event_type, data);
    }
}

fn push_single_line(out: &mut Vec<u8>, value: &str) {
    out.extend(value.bytes().filter(|b| *b != b'\r' && *b != b'\n'));
}
