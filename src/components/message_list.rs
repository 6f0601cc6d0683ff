//! The message list: the conversation with day separators, the typing indicator, and the
//! "New messages" pill, virtualized so that a thread of any length mounts only the rows near
//! the viewport.
//!
//! - Rows: [`crate::hooks::use_virtual_list`] mounts the rows near the viewport (with
//!   overscan) and keeps the scroll position anchored; [`crate::hooks::use_stick_to_bottom`]
//!   follows new content while the reader is at the bottom. What a visitor did inside a row
//!   survives its unmount ([`crate::hooks::use_row_state`]).
//! - Screen readers: the visible list is a `role="log"` without live announcements of its own
//!   (rows mount and unmount as the reader scrolls: that must stay silent); each new message is
//!   announced once, when complete, by a separate polite live region.
//! - Keyboard: the rows are a roving tab stop (`role="article"`, with their position in the
//!   whole thread): Up/Down, Home/End move between messages, mounting them as needed; the row
//!   holding the focus stays mounted wherever the reader scrolls.

use super::icons::{Icon, Svg};
use super::message::{MessageRow, notice_text};
use crate::chat::use_chat;
use crate::dom::time;
use crate::hooks::windowing::estimate;
use crate::hooks::{
    RowScope, RowStates, UseVirtualListOptions, VirtualList, use_stick_to_bottom, use_virtual_list_with_options,
};
use crate::i18n::Key;
use crate::state::{ChatState, Message, Sender};
use leptos::html::Div;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Messages announced by the live region are kept this long (older ones are removed silently).
const ANNOUNCED: usize = 4;

/// The conversation, oldest first.
#[component]
pub fn MessageList() -> impl IntoView {
    let chat = use_chat();
    let state = chat.get().state;
    let scroller = NodeRef::<Div>::new();
    let rows_el = NodeRef::<Div>::new();
    let stick = use_stick_to_bottom(scroller);
    let list = use_virtual_list_with_options(scroller, rows_el, UseVirtualListOptions::default().stick(stick));
    let row_states = RowStates::provide();
    let (pill, set_pill) = signal(false);
    // The roving tab stop (`None`: the newest message).
    let active = RwSignal::new(None::<usize>);
    let announcer = Announcer::new();
    // Ids of the rows the list knows, to tell an appended message from a new thread.
    let known = StoredValue::new_local(Vec::<String>::new());
    // Streaming replies, announced once complete.
    let streaming = RwSignal::new(Vec::<Message>::new());

    Effect::new(move |_| {
        if stick.stuck().get() {
            set_pill.set(false);
        }
    });
    // Keep the list in step with the messages: appended rows cost what they add; anything else
    // (a loaded, restored, merged or cleared thread) rebuilds the heights, keeping the anchor.
    Effect::new(move |_| {
        let width = scroller.get_untracked().map_or(400.0, |s| s.client_width() as f64);
        state.messages.with(|ms| {
            known.update_value(|ids| {
                let k = ids.len();
                let same_start = k == 0 || (ms.len() >= k && ms[0].id == ids[0] && ms[k - 1].id == ids[k - 1]);
                if same_start && ms.len() == k {
                    return;
                }
                if same_start && (k > 0 || ms.len() == 1) {
                    let added = &ms[k..];
                    ids.extend(added.iter().map(|m| m.id.clone()));
                    list.extend(estimates(ms, k, width));
                    if added.len() == 1 {
                        let m = &added[0];
                        // The visitor's own message always scrolls into view.
                        if m.sender == Sender::User {
                            stick.stick();
                        }
                        if m.streaming().get_untracked() {
                            streaming.update(|s| s.push(m.clone()));
                        } else {
                            announcer.say(&state, m);
                        }
                    }
                    if !stick.is_stuck() {
                        set_pill.set(true);
                    }
                    return;
                }
                let anchor_id = list.anchor().and_then(|a| ids.get(a).cloned());
                *ids = ms.iter().map(|m| m.id.clone()).collect();
                let anchor = anchor_id.and_then(|id| ids.iter().position(|i| *i == id));
                if ms.is_empty() {
                    row_states.clear();
                    active.set(None);
                }
                list.reset(estimates(ms, 0, width), anchor);
            });
        });
    });
    // Replies are announced when complete (or stopped).
    Effect::new(move |_| {
        let done: Vec<Message> = streaming.with(|s| s.iter().filter(|m| !m.streaming().get()).cloned().collect());
        if !done.is_empty() {
            streaming.update(|s| s.retain(|m| m.streaming().get_untracked()));
            for m in &done {
                announcer.say(&state, m);
            }
        }
    });

    let now = js_sys::Date::now();
    let rows = move || {
        let (start, end) = list.range().get();
        let pinned = list.pinned().get();
        state.messages.with(|ms| {
            let end = end.min(ms.len());
            let start = start.min(end);
            let mut indices: Vec<usize> = (start..end).collect();
            if let Some(p) = pinned.filter(|p| *p < ms.len() && !(start..end).contains(p)) {
                let at = indices.partition_point(|i| *i < p);
                indices.insert(at, p);
            }
            indices.into_iter().map(|i| (i, ms[i].clone(), separator(ms, i))).collect::<Vec<_>>()
        })
    };
    let count = list.len();
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let Some(row) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()) else { return };
        if !row.class_list().contains("cq-row") {
            return;
        }
        let Some(i) = row.get_attribute("data-index").and_then(|i| i.parse::<usize>().ok()) else { return };
        let n = count.get_untracked();
        let next = match ev.key().as_str() {
            "ArrowDown" => (i + 1).min(n.saturating_sub(1)),
            "ArrowUp" => i.saturating_sub(1),
            "Home" => 0,
            "End" => n.saturating_sub(1),
            _ => return,
        };
        ev.prevent_default();
        active.set(Some(next));
        list.pin(Some(next));
        list.focus(next);
    };
    // The row holding the focus becomes the tab stop, and stays mounted.
    let on_focusin = move |ev: leptos::ev::FocusEvent| {
        if let Some(i) = row_index(ev.target()) {
            if active.get_untracked() != Some(i) {
                active.set(Some(i));
            }
            list.pin(Some(i));
        }
    };
    let on_focusout = move |ev: leptos::ev::FocusEvent| {
        if row_index(ev.related_target()).is_none() {
            list.pin(None);
        }
    };
    view! {
        <div class="cq-scroll" node_ref=scroller>
            <div
                class="cq-log"
                role="log"
                aria-live="off"
                aria-label=move || state.t(Key::Conversation)
                on:keydown=on_keydown
                on:focusin=on_focusin
                on:focusout=on_focusout
            >
                <Show when=move || state.messages.with(Vec::is_empty)>
                    <super::actions::Welcome />
                </Show>
                <div
                    class="cq-rows"
                    node_ref=rows_el
                    hidden=move || state.messages.with(Vec::is_empty)
                    style:position="relative"
                    style:padding-top=move || format!("{}px", list.pads().get().0)
                    style:padding-bottom=move || format!("{}px", list.pads().get().1)
                >
                    <For each=rows key=|(i, m, sep)| (m.id.clone(), *i, sep.is_some()) let:row>
                        <Row index=row.0 message=row.1 separator=row.2 list active now />
                    </For>
                </div>
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
        <div class="cq-visually-hidden cq-announcer" aria-live="polite" aria-relevant="additions">
            <For each=move || announcer.lines.get() key=|(n, _)| *n let:line>
                <p>{line.1}</p>
            </For>
        </div>
        <Show when=move || pill.get()>
            <button
                class="cq-pill"
                type="button"
                on:click=move |_| {
                    set_pill.set(false);
                    stick.stick();
                    list.refresh();
                }
            >
                {move || state.t(Key::NewMessages)}
                <Svg icon=Icon::Down size=16 />
            </button>
        </Show>
    }
}

/// One mounted row: the day separator (if the day changed) and the message.
#[component]
fn Row(
    /// Position in the whole thread.
    index: usize,
    /// The message.
    message: Message,
    /// The day to announce above the message, if it starts a day.
    separator: Option<f64>,
    /// The list the row belongs to.
    list: VirtualList,
    /// The roving tab stop.
    active: RwSignal<Option<usize>>,
    /// "Now", for day labels.
    now: f64,
) -> impl IntoView {
    let state = use_chat().get().state;
    provide_context(RowScope(message.id.clone()));
    let el = NodeRef::<Div>::new();
    Effect::new(move |_| {
        if let Some(row) = el.get() {
            list.observe(&row);
            on_cleanup(move || list.unobserve(&row));
        }
    });
    let count = list.len();
    let tab = move || {
        let n = count.get();
        let stop = active.get().filter(|a| *a < n).unwrap_or(n.saturating_sub(1));
        if stop == index { "0" } else { "-1" }
    };
    // Outside the window (it holds the focus): placed where it belongs, out of the flow.
    let outside = move || {
        let (start, end) = list.range().get();
        !(start..end).contains(&index)
    };
    view! {
        <div
            class=if index == 0 { "cq-row cq-row--first" } else { "cq-row" }
            node_ref=el
            data-index=index.to_string()
            role="article"
            aria-posinset=(index + 1).to_string()
            aria-setsize=move || count.get().to_string()
            tabindex=tab
            style:position=move || outside().then_some("absolute")
            style:top=move || outside().then(|| format!("{}px", list.offset(index)))
            style:left=move || outside().then_some("0")
            style:right=move || outside().then_some("0")
        >
            {separator
                .map(|at| {
                    view! {
                        <p class="cq-day" role="separator">
                            {move || time::day_label(at, now, state.locale.get())}
                        </p>
                    }
                })}
            <MessageRow message />
        </div>
    }
}

/// The index of the row `target` is in, if any.
fn row_index(target: Option<web_sys::EventTarget>) -> Option<usize> {
    let el = target?.dyn_into::<web_sys::Element>().ok()?;
    let row = el.closest(".cq-row").ok()??;
    row.get_attribute("data-index")?.parse().ok()
}

/// The day separator above message `i`: its time, if it starts a day.
fn separator(ms: &[Message], i: usize) -> Option<f64> {
    let m = &ms[i];
    let starts_day = i == 0 || time::day(ms[i - 1].timestamp) != time::day(m.timestamp);
    (starts_day && m.timestamp > 0.0).then_some(m.timestamp)
}

/// Height estimates (px) of rows `from..` before they are measured, from their text length and
/// kind, for a list `width` px wide. One pass; the time zone offset is read once (an estimate
/// may miss a day separator across a daylight saving change: the measurement corrects it).
fn estimates(ms: &[Message], from: usize, width: f64) -> Vec<f64> {
    let Some(last) = ms.last() else { return Vec::new() };
    let offset = js_sys::Date::new(&last.timestamp.into()).get_timezone_offset() * 60_000.0;
    let day = |ms: f64| ((ms - offset) / 86_400_000.0).floor() as i64;
    // The bubble is at most 86% of the row, less its padding; about 7.5 px a character.
    let per_line = ((width - 28.0) * 0.86 - 26.0) / 7.5;
    let mut previous = from.checked_sub(1).map(|i| day(ms[i].timestamp));
    ms[from..]
        .iter()
        .map(|m| {
            let today = day(m.timestamp);
            let starts_day = previous != Some(today) && m.timestamp > 0.0;
            previous = Some(today);
            let (base, line) = match m.sender {
                Sender::User => (48.0, 22.0),
                Sender::Agent | Sender::Human => (60.0, 22.0),
                Sender::System => (24.0, 19.0),
            };
            let mut h = estimate(m.text().with_untracked(String::len), base, line, per_line);
            if starts_day {
                h += 33.0;
            }
            if m.items().with_untracked(|items| !items.is_empty()) {
                h += 48.0;
            }
            h
        })
        .collect()
}

/// The polite live region's lines.
#[derive(Clone, Copy)]
struct Announcer {
    lines: RwSignal<Vec<(u64, String)>>,
    seq: StoredValue<u64>,
}

impl Announcer {
    fn new() -> Self {
        Announcer { lines: RwSignal::new(Vec::new()), seq: StoredValue::new(0) }
    }

    /// Announces `m` once.
    fn say(&self, state: &ChatState, m: &Message) {
        let text = match m.sender {
            Sender::System => m.notice.as_ref().map(|n| untrack(|| notice_text(state, n))).unwrap_or_default(),
            Sender::User => m.text().get_untracked(),
            Sender::Agent | Sender::Human => {
                let text = plain_text(&m.text().get_untracked());
                match &m.agent_name {
                    Some(name) => format!("{name}: {text}"),
                    None => text,
                }
            }
        };
        if text.trim().is_empty() {
            return;
        }
        let n = self.seq.get_value() + 1;
        self.seq.set_value(n);
        self.lines.update(|lines| {
            lines.push((n, text));
            if lines.len() > ANNOUNCED {
                lines.remove(0);
            }
        });
    }
}

/// The text of markdown, without its markup.
fn plain_text(md: &str) -> String {
    fn collect(nodes: &[crate::markdown::Node], out: &mut String) {
        for node in nodes {
            match node {
                crate::markdown::Node::Text(t) => out.push_str(t),
                crate::markdown::Node::El { children, .. } => {
                    collect(children, out);
                    if !out.ends_with(' ') {
                        out.push(' ');
                    }
                }
            }
        }
    }
    let mut out = String::new();
    collect(&crate::markdown::parse(md), &mut out);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}
