//! The browser side of persistence. Where the snapshot lives:
//! - inline mode: the host page's own `localStorage` / `sessionStorage` (first party);
//! - iframe mode: also the host page's storage, through `embed.js` (`store` messages out, the
//!   stored value in `init`, other tabs' changes as `stored` messages), because a cross-site
//!   iframe's own storage is partitioned or denied (third-party storage blocking).
//!
//! Storage may be missing or refuse writes (private modes, quotas): the chat then simply does
//! not persist. Queued messages go out when the browser's `online` event fires.

use crate::chat::Chat;
use crate::config::Persist;
use crate::host::bridge::{Bridge, WidgetMessage};
use crate::persist::{Snapshot, SnapshotCache};
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

/// The storage key of an instance.
pub fn key(name: &str) -> String {
    format!("colloquy:{name}:conversation")
}

/// The storage area's name in the protocol.
pub fn area_name(persist: Persist) -> &'static str {
    if persist == Persist::Session { "session" } else { "local" }
}

/// Where snapshots are written.
pub enum Place {
    /// A storage area of this document.
    Browser(web_sys::Storage),
    /// The host page's storage, through the bridge.
    Host(Rc<Bridge>),
}

impl Place {
    /// This document's storage area for `persist`.
    pub fn browser(persist: Persist) -> Option<Place> {
        let w = web_sys::window()?;
        let area = match persist {
            Persist::Local => w.local_storage(),
            Persist::Session => w.session_storage(),
            Persist::None => return None,
        };
        area.ok().flatten().map(Place::Browser)
    }

    fn read(&self, key: &str) -> Option<String> {
        match self {
            Place::Browser(s) => s.get_item(key).ok().flatten(),
            Place::Host(_) => None,
        }
    }

    fn write(&self, persist: Persist, key: &str, text: &str) {
        match self {
            Place::Browser(s) => {
                if s.set_item(key, text).is_err() {
                    web_sys::console::warn_1(&"Colloquy: could not store the conversation".into());
                }
            }
            Place::Host(bridge) => bridge.send(&WidgetMessage::Store {
                area: area_name(persist).into(),
                key: key.into(),
                value: text.into(),
            }),
        }
    }
}

/// Writes to this document's storage are coalesced: the first change starts this delay, and one
/// write then saves every change made meanwhile. A write still pending when the page is hidden
/// or unloaded (`visibilitychange`, `pagehide`) is done at once, so no message is lost. Writes to
/// the host page's storage (iframe mode) wait only for the current task to end.
pub const SAVE_DELAY_MS: u32 = 200;

/// Writes a chat's snapshot to its place, coalesced.
struct Writer {
    state: crate::state::ChatState,
    place: Place,
    persist: Persist,
    key: String,
    /// The text last written (or read): an unchanged snapshot is not written again.
    last: Rc<RefCell<String>>,
    cache: RefCell<SnapshotCache>,
    pending: RefCell<Option<gloo_timers::callback::Timeout>>,
}

impl Writer {
    /// A change happened: write soon (once for all changes until then).
    fn schedule(self: &Rc<Self>) {
        if self.pending.borrow().is_some() {
            return;
        }
        let me = Rc::downgrade(self);
        // The host page's storage is reached by a message, which cannot be relied on while the
        // pages unload: hand the snapshot over at once (still once for a burst of changes).
        let delay = if matches!(self.place, Place::Host(_)) { 0 } else { SAVE_DELAY_MS };
        let timeout = gloo_timers::callback::Timeout::new(delay, move || {
            if let Some(w) = me.upgrade() {
                w.pending.borrow_mut().take();
                w.flush();
            }
        });
        *self.pending.borrow_mut() = Some(timeout);
    }

    /// Writes now if anything changed since the last write.
    fn flush(&self) {
        if let Some(timeout) = self.pending.borrow_mut().take() {
            timeout.cancel();
        }
        let text = self.cache.borrow_mut().text(&self.state);
        if *self.last.borrow() != text {
            self.place.write(self.persist, &self.key, &text);
            *self.last.borrow_mut() = text;
        }
    }
}

/// Keeps a chat and its stored snapshot in step. Returns the snapshot to restore and the handle
/// that takes other tabs' changes.
pub fn attach(chat: &Rc<Chat>, place: Place, stored: Option<String>) -> (Option<Snapshot>, Remote) {
    let persist = chat.config.persist;
    let key = key(&chat.config.name);
    let initial = stored.or_else(|| place.read(&key));
    let restored = initial.as_deref().and_then(Snapshot::parse).map(Snapshot::for_restore);
    let last = Rc::new(RefCell::new(initial.unwrap_or_default()));
    let state = chat.state;
    let writer = Rc::new(Writer {
        state,
        place,
        persist,
        key: key.clone(),
        last: last.clone(),
        cache: RefCell::new(SnapshotCache::new()),
        pending: RefCell::new(None),
    });
    flush_when_hidden(&writer);
    chat.with_owner(|| {
        // Saving is an outside-world sync: an Effect. It only notes that something changed
        // (no serializing per change); streamed text is not tracked (it is saved once done).
        Effect::new(move |_| {
            Snapshot::track(&state);
            writer.schedule();
        })
    });
    (restored, Remote { chat: chat.clone(), key, last })
}

/// Flushes `writer` when the page is hidden (tab switched, app backgrounded, about to unload)
/// or unloaded.
fn flush_when_hidden(writer: &Rc<Writer>) {
    let Some(window) = web_sys::window() else { return };
    let me = Rc::downgrade(writer);
    let on_hide = Closure::<dyn Fn(web_sys::Event)>::new(move |ev: web_sys::Event| {
        let hidden = ev.type_() == "pagehide" || super::page_hidden();
        if let (true, Some(w)) = (hidden, me.upgrade()) {
            w.flush();
        }
    });
    for name in ["pagehide", "visibilitychange"] {
        let _ = window.add_event_listener_with_callback(name, on_hide.as_ref().unchecked_ref());
    }
    on_hide.forget();
}

/// Takes other tabs' changes to the stored snapshot.
#[derive(Clone)]
pub struct Remote {
    chat: Rc<Chat>,
    key: String,
    last: Rc<RefCell<String>>,
}

impl Remote {
    /// Another tab stored `value` under `key`.
    pub fn changed(&self, key: &str, value: Option<String>) {
        if key != self.key {
            return;
        }
        let Some(text) = value else { return };
        if let Some(remote) = Snapshot::parse(&text) {
            *self.last.borrow_mut() = text;
            self.chat.merge_remote(remote);
        }
    }

    /// Listens to this document's `storage` events (inline mode, local storage).
    pub fn listen(self) {
        let Some(window) = web_sys::window() else { return };
        let on_storage = Closure::<dyn Fn(web_sys::StorageEvent)>::new(move |ev: web_sys::StorageEvent| {
            if let Some(key) = ev.key() {
                self.changed(&key, ev.new_value());
            }
        });
        let _ = window.add_event_listener_with_callback("storage", on_storage.as_ref().unchecked_ref());
        on_storage.forget();
    }
}

/// Sends queued messages when the browser comes back online.
pub fn resend_when_online(chat: &Rc<Chat>) {
    let Some(window) = web_sys::window() else { return };
    let chat = chat.clone();
    let online = Closure::<dyn Fn()>::new(move || chat.resend_queued());
    let _ = window.add_event_listener_with_callback("online", online.as_ref().unchecked_ref());
    online.forget();
}
