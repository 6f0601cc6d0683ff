//! Colloquy's agent console: a Leptos (CSR) app served by colloquy-server at `/console/`. The
//! people who answer sign in with an agent token, see the hand-off queue and their own
//! conversations with the history so far, take one (one agent wins), write to the visitor (who
//! sees it live), see the visitor typing, and end the hand-off (docs/console.md).
//!
//! - [`api`]: the agent API over gloo-net, the event stream read with `fetch`.
//! - [`console`]: the controller (state and actions); components call it, never the API.
//! - [`model`]: summaries, messages and threads read from the API's JSON (native tests).
//! - [`components`]: one module per component.

pub mod api;
pub mod components;
pub mod console;
pub mod model;
pub mod session;

/// Mounts the console on the page's body (for as long as the page lives).
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(components::app::App);
}
