//! Browser plumbing for components, one hook per file (the leptos-use way): `use_x(..)`, and
//! `use_x_with_options(.., UseXOptions)` where there is something to configure. Hooks own what
//! they set up (listeners, observers) and release it when their owner is disposed.

pub mod use_focus_keeper;

pub use use_focus_keeper::{UseFocusKeeperOptions, use_focus_keeper, use_focus_keeper_with_options};
