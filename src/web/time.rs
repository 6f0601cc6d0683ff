//! Dates and times in the visitor's locale, through the browser's `Intl` (no date crates).

use crate::i18n::{Key, Locale, t};
use wasm_bindgen::JsValue;

fn options(pairs: &[(&str, &str)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        let _ = js_sys::Reflect::set(&o, &(*k).into(), &(*v).into());
    }
    o.into()
}

/// `10:42` / `10:42 AM`, as the locale writes it.
pub fn time(ms: f64, locale: Locale) -> String {
    let d = js_sys::Date::new(&ms.into());
    d.to_locale_time_string_with_options(locale.code(), &options(&[("hour", "numeric"), ("minute", "2-digit")])).into()
}

/// The full date and time, for `title` tooltips and `datetime`-like labels.
pub fn date_time(ms: f64, locale: Locale) -> String {
    let d = js_sys::Date::new(&ms.into());
    d.to_locale_string(locale.code(), &options(&[("dateStyle", "full"), ("timeStyle", "short")])).into()
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
        _ => {
            let d = js_sys::Date::new(&ms.into());
            d.to_locale_date_string(
                locale.code(),
                &options(&[("weekday", "long"), ("month", "long"), ("day", "numeric")]),
            )
            .into()
        }
    }
}
