//! The interface languages and how a request picks one.
//!
//! Precedence, highest first: an explicit `?lang=` in the query, then the language the
//! browser was told to remember (a cookie), then the `Accept-Language` header, then
//! English. A value that names no supported language is skipped, never an error: a
//! stale cookie or an odd header must not stop a page from rendering.

/// A language the web interface is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Dari, the Afghan variety of Persian.
    Fa,
    /// Pashto.
    Ps,
}

impl Lang {
    /// Every supported language, in the order they are offered.
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Fa, Lang::Ps];

    /// The BCP 47 code used in URLs, cookies and `lang` attributes.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fa => "fa",
            Lang::Ps => "ps",
        }
    }

    /// The writing direction, for the `dir` attribute.
    pub fn dir(self) -> &'static str {
        match self {
            Lang::En => "ltr",
            Lang::Fa | Lang::Ps => "rtl",
        }
    }

    /// The language a tag names, ignoring case and any region or script subtags:
    /// `"fa-AF"` and `"prs"` (Dari's ISO 639-3 code) give [`Lang::Fa`], `"ps-AF"` and
    /// `"pus"` give [`Lang::Ps`]. `None` for a malformed tag or another language.
    pub fn from_code(code: &str) -> Option<Lang> {
        let mut subtags = code.trim().split(['-', '_']);
        let primary = subtags.next()?;
        let well_formed = (2..=3).contains(&primary.len())
            && primary.bytes().all(|b| b.is_ascii_alphabetic())
            && subtags.all(|s| {
                (1..=8).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
            });
        if !well_formed {
            return None;
        }
        match primary.to_ascii_lowercase().as_str() {
            "en" | "eng" => Some(Lang::En),
            // fas/per: Persian at large; prs: Dari.
            "fa" | "fas" | "per" | "prs" => Some(Lang::Fa),
            // pbt, pbu, pst: the Southern, Northern and Central Pashto of ISO 639-3.
            "ps" | "pus" | "pbt" | "pbu" | "pst" => Some(Lang::Ps),
            _ => None,
        }
    }
}

/// The language to answer a request in, from the `lang` query parameter, the remembered
/// language cookie and the `Accept-Language` header, in that order; English if none of
/// them names a supported language.
pub fn negotiate(query: Option<&str>, cookie: Option<&str>, accept_language: Option<&str>) -> Lang {
    query
        .and_then(Lang::from_code)
        .or_else(|| cookie.and_then(Lang::from_code))
        .or_else(|| accept_language.and_then(preferred_in_header))
        .unwrap_or(Lang::En)
}

/// The supported language with the highest weight in an `Accept-Language` value
/// (RFC 9110 §12.5.4), the earliest listed winning a tie. Malformed entries, unknown
/// languages, `*` and entries weighted `q=0` ("not acceptable") are skipped.
fn preferred_in_header(header: &str) -> Option<Lang> {
    let mut best: Option<(Lang, u16)> = None;
    for entry in header.split(',') {
        let Some((lang, weight)) = parse_entry(entry) else {
            continue;
        };
        if weight > 0 && best.is_none_or(|(_, best_weight)| weight > best_weight) {
            best = Some((lang, weight));
        }
    }
    best.map(|(lang, _)| lang)
}

/// One `language-range [; q=weight]` entry, the weight in thousandths (default 1000).
fn parse_entry(entry: &str) -> Option<(Lang, u16)> {
    let mut parts = entry.split(';');
    let lang = Lang::from_code(parts.next()?.trim())?;
    let mut weight = 1000;
    for param in parts {
        let (name, value) = param.trim().split_once('=')?;
        if !name.eq_ignore_ascii_case("q") {
            return None;
        }
        weight = parse_qvalue(value)?;
    }
    Some((lang, weight))
}

/// An RFC 9110 qvalue, `0[.ddd]` or `1[.000]`, in thousandths.
fn parse_qvalue(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut thousandths: u16 = 0;
    for position in 0..3 {
        let digit = fraction
            .as_bytes()
            .get(position)
            .map_or(0, |b| u16::from(b - b'0'));
        thousandths = thousandths * 10 + digit;
    }
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn codes_and_directions() {
        let codes: Vec<_> = Lang::ALL.iter().map(|l| (l.code(), l.dir())).collect();
        assert_eq!(codes, [("en", "ltr"), ("fa", "rtl"), ("ps", "rtl")]);
        for lang in Lang::ALL {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
        }
    }

    #[test]
    fn from_code_accepts_regions_aliases_and_any_case() {
        for (code, lang) in [
            ("EN", Lang::En),
            ("en-GB", Lang::En),
            ("fa-AF", Lang::Fa),
            ("FA_af", Lang::Fa),
            ("prs", Lang::Fa),
            ("Prs-AF", Lang::Fa),
            ("fa-Arab-AF", Lang::Fa),
            ("ps-AF", Lang::Ps),
            ("pus", Lang::Ps),
            ("PS", Lang::Ps),
            (" ps ", Lang::Ps),
        ] {
            assert_eq!(Lang::from_code(code), Some(lang), "{code:?}");
        }
    }

    #[test]
    fn from_code_refuses_other_and_malformed_tags() {
        for code in [
            "",
            "de",
            "ar",
            "f",
            "fars",
            "fa-",
            "-fa",
            "fa--AF",
            "fa AF",
            "fa-toolongtag",
            "*",
            "f4",
            "فا",
        ] {
            assert_eq!(Lang::from_code(code), None, "{code:?}");
        }
    }

    #[test]
    fn query_wins_over_cookie_and_header() {
        assert_eq!(negotiate(Some("ps"), Some("fa"), Some("en")), Lang::Ps);
    }

    #[test]
    fn cookie_wins_over_header() {
        assert_eq!(negotiate(None, Some("fa"), Some("ps, en")), Lang::Fa);
    }

    #[test]
    fn unsupported_query_and_cookie_fall_through() {
        assert_eq!(negotiate(Some("de"), Some("fa"), None), Lang::Fa);
        assert_eq!(negotiate(Some(""), Some("xx"), Some("ps")), Lang::Ps);
        assert_eq!(
            negotiate(Some("<script>"), Some("%%%"), Some("de, fr")),
            Lang::En
        );
    }

    #[test]
    fn default_is_english() {
        assert_eq!(negotiate(None, None, None), Lang::En);
        assert_eq!(negotiate(None, None, Some("")), Lang::En);
    }

    #[test]
    fn header_picks_the_highest_weight() {
        let pick = |h| negotiate(None, None, Some(h));
        assert_eq!(pick("en;q=0.5, ps;q=0.9, fa;q=0.8"), Lang::Ps);
        assert_eq!(pick("de-DE, de;q=0.9, prs;q=0.3, en;q=0.2"), Lang::Fa);
        assert_eq!(pick("en;q=0.999, fa"), Lang::Fa);
        assert_eq!(pick("fa-AF;q=0.2, en;q=0.5, fa;q=0.9"), Lang::Fa);
        assert_eq!(pick("en;q=0.5, PS-af;Q=1.0"), Lang::Ps);
    }

    #[test]
    fn header_ties_go_to_the_earliest() {
        let pick = |h| negotiate(None, None, Some(h));
        assert_eq!(pick("ps, fa, en"), Lang::Ps);
        assert_eq!(pick("fa;q=0.7, ps;q=0.7"), Lang::Fa);
        assert_eq!(pick("en;q=0.5, ps;q=0.7, fa;q=0.70"), Lang::Ps);
    }

    #[test]
    fn header_skips_refused_wildcard_and_malformed_entries() {
        let pick = |h| negotiate(None, None, Some(h));
        assert_eq!(pick("fa;q=0, ps;q=0.1"), Lang::Ps);
        assert_eq!(pick("ps;q=0.000"), Lang::En);
        assert_eq!(pick("*, fa;q=0.5"), Lang::Fa);
        for malformed in [
            "ps;q=2, fa;q=0.1",
            "ps;q=1.5, fa;q=0.1",
            "ps;q=0.1234, fa;q=0.1",
            "ps;q=-1, fa;q=0.1",
            "ps;q=, fa;q=0.1",
            "ps;q, fa;q=0.1",
            "ps;x=1, fa;q=0.1",
            "ps;q=0.5;q=x, fa;q=0.1",
            "ps;q=.5, fa;q=0.1",
            "ps;q=0x1, fa;q=0.1",
            ",,;;==, fa;q=0.1",
        ] {
            assert_eq!(pick(malformed), Lang::Fa, "{malformed:?}");
        }
    }

    #[test]
    fn qvalues_parse_to_thousandths() {
        assert_eq!(parse_qvalue("1"), Some(1000));
        assert_eq!(parse_qvalue("1.000"), Some(1000));
        assert_eq!(parse_qvalue("0.5"), Some(500));
        assert_eq!(parse_qvalue("0.05"), Some(50));
        assert_eq!(parse_qvalue("0.005"), Some(5));
        assert_eq!(parse_qvalue("0."), Some(0));
        assert_eq!(parse_qvalue("1.001"), None);
        assert_eq!(parse_qvalue("0.+1"), None);
    }

    proptest! {
        #[test]
        fn negotiate_never_panics(
            query in proptest::option::of(any::<String>()),
            cookie in proptest::option::of(any::<String>()),
            header in proptest::option::of(any::<String>()),
        ) {
            let lang = negotiate(query.as_deref(), cookie.as_deref(), header.as_deref());
            prop_assert!(Lang::ALL.contains(&lang));
        }

        #[test]
        fn header_like_strings_never_panic(header in "[a-zA-Z*;=.,0-9 _-]{0,64}") {
            let lang = negotiate(None, None, Some(&header));
            prop_assert!(Lang::ALL.contains(&lang));
        }

        #[test]
        fn a_supported_query_always_wins(
            index in 0..3usize,
            cookie in proptest::option::of(any::<String>()),
            header in proptest::option::of(any::<String>()),
        ) {
            let lang = Lang::ALL[index];
            prop_assert_eq!(negotiate(Some(lang.code()), cookie.as_deref(), header.as_deref()), lang);
        }
    }
}
