//! One todo: toggle, inline edit (Enter saves, Escape cancels), delete; while it is edited, only
//! Save and Cancel. Edit mode lives in the URL (`?edit=<id>`), so it works without JavaScript;
//! while a form is posted, `enhance.js` marks it busy (`.todo:has([aria-busy])` in the
//! stylesheet).

use leptos::either::Either;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use time::Date;
use uuid::Uuid;

use super::api::{DeleteTodo, RenameTodo, SetDone};
use super::fields::TitleCheck;
use super::model::Todo;
use crate::error::AppError;
use crate::paths::{HOME, edit_url};

/// Title errors show by the field they are about, the rest in the page's banner.
pub fn is_title_error(e: &AppError) -> bool {
    matches!(
        e,
        AppError::TitleRequired | AppError::TitleTooLong | AppError::TitleInvalid
    )
}

/// The row in edit mode: the title in its field (as typed, after a refused save) and why it was
/// refused.
pub struct Editing {
    pub value: String,
    pub error: Option<AppError>,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The date in UTC, the same wherever it is rendered.
fn created_text(date: Date) -> String {
    let month = MONTHS
        .get(usize::from(u8::from(date.month())) - 1)
        .unwrap_or(&"");
    format!("{month} {}, {}", date.day(), date.year())
}

// Each row is rendered on every view of the page: its strings are made once each, and fixed
// ones are not made at all. One form serves the row's two buttons (Delete posts elsewhere, by
// its `formaction`), and the toggle's button carries the new state: a row is 9 elements and
// about 590 bytes, not 12 and 730 (fewer to render and to compress on every view).
#[component]
pub fn TodoRow(todo: Todo, edit: Option<Editing>) -> impl IntoView {
    let Todo {
        id: uuid,
        title,
        is_complete: done,
        created_at,
    } = todo;
    let id = uuid
        .as_hyphenated()
        .encode_lower(&mut Uuid::encode_buffer())
        .to_owned();
    let class = if done { "todo done" } else { "todo" };
    // Being edited, the row is its edit form alone: forms do not nest, and Save and Cancel are
    // what it offers then. `Either`, not `into_any()`: erasing a view copies every attribute it
    // holds into a new `Arc<str>` (tachys' `into_owned`), for each row of every page view.
    if let Some(Editing { value, error }) = edit {
        return Either::Left(view! {
            <li class=class data-testid="todo">
                <EditTodoForm id value error />
            </li>
        });
    }
    let toggle_label = format!(
        "Mark “{title}” as {}",
        if done { "not done" } else { "done" }
    );
    let date = created_at.date();
    Either::Right(view! {
        <li class=class data-testid="todo">
            <form method="post" action=SetDone::url()>
                <input type="hidden" name="id" value=id />
                <button
                    name="done"
                    value=if done { "false" } else { "true" }
                    class="check"
                    aria-pressed=if done { "true" } else { "false" }
                    aria-label=toggle_label
                >
                    {if done { "✓" } else { "" }}
                </button>
                <div class="body">
                    <span class="title" data-testid="todo-title">{title}</span>
                    <time class="muted" datetime=date.to_string()>{created_text(date)}</time>
                </div>
                <a class="edit-link" href=edit_url(uuid)>"Edit"</a>
                <button formaction=DeleteTodo::url() class="secondary">"Delete"</button>
            </form>
        </li>
    })
}

/// The row in edit mode: the title field, Save, and Cancel (or Escape).
#[component]
fn EditTodoForm(id: String, value: String, error: Option<AppError>) -> impl IntoView {
    view! {
        <TitleCheck>
            <form method="post" action=RenameTodo::url() class="edit" novalidate>
                <input type="hidden" name="id" value=id />
                <input
                    name="title"
                    aria-label="Title"
                    autofocus
                    autocomplete="off"
                    value=value
                    aria-invalid=error.is_some().to_string()
                    aria-describedby="edit-error"
                />
                <button type="submit" data-pending="Saving…">"Save"</button>
                <a href=HOME>"Cancel"</a>
                <p id="edit-error" class="error" role="alert" data-testid="edit-error">
                    {error.map(|e| e.to_string())}
                </p>
            </form>
        </TitleCheck>
    }
}
