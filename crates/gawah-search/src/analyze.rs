//! Text analysis for Dari, Pashto and English, the same at index and at query time.
//!
//! 1. [`normalize`]: NFKC, then the Arabic-script folds below, repeated until stable.
//! 2. Split on UAX #29 word boundaries, keeping the words that hold a letter or digit.
//! 3. Lowercase; stem words written in Latin script with the English Snowball stemmer.
//! 4. Join detached Persian affixes (see [`Mode`]).
//!
//! Folds: Arabic yeh ي and alef maksura ى → Persian yeh ی; Arabic kaf ك → keheh ک; teh marbuta ة
//! and heh with yeh above ۀ → heh ه; alef with hamza or madda (أ إ آ ٱ) → alef ا; Arabic-Indic
//! and Persian digits → ASCII. Dropped: tatweel, harakat U+064B–U+065F (so heh + hamza above is
//! heh), superscript alef U+0670, ZWNJ (so "می‌گوید" is "میگوید"), ZWJ, BOM and direction marks.
//! Pashto letters (ښ ږ ځ څ ټ ډ ړ ڼ ې ۍ ئ ګ) are left alone: they are distinct letters, not
//! variants. One fold does merge two Pashto letters: Pashto writes ي and ی as different letters
//! (e.g. "وايي"), which the yeh fold makes one; queries are folded the same way, so recall is
//! kept at a small cost in precision.
//!
//! Token offsets point into the normalised text, not the original: nothing here builds
//! snippets from them.

use frostem::{Algorithm, Stemmer};
#[cfg(feature = "index")]
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Built without the index (the fuzz crate), the analyzer fills this stand-in for tantivy's
/// token, with the same fields, so that the analysis is the same code either way.
#[cfg(not(feature = "index"))]
#[derive(Debug, Clone, Default)]
#[allow(dead_code, reason = "only the index reads the positions and offsets")]
pub(crate) struct Token {
    pub offset_from: usize,
    pub offset_to: usize,
    pub position: usize,
    pub text: String,
    pub position_length: usize,
}
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};
use unicode_segmentation::UnicodeSegmentation;

/// The name under which the analyzer is registered with tantivy.
pub const TOKENIZER_NAME: &str = "gawah";

/// Persian prefixes that are written joined, with ZWNJ, or (wrongly) with a space.
const PREFIXES: [&str; 3] = ["می", "نمی", "بی"];
/// Persian suffixes that are written joined, with ZWNJ, or (wrongly) with a space.
const SUFFIXES: [&str; 5] = ["ها", "های", "ای", "ترین", "تر"];
/// Letters that only Pashto (of the two languages) writes; ئ is left out, Dari uses it too.
const PASHTO_LETTERS: [char; 11] = ['ښ', 'ږ', 'ځ', 'څ', 'ټ', 'ډ', 'ړ', 'ڼ', 'ې', 'ۍ', 'ګ'];

/// How detached affixes ("می گوید", "کتاب ها") are treated.
///
/// Text is indexed in [`Mode::Index`]: every word keeps its own position, and the joined form
/// ("میگوید") is added at the position of its first part. Queries are analysed in
/// [`Mode::Query`]: the parts are replaced by the joined form. So a query in any of the three
/// spellings (joined, ZWNJ, space) finds text in any of them, and no phrase that matched without
/// the extra token stops matching. A phrase query holding a joined word allows one position of
/// slop per such word, because in detached text the next word sits one position further on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Parts and joined forms, for indexing.
    Index,
    /// Joined forms only, for queries.
    Query,
}

/// Normalise `text` as described in the module doc. Idempotent.
pub fn normalize(text: &str) -> String {
    if text.is_ascii() {
        return text.to_owned();
    }
    let mut current: String = text.nfkc().filter_map(fold).collect();
    // Dropping a mark can leave a sequence that NFKC would compose (e + ZWJ + U+0301), so
    // repeat until stable; one round is almost always enough.
    for _ in 0..4 {
        if is_nfkc_quick(current.chars()) == IsNormalized::Yes {
            break;
        }
        let next: String = current.nfkc().filter_map(fold).collect();
        if next == current {
            break;
        }
        current = next;
    }
    current
}

/// The fold of one character after NFKC; `None` drops it.
fn fold(c: char) -> Option<char> {
    Some(match c {
        '\u{064A}' | '\u{0649}' => '\u{06CC}',
        '\u{0643}' => '\u{06A9}',
        '\u{0629}' | '\u{06C0}' => '\u{0647}',
        '\u{0622}' | '\u{0623}' | '\u{0625}' | '\u{0671}' => '\u{0627}',
        '\u{0640}' | '\u{064B}'..='\u{065F}' | '\u{0670}' => return None,
        '\u{200C}' | '\u{200D}' | '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{FEFF}' => return None,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => return None,
        '\u{0660}'..='\u{0669}' => digit(c as u32 - 0x0660),
        '\u{06F0}'..='\u{06F9}' => digit(c as u32 - 0x06F0),
        _ => c,
    })
}

fn digit(value: u32) -> char {
    char::from_digit(value, 10).unwrap_or('0')
}

/// The token texts of `text` in `mode`.
pub fn analyze(text: &str, mode: Mode) -> Vec<String> {
    let mut tokens = Vec::new();
    Analyzer::default().run(text, mode, &mut tokens);
    tokens.into_iter().map(|t| t.text).collect()
}

/// The analysis pipeline; cheap to copy.
#[derive(Clone, Copy)]
pub(crate) struct Analyzer {
    stemmer: Stemmer,
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer {
            stemmer: Stemmer::new(Algorithm::English),
        }
    }
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Analyzer(english stemmer)")
    }
}

/// A word of the normalised text: its analysed form and its byte range.
struct Word {
    text: String,
    from: usize,
    to: usize,
}

impl Analyzer {
    /// Replace `out` with the tokens of `text`.
    pub(crate) fn run(&self, text: &str, mode: Mode, out: &mut Vec<Token>) {
        out.clear();
        let normalized = normalize(text);
        // UAX #29 glues a combining mark to the space before it (rule WB4), and some marks
        // count as letters (Thaana and Arabic vowel signs): without the trim " \u{7A9}" would
        // be a token holding a space (found by fuzzing, `fuzz/`, target search_query).
        let words: Vec<Word> = normalized
            .split_word_bound_indices()
            .filter_map(|(at, w)| {
                let word = w.trim();
                let from = at + (w.len() - w.trim_start().len());
                word.chars().any(char::is_alphanumeric).then(|| Word {
                    text: self.word(word),
                    from,
                    to: from + word.len(),
                })
            })
            .collect();
        let adjacent = |i: usize| {
            i + 1 < words.len()
                && normalized[words[i].to..words[i + 1].from]
                    .chars()
                    .all(char::is_whitespace)
        };
        match mode {
            Mode::Index => index_tokens(&words, adjacent, out),
            Mode::Query => query_tokens(&words, adjacent, out),
        }
    }

    /// One word lowercased, and stemmed if it is written in Latin script.
    fn word(&self, word: &str) -> String {
        let lower = if word.is_ascii() {
            word.to_ascii_lowercase()
        } else {
            word.to_lowercase()
        };
        if is_latin(&lower) {
            self.stemmer.stem(&lower).into_owned()
        } else {
            lower
        }
    }
}

/// Every word at its own position, plus joined forms of detached affixes (see [`Mode`]).
fn index_tokens(words: &[Word], adjacent: impl Fn(usize) -> bool, out: &mut Vec<Token>) {
    for (i, word) in words.iter().enumerate() {
        push(out, i, word, word, word.text.clone());
        let next = |k: usize| (adjacent(i + k - 1)).then(|| &words[i + k]);
        if is_prefix(&word.text) {
            let Some(second) = next(1).filter(|w| joinable(&w.text)) else {
                continue;
            };
            push(out, i, word, second, join(&[word, second]));
            if let Some(third) = next(2).filter(|w| is_suffix(&w.text)) {
                push(out, i, word, third, join(&[word, second, third]));
            }
        } else if joinable(&word.text)
            && let Some(suffix) = next(1).filter(|w| is_suffix(&w.text))
        {
            push(out, i, word, suffix, join(&[word, suffix]));
        }
    }
}

/// Words with detached affixes replaced by their joined forms, at consecutive positions.
fn query_tokens(words: &[Word], adjacent: impl Fn(usize) -> bool, out: &mut Vec<Token>) {
    let mut i = 0;
    while i < words.len() {
        let first = &words[i];
        let mut parts = vec![first];
        if is_prefix(&first.text) && adjacent(i) && joinable(&words[i + 1].text) {
            parts.push(&words[i + 1]);
            if adjacent(i + 1) && is_suffix(&words[i + 2].text) {
                parts.push(&words[i + 2]);
            }
        } else if joinable(&first.text) && adjacent(i) && is_suffix(&words[i + 1].text) {
            parts.push(&words[i + 1]);
        }
        i += parts.len();
        let last = parts[parts.len() - 1];
        let position = out.len();
        push(out, position, first, last, join(&parts));
    }
}

fn push(out: &mut Vec<Token>, position: usize, first: &Word, last: &Word, text: String) {
    out.push(Token {
        offset_from: first.from,
        offset_to: last.to,
        position,
        text,
        position_length: 1,
    });
}

fn join(parts: &[&Word]) -> String {
    parts.iter().map(|w| w.text.as_str()).collect()
}

fn is_prefix(word: &str) -> bool {
    PREFIXES.contains(&word)
}

fn is_suffix(word: &str) -> bool {
    SUFFIXES.contains(&word)
}

/// A word that a detached affix may attach to: Arabic script, and not an affix itself.
fn joinable(word: &str) -> bool {
    word.chars().next().is_some_and(is_arabic_script) && !is_prefix(word) && !is_suffix(word)
}

/// Whether a query word, written joined, may appear in text with a detached affix: it starts
/// with a prefix or ends with a suffix and has more letters besides.
pub(crate) fn may_be_detached(word: &str) -> bool {
    let longer = |affix: &&str| word.len() > affix.len();
    PREFIXES
        .iter()
        .any(|p| longer(p) && word.starts_with(p) && joinable(&word[p.len()..]))
        || SUFFIXES
            .iter()
            .any(|s| longer(s) && word.ends_with(s) && joinable(&word[..word.len() - s.len()]))
}

fn is_arabic_script(c: char) -> bool {
    matches!(c, '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}' | '\u{08A0}'..='\u{08FF}')
}

/// Latin letters and digits only, with at least one letter (apostrophes allowed: "women's").
fn is_latin(word: &str) -> bool {
    let mut letter = false;
    for c in word.chars() {
        match c {
            'a'..='z' | '\u{00DF}'..='\u{024F}' => letter = true,
            '0'..='9' | '\'' | '\u{2019}' => {}
            _ => return false,
        }
    }
    letter
}

/// The language of `text`: `ps` if Arabic-script letters are the majority and a letter only
/// Pashto uses appears, `fa` if they are the majority without one, `en` if Latin letters are,
/// `None` if there is no letter at all.
pub fn detect_language(text: &str) -> Option<&'static str> {
    let (mut arabic, mut latin, mut pashto) = (0usize, 0usize, false);
    for c in text.chars() {
        if is_arabic_script(c) && c.is_alphabetic() {
            arabic += 1;
            pashto |= PASHTO_LETTERS.contains(&c);
        } else if c.is_ascii_alphabetic() || ('\u{00C0}'..='\u{024F}').contains(&c) {
            latin += 1;
        }
    }
    match (arabic, latin) {
        (0, 0) => None,
        (a, l) if a >= l && pashto => Some("ps"),
        (a, l) if a >= l => Some("fa"),
        _ => Some("en"),
    }
}

#[cfg(feature = "index")]
/// The tantivy tokenizer registered as [`TOKENIZER_NAME`]; indexes in [`Mode::Index`].
#[derive(Clone, Debug, Default)]
pub struct GawahTokenizer {
    analyzer: Analyzer,
    tokens: Vec<Token>,
}

#[cfg(feature = "index")]
/// The tokens of one text, produced up front.
#[derive(Debug)]
pub struct GawahTokenStream<'a> {
    tokens: &'a mut [Token],
    /// One past the current token; 0 before the first `advance`.
    next: usize,
    /// Returned if `token` is called out of turn, so that misuse cannot panic.
    idle: Token,
}

#[cfg(feature = "index")]
impl Tokenizer for GawahTokenizer {
    type TokenStream<'a> = GawahTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> GawahTokenStream<'a> {
        self.analyzer.run(text, Mode::Index, &mut self.tokens);
        GawahTokenStream {
            tokens: &mut self.tokens,
            next: 0,
            idle: Token::default(),
        }
    }
}

#[cfg(feature = "index")]
impl TokenStream for GawahTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.next = (self.next + 1).min(self.tokens.len() + 1);
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        self.next
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
            .unwrap_or(&self.idle)
    }

    fn token_mut(&mut self) -> &mut Token {
        match self.next.checked_sub(1) {
            Some(i) if i < self.tokens.len() => &mut self.tokens[i],
            _ => &mut self.idle,
        }
    }
}

#[cfg(test)]
mod tests;
