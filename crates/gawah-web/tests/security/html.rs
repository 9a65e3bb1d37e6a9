//! A deliberately strict reading of the server's HTML for the security tests: a small
//! tokenizer (tags, attributes, raw-text elements, comments) and the checks that say whether
//! anything a user typed became markup.
//!
//! It is stricter than a browser where that makes the test stronger: the content of
//! `<textarea>` and `<title>` is skipped only up to the first closing tag, so a value that
//! closes one and opens a tag is seen as the tag it would become.

use std::collections::BTreeSet;

/// One start tag: its name, its attributes (names lower case, values entity-decoded).
#[derive(Debug)]
pub struct Tag {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    /// The raw text of a `<script>` element (empty for a script loaded by `src`).
    pub inline: String,
}

impl Tag {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Elements whose content is text up to their closing tag.
const RAW_TEXT: [&str; 4] = ["script", "style", "textarea", "title"];

/// The start tags of `html`, in order.
pub fn tags(html: &str) -> Vec<Tag> {
    let bytes = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = html[i..].find('<') {
        i += off;
        let rest = &html[i..];
        if rest.starts_with("<!--") {
            i += rest.find("-->").map_or(rest.len(), |e| e + 3);
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("</") || rest.starts_with("<?") {
            i += rest.find('>').map_or(rest.len(), |e| e + 1);
            continue;
        }
        if !bytes.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
            i += 1;
            continue;
        }
        let (mut tag, end) = start_tag(html, i + 1);
        i = end;
        if RAW_TEXT.contains(&tag.name.as_str()) {
            let close = format!("</{}", tag.name);
            let text_end = lower_find(&html[i..], &close).map_or(html.len(), |e| i + e);
            if tag.name == "script" {
                tag.inline = html[i..text_end].to_owned();
            }
            i = text_end;
        }
        out.push(tag);
    }
    out
}

fn lower_find(hay: &str, needle: &str) -> Option<usize> {
    hay.to_ascii_lowercase().find(needle)
}

/// Reads a start tag whose name begins at `at`; returns it and the index after its `>`.
fn start_tag(html: &str, at: usize) -> (Tag, usize) {
    let b = html.as_bytes();
    let mut i = at;
    while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' && b[i] != b'/' {
        i += 1;
    }
    let name = html[at..i].to_ascii_lowercase();
    let mut attrs = Vec::new();
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        if b[i] == b'>' {
            i += 1;
            break;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !b"=>/".contains(&b[i]) {
            i += 1;
        }
        if i == start {
            i += 1; // a stray `=`: skipped as a browser would
            continue;
        }
        let attr = html[start..i].to_ascii_lowercase();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            let (v, end) = attr_value(html, i);
            value = decode(v);
            i = end;
        }
        attrs.push((attr, value));
    }
    let tag = Tag {
        name,
        attrs,
        inline: String::new(),
    };
    (tag, i)
}

fn attr_value(html: &str, i: usize) -> (&str, usize) {
    let b = html.as_bytes();
    match b.get(i) {
        Some(&q) if q == b'"' || q == b'\'' => {
            let end = html[i + 1..]
                .find(q as char)
                .map_or(html.len(), |e| i + 1 + e);
            (&html[i + 1..end], (end + 1).min(html.len()))
        }
        _ => {
            let mut e = i;
            while e < b.len() && !b[e].is_ascii_whitespace() && b[e] != b'>' {
                e += 1;
            }
            (&html[i..e], e)
        }
    }
}

/// Decodes character references (named ones the templates use, and numeric ones).
pub fn decode(v: &str) -> String {
    let mut out = String::new();
    let mut rest = v;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let semi = rest.char_indices().take(12).find(|(_, c)| *c == ';');
        let Some((semi, _)) = semi else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "colon" => Some(':'),
            "Tab" => Some('\t'),
            "NewLine" => Some('\n'),
            e if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The elements the templates use (read from `templates/`), and the SVG elements of the
/// charts inlined on the analysis page.
pub fn allowed_elements() -> BTreeSet<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
    let mut names: BTreeSet<String> = ["svg", "g", "rect", "text", "line", "circle", "desc"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    for e in std::fs::read_dir(dir).expect("templates dir") {
        let text = std::fs::read_to_string(e.expect("entry").path()).expect("template");
        for t in tags(&text) {
            if t.name.chars().all(|c| c.is_ascii_alphanumeric()) {
                names.insert(t.name);
            }
        }
    }
    names
}

/// Attributes whose value is fetched or navigated to.
const URL_ATTRS: [&str; 8] = [
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "poster",
    "background",
];

/// Everything wrong with `html` as a page that may hold user input: a tag or attribute name
/// carrying `marker` (input that became markup), an element no template makes, an event
/// handler, inline or outside script, a URL with a script or data scheme, a refresh.
pub fn problems(html: &str, marker: &str, allowed: &BTreeSet<String>) -> Vec<String> {
    let mut found = Vec::new();
    for t in tags(html) {
        let shown = format!("<{} {:?}>", t.name, t.attrs);
        if t.name.contains(marker) || t.attrs.iter().any(|(n, _)| n.contains(marker)) {
            found.push(format!("input became markup: {shown}"));
        }
        if !allowed.contains(&t.name) {
            found.push(format!("element no template makes: {shown}"));
        }
        for (name, value) in &t.attrs {
            if name.starts_with("on") || name == "srcdoc" || name == "formaction" {
                found.push(format!("attribute {name}: {shown}"));
            }
            let v: String = value
                .chars()
                .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
                .collect::<String>()
                .to_ascii_lowercase();
            if URL_ATTRS.contains(&name.as_str())
                && ["javascript:", "vbscript:", "data:"]
                    .iter()
                    .any(|s| v.starts_with(s))
            {
                found.push(format!("scripted URL in {name}: {shown}"));
            }
        }
        if t.name == "script"
            && (!t.inline.trim().is_empty()
                || !t.attr("src").is_some_and(|s| s.starts_with("/assets/")))
        {
            found.push(format!(
                "script that is not one of ours: {shown} {:?}",
                t.inline
            ));
        }
        if t.name == "meta" && t.attr("http-equiv").is_some() {
            found.push(format!("meta http-equiv: {shown}"));
        }
        if t.name == "base" || t.name == "iframe" || t.name == "object" || t.name == "embed" {
            found.push(format!("{} element: {shown}", t.name));
        }
    }
    found
}

#[test]
fn the_checker_finds_what_it_looks_for() {
    let allowed = allowed_elements();
    assert!(allowed.contains("bdi") && allowed.contains("textarea"));
    let clean = r#"<p title="a &quot;xssgw&quot; b">&lt;script&gt;xssgw</p><script src="/assets/upload.js" defer></script>"#;
    assert!(problems(clean, "xssgw", &allowed).is_empty());
    for bad in [
        r#"<p><script>alert(1)</script></p>"#,
        r#"<img src=x xssgw2 onerror=alert(1)>"#,
        r#"<input value="" xssgw3 autofocus onfocus="alert(1)">"#,
        r#"<textarea>x</textarea><svg xssgw4 onload=alert(1)></textarea>"#,
        r#"<title>t</title><xssgw5>"#,
        r#"<a href=" &#106;avascript:alert(1)">x</a>"#,
        r#"<a href="JaVaScRiPt&colon;alert(1)">x</a>"#,
        r#"<iframe srcdoc="x"></iframe>"#,
        r#"<meta http-equiv="refresh" content="0;url=/x">"#,
        r#"<script src="https://elsewhere.example/x.js"></script>"#,
    ] {
        assert!(!problems(bad, "xssgw", &allowed).is_empty(), "{bad}");
    }
}
