//! Instance methods (`instance.changeView(...)`, `instance.send(...)`, ...): argument checks and
//! the controller intent each one maps to. Shared by iframe and inline mode. A method's promise
//! resolves when the widget accepted the call, and rejects with the reason it did not.

use crate::chat::Chat;
use crate::events::{EndReason, ThreadMessage, ViewChangeReason, ViewState};
use crate::i18n::Locale;
use leptos::prelude::*;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::rc::Rc;

/// Every instance method the widget implements (besides `on`, `once`, `off`, `destroy`, which
/// live in `embed.js`).
pub const METHODS: &[&str] = &[
    "changeView",
    "send",
    "restartConversation",
    "loadThread",
    "updateUser",
    "updateAuthToken",
    "setLocale",
    "setMaximized",
    "endConversation",
];

/// Reads `changeView`'s argument: `"launcher"`, `"mainWindow"`, or `{launcher, mainWindow}`
/// (missing keys keep their current value).
pub fn parse_view(arg: Option<&Value>, current: ViewState) -> Result<ViewState, String> {
    match arg {
        Some(Value::String(s)) if s == "launcher" => Ok(ViewState::CLOSED),
        Some(Value::String(s)) if s == "mainWindow" => Ok(ViewState::OPEN),
        Some(Value::Object(o)) => {
            let flag = |key: &str, now: bool| match o.get(key) {
                None => Ok(now),
                Some(Value::Bool(b)) => Ok(*b),
                Some(_) => Err(format!("changeView: `{key}` must be a boolean")),
            };
            Ok(ViewState {
                launcher: flag("launcher", current.launcher)?,
                main_window: flag("mainWindow", current.main_window)?,
            })
        }
        _ => Err("changeView needs \"launcher\", \"mainWindow\" or {launcher, mainWindow}".into()),
    }
}

fn object(arg: Option<&Value>, method: &str) -> Result<Map<String, Value>, String> {
    match arg {
        Some(Value::Object(o)) => Ok(o.clone()),
        _ => Err(format!("{method} needs an object")),
    }
}

/// Runs `method` with `args`. The result is what the method's promise resolves to.
pub fn call(chat: &Rc<Chat>, method: &str, args: &[Value]) -> Result<Value, String> {
    let arg = args.first();
    match method {
        "changeView" => {
            let to = parse_view(arg, chat.state.view.get_untracked())?;
            chat.set_view(to, ViewChangeReason::CalledChangeView);
        }
        "send" => {
            let text = arg.and_then(Value::as_str).ok_or("send needs the message text (a string)")?;
            let max = chat.config.max_length as usize;
            if text.chars().count() > max {
                return Err(format!("send: the text is longer than maxLength ({max} characters)"));
            }
            if chat.config.test_hooks && text == crate::host::panic::TEST_TRIGGER {
                panic!("a deliberate panic (config testHooks)");
            }
            chat.send(text.to_owned(), Vec::new());
        }
        "restartConversation" => chat.restart(),
        "loadThread" => {
            let list = arg.ok_or("loadThread needs an array of messages")?;
            let messages = Vec::<ThreadMessage>::deserialize(list).map_err(|e| format!("loadThread: {e}"))?;
            chat.load_thread(messages);
        }
        "updateUser" => chat.update_user(object(arg, "updateUser")?),
        "updateAuthToken" => match arg {
            Some(Value::String(token)) => chat.set_auth_token(Some(token.clone())),
            Some(Value::Null) | None => chat.set_auth_token(None),
            _ => return Err("updateAuthToken needs a string".into()),
        },
        "setLocale" => {
            let code = arg.and_then(Value::as_str).ok_or("setLocale needs a locale code")?;
            let locale = Locale::parse(code).ok_or_else(|| format!("setLocale: {}", Locale::unsupported(code)))?;
            chat.set_locale(locale);
        }
        "setMaximized" => {
            let on = arg.and_then(Value::as_bool).ok_or("setMaximized needs a boolean")?;
            chat.set_maximized(on);
        }
        "endConversation" => chat.end_conversation(EndReason::Host),
        _ => return Err(format!("unknown method `{method}`")),
    }
    Ok(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn change_view_accepts_the_three_forms() {
        let now = ViewState::CLOSED;
        assert_eq!(parse_view(Some(&json!("mainWindow")), now).unwrap(), ViewState::OPEN);
        assert_eq!(parse_view(Some(&json!("launcher")), now).unwrap(), ViewState::CLOSED);
        assert_eq!(
            parse_view(Some(&json!({"mainWindow": true})), now).unwrap(),
            ViewState { launcher: true, main_window: true }
        );
        assert!(parse_view(Some(&json!({"mainWindow": "yes"})), now).is_err());
        assert!(parse_view(None, now).is_err());
    }
}
