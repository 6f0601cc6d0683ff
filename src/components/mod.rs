//! The widget's components, one module each. They read [`crate::state::ChatState`] and call the
//! controller's intents; they never call host JavaScript.

pub mod composer;
pub mod launcher;
pub mod message_list;
pub mod window;

use crate::chat::use_chat;
use leptos::prelude::*;

/// The whole widget: launcher and main window.
#[component]
pub fn Widget() -> impl IntoView {
    let state = use_chat().get().state;
    view! {
        <div class="cq-widget" lang=move || state.locale.get().code()>
            <launcher::Launcher />
            <window::MainWindow />
        </div>
    }
}
