//! `use_focus_keeper`: keeps the keyboard focus inside a region when the control that had it
//! goes away.
//!
//! A control that removes or disables itself when used (response buttons, Submit, Retry, End
//! conversation, Restart, Send when it disables itself) drops the focus on the page body, out of
//! the region and out of reach of its keyboard shortcuts. The hook remembers the last focused
//! element inside the region; when a DOM change removes or disables it while nothing else has the
//! focus, the focus goes to the fallback inside the region, or to the region itself.

use crate::dom::focus_in;
use leptos::prelude::*;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

/// Options of [`use_focus_keeper_with_options`].
pub struct UseFocusKeeperOptions {
    /// Whether the keeper acts (read when the focus is lost, untracked).
    pub active: Signal<bool>,
    /// Selector of the element that gets the focus back (`None`: the region itself).
    pub fallback: Signal<Option<&'static str>>,
}

impl Default for UseFocusKeeperOptions {
    fn default() -> Self {
        UseFocusKeeperOptions { active: Signal::from(true), fallback: Signal::from(None) }
    }
}

/// Keeps the focus in `target` (see the module docs), always active, falling back to `target`.
pub fn use_focus_keeper<E>(target: NodeRef<E>)
where
    E: leptos::html::ElementType,
    E::Output: JsCast + Clone + 'static,
{
    use_focus_keeper_with_options(target, UseFocusKeeperOptions::default());
}

/// Keeps the focus in `target` with `options`. The observer starts with the first focus inside
/// the region (a region nobody focused costs nothing) and is disconnected with the hook's owner.
pub fn use_focus_keeper_with_options<E>(target: NodeRef<E>, options: UseFocusKeeperOptions)
where
    E: leptos::html::ElementType,
    E::Output: JsCast + Clone + 'static,
{
    let UseFocusKeeperOptions { active, fallback } = options;
    let last_focus = Rc::new(Cell::new(None::<web_sys::Element>));
    let observer = StoredValue::new_local(None::<(web_sys::MutationObserver, Closure<dyn Fn()>)>);
    let listener = StoredValue::new_local(None::<(web_sys::HtmlElement, Closure<dyn Fn(web_sys::FocusEvent)>)>);
    let start = {
        let last_focus = last_focus.clone();
        move |region: web_sys::HtmlElement| {
            if observer.with_value(Option::is_some) {
                return;
            }
            let last = last_focus.clone();
            let target = region.clone();
            let check = Closure::<dyn Fn()>::new(move || {
                let Some(el) = last.take() else { return };
                let gone = !el.is_connected() || el.has_attribute("disabled");
                if !gone || !active.get_untracked() || !focus_lost(&target, &el) {
                    last.set(Some(el));
                } else {
                    focus_in(&target, fallback.get_untracked());
                }
            });
            let Ok(watch) = web_sys::MutationObserver::new(check.as_ref().unchecked_ref()) else { return };
            let init = web_sys::MutationObserverInit::new();
            init.set_child_list(true);
            init.set_subtree(true);
            init.set_attribute_filter(&js_sys::Array::of1(&"disabled".into()));
            let _ = watch.observe_with_options(&region, &init);
            observer.set_value(Some((watch, check)));
        }
    };
    Effect::new(move |_| {
        let Some(el) = target.get() else { return };
        let region: web_sys::HtmlElement = el.unchecked_into();
        let (last_focus, start, at) = (last_focus.clone(), start.clone(), region.clone());
        let on_focusin = Closure::<dyn Fn(web_sys::FocusEvent)>::new(move |ev: web_sys::FocusEvent| {
            last_focus.set(ev.target().and_then(|t| t.dyn_into().ok()));
            start(at.clone());
        });
        let _ = region.add_event_listener_with_callback("focusin", on_focusin.as_ref().unchecked_ref());
        listener.set_value(Some((region, on_focusin)));
    });
    on_cleanup(move || {
        if let Some(Some((watch, _))) = observer.try_update_value(Option::take) {
            watch.disconnect();
        }
        if let Some(Some((region, on_focusin))) = listener.try_update_value(Option::take) {
            let _ = region.remove_event_listener_with_callback("focusin", on_focusin.as_ref().unchecked_ref());
        }
    });
}

/// Whether the focus fell back to the body of a document that has it (not: the visitor moved on
/// to the host page), or is about to (it is still on `gone`, which was disabled). Inline, focus
/// inside the shadow root shows as its host element in the document.
fn focus_lost(region: &web_sys::HtmlElement, gone: &web_sys::Element) -> bool {
    let Some(doc) = region.owner_document() else { return false };
    let in_root = js_sys::Reflect::get(&region.get_root_node(), &"activeElement".into()).unwrap_or_default();
    doc.has_focus().unwrap_or(false)
        && (doc.active_element().is_none_or(|el| el.tag_name() == "BODY")
            || &in_root == AsRef::<wasm_bindgen::JsValue>::as_ref(gone))
}
