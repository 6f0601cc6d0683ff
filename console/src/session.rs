//! The agent token of this tab, kept in `sessionStorage` (it goes when the tab closes; another
//! tab signs in on its own).

const KEY: &str = "colloquy-console-token";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// The token saved by an earlier sign-in in this tab.
pub fn saved() -> Option<String> {
    storage()?.get_item(KEY).ok()?.filter(|t| !t.trim().is_empty())
}

/// Saves the token (after the server accepted it).
pub fn save(token: &str) {
    if let Some(s) = storage() {
        let _ = s.set_item(KEY, token);
    }
}

/// Forgets the token (sign-out, or the server refused it).
pub fn forget() {
    if let Some(s) = storage() {
        let _ = s.remove_item(KEY);
    }
}
