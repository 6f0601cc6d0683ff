//! User-visible strings in English, Spanish and Portuguese, and date/time formatting through the
//! browser's `Intl` (no date crates).

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
    /// Every locale, in documentation order.
    pub const ALL: &[Locale] = &[Locale::En, Locale::Es, Locale::Pt];

    /// Reads a language tag the way the widget negotiates it: the primary subtag, case-blind
    /// (`es-MX`, `ES_es` and `es` are Spanish). `None` for a language the widget does not have.
    pub fn parse(tag: &str) -> Option<Locale> {
        let base = tag.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
        Locale::ALL.iter().copied().find(|l| l.code() == base)
    }

    /// The error message for a tag [`Locale::parse`] refused.
    pub fn unsupported(tag: &str) -> String {
        let codes: Vec<&str> = Locale::ALL.iter().map(|l| l.code()).collect();
        format!("`{tag}` is not one of {}", codes.join(", "))
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

macro_rules! strings {
    ($($key:ident => $en:literal, $es:literal, $pt:literal;)*) => {
        /// Every translated string.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Key {
            $(
                #[doc = $en]
                $key,
            )*
        }

        /// Every key, for completeness tests.
        pub const ALL: &[Key] = &[$(Key::$key),*];

        /// The text of `key` in `locale`.
        pub fn t(locale: Locale, key: Key) -> &'static str {
            match key {
                $(Key::$key => match locale {
                    Locale::En => $en,
                    Locale::Es => $es,
                    Locale::Pt => $pt,
                },)*
            }
        }
    };
}

strings! {
    OpenChat => "Open chat", "Abrir chat", "Abrir chat";
    CloseChat => "Close chat", "Cerrar chat", "Fechar chat";
    Minimize => "Minimize", "Minimizar", "Minimizar";
    Maximize => "Maximize", "Maximizar", "Maximizar";
    Restore => "Restore", "Restaurar", "Restaurar";
    RestartConversation => "Restart conversation", "Reiniciar conversación", "Reiniciar conversa";
    RestartQuestion => "Start a new conversation? This one will be cleared.", "¿Empezar una conversación nueva? Esta se borrará.", "Começar uma nova conversa? Esta será apagada.";
    Restart => "Restart", "Reiniciar", "Reiniciar";
    Cancel => "Cancel", "Cancelar", "Cancelar";
    EndConversation => "End conversation", "Terminar conversación", "Encerrar conversa";
    Message => "Message", "Mensaje", "Mensagem";
    MessagePlaceholder => "Write a message…", "Escribe un mensaje…", "Escreva uma mensagem…";
    Send => "Send", "Enviar", "Enviar";
    Conversation => "Conversation", "Conversación", "Conversa";
    Typing => "The agent is typing", "El agente está escribiendo", "O agente está digitando";
    Welcome => "Hi! How can we help?", "¡Hola! ¿En qué podemos ayudarte?", "Olá! Como podemos ajudar?";
    StatusAi => "AI assistant", "Asistente de IA", "Assistente de IA";
    StatusQueued => "Waiting for a team member", "Esperando a una persona del equipo", "Aguardando alguém da equipe";
    StatusHuman => "Team member", "Persona del equipo", "Pessoa da equipe";
    StatusEnded => "Conversation ended", "Conversación terminada", "Conversa encerrada";
    QueuedNotice => "You're in the queue for a team member", "Estás en la cola para hablar con una persona", "Você está na fila para falar com uma pessoa";
    QueuePosition => "position", "posición", "posição";
    JoinedNotice => "joined the conversation", "se unió a la conversación", "entrou na conversa";
    EndedNotice => "This conversation has ended. Write again to start a new one.", "Esta conversación terminó. Escribe de nuevo para empezar otra.", "Esta conversa terminou. Escreva de novo para começar outra.";
    LeadThanks => "Thanks! We'll be in touch soon.", "¡Gracias! Te contactaremos pronto.", "Obrigado! Entraremos em contato em breve.";
    Sending => "Sending…", "Enviando…", "Enviando…";
    Sent => "Sent", "Enviado", "Enviado";
    Delivered => "Delivered", "Entregado", "Entregue";
    Read => "Read", "Leído", "Lido";
    NotDelivered => "Not delivered", "No entregado", "Não entregue";
    WaitingForNetwork => "Waiting for the network…", "Esperando la conexión…", "Aguardando a conexão…";
    Offline => "You're offline. Messages will be sent when you're back online.", "Sin conexión. Los mensajes se enviarán al volver la conexión.", "Sem conexão. As mensagens serão enviadas quando a conexão voltar.";
    Retry => "Retry", "Reintentar", "Tentar de novo";
    NewMessages => "New messages", "Mensajes nuevos", "Novas mensagens";
    Today => "Today", "Hoy", "Hoje";
    Yesterday => "Yesterday", "Ayer", "Ontem";
    Helpful => "Helpful", "Útil", "Útil";
    NotHelpful => "Not helpful", "No útil", "Não útil";
    FeedbackTitle => "Tell us more", "Cuéntanos más", "Conte-nos mais";
    FeedbackDetails => "Details (optional)", "Detalles (opcional)", "Detalhes (opcional)";
    FeedbackSend => "Send feedback", "Enviar comentario", "Enviar comentário";
    FeedbackThanks => "Thanks for your feedback", "Gracias por tu comentario", "Obrigado pelo seu comentário";
    CategoryAccurate => "Accurate", "Preciso", "Preciso";
    CategoryClear => "Easy to understand", "Fácil de entender", "Fácil de entender";
    CategoryInaccurate => "Inaccurate", "Impreciso", "Impreciso";
    CategoryIncomplete => "Incomplete", "Incompleto", "Incompleto";
    CategoryOffTopic => "Off topic", "Fuera de tema", "Fora do assunto";
    Close => "Close", "Cerrar", "Fechar";
    Attach => "Attach a file", "Adjuntar un archivo", "Anexar um arquivo";
    RemoveFile => "Remove file", "Quitar archivo", "Remover arquivo";
    FileTooBig => "is larger than the limit of", "supera el límite de", "é maior que o limite de";
    FileType => "is not a supported file type", "no es un tipo de archivo admitido", "não é um tipo de arquivo aceito";
    TooLong => "characters over the limit", "caracteres por encima del límite", "caracteres acima do limite";
    Required => "This field is required", "Este campo es obligatorio", "Este campo é obrigatório";
    InvalidEmail => "Enter a valid email address", "Introduce un correo válido", "Digite um e-mail válido";
    InvalidPhone => "Enter a valid phone number", "Introduce un teléfono válido", "Digite um telefone válido";
    Submit => "Submit", "Enviar", "Enviar";
    Submitted => "Sent — thank you!", "Enviado — ¡gracias!", "Enviado — obrigado!";
    LeadTitle => "Leave your details", "Déjanos tus datos", "Deixe seus dados";
    LeadName => "Name", "Nombre", "Nome";
    LeadEmail => "Email", "Correo", "E-mail";
    LeadPhone => "Phone", "Teléfono", "Telefone";
    Dismiss => "Dismiss", "Descartar", "Dispensar";
    UnreadOne => "1 unread message", "1 mensaje sin leer", "1 mensagem não lida";
    UnreadMany => "unread messages", "mensajes sin leer", "mensagens não lidas";
    You => "You", "Tú", "Você";
    Assistant => "Assistant", "Asistente", "Assistente";
    Stop => "Stop", "Detener", "Parar";
    Copy => "Copy", "Copiar", "Copiar";
    CopyCode => "Copy code", "Copiar código", "Copiar código";
    Copied => "Copied", "Copiado", "Copiado";
    NewMessage => "New message", "Mensaje nuevo", "Nova mensagem";
}

/// The lead form's default labels follow the locale (`Name`, `Email`, `Phone` in English).
pub fn lead_label(locale: Locale, key: &str, configured: &str) -> String {
    let default = match key {
        "name" if configured == "Name" => Some(Key::LeadName),
        "email" if configured == "Email" => Some(Key::LeadEmail),
        "phone" if configured == "Phone" => Some(Key::LeadPhone),
        _ => None,
    };
    default.map(|k| t(locale, k).to_owned()).unwrap_or_else(|| configured.to_owned())
}

/// Human-readable byte size (`2.5 MB`).
pub fn bytes(n: f64) -> String {
    if n >= 1024.0 * 1024.0 {
        format!("{:.1} MB", n / 1024.0 / 1024.0)
    } else if n >= 1024.0 {
        format!("{:.0} KB", n / 1024.0)
    } else {
        format!("{n:.0} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_string_is_translated() {
        for key in ALL {
            let en = t(Locale::En, *key);
            for locale in [Locale::Es, Locale::Pt] {
                assert!(!t(locale, *key).is_empty(), "{key:?} in {locale:?}");
            }
            assert!(!en.is_empty());
        }
        assert_eq!(t(Locale::Es, Key::OpenChat), "Abrir chat");
    }

    #[test]
    fn default_lead_labels_follow_the_locale() {
        assert_eq!(lead_label(Locale::Pt, "email", "Email"), "E-mail");
        assert_eq!(lead_label(Locale::Pt, "email", "Work email"), "Work email");
    }

    #[test]
    fn sizes() {
        assert_eq!(bytes(512.0), "512 B");
        assert_eq!(bytes(2048.0), "2 KB");
        assert_eq!(bytes(5.0 * 1024.0 * 1024.0), "5.0 MB");
    }
}
