//! Instance methods (`instance.changeView(...)`, `instance.send(...)`, ...): argument checks and
//! the controller intent each one maps to. Shared by the bridge and inline mode.

use crate::chat::Chat;
use crate::events::{ViewChangeReason, ViewState};
use leptos::prelude::*;
use serde_json::Value;
use std::rc::Rc;

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

/// Runs `method` with `args`. The result is what the method's promise resolves to.
pub fn call(chat: &Rc<Chat>, method: &str, args: &[Value]) -> Result<Value, String> {
    match method {
        "changeView" => {
            let to = parse_view(args.first(), chat.state.view.get_untracked())?;
            let chat = chat.clone();
            wasm_bindgen_futures::spawn_local(async move {
                chat.change_view(to, ViewChangeReason::CalledChangeView).await;
            });
            Ok(Value::Null)
        }
        "send" => {
            let text = args.first().and_then(Value::as_str).ok_or("send needs the message text (a string)")?;
            chat.send(text.to_owned());
            Ok(Value::Null)
        }
        _ => Err(format!("unknown method `{method}`")),
    }
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
