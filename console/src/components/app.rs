//! The app: the sign-in form, or the inbox beside the open conversation (on a phone, one or the
//! other), with the header and the notices.

use super::conversation::ConversationView;
use super::header::Header;
use super::inbox::Inbox;
use super::notices::{Announcer, Notice};
use super::sign_in::SignIn;
use crate::console::Console;
use leptos::prelude::*;

/// The whole console.
#[component]
pub fn App() -> impl IntoView {
    let console = Console::new();
    provide_context(console);
    console.resume();
    let signed_in = move || console.api.with(Option::is_some) && console.me.with(Option::is_some);
    view! {
        <div class="cc-app" class:cc-open=move || console.selected.with(Option::is_some)>
            <Header />
            <Announcer />
            <Show when=signed_in fallback=|| view! { <SignIn /> }>
                <Notice />
                <div class="cc-main">
                    <Inbox />
                    <ConversationView />
                </div>
            </Show>
        </div>
    }
}
