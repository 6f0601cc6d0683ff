//! The inbox: the queue and the agent's own conversations.

use super::conversation_list::ConversationList;
use crate::console::use_console;
use leptos::prelude::*;

/// Both lists, in a navigation landmark.
#[component]
pub fn Inbox() -> impl IntoView {
    let console = use_console();
    view! {
        <nav class="cc-inbox" aria-label="Conversations">
            <ConversationList
                heading="Queue"
                items=console.queue
                empty="No one is waiting."
            />
            <ConversationList
                heading="My conversations"
                items=console.mine
                empty="Take a conversation from the queue."
            />
        </nav>
    }
}
