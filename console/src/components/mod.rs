//! The console's components, one per module.

pub mod app;
pub mod composer;
pub mod conversation;
pub mod conversation_item;
pub mod conversation_list;
pub mod header;
pub mod inbox;
pub mod notices;
pub mod sign_in;
pub mod thread;
