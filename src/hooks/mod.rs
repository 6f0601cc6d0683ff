//! Reusable reactive hooks, one file each (leptos-use style: `use_x(..)` and
//! `use_x_with_options(.., UseXOptions)`), and the DOM-free arithmetic behind the virtual list.

pub mod use_row_state;
pub mod use_stick_to_bottom;
pub mod use_virtual_list;
pub mod windowing;

pub use use_row_state::{RowScope, RowStates, use_row_state};
pub use use_stick_to_bottom::{
    StickToBottom, UseStickToBottomOptions, use_stick_to_bottom, use_stick_to_bottom_with_options,
};
pub use use_virtual_list::{UseVirtualListOptions, VirtualList, use_virtual_list, use_virtual_list_with_options};
