//! Dates and times in the visitor's locale, through the browser's `Intl` (no date crates).

use crate::i18n::{Key, Locale, t};
use std::cell::RefCell;
use wasm_bindgen::JsValue;

/// The three ways the widget writes a moment.
#[derive(Clone, Copy, PartialEq)]
enum Style {
    /// `10:42 AM`
    Time,
    /// `Monday, November 16, 2026 at 10:42 AM`
    DateTime,
    /// `Monday, November 16`
    Day,
}

impl Style {
    fn options(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Style::Time => &[("hour", "numeric"), ("minute", "2-digit")],
            Style::DateTime => &[("dateStyle", "full"), ("timeStyle", "short")],
            Style::Day => &[("weekday", "long"), ("month", "long"), ("day", "numeric")],
        }
    }
}

thread_local! {
    /// One `Intl.DateTimeFormat` per locale and style, reused: creating one (what each
    /// `toLocaleString` call with options does) costs milliseconds; formatting with one does not.
    static FORMATS: RefCell<Vec<(Locale, Style, js_sys::Function)>> = const { RefCell::new(Vec::new()) };
}

fn format(ms: f64, locale: Locale, style: Style) -> String {
    let format = FORMATS.with_borrow_mut(|cache| {
        if let Some((.., f)) = cache.iter().find(|(l, s, _)| *l == locale && *s == style) {
            return f.clone();
        }
        let options = js_sys::Object::new();
        for (k, v) in style.options() {
            let _ = js_sys::Reflect::set(&options, &(*k).into(), &(*v).into());
        }
        let locales = js_sys::Array::of1(&locale.code().into());
        let f = js_sys::Intl::DateTimeFormat::new(&locales, &options).format();
        cache.push((locale, style, f.clone()));
        f
    });
    let date = js_sys::Date::new(&ms.into());
    format.call1(&JsValue::NULL, &date).ok().and_then(|s| s.as_string()).unwrap_or_default()
}

/// `10:42` / `10:42 AM`, as the locale writes it.
pub fn time(ms: f64, locale: Locale) -> String {
    format(ms, locale, Style::Time)
}

/// The full date and time, for `title` tooltips and `datetime`-like labels.
pub fn date_time(ms: f64, locale: Locale) -> String {
    format(ms, locale, Style::DateTime)
}

/// The local calendar day of `ms` (days since the epoch), to group messages.
pub fn day(ms: f64) -> i64 {
    let d = js_sys::Date::new(&ms.into());
    let offset_ms = d.get_timezone_offset() * 60_000.0;
    ((ms - offset_ms) / 86_400_000.0).floor() as i64
}

/// `Today`, `Yesterday`, or the date (`Monday, November 16`).
pub fn day_label(ms: f64, now: f64, locale: Locale) -> String {
    match day(now) - day(ms) {
        0 => t(locale, Key::Today).to_owned(),
        1 => t(locale, Key::Yesterday).to_owned(),
        _ => format(ms, locale, Style::Day),
    }
}
