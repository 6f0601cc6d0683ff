//! The icon button: a square button whose name is its label (`aria-label`) and whose face is an
//! icon. Props are type-erased (`Signal`, `Callback`), so every use shares one copy of the code.

use super::icons::{Icon, Svg};
use leptos::prelude::*;

/// An icon button.
#[component]
pub fn IconButton(
    /// The accessible name.
    #[prop(into)]
    label: Signal<String>,
    /// The icon.
    #[prop(into)]
    icon: Signal<Icon>,
    /// Runs on click.
    #[prop(into)]
    on_click: Callback<()>,
    /// `aria-pressed` (toggle buttons).
    #[prop(optional, into)]
    pressed: Option<Signal<bool>>,
    /// `aria-expanded` (buttons that show a panel).
    #[prop(optional, into)]
    expanded: Option<Signal<bool>>,
    /// Disabled.
    #[prop(optional, into)]
    disabled: Signal<bool>,
    /// The smaller size (inside messages).
    #[prop(optional)]
    small: bool,
    /// Extra classes.
    #[prop(optional)]
    class: &'static str,
) -> impl IntoView {
    let size = if small { 16 } else { 20 };
    view! {
        <button
            class=format!("cq-icon-button {}{class}", if small { "cq-icon-button--small " } else { "" })
            type="button"
            aria-label=label
            aria-pressed=move || pressed.map(|p| p.get().to_string())
            aria-expanded=move || expanded.map(|e| e.get().to_string())
            disabled=disabled
            on:click=move |_| on_click.run(())
        >
            <Svg icon=icon size=size />
        </button>
    }
}
