//! Where the widget sits and how big it is, from the host page's viewport. Decided here, in one
//! place: `embed.js` only applies the iframe size this computes.

use crate::events::ViewState;

/// Viewports narrower than this get the full-screen phone layout.
pub const PHONE_MAX_WIDTH: f64 = 520.0;
/// Room for the launcher and its shadow.
pub const LAUNCHER_BOX: f64 = 96.0;
/// Room for the launcher with the greeting bubble above it.
pub const GREETING_BOX: (f64, f64) = (300.0, 200.0);
/// Floating window size on desktop, margins included.
pub const WINDOW_BOX: (f64, f64) = (432.0, 720.0);
/// Maximized window width on desktop.
pub const MAXIMIZED_WIDTH: f64 = 960.0;

/// Whether a host viewport `width` wide is phone-sized.
pub fn is_phone(width: f64) -> bool {
    width > 0.0 && width < PHONE_MAX_WIDTH
}

/// The iframe's CSS width and height for what is visible on a `host` (width, height) viewport.
pub fn frame_size(view: ViewState, maximized: bool, greeting: bool, host: (f64, f64)) -> (String, String) {
    let px = |v: f64| format!("{}px", v.round());
    let (w, h) = host;
    if view.main_window {
        if is_phone(w) {
            ("100%".into(), "100%".into())
        } else if maximized {
            (px(MAXIMIZED_WIDTH.min(w)), "100%".into())
        } else {
            (px(WINDOW_BOX.0.min(w)), px(WINDOW_BOX.1.min(h)))
        }
    } else if view.launcher && greeting {
        (px(GREETING_BOX.0.min(w)), px(GREETING_BOX.1))
    } else if view.launcher {
        (px(LAUNCHER_BOX), px(LAUNCHER_BOX))
    } else {
        ("0px".into(), "0px".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_the_view_and_the_viewport() {
        let desktop = (1280.0, 800.0);
        assert_eq!(frame_size(ViewState::CLOSED, false, false, desktop), ("96px".into(), "96px".into()));
        assert_eq!(frame_size(ViewState::CLOSED, false, true, desktop), ("300px".into(), "200px".into()));
        assert_eq!(frame_size(ViewState::OPEN, false, true, desktop), ("432px".into(), "720px".into()));
        assert_eq!(frame_size(ViewState::OPEN, true, false, desktop), ("960px".into(), "100%".into()));
        assert_eq!(frame_size(ViewState::OPEN, false, false, (390.0, 844.0)), ("100%".into(), "100%".into()));
        assert_eq!(frame_size(ViewState::OPEN, false, false, (800.0, 600.0)), ("432px".into(), "600px".into()));
        assert_eq!(frame_size(ViewState::default(), false, false, desktop), ("0px".into(), "0px".into()));
    }
}
