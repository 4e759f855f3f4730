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
}

/// The title as it will be stored: trimmed, 1 to 500 characters.
pub fn normalize_title(raw: &str) -> Result<String, TitleError> {
    let title = raw.trim();
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
