//! A virtualized vertical list: only the rows near the viewport are mounted.
//!
//! The rows stay in normal flow inside a rows element whose top and bottom padding stand for
//! the rows that are not mounted, so a small list looks exactly like an unvirtualized one. The
//! heights of rows not measured yet are estimates given by the caller; every mounted row is
//! measured by one `ResizeObserver` (border box) and its height kept in a prefix-sum tree
//! ([`Heights`]), so each scroll event, measured row and new row costs `O(log n)` plus the
//! mounted rows, never the whole list.
//!
//! The scroll position is kept by an anchor: the row at the viewport's top and how far into it
//! the viewport starts. When rows above it mount, get measured or are added, or the viewport
//! changes size, the list scrolls so that the anchor stays where it was, unless the list sticks
//! to its bottom ([`StickToBottom`]), which then wins. Range changes never happen inside the
//! observer's callback (they wait for the next animation frame), so mounting never loops it.
//!
//! Each mounted row must carry `data-index` (its index) and call [`VirtualList::observe`]
//! when mounted and [`VirtualList::unobserve`] when unmounted.

use super::use_stick_to_bottom::StickToBottom;
use super::windowing::{Heights, Viewport, window};
use leptos::html::Div;
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

/// Options of [`use_virtual_list_with_options`].
#[derive(Clone, Copy)]
pub struct UseVirtualListOptions {
    /// Px mounted above and below the viewport (default 800).
    pub overscan: f64,
    /// At most this many rows are mounted (default 40), whatever the estimates say.
    pub max_rows: usize,
    /// Stick to the bottom while the reader is there (instead of holding the anchor).
    pub stick: Option<StickToBottom>,
}

impl Default for UseVirtualListOptions {
    fn default() -> Self {
        UseVirtualListOptions { overscan: 800.0, max_rows: 40, stick: None }
    }
}

impl UseVirtualListOptions {
    /// Sets [`Self::overscan`].
    pub fn overscan(mut self, px: f64) -> Self {
        self.overscan = px;
        self
    }

    /// Sets [`Self::max_rows`].
    pub fn max_rows(mut self, rows: usize) -> Self {
        self.max_rows = rows;
        self
    }

    /// Sets [`Self::stick`].
    pub fn stick(mut self, stick: StickToBottom) -> Self {
        self.stick = Some(stick);
        self
    }
}

/// The reactive face of the list (`Copy`, for view closures).
#[derive(Clone, Copy)]
pub struct VirtualList {
    core: StoredValue<Rc<Core>, LocalStorage>,
    range: RwSignal<(usize, usize)>,
    pads: RwSignal<(f64, f64)>,
    pinned: RwSignal<Option<usize>>,
    layout: RwSignal<u64>,
    len: RwSignal<usize>,
}

/// The rows' `ResizeObserver` and its callback (dropped together).
type Observer = (web_sys::ResizeObserver, Closure<dyn Fn(js_sys::Array)>);

struct Core {
    me: Weak<Core>,
    scroller: NodeRef<Div>,
    rows: NodeRef<Div>,
    options: UseVirtualListOptions,
    heights: RefCell<Heights>,
    /// The row at the viewport's top and the px from its top to the viewport's.
    anchor: Cell<Option<(usize, f64)>>,
    observer: RefCell<Option<Observer>>,
    frame_pending: Cell<bool>,
    focus_pending: Cell<Option<usize>>,
    range: RwSignal<(usize, usize)>,
    pads: RwSignal<(f64, f64)>,
    layout: RwSignal<u64>,
}

impl Drop for Core {
    fn drop(&mut self) {
        if let Some((observer, _)) = self.observer.borrow_mut().take() {
            observer.disconnect();
        }
    }
}

/// A virtualized list scrolled by `scroller`, its rows inside `rows`.
pub fn use_virtual_list(scroller: NodeRef<Div>, rows: NodeRef<Div>) -> VirtualList {
    use_virtual_list_with_options(scroller, rows, UseVirtualListOptions::default())
}

/// [`use_virtual_list`] with options.
pub fn use_virtual_list_with_options(
    scroller: NodeRef<Div>,
    rows: NodeRef<Div>,
    options: UseVirtualListOptions,
) -> VirtualList {
    let range = RwSignal::new((0, 0));
    let pads = RwSignal::new((0.0, 0.0));
    let layout = RwSignal::new(0);
    let core = Rc::new_cyclic(|me| Core {
        me: me.clone(),
        scroller,
        rows,
        options,
        heights: RefCell::new(Heights::new()),
        anchor: Cell::new(None),
        observer: RefCell::new(None),
        frame_pending: Cell::new(false),
        focus_pending: Cell::new(None),
        range,
        pads,
        layout,
    });
    {
        let weak = Rc::downgrade(&core);
        let on_resize = Closure::<dyn Fn(js_sys::Array)>::new(move |entries: js_sys::Array| {
            if let Some(core) = weak.upgrade() {
                core.resized(&entries);
            }
        });
        if let Ok(observer) = web_sys::ResizeObserver::new(on_resize.as_ref().unchecked_ref()) {
            *core.observer.borrow_mut() = Some((observer, on_resize));
        }
    }
    let list = VirtualList {
        core: StoredValue::new_local(core.clone()),
        range,
        pads,
        pinned: RwSignal::new(None),
        layout,
        len: RwSignal::new(0),
    };
    // The scroller: its scroll events move the window, its size is the viewport.
    let weak = Rc::downgrade(&core);
    Effect::new(move |_| {
        let Some(el) = scroller.get() else { return };
        let weak = weak.clone();
        let on_scroll = Closure::<dyn Fn()>::new(move || {
            if let Some(core) = weak.upgrade() {
                core.scrolled();
            }
        });
        let listener: js_sys::Function = on_scroll.into_js_value().unchecked_into();
        let _ = el.add_event_listener_with_callback("scroll", &listener);
        list.observe(&el);
        on_cleanup(move || {
            let _ = el.remove_event_listener_with_callback("scroll", &listener);
        });
    });
    list
}

impl VirtualList {
    fn with<T>(&self, f: impl FnOnce(&Core) -> T) -> Option<T> {
        self.core.try_with_value(|c| f(c))
    }

    /// The rows to mount, `start..end` (tracked).
    pub fn range(&self) -> Signal<(usize, usize)> {
        self.range.into()
    }

    /// Padding (px) above and below the mounted rows, standing for the others (tracked).
    pub fn pads(&self) -> Signal<(f64, f64)> {
        self.pads.into()
    }

    /// A row kept mounted outside the range (the one holding the keyboard focus) (tracked).
    pub fn pinned(&self) -> Signal<Option<usize>> {
        self.pinned.into()
    }

    /// Keeps row `index` mounted wherever the window goes (`None`: no row).
    pub fn pin(&self, index: Option<usize>) {
        if self.pinned.get_untracked() != index {
            self.pinned.set(index);
        }
    }

    /// Number of rows (tracked).
    pub fn len(&self) -> Signal<usize> {
        self.len.into()
    }

    /// Whether there are no rows (tracked).
    pub fn is_empty(&self) -> bool {
        self.len.get() == 0
    }

    /// Where row `index` starts, relative to the rows element (tracks measurements).
    pub fn offset(&self, index: usize) -> f64 {
        self.layout.track();
        self.with(|c| c.heights.borrow().offset(index)).unwrap_or(0.0)
    }

    /// The row at the viewport's top (the scroll anchor), once the reader scrolled.
    pub fn anchor(&self) -> Option<usize> {
        self.with(|c| c.anchor.get().map(|(i, _)| i)).flatten()
    }

    /// Replaces all rows by rows of these estimated heights. `anchor`: the new index of the
    /// row that was at the viewport's top, if it is still there.
    pub fn reset(&self, estimates: Vec<f64>, anchor: Option<usize>) {
        let n = estimates.len();
        self.with(|c| {
            *c.heights.borrow_mut() = Heights::from_vec(estimates);
            let within = c.anchor.get().map_or(0.0, |(_, w)| w);
            c.anchor.set(anchor.filter(|a| *a < n).map(|a| (a, within)));
        });
        self.pinned.set(None);
        self.len.set(n);
        self.with(|c| {
            c.update_range();
            c.schedule();
        });
    }

    /// Appends rows of these estimated heights.
    pub fn extend(&self, estimates: impl IntoIterator<Item = f64>) {
        let n = self
            .with(|c| {
                let mut h = c.heights.borrow_mut();
                for e in estimates {
                    h.push(e);
                }
                h.len()
            })
            .unwrap_or(0);
        self.len.set(n);
        self.with(|c| {
            c.update_range();
            c.schedule();
        });
    }

    /// Starts measuring a mounted element (a row with `data-index`, or the scroller).
    pub fn observe(&self, el: &web_sys::Element) {
        self.with(|c| {
            if let Some((observer, _)) = &*c.observer.borrow() {
                let options = web_sys::ResizeObserverOptions::new();
                options.set_box(web_sys::ResizeObserverBoxOptions::BorderBox);
                observer.observe_with_options(el, &options);
            }
        });
    }

    /// Stops measuring an element that is being unmounted.
    pub fn unobserve(&self, el: &web_sys::Element) {
        self.with(|c| {
            if let Some((observer, _)) = &*c.observer.borrow() {
                observer.unobserve(el);
            }
        });
    }

    /// Scrolls row `index` into view (mounting it) and focuses it once it is mounted.
    pub fn focus(&self, index: usize) {
        self.with(|c| {
            c.focus_pending.set(Some(index));
            c.scroll_into_view(index);
            c.focus_if_mounted();
        });
    }

    /// Scrolls row `index` into view, mounting it.
    pub fn scroll_to(&self, index: usize) {
        self.with(|c| c.scroll_into_view(index));
    }

    /// Recomputes the window now (after a change the list cannot see).
    pub fn refresh(&self) {
        self.with(|c| {
            c.update_range();
            c.schedule();
        });
    }
}

impl Core {
    fn elements(&self) -> Option<(web_sys::HtmlDivElement, web_sys::HtmlDivElement)> {
        Some((self.scroller.try_get_untracked().flatten()?, self.rows.try_get_untracked().flatten()?))
    }

    /// Where the rows element starts in the scroller's content.
    fn rows_top(scroller: &web_sys::HtmlDivElement, rows: &web_sys::HtmlDivElement) -> f64 {
        rows.get_bounding_client_rect().top() - scroller.get_bounding_client_rect().top() + scroller.scroll_top() as f64
    }

    fn stuck(&self) -> bool {
        self.options.stick.is_some_and(|s| s.is_stuck())
    }

    fn viewport(&self) -> Viewport {
        let heights = self.heights.borrow();
        let (top, height) = match self.elements() {
            Some((s, r)) => {
                let height = s.client_height() as f64;
                let top = if self.stuck() {
                    heights.total() - height
                } else {
                    s.scroll_top() as f64 - Self::rows_top(&s, &r)
                };
                (top, height)
            }
            None => (heights.total(), 0.0),
        };
        Viewport { top, height, overscan: self.options.overscan, max_rows: self.options.max_rows }
    }

    /// Picks the rows to mount for the current scroll position.
    fn update_range(&self) {
        let vp = self.viewport();
        let w = window(&self.heights.borrow(), vp);
        let next = (w.start, w.end);
        if self.range.try_get_untracked() != Some(next) {
            self.range.try_set(next);
        }
        self.update_pads();
    }

    fn update_pads(&self) {
        let Some((start, end)) = self.range.try_get_untracked() else { return };
        let heights = self.heights.borrow();
        let total = heights.total();
        let next = (heights.offset(start), (total - heights.offset(end)).max(0.0));
        drop(heights);
        if self.pads.try_get_untracked().is_some_and(|p| (p.0 - next.0).abs() > 0.01 || (p.1 - next.1).abs() > 0.01) {
            self.pads.try_set(next);
        }
    }

    /// The reader scrolled (or the list did): remember the anchor, move the window.
    fn scrolled(&self) {
        if let Some((s, r)) = self.elements() {
            let top = s.scroll_top() as f64 - Self::rows_top(&s, &r);
            let heights = self.heights.borrow();
            if !heights.is_empty() {
                let i = heights.index_at(top);
                self.anchor.set(Some((i, top - heights.offset(i))));
            }
        }
        self.update_range();
    }

    /// Keeps the anchor in place (or the bottom, when stuck), then focuses a row waiting for it.
    fn settle(&self) {
        let followed = self.options.stick.is_some_and(|s| s.follow());
        if !followed
            && let (Some((index, within)), Some((s, r))) = (self.anchor.get(), self.elements())
            && index < self.heights.borrow().len()
        {
            let target = Self::rows_top(&s, &r) + self.heights.borrow().offset(index) + within;
            if (target - s.scroll_top() as f64).abs() >= 1.0 {
                s.set_scroll_top(target.round() as i32);
            }
        }
        self.focus_if_mounted();
    }

    /// Recomputes the window and settles at the next animation frame (once per frame).
    fn schedule(&self) {
        if self.frame_pending.replace(true) {
            return;
        }
        let me = self.me.clone();
        request_animation_frame(move || {
            if let Some(core) = me.upgrade() {
                core.frame_pending.set(false);
                core.update_range();
                core.settle();
            }
        });
    }

    /// Measurements arrived: heights first, then the anchor (or the bottom); the window
    /// follows at the next frame.
    fn resized(&self, entries: &js_sys::Array) {
        let Some((scroller, _)) = self.elements() else { return };
        let hidden = scroller.client_height() == 0;
        let mut changed = false;
        let mut viewport = false;
        for entry in entries.iter() {
            let entry: web_sys::ResizeObserverEntry = entry.unchecked_into();
            let target = entry.target();
            if target.is_same_node(Some(&scroller)) {
                viewport = true;
                continue;
            }
            let Some(index) = target.get_attribute("data-index").and_then(|i| i.parse::<usize>().ok()) else {
                continue;
            };
            let size = entry.border_box_size().get(0);
            if size.is_undefined() {
                continue;
            }
            let h = size.unchecked_into::<web_sys::ResizeObserverSize>().block_size();
            // A hidden window measures everything as 0: keep what was known.
            if hidden && h == 0.0 {
                continue;
            }
            let mut heights = self.heights.borrow_mut();
            if index < heights.len() && heights.set(index, h) != 0.0 {
                changed = true;
            }
        }
        if changed {
            self.update_pads();
            self.layout.try_update(|v| *v += 1);
        }
        if changed || viewport {
            self.settle();
            self.schedule();
        }
    }

    fn scroll_into_view(&self, index: usize) {
        let Some((s, r)) = self.elements() else { return };
        let (top, bottom) = {
            let heights = self.heights.borrow();
            if index >= heights.len() {
                return;
            }
            let base = Self::rows_top(&s, &r);
            (base + heights.offset(index), base + heights.offset(index + 1))
        };
        let (scroll, view) = (s.scroll_top() as f64, s.client_height() as f64);
        if top < scroll || bottom - top > view {
            s.set_scroll_top(top.floor() as i32);
        } else if bottom > scroll + view {
            s.set_scroll_top((bottom - view).ceil() as i32);
        }
        // Leaving the bottom lets go of it now, not at the next scroll event.
        if let Some(stick) = self.options.stick {
            stick.recheck();
        }
        self.scrolled();
        self.schedule();
    }

    fn focus_if_mounted(&self) {
        let Some(index) = self.focus_pending.get() else { return };
        let Some((_, rows)) = self.elements() else { return };
        if let Ok(Some(el)) = rows.query_selector(&format!(":scope > [data-index='{index}']")) {
            self.focus_pending.set(None);
            // Estimates placed it; now that it is measured, make sure it is in view.
            if let Some(s) = self.scroller.try_get_untracked().flatten() {
                let (row, view) = (el.get_bounding_client_rect(), s.get_bounding_client_rect());
                let shift = if row.top() < view.top() || row.height() > view.height() {
                    row.top() - view.top()
                } else if row.bottom() > view.bottom() {
                    row.bottom() - view.bottom()
                } else {
                    0.0
                };
                if shift.abs() >= 1.0 {
                    s.set_scroll_top(s.scroll_top() + shift.round() as i32);
                    if let Some(stick) = self.options.stick {
                        stick.recheck();
                    }
                    self.scrolled();
                }
            }
            let options = web_sys::FocusOptions::new();
            options.set_prevent_scroll(true);
            let _ = el.unchecked_ref::<web_sys::HtmlElement>().focus_with_options(&options);
        }
    }
}
