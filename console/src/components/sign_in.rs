//! Sign-in: the agent pastes their token; the server's refusal (a visitor's token, an expired
//! one) is shown as the server worded it.

use crate::console::use_console;
use leptos::html::Input;
use leptos::prelude::*;

/// The sign-in form.
#[component]
pub fn SignIn() -> impl IntoView {
    let console = use_console();
    let input = NodeRef::<Input>::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(el) = input.get_untracked() {
            console.sign_in(el.value());
        }
    };
    // The error takes the focus back to the field, where the agent fixes it.
    Effect::new(move |_| {
        if console.sign_in_error.with(Option::is_some)
            && let Some(el) = input.get_untracked()
        {
            let _ = el.focus();
        }
    });
    view! {
        <main class="cc-sign-in">
            <form class="cc-card" on:submit=submit>
                <h2>"Sign in"</h2>
                <p class="cc-muted">
                    "Paste your agent token. Your administrator makes one with " <code>"colloquy-server token --agent NAME"</code> "."
                </p>
                <label for="cc-token">"Agent token"</label>
                <input
                    id="cc-token"
                    node_ref=input
                    type="password"
                    autocomplete="off"
                    spellcheck="false"
                    required
                    aria-describedby="cc-sign-in-error"
                    aria-invalid=move || console.sign_in_error.with(Option::is_some).to_string()
                />
                <p id="cc-sign-in-error" class="cc-error" role="alert">
                    {move || console.sign_in_error.get()}
                </p>
                <button type="submit" class="cc-button cc-primary" disabled=move || console.signing_in.get()>
                    {move || if console.signing_in.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </form>
        </main>
    }
}
