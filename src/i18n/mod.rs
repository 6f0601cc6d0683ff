//! User-visible strings, one table per locale (`en.rs` declares the keys with their English
//! text; `es.rs`, `pt.rs`, `fr.rs`, `de.rs`, `ar.rs`, `he.rs` translate them), the negotiation of
//! the visitor's language, and numbers through the browser's `Intl` (dates: `dom::time`).
//!
//! Lookup is O(1): each locale's entries are laid out at compile time in an array indexed by the
//! [`Key`] discriminant. A key a locale lacks falls back to English at run time, and the test
//! `every_locale_has_every_key` names the locale and the key.

/// A supported UI language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Locale {
    /// English.
    #[default]
    En,
    /// Spanish.
    Es,
    /// Portuguese.
    Pt,
    /// French.
    Fr,
    /// German.
    De,
    /// Arabic (right to left).
    Ar,
    /// Hebrew (right to left).
    He,
}

impl Locale {
    /// Every locale, in documentation order.
    pub const ALL: &[Locale] = &[Locale::En, Locale::Es, Locale::Pt, Locale::Fr, Locale::De, Locale::Ar, Locale::He];

    /// Reads a language tag the way the widget negotiates it: the primary subtag, case-blind
    /// (`es-MX`, `ES_es` and `es` are Spanish). `None` for a language the widget does not have.
    pub fn parse(tag: &str) -> Option<Locale> {
        let base = tag.trim().split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
        Locale::ALL.iter().copied().find(|l| l.code() == base)
    }

    /// The error message for a tag [`Locale::parse`] refused.
    pub fn unsupported(tag: &str) -> String {
        let codes: Vec<&str> = Locale::ALL.iter().map(|l| l.code()).collect();
        format!("`{tag}` is not one of {}", codes.join(", "))
    }

    /// BCP 47 code, for `lang` attributes and date formatting.
    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Es => "es",
            Locale::Pt => "pt",
            Locale::Fr => "fr",
            Locale::De => "de",
            Locale::Ar => "ar",
            Locale::He => "he",
        }
    }

    /// The writing direction, for `dir` attributes: `"rtl"` for Arabic and Hebrew, else `"ltr"`.
    pub fn dir(self) -> &'static str {
        if self.is_rtl() { "rtl" } else { "ltr" }
    }

    /// Whether the locale is written right to left.
    pub fn is_rtl(self) -> bool {
        matches!(self, Locale::Ar | Locale::He)
    }

    /// The locale's raw entries (the tests check them for missing and repeated keys).
    #[cfg(test)]
    fn strings(self) -> &'static [(Key, &'static str)] {
        match self {
            Locale::En => en::STRINGS,
            Locale::Es => es::STRINGS,
            Locale::Pt => pt::STRINGS,
            Locale::Fr => fr::STRINGS,
            Locale::De => de::STRINGS,
            Locale::Ar => ar::STRINGS,
            Locale::He => he::STRINGS,
        }
    }
}

/// The visitor's language when the config names none: the first of the browser's preferred
/// languages (`navigator.languages`, most preferred first) that [`Locale::parse`] accepts, else
/// English. `["es-MX", "en"]` is Spanish; `["ja", "de-AT"]` is German; `["ja"]` is English.
pub fn negotiate<'a>(languages: impl IntoIterator<Item = &'a str>) -> Locale {
    languages.into_iter().find_map(Locale::parse).unwrap_or_default()
}

/// The browser's preferred languages (`navigator.languages`, else `navigator.language`); empty
/// outside a browser.
pub fn browser_languages() -> Vec<String> {
    #[cfg(target_arch = "wasm32")]
    {
        if let Some(nav) = web_sys::window().map(|w| w.navigator()) {
            let list: Vec<String> = nav.languages().iter().filter_map(|v| v.as_string()).collect();
            if !list.is_empty() {
                return list;
            }
            return nav.language().into_iter().collect();
        }
    }
    Vec::new()
}

/// Declares [`Key`] and the English table from `Key => "English text"` rows (in `en.rs`).
macro_rules! keys {
    ($($key:ident => $en:literal,)*) => {
        /// Every translated string; its doc is the English text.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Key {
            $(
                #[doc = $en]
                $key,
            )*
        }

        impl Key {
            /// Every key, in declaration order (the discriminants are `0..ALL.len()`).
            pub const ALL: &[Key] = &[$(Key::$key),*];
        }

        /// The English entries.
        pub(super) const STRINGS: &[(Key, &str)] = &[$((Key::$key, $en)),*];
    };
}

/// A locale's table from `Key => "text"` rows (in `fr.rs` and the others).
macro_rules! table {
    ($($key:ident => $text:literal,)*) => {
        use super::Key;

        /// This locale's entries.
        pub(super) const STRINGS: &[(Key, &str)] = &[$((Key::$key, $text)),*];
    };
}

use {keys, table};

mod ar;
mod de;
mod en;
mod es;
mod fr;
mod he;
mod pt;

pub use en::Key;

/// Every key, for completeness tests.
pub const ALL: &[Key] = Key::ALL;

const KEYS: usize = Key::ALL.len();

/// A locale's entries laid out by key (`None`: missing; the first entry of a key wins).
const fn layout(entries: &[(Key, &'static str)]) -> [Option<&'static str>; KEYS] {
    let mut out = [None; KEYS];
    let mut i = 0;
    while i < entries.len() {
        let (key, text) = entries[i];
        if out[key as usize].is_none() {
            out[key as usize] = Some(text);
        }
        i += 1;
    }
    out
}

/// Every locale's table, indexed by `Locale as usize`, then by `Key as usize`.
static TABLES: [[Option<&str>; KEYS]; 7] = [
    layout(en::STRINGS),
    layout(es::STRINGS),
    layout(pt::STRINGS),
    layout(fr::STRINGS),
    layout(de::STRINGS),
    layout(ar::STRINGS),
    layout(he::STRINGS),
];

/// The text of `key` in `locale` (English when the locale lacks it).
pub fn t(locale: Locale, key: Key) -> &'static str {
    TABLES[locale as usize][key as usize].or(TABLES[0][key as usize]).unwrap_or("")
}

/// The lead form's default labels follow the locale (`Name`, `Email`, `Phone` in English).
pub fn lead_label(locale: Locale, key: &str, configured: &str) -> String {
    let default = match key {
        "name" if configured == "Name" => Some(Key::LeadName),
        "email" if configured == "Email" => Some(Key::LeadEmail),
        "phone" if configured == "Phone" => Some(Key::LeadPhone),
        _ => None,
    };
    default.map(|k| t(locale, k).to_owned()).unwrap_or_else(|| configured.to_owned())
}

/// `n` as the locale writes numbers (`1,234` in English, `1.234` in German),
/// through `Intl.NumberFormat` in the browser; plain digits elsewhere.
pub fn number(locale: Locale, n: f64) -> String {
    format_number(locale, n, None)
}

/// Human-readable byte size (`2.5 MB`, `2 kB`, `100 bytes`; French `2,5 Mo`), its number and unit
/// written by the locale (`Intl.NumberFormat`'s units: short, long for bytes).
pub fn bytes(locale: Locale, n: f64) -> String {
    let (value, unit, digits) = if n >= 1024.0 * 1024.0 {
        (n / 1024.0 / 1024.0, "megabyte", 1)
    } else if n >= 1024.0 {
        ((n / 1024.0).round(), "kilobyte", 0)
    } else {
        (n.round(), "byte", 0)
    };
    format_number(locale, value, Some((unit, digits)))
}

/// Formats through one cached `Intl.NumberFormat` per locale and style (building one costs far
/// more than using it). `unit`: a sanctioned unit and a fixed number of fraction digits.
#[cfg(target_arch = "wasm32")]
fn format_number(locale: Locale, n: f64, unit: Option<(&'static str, u8)>) -> String {
    use std::cell::RefCell;
    type Cache = Vec<(Locale, Option<(&'static str, u8)>, js_sys::Function)>;
    thread_local! {
        static FORMATS: RefCell<Cache> = const { RefCell::new(Vec::new()) };
    }
    let format = FORMATS.with_borrow_mut(|cache| {
        if let Some((.., f)) = cache.iter().find(|(l, u, _)| *l == locale && *u == unit) {
            return f.clone();
        }
        let options = js_sys::Object::new();
        let set = |k: &str, v: wasm_bindgen::JsValue| {
            let _ = js_sys::Reflect::set(&options, &k.into(), &v);
        };
        if let Some((unit, digits)) = unit {
            set("style", "unit".into());
            set("unit", unit.into());
            // `100 bytes`, `100 octets` (the short form is `100 byte` in English); `2 kB`, `2 ko`.
            set("unitDisplay", if unit == "byte" { "long" } else { "short" }.into());
            set("minimumFractionDigits", digits.into());
            set("maximumFractionDigits", digits.into());
        }
        let locales = js_sys::Array::of1(&locale.code().into());
        let f = js_sys::Intl::NumberFormat::new(&locales, &options).format();
        cache.push((locale, unit, f.clone()));
        f
    });
    format.call1(&wasm_bindgen::JsValue::NULL, &n.into()).ok().and_then(|s| s.as_string()).unwrap_or_default()
}

/// Outside a browser (native tests): plain digits and the units `Intl` writes in English.
#[cfg(not(target_arch = "wasm32"))]
fn format_number(_locale: Locale, n: f64, unit: Option<(&'static str, u8)>) -> String {
    match unit {
        None => format!("{n}"),
        Some((unit, digits)) => {
            let symbol = match unit {
                "megabyte" => "MB",
                "kilobyte" => "kB",
                _ => "bytes",
            };
            format!("{n:.*} {symbol}", usize::from(digits))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_locale_has_every_key() {
        let mut problems = Vec::new();
        for &locale in Locale::ALL {
            let mut seen = HashSet::new();
            for (key, text) in locale.strings() {
                if !seen.insert(*key) {
                    problems.push(format!("{}: {key:?} appears twice", locale.code()));
                }
                if text.trim().is_empty() {
                    problems.push(format!("{}: {key:?} is empty", locale.code()));
                }
            }
            for key in Key::ALL {
                if !seen.contains(key) {
                    problems.push(format!("{}: {key:?} is missing", locale.code()));
                }
            }
        }
        assert!(problems.is_empty(), "locale tables:\n{}", problems.join("\n"));
    }

    #[test]
    fn embed_js_names_the_placeholder_launcher_in_every_locale() {
        let embed = include_str!("../../public/embed.js");
        for &locale in Locale::ALL {
            let escaped: String = t(locale, Key::OpenChat)
                .chars()
                .map(|c| if c.is_ascii() { c.to_string() } else { format!("\\u{:04x}", c as u32) })
                .collect();
            let entry = format!("{}: \"{escaped}\"", locale.code());
            assert!(embed.contains(&entry), "public/embed.js LABELS lacks {entry}");
        }
    }

    #[test]
    fn keys_are_laid_out_by_discriminant() {
        for (i, key) in Key::ALL.iter().enumerate() {
            assert_eq!(*key as usize, i);
        }
        assert_eq!(TABLES.len(), Locale::ALL.len());
        for (i, locale) in Locale::ALL.iter().enumerate() {
            assert_eq!(*locale as usize, i, "TABLES is indexed by Locale");
        }
    }

    #[test]
    fn lookup() {
        assert_eq!(t(Locale::Es, Key::OpenChat), "Abrir chat");
        assert_eq!(t(Locale::Fr, Key::OpenChat), "Ouvrir le chat");
        assert_eq!(t(Locale::De, Key::Send), "Senden");
        assert_eq!(t(Locale::Ar, Key::Send), "إرسال");
        assert_eq!(t(Locale::He, Key::Send), "שליחה");
        assert_eq!(t(Locale::En, Key::NewMessage), "New message");
    }

    #[test]
    fn a_missing_key_falls_back_to_english() {
        let partial = layout(&[(Key::Send, "Enviar")]);
        assert_eq!(partial[Key::Send as usize], Some("Enviar"));
        assert_eq!(partial[Key::Copy as usize], None);
        let english = TABLES[0];
        assert_eq!(partial[Key::Copy as usize].or(english[Key::Copy as usize]), Some("Copy"));
    }

    #[test]
    fn parse_and_direction() {
        assert_eq!(Locale::parse("es-MX"), Some(Locale::Es));
        assert_eq!(Locale::parse("AR_eg"), Some(Locale::Ar));
        assert_eq!(Locale::parse("he-IL"), Some(Locale::He));
        assert_eq!(Locale::parse("iw"), None);
        assert_eq!(Locale::parse("klingon"), None);
        let rtl: Vec<&str> = Locale::ALL.iter().filter(|l| l.dir() == "rtl").map(|l| l.code()).collect();
        assert_eq!(rtl, ["ar", "he"]);
        assert_eq!(Locale::Fr.dir(), "ltr");
        assert_eq!(Locale::unsupported("xx"), "`xx` is not one of en, es, pt, fr, de, ar, he");
    }

    #[test]
    fn negotiation_takes_the_first_language_the_widget_has() {
        assert_eq!(negotiate(["es-MX", "en-US"]), Locale::Es);
        assert_eq!(negotiate(["ja-JP", "de-AT", "fr"]), Locale::De);
        assert_eq!(negotiate(["he"]), Locale::He);
        assert_eq!(negotiate(["ja", "zh-CN"]), Locale::En);
        assert_eq!(negotiate([]), Locale::En);
        assert_eq!(negotiate(["", "pt-BR"]), Locale::Pt);
    }

    #[test]
    fn default_lead_labels_follow_the_locale() {
        assert_eq!(lead_label(Locale::Pt, "email", "Email"), "E-mail");
        assert_eq!(lead_label(Locale::Pt, "email", "Work email"), "Work email");
        assert_eq!(lead_label(Locale::Ar, "name", "Name"), "الاسم");
    }

    #[test]
    fn sizes() {
        assert_eq!(bytes(Locale::En, 512.0), "512 bytes");
        assert_eq!(bytes(Locale::En, 2048.0), "2 kB");
        assert_eq!(bytes(Locale::En, 5.0 * 1024.0 * 1024.0), "5.0 MB");
        assert_eq!(number(Locale::En, 12.0), "12");
    }
}
