//! The composer: a multi-line message box (Enter sends, Shift+Enter starts a new line), file
//! attachments with preview and limits, and a character counter. Disabled until the chat is
//! ready.

use super::button::IconButton;
use super::icons::{Icon, Svg};
use crate::chat::use_chat;
use crate::events::Attachment;
use crate::i18n::{Key, bytes, number};
use leptos::html::Input;
use leptos::prelude::*;

/// Whether `mime` is allowed by `types` (`image/*` style wildcards).
pub fn accepts(types: &[String], mime: &str) -> bool {
    types.iter().any(|t| match t.strip_suffix("/*") {
        Some(prefix) => mime.split('/').next() == Some(prefix),
        None => t == mime,
    })
}

/// A file waiting to be sent.
#[derive(Clone, Debug, PartialEq)]
struct Pending {
    file: Attachment,
    /// Object URL of an image preview.
    preview: Option<String>,
}

/// The message box, attachments and send button.
#[component]
pub fn Composer() -> impl IntoView {
    let chat = use_chat();
    let config = chat.get().config.clone();
    let state = chat.get().state;
    let max = config.max_length as usize;
    let limits = config.attachments.clone();
    let (draft, set_draft) = signal(String::new());
    let (files, set_files) = signal(Vec::<Pending>::new());
    let (problem, set_problem) = signal(None::<String>);
    let picker = NodeRef::<Input>::new();
    let length = move || draft.with(|d| d.chars().count());
    let over = move || length().saturating_sub(max);
    let empty = move || draft.with(|d| d.trim().is_empty()) && files.with(Vec::is_empty);
    let send = move || {
        if empty() || over() > 0 || !state.ready.get_untracked() {
            return;
        }
        let text = draft.get_untracked();
        let attachments: Vec<Attachment> = files.get_untracked().into_iter().map(|p| p.file).collect();
        set_draft.set(String::new());
        set_files.set(Vec::new());
        set_problem.set(None);
        chat.get().send(text, attachments);
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
            ev.prevent_default();
            send();
        }
    };
    let on_files = move |_| {
        let Some(input) = picker.get_untracked() else { return };
        let Some(list) = input.files() else { return };
        let locale = state.locale.get_untracked();
        for i in 0..list.length() {
            let Some(file) = list.get(i) else { continue };
            let (name, mime, size) = (file.name(), file.type_(), file.size());
            if !accepts(&limits.types, &mime) {
                set_problem.set(Some(format!("{name} {}", crate::i18n::t(locale, Key::FileType))));
                continue;
            }
            if size > limits.max_size {
                let limit = bytes(locale, limits.max_size);
                set_problem.set(Some(format!("{name} {} {limit}", crate::i18n::t(locale, Key::FileTooBig))));
                continue;
            }
            let preview =
                mime.starts_with("image/").then(|| web_sys::Url::create_object_url_with_blob(&file).ok()).flatten();
            let attachment = Attachment { name, file_type: mime, file_size: size };
            chat.get().attached(attachment.clone());
            set_files.update(|f| f.push(Pending { file: attachment, preview }));
        }
        input.set_value("");
    };
    let remove = move |index: usize| {
        set_files.update(|f| {
            if index < f.len() {
                let gone = f.remove(index);
                if let Some(url) = gone.preview {
                    let _ = web_sys::Url::revoke_object_url(&url);
                }
            }
        })
    };
    let accept = config.attachments.types.join(",");
    view! {
        <form
            class="cq-composer"
            on:submit=move |ev| {
                ev.prevent_default();
                send();
            }
        >
            <Show when=move || !files.with(Vec::is_empty)>
                <ul class="cq-pending">
                    {move || {
                        files
                            .get()
                            .into_iter()
                            .enumerate()
                            .map(|(i, p)| {
                                view! {
                                    <li class="cq-pending-file">
                                        {p.preview.map(|url| view! { <img src=url alt="" /> })}
                                        <span>
                                            {
                                                let (name, size) = (p.file.name.clone(), p.file.file_size);
                                                move || format!("{name} · {}", bytes(state.locale.get(), size))
                                            }
                                        </span>
                                        <IconButton
                                            small=true
                                            label=move || format!("{}: {}", state.t(Key::RemoveFile), p.file.name)
                                            icon=Icon::Close
                                            on_click=move |_| remove(i)
                                        />
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
            </Show>
            {move || problem.get().map(|p| view! { <p class="cq-composer-error" role="alert">{p}</p> })}
            <div class="cq-composer-row">
                {limits
                    .enabled
                    .then(|| {
                        view! {
                            <IconButton
                                class="cq-attach"
                                label=move || state.t(Key::Attach).to_owned()
                                icon=Icon::Attach
                                disabled=move || !state.ready.get()
                                on_click=move |_| {
                                    if let Some(p) = picker.get_untracked() {
                                        p.click();
                                    }
                                }
                            />
                            <input
                                node_ref=picker
                                class="cq-file-input"
                                type="file"
                                multiple
                                tabindex="-1"
                                aria-hidden="true"
                                accept=accept.clone()
                                on:change=on_files
                            />
                        }
                    })}
                <textarea
                    class="cq-input"
                    rows="1"
                    aria-label=move || state.t(Key::Message)
                    aria-describedby="cq-counter"
                    placeholder=move || state.t(Key::MessagePlaceholder)
                    disabled=move || !state.ready.get()
                    prop:value=draft
                    on:input=move |ev| {
                        set_draft.set(event_target_value(&ev));
                        chat.get().visitor_typing();
                    }
                    on:keydown=on_keydown
                ></textarea>
                <Show
                    when=move || state.busy.get()
                    fallback=move || {
                        view! {
                            <button
                                class="cq-send"
                                type="submit"
                                aria-label=move || state.t(Key::Send)
                                disabled=move || { !state.ready.get() || empty() || over() > 0 }
                            >
                                <Svg icon=Icon::Send />
                            </button>
                        }
                    }
                >
                    <button
                        class="cq-send cq-send--stop"
                        type="button"
                        aria-label=move || state.t(Key::Stop)
                        on:click=move |_| chat.get().stop()
                    >
                        <Svg icon=Icon::Stop />
                    </button>
                </Show>
            </div>
            <p
                id="cq-counter"
                class="cq-counter"
                class:cq-counter--over=move || { over() > 0 }
                hidden=move || { length() * 5 < max * 4 }
            >
                {move || {
                    let locale = state.locale.get();
                    if over() > 0 {
                        format!("{} {}", number(locale, over() as f64), state.t(Key::TooLong))
                    } else {
                        format!("{}/{}", number(locale, length() as f64), number(locale, max as f64))
                    }
                }}
            </p>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_types() {
        let types = vec!["image/*".to_owned(), "application/pdf".to_owned()];
        assert!(accepts(&types, "image/png"));
        assert!(accepts(&types, "application/pdf"));
        assert!(!accepts(&types, "application/x-msdownload"));
        assert!(!accepts(&types, "imagex/png"));
    }
}
