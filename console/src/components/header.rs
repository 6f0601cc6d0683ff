//! The header: the console's name, who is signed in, the live link's state, and sign-out.

use crate::console::{Link, use_console};
use leptos::prelude::*;

/// The top bar.
#[component]
pub fn Header() -> impl IntoView {
    let console = use_console();
    let link = move || match console.link.get() {
        Link::Connecting => ("cc-link cc-link-connecting", "Connecting…".to_owned()),
        Link::Live => ("cc-link cc-link-live", "Live".to_owned()),
        Link::Reconnecting(why) => ("cc-link cc-link-down", format!("Reconnecting ({why})")),
    };
    view! {
        <header class="cc-header">
            <h1 class="cc-brand">"Colloquy console"</h1>
            {move || {
                console
                    .me
                    .get()
                    .map(|me| {
                        view! {
                            <p class="cc-who-am-i">"Signed in as " <strong>{me.name}</strong></p>
                            <p class=move || link().0 role="status">{move || link().1}</p>
                            <button type="button" class="cc-button cc-quiet" on:click=move |_| console.sign_out(None)>
                                "Sign out"
                            </button>
                        }
                    })
            }}
        </header>
    }
}
