//! A todo as the app sees it, and the rules a title must follow: the same on the server and in
//! the browser. The database enforces the title rules too (`migrations/0002_todos.sql`);
//! checking them here first gives the user an immediate, specific message instead of a round
//! trip.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// The most characters a title may have once trimmed (the database's check says the same).
pub const TITLE_MAX_CHARS: usize = 500;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Todo {
    pub id: Uuid,
    pub title: String,
    pub is_complete: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A change to a todo: its title, its completion, or both.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TodoPatch {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_complete: Option<bool>,
}

impl TodoPatch {
    pub fn is_empty(&self) -> bool {
        self.title.is_none() && self.is_complete.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum TitleError {
    #[error("Title is required")]
    Blank,
    #[error("Title must be at most {TITLE_MAX_CHARS} characters (it has {0})")]
    TooLong(usize),
    #[error("Title contains a control character or a text-direction override ({0:?})")]
    Forbidden(char),
}

/// Characters no title may hold: control characters (C0, DEL and C1; NUL among them, which
/// PostgreSQL's text refuses), and the bidirectional embeddings, overrides and isolates that make
/// text display otherwise than it reads ("Trojan Source").
fn forbidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The title as it will be stored: trimmed, 1 to 500 characters, none of them forbidden.
pub fn normalize_title(raw: &str) -> Result<String, TitleError> {
    let title = raw.trim();
    if let Some(c) = title.chars().find(|c| forbidden(*c)) {
        return Err(TitleError::Forbidden(c));
    }
    match title.chars().count() {
        0 => Err(TitleError::Blank),
        n if n > TITLE_MAX_CHARS => Err(TitleError::TooLong(n)),
        _ => Ok(title.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_direction_characters_are_refused() {
        for (bad, c) in [
            ("a\u{0}b", '\u{0}'),
            ("\u{0}", '\u{0}'),
            ("a\tb", '\t'),
            ("a\u{1b}[31mred", '\u{1b}'),
            ("a\u{7f}", '\u{7f}'),
            ("a\u{85}b", '\u{85}'),
            ("pay \u{202E}gnp.exe", '\u{202E}'),
            ("a\u{2066}b\u{2069}", '\u{2066}'),
        ] {
            assert_eq!(
                normalize_title(bad),
                Err(TitleError::Forbidden(c)),
                "{bad:?}"
            );
        }
        // Marks and other scripts are text, not controls.
        assert_eq!(
            normalize_title("שלום \u{200F}!"),
            Ok("שלום \u{200F}!".into())
        );
        assert_eq!(normalize_title("  ok\n"), Ok("ok".into()));
    }

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(normalize_title("  milk \n"), Ok("milk".to_string()));
        assert_eq!(normalize_title(" \t\n"), Err(TitleError::Blank));
        assert_eq!(normalize_title(&"é".repeat(500)), Ok("é".repeat(500)));
        assert_eq!(
            normalize_title(&"a".repeat(501)),
            Err(TitleError::TooLong(501))
        );
    }

    #[test]
    fn todos_read_postgrest_timestamps() {
        let json = r#"{"id":"0b7c4a52-3c1c-4a8e-9b0f-1c2d3e4f5a6b","title":"a","is_complete":false,"created_at":"2026-11-23T17:51:43.123456+00:00"}"#;
        let todo: Todo = serde_json::from_str(json).expect("parses");
        assert_eq!(todo.created_at.microsecond(), 123_456);
    }
}
