//! The todo page's server functions: each mints the user's InsForge token and makes one
//! InsForge call. Their URLs are fixed (`/api/<name>`); without JavaScript they are plain
//! form posts, answered with a redirect to the todo page showing the outcome (errors, and what
//! the user typed, travel in the query string).

use leptos::prelude::*;
use uuid::Uuid;

use super::model::Todo;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{
    paths::{Flash, HOME, todos_url},
    server::context::{Landing, insforge_access, respond},
    server::insforge::InsForgeError,
    todos::model::{TodoPatch, normalize_title},
};

/// What the user is told about an InsForge failure, logged with the detail they are not.
#[cfg(feature = "ssr")]
fn from_insforge(action: &str, e: InsForgeError) -> AppError {
    match e {
        InsForgeError::Unavailable(_) => {
            tracing::warn!("{action}: {e}");
            AppError::BackendUnavailable
        }
        InsForgeError::NotFound(_) => AppError::TodoNotFound,
        // The title rules are checked before the call; the database's check is the backstop.
        InsForgeError::InvalidInput(_) => {
            tracing::warn!("{action}: {e}");
            AppError::TitleRequired
        }
        InsForgeError::Unauthorized(_) | InsForgeError::Forbidden(_) => {
            tracing::error!(
                "{action}: {e} (does INSFORGE_JWT_SECRET match the project, and are the migrations applied?)"
            );
            AppError::Internal
        }
        InsForgeError::Conflict(_) | InsForgeError::Unexpected(_) => {
            tracing::error!("{action}: {e}");
            AppError::Internal
        }
    }
}

/// Back to the todo page, whatever the result.
#[cfg(feature = "ssr")]
fn home<T>(_: &T) -> Landing {
    String::from(HOME).into()
}

/// A title the server refused, kept so the form shows it again.
#[cfg(feature = "ssr")]
fn typed(title: &str) -> Flash {
    Flash {
        title: Some(title.to_string()),
        ..Flash::default()
    }
}

/// Changes a todo.
#[cfg(feature = "ssr")]
async fn update(id: Uuid, patch: TodoPatch, action: &str) -> Result<Todo, AppError> {
    let (services, token) = insforge_access()?;
    services
        .insforge
        .update_todo(&token, id, &patch)
        .await
        .map_err(|e| from_insforge(action, e))
}

#[server(endpoint = "list_todos")]
pub async fn list_todos() -> Result<Vec<Todo>, AppError> {
    let (services, token) = insforge_access()?;
    services
        .insforge
        .list_todos(&token)
        .await
        .map_err(|e| from_insforge("listing todos", e))
}

#[server(endpoint = "add_todo")]
pub async fn add_todo(title: String) -> Result<Todo, AppError> {
    let work = async {
        let clean = normalize_title(&title)?;
        let (services, token) = insforge_access()?;
        services
            .insforge
            .create_todo(&token, &clean)
            .await
            .map_err(|e| from_insforge("adding a todo", e))
    };
    respond(work, home, |e| Landing {
        to: todos_url(Some(e), None),
        flash: typed(&title),
    })
    .await
}

#[server(endpoint = "set_done")]
pub async fn set_done(id: Uuid, done: bool) -> Result<Todo, AppError> {
    let patch = TodoPatch {
        title: None,
        is_complete: Some(done),
    };
    let work = update(id, patch, "updating a todo");
    respond(work, home, |e| todos_url(Some(e), None).into()).await
}

#[server(endpoint = "rename_todo")]
pub async fn rename_todo(id: Uuid, title: String) -> Result<Todo, AppError> {
    let work = async {
        let patch = TodoPatch {
            title: Some(normalize_title(&title)?),
            is_complete: None,
        };
        update(id, patch, "renaming a todo").await
    };
    respond(work, home, |e| Landing {
        to: todos_url(Some(e), Some(id)),
        flash: typed(&title),
    })
    .await
}

#[server(endpoint = "delete_todo")]
pub async fn delete_todo(id: Uuid) -> Result<(), AppError> {
    let work = async {
        let (services, token) = insforge_access()?;
        services
            .insforge
            .delete_todo(&token, id)
            .await
            .map_err(|e| from_insforge("deleting a todo", e))
    };
    respond(work, home, |e| todos_url(Some(e), None).into()).await
}
