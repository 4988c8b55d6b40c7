//! Regression: a huge `max_json_depth` must not let a deep body exhaust the
//! stack (in WebAssembly that is a trap that leaves the instance unusable).

use sse_sanitizer::history::{normalize_bytes, validate_bytes, NormalizeOptions, Profile};
use sse_sanitizer::{HistoryError, Limits};

#[test]
fn depth_is_capped_whatever_the_option() {
    let limits = Limits::default().with_max_json_depth(usize::MAX);
    let options = NormalizeOptions {
        limits,
        ..Default::default()
    };
    for depth in [Limits::MAX_JSON_DEPTH_CEILING + 1, 1_000_000] {
        let body = format!(
            r#"{{"messages":[{{"role":"user","content":{}{}}}]}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let ceiling = Limits::MAX_JSON_DEPTH_CEILING;
        assert_eq!(
            normalize_bytes(body.as_bytes(), &options).unwrap_err(),
            HistoryError::MaxDepthExceeded { limit: ceiling }
        );
        assert_eq!(
            validate_bytes(body.as_bytes(), Profile::Anthropic, &limits).unwrap_err(),
            HistoryError::MaxDepthExceeded { limit: ceiling }
        );
    }
}
