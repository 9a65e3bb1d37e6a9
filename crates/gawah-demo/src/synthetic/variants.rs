//! Spelling variants applied to Dari and Pashto text, so search normalisation can be tested.
//!
//! Text is written once through [`Spelling::push`], one character at a time, so a variant
//! costs no extra allocation.

/// Which digits numbers are written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Digits {
    /// `0123456789`.
    Ascii,
    /// Extended Arabic-Indic, as used for Persian and Pashto: U+06F0–U+06F9.
    Persian,
    /// Arabic-Indic: U+0660–U+0669.
    ArabicIndic,
}

/// The spelling choices of one incident's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Spelling {
    /// Write Arabic yeh U+064A instead of Persian yeh U+06CC.
    pub arabic_yeh: bool,
    /// Write Arabic kaf U+0643 instead of keheh U+06A9.
    pub arabic_kaf: bool,
    /// Write a space instead of ZWNJ U+200C.
    pub zwnj_as_space: bool,
    /// Drop ZWNJ, joining the parts.
    pub zwnj_dropped: bool,
    /// Put a fatha U+064E after the first letter of every third word.
    pub diacritics: bool,
    /// Write heh with yeh above U+06C0 instead of heh + hamza above (U+0647 U+0654).
    pub heh_yeh: bool,
    /// Which digits to use.
    pub digits: Digits,
}

impl Spelling {
    /// The standard spelling; English text always uses it.
    pub(crate) const PLAIN: Spelling = Spelling {
        arabic_yeh: false,
        arabic_kaf: false,
        zwnj_as_space: false,
        zwnj_dropped: false,
        diacritics: false,
        heh_yeh: false,
        digits: Digits::Ascii,
    };

    /// Choose a spelling from 32 random bits. The shares are documented in the module
    /// doc of `synthetic`; they are fixed here so the corpus stays stable across releases.
    pub(crate) fn from_bits(bits: u32) -> Spelling {
        let pick = |shift: u32, modulo: u32| (bits >> shift) % modulo;
        let zwnj = pick(12, 20);
        let digits = match pick(20, 20) {
            0..=11 => Digits::Persian,
            12..=16 => Digits::Ascii,
            _ => Digits::ArabicIndic,
        };
        Spelling {
            arabic_yeh: pick(0, 20) < 3,
            arabic_kaf: pick(4, 20) < 3,
            zwnj_as_space: zwnj < 4,
            zwnj_dropped: zwnj == 4,
            diacritics: pick(8, 10) == 0,
            heh_yeh: pick(16, 10) == 0,
            digits,
        }
    }

    /// Append `text` to `out` in this spelling. `word_index` counts words across calls, so the
    /// diacritics rule runs over a whole text rendered in pieces.
    pub(crate) fn push(&self, out: &mut String, text: &str, word_index: &mut u32) {
        if self.diacritics {
            return self.push_with_diacritics(out, text, word_index);
        }
        if *self == Spelling::PLAIN {
            return out.push_str(text);
        }
        // The hot loop of the generator: scan bytes (every character a variant touches has a
        // distinct UTF-8 prefix) and copy unchanged runs whole.
        let bytes = text.as_bytes();
        let (mut run_start, mut at) = (0, 0);
        while at < bytes.len() {
            let b = bytes[at];
            if !(b.is_ascii_digit() || matches!(b, 0xD9..=0xDB | 0xE2)) {
                at += 1;
                continue;
            }
            let Some((len, replacement)) = self.replacement_at(&bytes[at..]) else {
                at += 1;
                continue;
            };
            out.push_str(&text[run_start..at]);
            out.extend(replacement);
            at += len;
            run_start = at;
        }
        out.push_str(&text[run_start..]);
    }

    /// If a variant rewrites the character starting `bytes`: its encoded length and what to
    /// write instead (`None` to drop it).
    fn replacement_at(&self, bytes: &[u8]) -> Option<(usize, Option<char>)> {
        match bytes {
            [d @ b'0'..=b'9', ..] if self.digits != Digits::Ascii => {
                Some((1, Some(self.digit(u32::from(d - b'0')))))
            }
            [0xDB, 0x8C, ..] if self.arabic_yeh => Some((2, Some('\u{064A}'))),
            [0xDA, 0xA9, ..] if self.arabic_kaf => Some((2, Some('\u{0643}'))),
            [0xD9, 0x87, 0xD9, 0x94, ..] if self.heh_yeh => Some((4, Some('\u{06C0}'))),
            [0xE2, 0x80, 0x8C, ..] if self.zwnj_dropped => Some((3, None)),
            [0xE2, 0x80, 0x8C, ..] if self.zwnj_as_space => Some((3, Some(' '))),
            _ => None,
        }
    }

    fn push_with_diacritics(&self, out: &mut String, text: &str, word_index: &mut u32) {
        let mut at_word_start = out.is_empty() || out.ends_with(' ');
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\u{0647}' && self.heh_yeh && chars.peek() == Some(&'\u{0654}') {
                chars.next();
                out.push('\u{06C0}');
                at_word_start = false;
                continue;
            }
            let Some(mapped) = self.map(c) else { continue };
            out.push(mapped);
            if mapped == ' ' {
                at_word_start = true;
            } else if at_word_start {
                at_word_start = false;
                *word_index += 1;
                if word_index.is_multiple_of(3) && is_arabic_letter(mapped) {
                    out.push('\u{064E}');
                }
            }
        }
    }

    fn map(&self, c: char) -> Option<char> {
        Some(match c {
            '\u{06CC}' if self.arabic_yeh => '\u{064A}',
            '\u{06A9}' if self.arabic_kaf => '\u{0643}',
            '\u{200C}' if self.zwnj_dropped => return None,
            '\u{200C}' if self.zwnj_as_space => ' ',
            '0'..='9' => self.digit(c as u32 - '0' as u32),
            _ => c,
        })
    }

    fn digit(&self, value: u32) -> char {
        let zero = match self.digits {
            Digits::Ascii => '0',
            Digits::Persian => '\u{06F0}',
            Digits::ArabicIndic => '\u{0660}',
        };
        char::from_u32(zero as u32 + value).unwrap_or(zero)
    }
}

/// Letters of the Arabic block that can carry a haraka (not digits or punctuation).
fn is_arabic_letter(c: char) -> bool {
    matches!(c, '\u{0620}'..='\u{064A}' | '\u{0671}'..='\u{06D3}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(s: Spelling, text: &str) -> String {
        let mut out = String::new();
        s.push(&mut out, text, &mut 0);
        out
    }

    #[test]
    fn plain_spelling_keeps_text_as_written() {
        let text = "می‌گوید کابل 2022 متوسطهٔ ښځې ګډ";
        assert_eq!(render(Spelling::PLAIN, text), text);
    }

    #[test]
    fn each_variant_changes_only_its_letters() {
        let all = Spelling {
            arabic_yeh: true,
            arabic_kaf: true,
            zwnj_as_space: true,
            zwnj_dropped: false,
            diacritics: false,
            heh_yeh: true,
            digits: Digits::Persian,
        };
        assert_eq!(
            render(all, "می‌گوید کابل 2022 متوسطهٔ"),
            "مي گويد كابل ۲۰۲۲ متوسطۀ"
        );
        let pashto = "ښځې ګډ ۍ ې ړ ټ ډ څ ځ ږ ڼ ئ";
        assert_eq!(
            render(all, pashto),
            pashto,
            "Pashto letters are never varied"
        );
    }

    #[test]
    fn dropped_zwnj_and_diacritics() {
        let s = Spelling {
            zwnj_dropped: true,
            diacritics: true,
            ..Spelling::PLAIN
        };
        assert_eq!(render(s, "الف ب‌پ ت"), "الف بپ تَ");
    }
}
