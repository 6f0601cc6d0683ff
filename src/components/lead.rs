//! The lead capture form (`lead:captured`): name, email, phone and custom fields from config.

use super::form::Form;
use crate::chat::use_chat;
use crate::config::Field;
use crate::i18n::{Key, lead_label};
use leptos::prelude::*;

/// The lead form, labelled in the visitor's language.
#[component]
pub fn LeadForm() -> impl IntoView {
    let chat = use_chat();
    let state = chat.get().state;
    let configured = chat.get().config.lead_fields.clone();
    move || {
        let locale = state.locale.get();
        let fields: Vec<Field> =
            configured.iter().map(|f| Field { label: lead_label(locale, &f.key, &f.label), ..f.clone() }).collect();
        view! {
            <Form
                fields
                title=Some(crate::i18n::t(locale, Key::LeadTitle).to_owned())
                keep="lead"
                on_submit=move |lead| chat.get().submit_lead(lead)
            />
        }
    }
}
