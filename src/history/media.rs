//! Images and documents (validator only): `too-many-media` (at most 100 per
//! request on models with a 200k-token context window, 600 on the others) and
//! `many-image-dimensions` (past 20 images, none may exceed 2000 pixels on a
//! side). An image's size is read from the first bytes of its base64 data
//! (PNG, GIF, WebP and JPEG headers), decoded only as far as the header goes,
//! and only when the request holds more than 20 images.

use super::json::{Kind, Raw};
use super::model::{Content, Origin, Role, Run};
use super::models::Model;
use super::rules::*;

/// Past this many images in one request, the dimension limit drops.
const MANY_IMAGES: usize = 20;
/// The largest side of an image in a many-image request, in pixels.
const MANY_IMAGE_SIDE: u32 = 2000;
/// The largest media count any model takes (when the model is unknown).
const MOST_MEDIA: u32 = 600;

impl Run<'_, '_> {
    pub(crate) fn media_checks(&mut self) {
        if !TOO_MANY_MEDIA.applies(self.profile) {
            return;
        }
        // Images and documents in order, with the top-level image blocks.
        let (mut images, mut documents) = (0u32, 0u32);
        let mut past_limit = None;
        let mut top_images: Vec<(Origin, Raw<'_>)> = Vec::new();
        let limit = Model::of(self.top("model")).map_or(MOST_MEDIA, |m| m.media_limit());
        for msg in &self.msgs {
            if msg.role == Role::System {
                continue;
            }
            let Content::Blocks(list) = &msg.content else {
                continue;
            };
            for blk in list {
                let j = blk.view();
                let ty = blk.ty();
                let mut count = |ty: &str, nested: bool| -> bool {
                    match ty {
                        "image" => images += 1,
                        "document" => documents += 1,
                        _ => return false,
                    }
                    if past_limit.is_none() && images + documents > limit {
                        past_limit = Some((blk.at(), nested));
                    }
                    true
                };
                if count(&ty, false) && ty == "image" {
                    top_images.push((blk.at(), j));
                }
                if ty == "tool_result" {
                    for item in j.get("content").into_iter().flat_map(|c| c.items()) {
                        count(&item.type_name(), true);
                    }
                }
            }
        }
        let mut large = Vec::new();
        let many = images as usize > MANY_IMAGES && MANY_IMAGE_DIMENSIONS.applies(self.profile);
        for (at, j) in top_images.into_iter().filter(|_| many) {
            let source = j.get("source");
            let base64 = source.is_some_and(|s| s.get("type").is_some_and(|t| t.str_eq("base64")));
            let data = source
                .and_then(|s| s.get("data"))
                .filter(|d| d.kind() == Kind::Str);
            let Some(data) = data.filter(|_| base64) else {
                continue;
            };
            let inner = data
                .text()
                .get(1..data.text().len().saturating_sub(1))
                .unwrap_or_default();
            if let Some((w, h)) = image_size(inner) {
                if w > MANY_IMAGE_SIDE || h > MANY_IMAGE_SIDE {
                    large.push((at, w, h));
                }
            }
        }
        if let Some((at, _)) = past_limit {
            let (n, m, l) = (images.to_string(), documents.to_string(), limit.to_string());
            let hint = (limit == MOST_MEDIA && Model::of(self.top("model")).is_none()).then(|| {
                "the model is not named (or not one this catalog knows): checked against the largest limit, 600; models with a 200k-token context window take 100".to_string()
            });
            self.report_hint(
                &TOO_MANY_MEDIA,
                self.at_ptr(at),
                render(
                    TOO_MANY_MEDIA.message,
                    &[("n", &n), ("m", &m), ("limit", &l)],
                ),
                hint,
            );
        }
        for (at, w, h) in large {
            let (m, b) = Self::input_coords(at);
            self.report_hint(
                &MANY_IMAGE_DIMENSIONS,
                format!("{}/source/data", self.at_ptr(at)),
                render(MANY_IMAGE_DIMENSIONS.message, &[("m", &m), ("b", &b)]),
                Some(format!("this image is {w}x{h} pixels; a request with more than {MANY_IMAGES} images takes at most {MANY_IMAGE_SIDE} on each side: scale it down, or send fewer images")),
            );
        }
    }
}

/// Decodes standard base64 (as a JSON string holds it: no escapes expected
/// in base64) on demand, from the start.
struct Base64<'a> {
    src: &'a [u8],
    at: usize,
    out: Vec<u8>,
}

impl Base64<'_> {
    /// Makes the first `n` bytes available; false when the data is shorter
    /// (or not base64).
    fn need(&mut self, n: usize) -> bool {
        let value = |c: u8| match c {
            b'A'..=b'Z' => Some(c - b'A'),
            b'a'..=b'z' => Some(c - b'a' + 26),
            b'0'..=b'9' => Some(c - b'0' + 52),
            b'+' | b'-' => Some(62),
            b'/' | b'_' => Some(63),
            _ => None,
        };
        while self.out.len() < n {
            let Some(quad) = self.src.get(self.at..self.at + 4) else {
                return false;
            };
            self.at += 4;
            let v: Vec<u8> = quad.iter().map_while(|&c| value(c)).collect();
            if v.len() < 2 {
                return false;
            }
            let bits =
                v.iter().fold(0u32, |acc, &x| (acc << 6) | u32::from(x)) << (6 * (4 - v.len()));
            let bytes = bits.to_be_bytes();
            self.out.extend_from_slice(&bytes[1..v.len()]);
            if v.len() < 4 && self.out.len() < n {
                return false;
            }
        }
        true
    }

    fn bytes(&mut self, from: usize, len: usize) -> Option<&[u8]> {
        self.need(from + len).then(|| &self.out[from..from + len])
    }
}

/// `(width, height)` of a PNG, GIF, WebP or JPEG image from its base64 data.
pub(crate) fn image_size(data: &str) -> Option<(u32, u32)> {
    let mut d = Base64 {
        src: data.as_bytes(),
        at: 0,
        out: Vec::new(),
    };
    let be16 = |b: &[u8]| u32::from(u16::from_be_bytes([b[0], b[1]]));
    let le16 = |b: &[u8]| u32::from(u16::from_le_bytes([b[0], b[1]]));
    let head = d.bytes(0, 12)?.to_vec();
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        let ihdr = d.bytes(16, 8)?;
        let be32 = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        return Some((be32(&ihdr[..4]), be32(&ihdr[4..])));
    }
    if head.starts_with(b"GIF8") {
        let s = d.bytes(6, 4)?;
        return Some((le16(&s[..2]), le16(&s[2..])));
    }
    if head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
        let chunk = d.bytes(12, 4)?.to_vec();
        return match &chunk[..] {
            b"VP8 " => {
                let s = d.bytes(26, 4)?;
                Some((le16(&s[..2]) & 0x3fff, le16(&s[2..]) & 0x3fff))
            }
            b"VP8L" => {
                let s = d.bytes(21, 4)?;
                let bits = u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
                Some(((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
            }
            b"VP8X" => {
                let s = d.bytes(24, 6)?;
                let le24 =
                    |b: &[u8]| u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16;
                Some((le24(&s[..3]) + 1, le24(&s[3..]) + 1))
            }
            _ => None,
        };
    }
    if head.starts_with(b"\xff\xd8") {
        // Segments from offset 2 to the first start-of-frame marker.
        let mut at = 2;
        loop {
            let marker = d.bytes(at, 4)?.to_vec();
            if marker[0] != 0xff {
                return None;
            }
            let kind = marker[1];
            let len = be16(&marker[2..]) as usize;
            let sof = matches!(kind, 0xc0..=0xcf) && !matches!(kind, 0xc4 | 0xc8 | 0xcc);
            if sof {
                let s = d.bytes(at + 5, 4)?;
                return Some((be16(&s[2..]), be16(&s[..2])));
            }
            if len < 2 {
                return None;
            }
            at += 2 + len;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::image_size;

    fn b64(bytes: &[u8]) -> String {
        const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
            for k in 0..4 {
                if k <= chunk.len() {
                    out.push(ABC[(n >> (18 - 6 * k) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    #[test]
    fn reads_image_headers() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend_from_slice(&3000u32.to_be_bytes());
        png.extend_from_slice(&1200u32.to_be_bytes());
        png.extend_from_slice(b"\x08\x06\0\0\0");
        assert_eq!(image_size(&b64(&png)), Some((3000, 1200)));
        let gif = b"GIF89a\x10\x00\x20\x00\x00\x00\x00";
        assert_eq!(image_size(&b64(gif)), Some((16, 32)));
        // JPEG: an APP0 segment, then SOF0 with height 2100, width 800.
        let mut jpeg = vec![0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10];
        jpeg.extend_from_slice(&[0; 14]);
        jpeg.extend_from_slice(&[0xff, 0xc0, 0x00, 0x11, 0x08, 0x08, 0x34, 0x03, 0x20, 0x03]);
        assert_eq!(image_size(&b64(&jpeg)), Some((800, 2100)));
        let mut webp = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
        webp.extend_from_slice(&[0xcf, 0x07, 0x00, 0x0f, 0x00, 0x00]); // 2000 x 16
        assert_eq!(image_size(&b64(&webp)), Some((2000, 16)));
        for junk in ["", "AAAA", "not base64!", &b64(b"\xff\xd8\xff\xe0\x00\x01")] {
            assert_eq!(image_size(junk), None, "{junk}");
        }
    }
}
