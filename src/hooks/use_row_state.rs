//! State that outlives a row's mount. A virtualized list unmounts rows that scroll far away and
//! mounts them again when they come back; what a visitor did inside a row (a form half filled
//! in, the feedback details open, a reply button chosen) must come back with it. Components ask
//! for their state with [`use_row_state`]: inside a list row it is kept by the list per message
//! id and slot name, anywhere else it is simply fresh.

use leptos::prelude::*;
use std::any::Any;
use std::collections::HashMap;

/// The store of row state, provided by the list (one per list).
#[derive(Clone, Copy)]
pub struct RowStates(StoredValue<HashMap<String, Box<dyn Any>>, LocalStorage>);

impl RowStates {
    /// Provides an empty store to the components below.
    pub fn provide() -> RowStates {
        let store = RowStates(StoredValue::new_local(HashMap::new()));
        provide_context(store);
        store
    }

    /// Forgets everything (the conversation was cleared).
    pub fn clear(&self) {
        self.0.try_update_value(HashMap::clear);
    }

    /// Forgets the state of rows whose id is not kept by `keep`.
    pub fn retain(&self, keep: impl Fn(&str) -> bool) {
        self.0.try_update_value(|m| m.retain(|k, _| keep(k.split('\u{0}').next().unwrap_or(""))));
    }

    /// Number of slots held.
    pub fn len(&self) -> usize {
        self.0.try_with_value(HashMap::len).unwrap_or(0)
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The row a component renders in (its message id), provided by the list for each row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowScope(pub String);

/// The value of `slot` for the enclosing row: the one kept from an earlier mount, else `init()`
/// (kept from now on). Outside a list row, `init()`. `T` is usually a signal (cloning shares it).
pub fn use_row_state<T: Clone + 'static>(slot: &str, init: impl FnOnce() -> T) -> T {
    let (Some(store), Some(RowScope(row))) = (use_context::<RowStates>(), use_context::<RowScope>()) else {
        return init();
    };
    let key = format!("{row}\u{0}{slot}");
    if let Some(found) = store.0.try_with_value(|m| m.get(&key).and_then(|v| v.downcast_ref::<T>()).cloned()).flatten()
    {
        return found;
    }
    let value = init();
    let kept = value.clone();
    store.0.try_update_value(move |m| m.insert(key, Box::new(kept)));
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `use_row_state` for `slot` in a fresh child owner scoped to `row` (a row mounting).
    fn mount(row: Option<&str>, slot: &str) -> ArcRwSignal<u32> {
        let owner = Owner::current().unwrap().child();
        owner.with(|| {
            if let Some(row) = row {
                provide_context(RowScope(row.into()));
            }
            use_row_state(slot, || ArcRwSignal::new(0))
        })
    }

    #[test]
    fn state_is_kept_per_row_and_slot_across_mounts() {
        let owner = Owner::new();
        owner.set();
        let store = RowStates::provide();
        let first = mount(Some("m1"), "form");
        first.set(7);
        assert_eq!(mount(Some("m1"), "form").get_untracked(), 7, "mounted again: the same state");
        assert_eq!(mount(Some("m1"), "feedback").get_untracked(), 0, "another slot");
        assert_eq!(mount(Some("m2"), "form").get_untracked(), 0, "another row");
        assert_eq!(mount(None, "form").get_untracked(), 0, "outside a row: fresh");
        assert_eq!(store.len(), 3);
        store.retain(|id| id == "m2");
        assert_eq!(store.len(), 1);
        store.clear();
        assert!(store.is_empty());
        assert_eq!(mount(Some("m1"), "form").get_untracked(), 0, "forgotten");
    }
}
