//! The platform the dispatcher and the controller run on: clock, timers, task spawning,
//! randomness. The browser implements it in `crate::host`; native tests use
//! `crate::events::testing`.

use futures::future::LocalBoxFuture;

/// The platform the dispatcher runs on.
pub trait Runtime {
    /// Epoch milliseconds.
    fn now_ms(&self) -> f64;
    /// Resolves after `ms` milliseconds.
    fn sleep(&self, ms: u32) -> LocalBoxFuture<'static, ()>;
    /// Runs a future to completion in the background.
    fn spawn(&self, fut: LocalBoxFuture<'static, ()>);
    /// Reports a problem on the console.
    fn console_error(&self, message: &str);
    /// Resolves at the next animation frame (batches rendering work).
    fn next_frame(&self) -> LocalBoxFuture<'static, ()>;
    /// Fills `buf` from a cryptographically secure random source (ids must not be guessable).
    fn fill_random(&self, buf: &mut [u8]);
    /// Resolves in a later task of the event loop: lets the browser handle input and render.
    fn yield_now(&self) -> LocalBoxFuture<'static, ()>;
    /// The visitor's local (weekday with 0 = Sunday, minute of the day).
    fn local_time(&self) -> (u8, u32);
    /// Whether the browser believes it is online.
    fn online(&self) -> bool {
        true
    }
}
