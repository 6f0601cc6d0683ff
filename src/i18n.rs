//! User-visible strings in English, Spanish and Portuguese.

/// A supported UI language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Locale {
    /// English.
    #[default]
    En,
    /// Spanish.
    Es,
    /// Portuguese.
    Pt,
}

impl Locale {
    /// The locale for a validated config code (`en`, `es`, `pt`).
    pub fn from_code(code: &str) -> Locale {
        match code {
            "es" => Locale::Es,
            "pt" => Locale::Pt,
            _ => Locale::En,
        }
    }

    /// BCP 47 code, for `lang` attributes and date formatting.
    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Es => "es",
            Locale::Pt => "pt",
        }
    }
}

/// Every translated string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// Launcher button.
    OpenChat,
    /// Window close button.
    CloseChat,
    /// Composer textbox.
    Message,
    /// Composer placeholder.
    MessagePlaceholder,
    /// Send button.
    Send,
    /// Message list label.
    Conversation,
    /// Typing indicator.
    Typing,
    /// Empty conversation greeting.
    Welcome,
}

/// The text of `key` in `locale`.
pub fn t(locale: Locale, key: Key) -> &'static str {
    use Key::*;
    use Locale::*;
    match (key, locale) {
        (OpenChat, En) => "Open chat",
        (OpenChat, Es) => "Abrir chat",
        (OpenChat, Pt) => "Abrir chat",
        (CloseChat, En) => "Close chat",
        (CloseChat, Es) => "Cerrar chat",
        (CloseChat, Pt) => "Fechar chat",
        (Message, En) => "Message",
        (Message, Es) => "Mensaje",
        (Message, Pt) => "Mensagem",
        (MessagePlaceholder, En) => "Write a message…",
        (MessagePlaceholder, Es) => "Escribe un mensaje…",
        (MessagePlaceholder, Pt) => "Escreva uma mensagem…",
        (Send, En) => "Send",
        (Send, Es) => "Enviar",
        (Send, Pt) => "Enviar",
        (Conversation, En) => "Conversation",
        (Conversation, Es) => "Conversación",
        (Conversation, Pt) => "Conversa",
        (Typing, En) => "The agent is typing",
        (Typing, Es) => "El agente está escribiendo",
        (Typing, Pt) => "O agente está digitando",
        (Welcome, En) => "Hi! How can we help?",
        (Welcome, Es) => "¡Hola! ¿En qué podemos ayudarte?",
        (Welcome, Pt) => "Olá! Como podemos ajudar?",
    }
}
