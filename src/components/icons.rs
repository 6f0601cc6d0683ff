//! Inline SVG icons (decorative: `aria-hidden`; the buttons carry the names).

use leptos::prelude::*;

/// Which icon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Icon {
    /// Speech bubble (launcher).
    Chat,
    /// Cross (close, dismiss, remove).
    Close,
    /// Horizontal bar (minimize).
    Minimize,
    /// Outward corners (maximize).
    Maximize,
    /// Inward corners (restore).
    Restore,
    /// Circular arrow (restart).
    Restart,
    /// Paper plane (send).
    Send,
    /// Paper clip (attach).
    Attach,
    /// Thumb up.
    ThumbUp,
    /// Thumb down.
    ThumbDown,
    /// Down arrow (new messages).
    Down,
    /// Square (stop).
    Stop,
}

impl Icon {
    /// Whether the icon points a way along the line (send): mirrored right to left.
    pub fn directional(self) -> bool {
        self == Icon::Send
    }

    /// The SVG path data (24x24 viewBox, stroked).
    pub fn path(self) -> &'static str {
        match self {
            Icon::Chat => "M5 5h14a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H10l-5 4v-4a2 2 0 0 1-2-2V7a2 2 0 0 1 2-2z",
            Icon::Close => "M6 6l12 12M18 6L6 18",
            Icon::Minimize => "M6 12h12",
            Icon::Maximize => "M4 10V4h6M20 14v6h-6M4 4l6 6M20 20l-6-6",
            Icon::Restore => "M10 4v6H4M14 20v-6h6M10 10 4 4M14 14l6 6",
            Icon::Restart => "M4 12a8 8 0 1 0 2.3-5.7M4 4v4h4",
            Icon::Send => "M4 12 20 4l-5 16-3-7-8-1z",
            Icon::Attach => {
                "M20 11.5 12.5 19a5 5 0 0 1-7-7L13 4.5a3.3 3.3 0 0 1 4.7 4.7L10.2 16.7a1.7 1.7 0 0 1-2.4-2.4L14.5 7.6"
            }
            Icon::ThumbUp => "M7 11v9H4v-9h3zm0 0 4-7a2 2 0 0 1 3 2l-1 5h5a2 2 0 0 1 2 2.3l-1.2 6A2 2 0 0 1 16.8 20H7",
            Icon::ThumbDown => "M7 13V4H4v9h3zm0 0 4 7a2 2 0 0 0 3-2l-1-5h5a2 2 0 0 0 2-2.3l-1.2-6A2 2 0 0 0 16.8 4H7",
            Icon::Down => "M12 5v14M6 13l6 6 6-6",
            Icon::Stop => "M7 7h10v10H7z",
        }
    }
}

/// An icon.
#[component]
pub fn Svg(
    /// Which icon (it may change: maximize/restore).
    #[prop(into)]
    icon: Signal<Icon>,
    /// Size in px.
    #[prop(default = 20)]
    size: u32,
) -> impl IntoView {
    view! {
        <svg
            class=move || if icon.get().directional() { "cq-icon cq-icon--directional" } else { "cq-icon" }
            viewBox="0 0 24 24"
            width=size
            height=size
            aria-hidden="true"
            focusable="false"
            fill="none"
            stroke="currentColor"
            stroke-width="2"
            stroke-linecap="round"
            stroke-linejoin="round"
        >
            <path d=move || icon.get().path() />
        </svg>
    }
}
