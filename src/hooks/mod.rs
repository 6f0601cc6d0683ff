//! Browser plumbing for components, one hook per file (the leptos-use way): `use_x(..)`, and
//! `use_x_with_options(.., UseXOptions)` where there is something to configure. Hooks own what
//! they set up (listeners, observers) and release it when their owner is disposed. `windowing`
//! is the DOM-free arithmetic behind the virtual list.

pub mod use_focus_keeper;
pub mod use_row_state;
pub mod use_stick_to_bottom;
pub mod use_virtual_list;
pub mod windowing;

pub use use_focus_keeper::{UseFocusKeeperOptions, use_focus_keeper, use_focus_keeper_with_options};
pub use use_row_state::{RowScope, RowStates, use_row_state};
pub use use_stick_to_bottom::{
    StickToBottom, UseStickToBottomOptions, use_stick_to_bottom, use_stick_to_bottom_with_options,
};
pub use use_virtual_list::{UseVirtualListOptions, VirtualList, use_virtual_list, use_virtual_list_with_options};
