//! The widget's components, one module each. They read [`crate::state::ChatState`] and call the
//! controller's intents; they never call host JavaScript.

pub mod actions;
pub mod button;
pub mod composer;
pub mod feedback;
pub mod form;
pub mod icons;
pub mod launcher;
pub mod lead;
pub mod markdown;
pub mod message;
pub mod message_list;
pub mod window;

use crate::chat::use_chat;
use crate::config::{Position, Scheme};
use crate::layout::is_phone;
use leptos::prelude::*;

/// The whole widget: launcher and main window, themed from the config.
#[component]
pub fn Widget() -> impl IntoView {
    let chat = use_chat();
    let config = chat.get().config.clone();
    let state = chat.get().state;
    let theme = config.theme.clone();
    let scheme = match theme.scheme {
        Scheme::Auto => "cq-scheme-auto",
        Scheme::Light => "cq-scheme-light",
        Scheme::Dark => "cq-scheme-dark",
    };
    // The launcher's corner: the host's `position`, else the end of the writing direction.
    let side = move || if config.side(state.locale.get()) == Position::Left { "cq-left" } else { "cq-right" };
    let class = move || {
        let mut c = format!("cq-widget {scheme} {}", side());
        if is_phone(state.viewport.get().0) {
            c.push_str(" cq-phone");
        }
        if state.maximized.get() {
            c.push_str(" cq-maximized");
        }
        c
    };
    view! {
        <div
            class=class
            lang=move || state.locale.get().code()
            dir=move || state.locale.get().dir()
            style:--cq-brand=theme.brand_color.clone()
            style:--cq-radius=theme.radius.map(|r| format!("{r}px"))
            style:--cq-font=theme.font.clone()
        >
            <launcher::Launcher />
            <window::MainWindow />
        </div>
    }
}
