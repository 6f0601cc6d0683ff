//! Forms: action forms (seed 001) and the lead form. Fields are labelled by their configured
//! `label`; validation messages are tied to their field (`aria-describedby`); a form submits
//! once.

use crate::chat::use_chat;
use crate::config::{Field, FieldKind};
use crate::hooks::use_row_state;
use crate::i18n::Key;
use leptos::prelude::*;
use serde_json::{Map, Value};
use std::sync::atomic::{AtomicU32, Ordering};

static FORMS: AtomicU32 = AtomicU32::new(0);

/// Whether `s` looks like an email address (one `@`, a dotted domain, no spaces).
pub fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    !local.is_empty()
        && !domain.contains('@')
        && !s.contains(char::is_whitespace)
        && domain.split('.').count() >= 2
        && domain.split('.').all(|part| !part.is_empty())
}

/// Whether `s` looks like a phone number (at least 6 digits; digits, spaces, `+-().` only).
pub fn valid_phone(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c)) && s.chars().filter(char::is_ascii_digit).count() >= 6
}

/// The problem with `value` for `field`, if any.
pub fn validate(field: &Field, value: &str) -> Option<Key> {
    let value = value.trim();
    if value.is_empty() {
        return field.required.then_some(Key::Required);
    }
    match field.kind {
        FieldKind::Email if !valid_email(value) => Some(Key::InvalidEmail),
        FieldKind::Tel if !valid_phone(value) => Some(Key::InvalidPhone),
        FieldKind::Text | FieldKind::Email | FieldKind::Tel | FieldKind::Textarea => None,
    }
}

/// A form that validates, then submits its values once.
#[component]
pub fn Form(
    /// The fields.
    fields: Vec<Field>,
    /// Heading above the fields.
    title: Option<String>,
    /// Receives the values (trimmed) by key.
    #[prop(into)]
    on_submit: Callback<Map<String, Value>>,
    /// Keeps what was typed (and whether it was sent) per message under this name, so the form
    /// comes back as it was when its row is mounted again. `None`: the state is the form's own.
    #[prop(optional, into)]
    keep: Option<String>,
) -> impl IntoView {
    let state = use_chat().get().state;
    let form_id = FORMS.fetch_add(1, Ordering::Relaxed);
    let n = fields.len();
    // Kept per message under `keep` (a row of the virtualized list may unmount and come back).
    let kept = |what: &str| keep.as_ref().map(|k| format!("form:{k}:{what}")).unwrap_or_default();
    let fresh = keep.is_none();
    let values: RwSignal<Vec<String>> = if fresh {
        RwSignal::new(vec![String::new(); n])
    } else {
        use_row_state(&kept("values"), || ArcRwSignal::new(vec![String::new(); n])).into()
    };
    let errors: RwSignal<Vec<Option<Key>>> = if fresh {
        RwSignal::new(vec![None; n])
    } else {
        use_row_state(&kept("errors"), || ArcRwSignal::new(vec![None; n])).into()
    };
    let (submitted, set_submitted) = if fresh {
        signal(false)
    } else {
        RwSignal::from(use_row_state(&kept("submitted"), || ArcRwSignal::new(false))).split()
    };
    let form = NodeRef::<leptos::html::Form>::new();
    let submit_fields = fields.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if submitted.get_untracked() {
            return;
        }
        let current = values.get_untracked();
        let found: Vec<Option<Key>> = submit_fields.iter().zip(&current).map(|(f, v)| validate(f, v)).collect();
        let first_bad = found.iter().position(Option::is_some);
        errors.set(found);
        if let Some(i) = first_bad {
            if let Some(f) = form.get_untracked() {
                crate::dom::focus_first(&f, &format!("#cq-f{form_id}-{i}"));
            }
            return;
        }
        let mut data = Map::new();
        for (f, v) in submit_fields.iter().zip(current) {
            data.insert(f.key.clone(), Value::String(v.trim().to_owned()));
        }
        set_submitted.set(true);
        on_submit.run(data);
    };
    // A titled form is a `form` landmark named by its title.
    let title_id = format!("cq-f{form_id}-title");
    let labelled_by = title.as_ref().map(|_| title_id.clone());
    view! {
        <form class="cq-form" novalidate node_ref=form on:submit=submit aria-labelledby=labelled_by>
            {title.map(|t| view! { <p id=title_id class="cq-form-title">{t}</p> })}
            {fields
                .into_iter()
                .enumerate()
                .map(|(i, field)| {
                    let id = format!("cq-f{form_id}-{i}");
                    let error_id = format!("{id}-error");
                    let error = move || errors.with(|e| e[i]);
                    let on_input = move |ev: leptos::ev::Event| {
                        let v = event_target_value(&ev);
                        values.update(|vs| vs[i] = v);
                        if errors.with_untracked(|e| e[i].is_some()) {
                            errors.update(|e| e[i] = None);
                        }
                    };
                    let input_type = match field.kind {
                        FieldKind::Email => "email",
                        FieldKind::Tel => "tel",
                        FieldKind::Text | FieldKind::Textarea => "text",
                    };
                    let autocomplete = match field.key.as_str() {
                        "name" => "name",
                        "email" => "email",
                        "phone" => "tel",
                        _ => "on",
                    };
                    let control = if field.kind == FieldKind::Textarea {
                        view! {
                            <textarea
                                id=id.clone()
                                class="cq-field-input"
                                rows="3"
                                aria-required=field.required.to_string()
                                aria-invalid=move || error().is_some().to_string()
                                aria-describedby=move || error().map(|_| error_id.clone())
                                disabled=move || submitted.get()
                                prop:value=move || values.with(|v| v[i].clone())
                                on:input=on_input
                            ></textarea>
                        }
                            .into_any()
                    } else {
                        view! {
                            <input
                                id=id.clone()
                                class="cq-field-input"
                                type=input_type
                                autocomplete=autocomplete
                                aria-required=field.required.to_string()
                                aria-invalid=move || error().is_some().to_string()
                                aria-describedby=move || error().map(|_| error_id.clone())
                                disabled=move || submitted.get()
                                prop:value=move || values.with(|v| v[i].clone())
                                on:input=on_input
                            />
                        }
                            .into_any()
                    };
                    let error_id = format!("{id}-error");
                    view! {
                        <div class="cq-field">
                            <label for=id.clone()>
                                {field.label.clone()}
                                {field.required.then(|| view! { <span class="cq-required" aria-hidden="true">" *"</span> })}
                            </label>
                            {control}
                            {move || {
                                error()
                                    .map(|key| {
                                        view! {
                                            <p id=error_id.clone() class="cq-field-error">
                                                {move || state.t(key)}
                                            </p>
                                        }
                                    })
                            }}
                        </div>
                    }
                })
                .collect_view()}
            <button class="cq-button cq-button--primary" type="submit" disabled=move || submitted.get()>
                {move || state.t(if submitted.get() { Key::Submitted } else { Key::Submit })}
            </button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(kind: &str, required: bool) -> Field {
        Field { key: "k".into(), label: "L".into(), required, kind: FieldKind::parse(kind).unwrap() }
    }

    #[test]
    fn validation() {
        assert_eq!(validate(&field("text", true), "  "), Some(Key::Required));
        assert_eq!(validate(&field("text", false), ""), None);
        assert_eq!(validate(&field("email", true), "ada@example"), Some(Key::InvalidEmail));
        assert_eq!(validate(&field("email", true), "ada@example.com"), None);
        assert_eq!(validate(&field("email", false), "a b@c.d"), Some(Key::InvalidEmail));
        assert_eq!(validate(&field("tel", false), "+1 (555) 010-0100"), None);
        assert_eq!(validate(&field("tel", false), "call me"), Some(Key::InvalidPhone));
        assert!(!valid_email("@x.io"));
        assert!(!valid_email("a@@x.io"));
        assert!(!valid_email("a@x..io"));
    }
}
