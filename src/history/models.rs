//! What a request's `model` says about the rules that depend on the model:
//! the Claude family and version named by an id as the Anthropic API, Bedrock
//! (`us.anthropic.claude-opus-4-8-v1:0`) and Vertex (`claude-opus-4-8@20260528`)
//! spell it. A rule that depends on the model reports only when the id names a
//! model the public evidence covers; an unknown id (a proxy's alias, a model
//! newer than the evidence) never gets a model-dependent report.

use super::json::Raw;

/// A Claude model named by a request: family (`opus`, `sonnet`, `haiku`,
/// `fable`, …) and version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Model<'a> {
    pub(crate) family: &'a str,
    pub(crate) major: u32,
    pub(crate) minor: u32,
}

impl<'a> Model<'a> {
    /// The model a request body's `model` field (`id`) names, if any.
    pub(crate) fn of(id: Option<Raw<'a>>) -> Option<Model<'a>> {
        let id = id?;
        // Model ids have no escapes; one that has them names nothing known.
        parse(id.text().strip_prefix('"')?.strip_suffix('"')?)
    }

    /// Whether the version is below `major.minor`.
    pub(crate) fn before(&self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) < (major, minor)
    }

    fn is(&self, family: &str, major: u32, minor: u32) -> bool {
        self.family == family && self.major == major && self.minor == minor
    }

    /// Models that refuse a `role: "system"` message in `messages` with `role
    /// 'system' is not supported on this model`: every Claude model before
    /// Opus 4.8 (catalog rule system-role-unsupported for the evidence).
    pub(crate) fn refuses_system_role(&self) -> bool {
        self.before(4, 8)
    }

    /// Models that refuse an assistant prefill (a final assistant message):
    /// Claude 4.6 and later (catalog rule prefill-unsupported).
    pub(crate) fn refuses_prefill(&self) -> bool {
        !self.before(4, 6)
    }

    /// Models that refuse `temperature` and `top_p` together (catalog rule
    /// sampling-exclusive): Haiku 4.5, Sonnet 4.5 and 4.6, Opus 4.5 and 4.6.
    pub(crate) fn refuses_temperature_with_top_p(&self) -> bool {
        self.is("haiku", 4, 5)
            || self.is("sonnet", 4, 5)
            || self.is("sonnet", 4, 6)
            || self.is("opus", 4, 5)
            || self.is("opus", 4, 6)
    }

    /// The most images and documents one request may carry: 100 on models
    /// with a 200k-token context window only (Claude 3, Opus 4 to 4.5, Haiku
    /// 4.5), else 600 (catalog rule too-many-media). Sonnet 4 and 4.5 take a
    /// 1M window with a beta header the body does not show: 600.
    pub(crate) fn media_limit(&self) -> u32 {
        let small = self.major < 4
            || (self.family == "opus" && self.before(4, 6))
            || self.is("haiku", 4, 5);
        if small {
            100
        } else {
            600
        }
    }
}

/// The family and version in a model id: after `claude-`, the new spelling
/// `<family>-<major>[-<minor>]` (`claude-opus-4-8`, `claude-sonnet-4-20250514`,
/// `claude-opus-4.8`) or the old `<major>[-<minor>]-<family>`
/// (`claude-3-5-sonnet-20241022`). A date (more than two digits) ends the
/// version.
pub(crate) fn parse(id: &str) -> Option<Model<'_>> {
    let rest = &id[id.find("claude-")? + "claude-".len()..];
    let rest = &rest[..rest.find(['@', ':']).unwrap_or(rest.len())];
    let mut tokens = rest.split(['-', '.']).peekable();
    let word = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_lowercase());
    let short = |t: &str| (1..=2).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit());
    let version = |tokens: &mut std::iter::Peekable<std::str::Split<'_, [char; 2]>>| {
        let major = tokens.next().filter(|t| short(t))?.parse().ok()?;
        let minor = match tokens.peek() {
            Some(t) if short(t) => tokens.next()?.parse().ok()?,
            _ => 0,
        };
        Some((major, minor))
    };
    let (family, (major, minor)) = if word(tokens.peek()?) {
        let family = tokens.next()?;
        (family, version(&mut tokens)?)
    } else {
        let version = version(&mut tokens)?;
        (tokens.next().filter(|t| word(t))?, version)
    };
    Some(Model {
        family,
        major,
        minor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(id: &str) -> Option<(&str, u32, u32)> {
        parse(id).map(|m| (m.family, m.major, m.minor))
    }

    #[test]
    fn reads_every_spelling() {
        assert_eq!(v("claude-opus-4-8"), Some(("opus", 4, 8)));
        assert_eq!(v("claude-opus-4-8-20260528"), Some(("opus", 4, 8)));
        assert_eq!(v("claude-opus-4.8"), Some(("opus", 4, 8)));
        assert_eq!(v("claude-opus-4-20250514"), Some(("opus", 4, 0)));
        assert_eq!(v("claude-sonnet-4-5-20250929"), Some(("sonnet", 4, 5)));
        assert_eq!(v("claude-sonnet-5"), Some(("sonnet", 5, 0)));
        assert_eq!(v("claude-sonnet-5-5"), Some(("sonnet", 5, 5)));
        assert_eq!(v("claude-fable-5-20260601"), Some(("fable", 5, 0)));
        assert_eq!(v("claude-3-5-sonnet-20241022"), Some(("sonnet", 3, 5)));
        assert_eq!(v("claude-3-opus-20240229"), Some(("opus", 3, 0)));
        assert_eq!(v("us.anthropic.claude-opus-4-8-v1:0"), Some(("opus", 4, 8)));
        assert_eq!(
            v("anthropic.claude-3-5-sonnet-20240620-v1:0"),
            Some(("sonnet", 3, 5))
        );
        assert_eq!(
            v("anthropic/claude-opus-4-7@20260401"),
            Some(("opus", 4, 7))
        );
        assert_eq!(v("claude-haiku-4-5@20251001"), Some(("haiku", 4, 5)));
        for unknown in [
            "my-proxy-model",
            "gpt-5",
            "claude-",
            "claude-fable",
            "claude-4x-opus",
            "",
        ] {
            assert_eq!(v(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn model_dependent_rules() {
        let m = |id| parse(id).unwrap();
        // Live-verified refusals of role 'system' (catalog sources), and support.
        for old in [
            "claude-opus-4-7",
            "claude-sonnet-4-6",
            "claude-haiku-4-5",
            "us.anthropic.claude-sonnet-4-5-v1:0",
            "claude-3-7-sonnet-20250219",
        ] {
            assert!(m(old).refuses_system_role(), "{old}");
        }
        for new in [
            "claude-opus-4-8",
            "claude-sonnet-5",
            "claude-fable-5",
            "claude-opus-5-5",
        ] {
            assert!(!m(new).refuses_system_role(), "{new}");
        }
        assert!(m("claude-opus-4-6").refuses_prefill());
        assert!(m("claude-sonnet-5").refuses_prefill());
        assert!(!m("claude-sonnet-4-5").refuses_prefill());
        assert!(m("claude-haiku-4-5-20251001").refuses_temperature_with_top_p());
        assert!(!m("claude-opus-4-7").refuses_temperature_with_top_p());
        assert!(!m("claude-sonnet-4-20250514").refuses_temperature_with_top_p());
        assert_eq!(m("claude-opus-4-1").media_limit(), 100);
        assert_eq!(m("claude-3-5-sonnet-20241022").media_limit(), 100);
        assert_eq!(m("claude-sonnet-4-5").media_limit(), 600);
        assert_eq!(m("claude-opus-4-8").media_limit(), 600);
    }
}
