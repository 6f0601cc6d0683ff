//! Events: the catalogue of canonical events, the dispatcher, and the dialect mapping.

pub mod catalogue;
pub mod dialects;
pub mod dispatcher;
pub mod runtime;
#[cfg(test)]
pub(crate) mod testing;

pub use catalogue::*;
pub use dialects::{Api, Delivery};
pub use dispatcher::{Dispatcher, Handler, HandlerId, HostSink};
pub use runtime::Runtime;
