//! One todo: toggle, inline edit (Enter saves, Escape cancels), delete, each with its own
//! pending state. Edit mode lives in the URL (`?edit=<id>`), so it works without JavaScript.

use leptos::form::ActionForm;
use leptos::html;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use uuid::Uuid;

use super::api::{DeleteTodo, RenameTodo, SetDone};
use super::model::{Todo, normalize_title};
use crate::error::AppError;
use crate::paths::{HOME, edit_url};

/// Title errors show by the field they are about, the rest in the page's banner.
pub fn is_title_error(e: &AppError) -> bool {
    matches!(
        e,
        AppError::TitleRequired | AppError::TitleTooLong | AppError::TitleInvalid
    )
}

/// The actions every row posts to, shared so the page can refetch after each.
#[derive(Clone, Copy)]
pub struct RowActions {
    pub toggle: ServerAction<SetDone>,
    pub rename: ServerAction<RenameTodo>,
    pub delete: ServerAction<DeleteTodo>,
}

/// What the URL says after a form post without JavaScript: which todo is being edited, the
/// error, and the title that was typed.
#[derive(Clone, Copy)]
pub struct FormEcho {
    pub editing: Memo<Option<Uuid>>,
    pub error: Memo<Option<AppError>>,
    pub title: Memo<Option<String>>,
}

/// The date in UTC, the same on server and client (so hydration matches).
fn created_text(todo: &Todo) -> String {
    let d = todo.created_at.date();
    let month = &format!("{:?}", d.month())[..3];
    format!("{month} {}, {}", d.day(), d.year())
}

/// Whether any of the row's actions is in flight for todo `id`.
fn pending_for(actions: RowActions, id: Uuid) -> impl Fn() -> bool + Copy {
    let RowActions {
        toggle,
        rename,
        delete,
    } = actions;
    move || {
        // While the server renders, no action is in flight (the browser's first answer is the
        // same `false`, so hydration matches). Asking the three actions anyway, for each of
        // the five places a row shows it, was a tenth of the page's CPU (scripts/bench.sh).
        if cfg!(feature = "ssr") {
            return false;
        }
        (toggle.pending().get()
            && toggle
                .input()
                .with(|i| i.as_ref().is_some_and(|i| i.id == id)))
            || (rename.pending().get()
                && rename
                    .input()
                    .with(|i| i.as_ref().is_some_and(|i| i.id == id)))
            || (delete.pending().get()
                && delete
                    .input()
                    .with(|i| i.as_ref().is_some_and(|i| i.id == id)))
    }
}

#[component]
pub fn TodoRow(todo: Todo, actions: RowActions, echo: FormEcho) -> impl IntoView {
    let id = todo.id;
    let pending = pending_for(actions, id);
    let is_editing = move || echo.editing.get() == Some(id);
    let done = todo.is_complete;
    let toggle_label = format!(
        "Mark “{}” as {}",
        todo.title,
        if done { "not done" } else { "done" }
    );
    let created = created_text(&todo);
    let created_iso = todo.created_at.date().to_string();
    let title = todo.title;

    view! {
        <li class="todo" class:done=done class:pending=pending data-testid="todo" aria-busy=move || pending().to_string()>
            <ActionForm action=actions.toggle attr:class="toggle">
                <input type="hidden" name="id" value=id.to_string() />
                <input type="hidden" name="done" value=(!done).to_string() />
                <button type="submit" class="check" aria-pressed=done.to_string() aria-label=toggle_label disabled=pending>
                    {if done { "✓" } else { "" }}
                </button>
            </ActionForm>
            <Show
                when=is_editing
                fallback={
                    let title = title.clone();
                    move || {
                        view! {
                            <div class="body">
                                <span class="title" data-testid="todo-title">{title.clone()}</span>
                                <time class="muted" datetime=created_iso.clone()>{created.clone()}</time>
                            </div>
                            <a class="edit-link" href=edit_url(id)>"Edit"</a>
                        }
                    }
                }
            >
                <EditTodoForm id title=title.clone() rename=actions.rename echo pending />
            </Show>
            <ActionForm action=actions.delete attr:class="delete">
                <input type="hidden" name="id" value=id.to_string() />
                <button type="submit" class="secondary" disabled=pending>"Delete"</button>
            </ActionForm>
        </li>
    }
}

/// The row in edit mode: the title field, Save, and Cancel (or Escape).
#[component]
fn EditTodoForm(
    id: Uuid,
    title: String,
    rename: ServerAction<RenameTodo>,
    echo: FormEcho,
    pending: impl Fn() -> bool + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let navigate = use_navigate();
    // Leaving edit mode after a successful save (with JavaScript; without, the server redirects).
    // Only a save made after this row was drawn counts: an older result is still in the
    // action's value when the list is fetched again.
    let drawn_at = rename.version().get_untracked();
    Effect::new(move |_| {
        if rename.version().get() > drawn_at
            && let Some(Ok(saved)) = rename.value().get()
            && saved.id == id
            && echo.editing.get_untracked() == Some(id)
        {
            navigate(HOME, Default::default());
        }
    });
    let local_error = RwSignal::new(None::<AppError>);
    let edit_error = move || {
        local_error.get().or_else(|| {
            match rename.value().get() {
                Some(Err(e)) if rename.input().get().is_none() => Some(e),
                Some(_) => None,
                None => echo.error.get(),
            }
            .filter(is_title_error)
        })
    };
    let check = move |ev: leptos::ev::SubmitEvent| match RenameTodo::from_event(&ev)
        .map(|input| normalize_title(&input.title))
    {
        Ok(Err(e)) => {
            ev.prevent_default();
            local_error.set(Some(e.into()));
        }
        _ => local_error.set(None),
    };
    let value = move || echo.title.get().unwrap_or_else(|| title.clone());
    let input = NodeRef::<html::Input>::new();
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });
    // Escape follows the Cancel link, which the router turns into an in-page navigation.
    let cancel_link = NodeRef::<html::A>::new();
    let cancel = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            local_error.set(None);
            if let Some(link) = cancel_link.get() {
                link.click();
            }
        }
    };
    view! {
        <ActionForm action=rename on:submit:capture=check attr:class="edit" attr:novalidate=true>
            <input type="hidden" name="id" value=id.to_string() />
            <input
                name="title"
                aria-label="Title"
                node_ref=input
                autofocus=true
                autocomplete="off"
                value=value
                on:keydown=cancel
                on:input=move |_| local_error.set(None)
                aria-invalid=move || edit_error().is_some().to_string()
            />
            <button type="submit" disabled=pending>"Save"</button>
            <a href=HOME node_ref=cancel_link>
                "Cancel"
            </a>
            <p class="error" role="alert" data-testid="edit-error">
                {move || edit_error().map(|e| e.to_string())}
            </p>
        </ActionForm>
    }
}
