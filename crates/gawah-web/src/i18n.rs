//! User-interface strings in English, Dari and Pashto, with Fluent.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{Loader, static_loader};
use unic_langid::LanguageIdentifier;

use crate::lang::Lang;

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
    };
}

/// Translations for one language, handed to templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tr {
    /// The language.
    pub lang: Lang,
}

fn langid(lang: Lang) -> LanguageIdentifier {
    // The three codes are valid language identifiers.
    lang.code().parse().unwrap_or_default()
}

impl Tr {
    /// Translations for `lang`.
    pub fn new(lang: Lang) -> Self {
        Self { lang }
    }

    /// The message `key`, falling back to English, then to the key itself.
    pub fn t(&self, key: &str) -> String {
        LOCALES
            .try_lookup(&langid(self.lang), key)
            .unwrap_or_else(|| key.to_owned())
    }

    /// The language code for `<html lang>`.
    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    /// `ltr` or `rtl`.
    pub fn dir(&self) -> &'static str {
        self.lang.dir()
    }

    /// The message `key` with arguments.
    pub fn t_args(&self, key: &str, args: &[(&'static str, String)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue<'static>> = args
            .iter()
            .map(|(k, v)| (Cow::Borrowed(*k), FluentValue::from(v.clone())))
            .collect();
        LOCALES
            .try_lookup_with_args(&langid(self.lang), key, &map)
            .unwrap_or_else(|| key.to_owned())
    }

    /// Whether the message exists in this language itself (not by fallback).
    pub fn has(&self, key: &str) -> bool {
        LOCALES
            .lookup_single_language::<&str>(&langid(self.lang), key, None)
            .is_ok()
    }
}
