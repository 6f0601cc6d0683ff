//! The message list: messages keyed by id with day separators, the typing indicator, and
//! auto-scroll that follows new content only while the reader is at the bottom (otherwise a
//! "New messages" pill appears).

use super::icons::{Icon, Svg};
use super::message::MessageRow;
use crate::chat::use_chat;
use crate::dom::time;
use crate::i18n::Key;
use crate::state::{Message, Sender};
use leptos::html::Div;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

/// Within this many px of the bottom counts as "at the bottom".
const STICK_PX: i32 = 32;

/// The conversation, oldest first. A `role="log"` region: new messages are announced politely.
#[component]
pub fn MessageList() -> impl IntoView {
    let chat = use_chat();
    let state = chat.get().state;
    let scroller = NodeRef::<Div>::new();
    let content = NodeRef::<Div>::new();
    let (stick, set_stick) = signal(true);
    let (pill, set_pill) = signal(false);

    let to_bottom = move || {
        if let Some(s) = scroller.try_get_untracked().flatten() {
            s.set_scroll_top(s.scroll_height());
        }
    };
    let on_scroll = move |_| {
        if let Some(s) = scroller.try_get_untracked().flatten() {
            let at_bottom = s.scroll_height() - s.scroll_top() - s.client_height() <= STICK_PX;
            set_stick.set(at_bottom);
            if at_bottom {
                set_pill.set(false);
            }
        }
    };
    // The visitor's own message always scrolls into view.
    Effect::new(move |_| {
        let mine = state.messages.with(|ms| ms.last().is_some_and(|m| m.sender == Sender::User));
        if mine {
            set_stick.set(true);
        }
    });
    // Content grows (new message, streamed text, images): follow it, or offer the pill.
    Effect::new(move |_| {
        let Some(el) = content.get() else { return };
        let on_resize = Closure::<dyn Fn()>::new(move || {
            if stick.get_untracked() {
                to_bottom();
            } else {
                set_pill.set(true);
            }
        });
        if let Ok(observer) = web_sys::ResizeObserver::new(on_resize.as_ref().unchecked_ref()) {
            observer.observe(&el);
            on_resize.forget();
            on_cleanup(move || observer.disconnect());
        }
    });

    let now = js_sys::Date::now();
    let rows = move || {
        let mut previous_day = None;
        state
            .messages
            .get()
            .into_iter()
            .map(|m| {
                let day = time::day(m.timestamp);
                let separator = (previous_day != Some(day) && m.timestamp > 0.0).then_some(m.timestamp);
                previous_day = Some(day);
                (m, separator)
            })
            .collect::<Vec<(Message, Option<f64>)>>()
    };
    view! {
        <div class="cq-scroll" node_ref=scroller on:scroll=on_scroll>
            <div
                class="cq-log"
                node_ref=content
                role="log"
                aria-live="polite"
                aria-relevant="additions"
                aria-label=move || state.t(Key::Conversation)
            >
                <Show when=move || state.messages.with(Vec::is_empty)>
                    <super::actions::Welcome />
                </Show>
                <For each=rows key=|(m, sep)| (m.id.clone(), sep.is_some()) let:row>
                    {row
                        .1
                        .map(|at| {
                            view! {
                                <p class="cq-day" role="separator">
                                    {move || time::day_label(at, now, state.locale.get())}
                                </p>
                            }
                        })}
                    <MessageRow message=row.0 />
                </For>
                <Show when=move || state.typing.get()>
                    <div class="cq-typing" role="status">
                        <span class="cq-visually-hidden">{move || state.t(Key::Typing)}</span>
                        <span class="cq-dot" aria-hidden="true"></span>
                        <span class="cq-dot" aria-hidden="true"></span>
                        <span class="cq-dot" aria-hidden="true"></span>
                    </div>
                </Show>
            </div>
        </div>
        <Show when=move || pill.get()>
            <button
                class="cq-pill"
                type="button"
                on:click=move |_| {
                    set_stick.set(true);
                    set_pill.set(false);
                    to_bottom();
                }
            >
                {move || state.t(Key::NewMessages)}
                <Svg icon=Icon::Down size=16 />
            </button>
        </Show>
    }
}
