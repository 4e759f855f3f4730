//! `/`: the signed-in user's todos. Signed-out visitors never get here: the session layer
//! sends them to the sign-in page (and back after sign-in). Rendered on the server; its forms
//! post to the server functions, which answer with a redirect back here (`?error=…`, and what
//! was typed in the flash). The title fields are in islands (`fields`): they check a title in
//! the browser with the server's own rules before anything is sent.

use leptos::either::EitherOf3;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use uuid::Uuid;

use super::api::{AddTodo, list_todos};
use super::fields::TitleCheck;
use super::model::Todo;
use super::row::{Editing, TodoRow, is_title_error};
use crate::auth::api::{SignOut, current_user};
use crate::browser::IslandScripts;
use crate::error::AppError;
use crate::paths::{HOME, query_param, use_flash};
use crate::theme::ThemeToggle;

fn count_text(todos: &[Todo]) -> String {
    let done = todos.iter().filter(|t| t.is_complete).count();
    let n = todos.len();
    format!(
        "{n} {} · {done} done",
        if n == 1 { "todo" } else { "todos" }
    )
}

#[component]
pub fn TodosPage() -> impl IntoView {
    let error = query_param("error").and_then(|c| AppError::from_code(&c));
    let echo = FormEcho {
        editing: query_param("edit").and_then(|s| Uuid::parse_str(&s).ok()),
        // Only on the page the form post landed on (its error in the URL).
        title: error.as_ref().and(use_flash().title),
        error,
    };
    // An error shows once: by the add field when the add form was posted (a typed title came
    // back with it, and no row is being edited), by the edit field when it is about the title
    // of the row being edited, in the banner otherwise.
    let added = echo.editing.is_none() && echo.title.is_some();
    let (add_value, add_error) = match echo.editing {
        None => (
            echo.title.clone().unwrap_or_default(),
            echo.error.clone().filter(|e| added || is_title_error(e)),
        ),
        Some(_) => (String::new(), None),
    };
    let banner = echo
        .error
        .clone()
        .filter(|e| !is_title_error(e) && add_error.is_none());
    // One wait for everything the page shows (it is rendered whole, before it is sent). Then
    // one synchronous render to a string: Leptos' async render of the same views allocates two
    // strings per element and copies each dynamic attribute again, and this page is rendered
    // on every visit (1.79 M → 1.68 M instructions per view, `scripts/bench-instructions.sh`).
    let page = async move {
        let email = current_user().await.ok().flatten().and_then(|u| u.email);
        let list = todo_list(echo).await;
        let html = view! {
            <TodosHeader email />
            {banner
                .map(|e| {
                    view! {
                        <div class="banner" role="alert" data-testid="action-error">
                            {e.to_string()}
                        </div>
                    }
                })}
            <AddTodoForm value=add_value error=add_error />
            {list}
        }
        .to_html();
        view! { <main class="page" inner_html=html></main> }
    };
    view! {
        <Suspense fallback=|| {
            view! {
                <main class="page">
                    <p class="muted" role="status">"Loading your todos…"</p>
                </main>
            }
        }>{Suspend::new(page)}</Suspense>
        <IslandScripts />
    }
}

/// The title, who is signed in, the theme and the sign-out button.
#[component]
fn TodosHeader(email: Option<String>) -> impl IntoView {
    view! {
        <header class="bar">
            <div>
                <h1>"My Todos"</h1>
                {email
                    .map(|email| {
                        view! {
                            <p class="muted" data-testid="user-email">
                                {email}
                            </p>
                        }
                    })}
            </div>
            <div class="bar-actions">
                <ThemeToggle />
                // A full navigation even with JavaScript (`data-reload`): after signing out, Back
                // reloads this page from the server, which sends a signed-out visitor to sign in.
                <form method="post" action=SignOut::url() data-reload>
                    <button type="submit" class="secondary" data-pending="Signing out…">
                        "Sign out"
                    </button>
                </form>
            </div>
        </header>
    }
}

/// The new-todo form, as a refused post left it (what was typed, and why it was refused).
#[component]
fn AddTodoForm(value: String, error: Option<AppError>) -> impl IntoView {
    view! {
        <TitleCheck>
            <form method="post" action=AddTodo::url() class="add" novalidate>
                <label for="new-title" class="visually-hidden">"New todo"</label>
                <input
                    id="new-title"
                    name="title"
                    placeholder="What needs doing?"
                    autocomplete="off"
                    value=value
                    aria-invalid=error.is_some().to_string()
                    aria-describedby="add-error"
                />
                <button type="submit" data-pending="Adding…">"Add"</button>
            </form>
            <p id="add-error" class="error" role="alert" data-testid="add-error">
                {error.map(|e| e.to_string())}
            </p>
        </TitleCheck>
    }
}

/// The list, newest first, with its count; a failed load offers Retry. `EitherOf3`, not
/// `into_any()`, for the reason in `row.rs`.
async fn todo_list(echo: FormEcho) -> impl IntoView {
    match list_todos().await {
        Err(e) => EitherOf3::A(view! {
            <div class="banner" role="alert" data-testid="load-error">
                <p>{e.to_string()}</p>
                <a class="button" href=HOME>
                    "Retry"
                </a>
            </div>
        }),
        Ok(list) if list.is_empty() => EitherOf3::B(view! {
            <p class="empty" data-testid="empty">"No todos yet. Add one above!"</p>
        }),
        Ok(list) => {
            let count = count_text(&list);
            let rows = list
                .into_iter()
                .map(|todo| {
                    // The row being edited shows what was typed there, and its error.
                    let edit = (echo.editing == Some(todo.id)).then(|| Editing {
                        value: echo.title.clone().unwrap_or_else(|| todo.title.clone()),
                        error: echo.error.clone().filter(is_title_error),
                    });
                    view! { <TodoRow todo edit /> }
                })
                .collect_view();
            EitherOf3::C(view! {
                <p class="muted count" data-testid="count">{count}</p>
                <ul class="todos">{rows}</ul>
            })
        }
    }
}

/// What the URL and the flash say after a form post: which todo is being edited, the error,
/// and the title that was typed.
struct FormEcho {
    editing: Option<Uuid>,
    error: Option<AppError>,
    title: Option<String>,
}
