//! The notices: an alert for what went wrong (a take another agent won, a failed end), and a
//! polite live region for what happened elsewhere (a conversation queued, a message in a
//! conversation that is not open).

use crate::console::use_console;
use leptos::prelude::*;

/// The alert (`role="alert"`), with a button to dismiss it.
#[component]
pub fn Notice() -> impl IntoView {
    let console = use_console();
    view! {
        <div class="cc-notice-slot" role="alert">
            {move || {
                console
                    .notice
                    .get()
                    .map(|text| {
                        view! {
                            <p class="cc-notice">
                                <span>{text}</span>
                                <button type="button" class="cc-button cc-quiet" on:click=move |_| console.notice.set(None)>
                                    "Dismiss"
                                </button>
                            </p>
                        }
                    })
            }}
        </div>
    }
}

/// The visually hidden live region for announcements.
#[component]
pub fn Announcer() -> impl IntoView {
    let console = use_console();
    view! {
        <div class="cc-visually-hidden" aria-live="polite" aria-atomic="true">
            {move || console.announce.get()}
        </div>
    }
}
