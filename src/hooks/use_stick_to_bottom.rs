//! Follow the bottom of a scrolling element while the reader is there: a chat log that sticks
//! to its newest message, and lets go as soon as the reader scrolls up.

use leptos::html::Div;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

/// Options of [`use_stick_to_bottom_with_options`].
#[derive(Clone, Copy, Debug)]
pub struct UseStickToBottomOptions {
    /// Within this many px of the bottom counts as "at the bottom" (default 32).
    pub threshold: i32,
}

impl Default for UseStickToBottomOptions {
    fn default() -> Self {
        UseStickToBottomOptions { threshold: 32 }
    }
}

impl UseStickToBottomOptions {
    /// Sets [`Self::threshold`].
    pub fn threshold(mut self, px: i32) -> Self {
        self.threshold = px;
        self
    }
}

/// What [`use_stick_to_bottom`] returns: whether the target sticks, and the moves that keep it
/// there. `Copy`, for view closures.
#[derive(Clone, Copy)]
pub struct StickToBottom {
    target: NodeRef<Div>,
    stuck: RwSignal<bool>,
    threshold: i32,
    /// The scroll position at the last check.
    last_top: StoredValue<i32>,
}

impl StickToBottom {
    /// Whether the target follows its bottom (tracked).
    pub fn stuck(&self) -> Signal<bool> {
        self.stuck.into()
    }

    /// Whether the target follows its bottom, without tracking.
    pub fn is_stuck(&self) -> bool {
        self.stuck.try_get_untracked().unwrap_or(false)
    }

    /// Sticks again (the visitor sent a message, or asked for the newest) and goes to the bottom.
    pub fn stick(&self) {
        if !self.is_stuck() {
            self.stuck.set(true);
        }
        self.scroll_to_bottom();
    }

    /// Scrolls the target to its bottom now.
    pub fn scroll_to_bottom(&self) {
        if let Some(el) = self.target.try_get_untracked().flatten() {
            el.set_scroll_top(el.scroll_height());
            self.last_top.set_value(el.scroll_top());
        }
    }

    /// Decides again whether the target sticks (after a scroll event, or after moving it
    /// programmatically): at the bottom it sticks; it lets go only when it moved up. Content that
    /// grew below a stuck target (not followed yet) does not let go.
    pub fn recheck(&self) {
        if let Some(el) = self.target.try_get_untracked().flatten() {
            let top = el.scroll_top();
            let at_bottom = el.scroll_height() - top - el.client_height() <= self.threshold;
            let moved_up = top < self.last_top.get_value() - 1;
            self.last_top.set_value(top);
            let stuck = at_bottom || (self.is_stuck() && !moved_up);
            if self.stuck.try_get_untracked() != Some(stuck) {
                self.stuck.try_set(stuck);
            }
        }
    }

    /// The content changed: scrolls to the bottom if stuck. Returns whether it did.
    pub fn follow(&self) -> bool {
        let stuck = self.is_stuck();
        if stuck {
            self.scroll_to_bottom();
        }
        stuck
    }
}

/// Sticks `target` (a scrolling element) to its bottom while the reader is there.
pub fn use_stick_to_bottom(target: NodeRef<Div>) -> StickToBottom {
    use_stick_to_bottom_with_options(target, UseStickToBottomOptions::default())
}

/// [`use_stick_to_bottom`] with options.
pub fn use_stick_to_bottom_with_options(target: NodeRef<Div>, options: UseStickToBottomOptions) -> StickToBottom {
    let this = StickToBottom {
        target,
        stuck: RwSignal::new(true),
        threshold: options.threshold,
        last_top: StoredValue::new(0),
    };
    Effect::new(move |_| {
        let Some(el) = target.get() else { return };
        let on_scroll = Closure::<dyn Fn()>::new(move || this.recheck());
        let listener: js_sys::Function = on_scroll.into_js_value().unchecked_into();
        let _ = el.add_event_listener_with_callback("scroll", &listener);
        on_cleanup(move || {
            let _ = el.remove_event_listener_with_callback("scroll", &listener);
        });
    });
    this
}
