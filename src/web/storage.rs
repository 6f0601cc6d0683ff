//! The browser side of persistence: `localStorage` / `sessionStorage` (which may be missing or
//! refuse writes: partitioned or blocked third-party storage, private modes), the `storage` event
//! from other tabs, and the `online` event.

use crate::chat::Chat;
use crate::config::Persist;
use crate::persist::Snapshot;
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

/// The storage key of an instance.
pub fn key(name: &str) -> String {
    format!("colloquy:{name}:conversation")
}

fn area(persist: Persist) -> Option<web_sys::Storage> {
    let w = web_sys::window()?;
    match persist {
        Persist::Local => w.local_storage().ok().flatten(),
        Persist::Session => w.session_storage().ok().flatten(),
        Persist::None => None,
    }
}

/// The stored conversation, ready to restore.
pub fn load(persist: Persist, name: &str) -> Option<Snapshot> {
    let text = area(persist)?.get_item(&key(name)).ok().flatten()?;
    Snapshot::parse(&text).map(Snapshot::for_restore)
}

/// Keeps the chat and its storage in step: saves on change, merges other tabs' saves, and sends
/// queued messages when the browser comes back online. Lives as long as the page.
pub fn sync(chat: &Rc<Chat>) {
    let window = web_sys::window().expect("a window");
    let online = {
        let chat = chat.clone();
        Closure::<dyn Fn()>::new(move || chat.resend_queued())
    };
    let _ = window.add_event_listener_with_callback("online", online.as_ref().unchecked_ref());
    online.forget();

    let persist = chat.config.persist;
    let Some(storage) = area(persist) else { return };
    let key = key(&chat.config.name);
    let last = Rc::new(RefCell::new(storage.get_item(&key).ok().flatten().unwrap_or_default()));
    let state = chat.state;
    {
        let (storage, key, last) = (storage.clone(), key.clone(), last.clone());
        chat.with_owner(|| {
            // Saving is an outside-world sync: an Effect.
            Effect::new(move |_| {
                let text = Snapshot::of(&state).to_text();
                if *last.borrow() != text {
                    if storage.set_item(&key, &text).is_err() {
                        web_sys::console::warn_1(&"Colloquy: could not store the conversation".into());
                    }
                    *last.borrow_mut() = text;
                }
            })
        });
    }
    if persist == Persist::Local {
        let chat = chat.clone();
        let on_storage = Closure::<dyn Fn(web_sys::StorageEvent)>::new(move |ev: web_sys::StorageEvent| {
            if ev.key().as_deref() != Some(key.as_str()) {
                return;
            }
            let Some(text) = ev.new_value() else { return };
            if let Some(remote) = Snapshot::parse(&text) {
                *last.borrow_mut() = text;
                chat.merge_remote(remote);
            }
        });
        let _ = window.add_event_listener_with_callback("storage", on_storage.as_ref().unchecked_ref());
        on_storage.forget();
    }
}
