//! `/`: the signed-in user's todos. Signed-out visitors never get here: the session layer
//! sends them to the sign-in page (and back after sign-in).

use leptos::form::ActionForm;
use leptos::html;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use uuid::Uuid;

use super::api::{AddTodo, DeleteTodo, RenameTodo, SetDone, list_todos};
use super::model::{Todo, normalize_title};
use super::row::{FormEcho, RowActions, TodoRow, is_title_error};
use crate::auth::api::{SignOut, current_user};
use crate::error::AppError;
use crate::paths::{HOME, query_param, sign_in_url, use_flash};
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
    let add = ServerAction::<AddTodo>::new();
    let actions = RowActions {
        toggle: ServerAction::<SetDone>::new(),
        rename: ServerAction::<RenameTodo>::new(),
        delete: ServerAction::<DeleteTodo>::new(),
    };
    let todos = Resource::new(
        move || {
            (
                add.version().get(),
                actions.toggle.version().get(),
                actions.rename.version().get(),
                actions.delete.version().get(),
            )
        },
        |_| list_todos(),
    );
    let (error_param, edit_param) = (query_param("error"), query_param("edit"));
    let typed = use_flash().title;
    let echo = FormEcho {
        editing: Memo::new(move |_| edit_param.get().and_then(|s| Uuid::parse_str(&s).ok())),
        error: Memo::new(move |_| error_param.get().and_then(|c| AppError::from_code(&c))),
        // Only on the page the form post landed on (its error in the URL): once the user moves
        // on in the hydrated app, say to another row's edit link, the typed title is gone.
        title: Memo::new(move |_| error_param.get().and_then(|_| typed.clone())),
    };
    // Errors of row actions (and, without JavaScript, of any form) show in the banner.
    let banner_error = move || {
        let row_error = [
            actions.toggle.value().get().and_then(|r| r.err()),
            actions.delete.value().get().and_then(|r| r.err()),
            actions
                .rename
                .value()
                .get()
                .and_then(|r| r.err())
                .filter(|e| !is_title_error(e)),
        ]
        .into_iter()
        .flatten()
        .next();
        row_error.or_else(|| {
            echo.error
                .get()
                .filter(|e| !is_title_error(e))
                .filter(|_| add.value().get().is_none())
        })
    };

    // A session that ended (signed out in another tab, expired, revoked) leaves this page for
    // the sign-in page with a full navigation: a signed-out visitor never sees the form.
    Effect::new(move |_| {
        let errors = [
            todos.get().and_then(|r| r.err()),
            add.value().get().and_then(|r| r.err()),
            actions.toggle.value().get().and_then(|r| r.err()),
            actions.rename.value().get().and_then(|r| r.err()),
            actions.delete.value().get().and_then(|r| r.err()),
        ];
        if errors.contains(&Some(AppError::SignedOut)) {
            let _ = window().location().set_href(&sign_in_url(Some(HOME)));
        }
    });

    view! {
        <main class="page">
            <TodosHeader />
            <Show when=move || banner_error().is_some()>
                <div class="banner" role="alert" data-testid="action-error">
                    {move || banner_error().map(|e| e.to_string())}
                </div>
            </Show>
            <AddTodoForm add echo />
            <TodoList todos actions echo />
        </main>
    }
}

/// The title, who is signed in, the theme and the sign-out button.
#[component]
fn TodosHeader() -> impl IntoView {
    let leaving = RwSignal::new(false);
    let user = Resource::new(|| (), |_| current_user());
    view! {
        <header class="bar">
            <div>
                <h1>"My Todos"</h1>
                <Suspense>
                    {move || Suspend::new(async move {
                        user.await
                            .ok()
                            .flatten()
                            .and_then(|u| u.email)
                            .map(|email| {
                                view! {
                                    <p class="muted" data-testid="user-email">
                                        {email}
                                    </p>
                                }
                            })
                    })}
                </Suspense>
            </div>
            <div class="bar-actions">
                <ThemeToggle />
                // A plain form post even when hydrated: signing out leaves the page with a full
                // navigation, so Back reloads it from the server (which sends a signed-out
                // visitor to sign in) instead of rendering it again in the browser.
                <form method="post" action=SignOut::url() on:submit=move |_| leaving.set(true)>
                    <button type="submit" class="secondary" disabled=leaving>
                        {move || if leaving.get() { "Signing out…" } else { "Sign out" }}
                    </button>
                </form>
            </div>
        </header>
    }
}

/// The new-todo field, checked in the browser first, then by the server.
#[component]
fn AddTodoForm(add: ServerAction<AddTodo>, echo: FormEcho) -> impl IntoView {
    let local_error = RwSignal::new(None::<AppError>);
    let add_error = move || {
        local_error.get().or_else(|| match add.value().get() {
            Some(Err(e)) => Some(e),
            Some(Ok(_)) => None,
            None if echo.editing.get().is_none() => echo.error.get(),
            None => None,
        })
    };
    let check = move |ev: leptos::ev::SubmitEvent| match AddTodo::from_event(&ev)
        .map(|input| normalize_title(&input.title))
    {
        Ok(Err(e)) => {
            ev.prevent_default();
            local_error.set(Some(e.into()));
        }
        _ => local_error.set(None),
    };
    let input = NodeRef::<html::Input>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = add.value().get()
            && let Some(el) = input.get()
        {
            el.set_value("");
        }
    });
    view! {
        <ActionForm action=add on:submit:capture=check attr:class="add" attr:novalidate=true>
            <label for="new-title" class="visually-hidden">"New todo"</label>
            <input
                id="new-title"
                name="title"
                node_ref=input
                placeholder="What needs doing?"
                autocomplete="off"
                value=move || {
                    if echo.editing.get().is_none() { echo.title.get().unwrap_or_default() } else { String::new() }
                }
                on:input=move |_| local_error.set(None)
                aria-invalid=move || add_error().is_some().to_string()
                aria-describedby="add-error"
            />
            <button type="submit" disabled=move || add.pending().get()>
                {move || if add.pending().get() { "Adding…" } else { "Add" }}
            </button>
        </ActionForm>
        <p id="add-error" class="error" role="alert" data-testid="add-error">
            {move || add_error().map(|e| e.to_string())}
        </p>
    }
}

/// The list, newest first, with its count; a failed load offers Retry.
#[component]
fn TodoList(
    todos: Resource<Result<Vec<Todo>, AppError>>,
    actions: RowActions,
    echo: FormEcho,
) -> impl IntoView {
    view! {
        <Transition fallback=|| view! { <p class="muted" role="status">"Loading your todos…"</p> }>
            {move || Suspend::new(async move {
                match todos.await {
                    Err(e) => {
                        let retry = move |ev: leptos::ev::MouseEvent| {
                            ev.prevent_default();
                            todos.refetch();
                        };
                        view! {
                            <div class="banner" role="alert" data-testid="load-error">
                                <p>{e.to_string()}</p>
                                <a class="button" href=HOME on:click=retry>
                                    "Retry"
                                </a>
                            </div>
                        }
                            .into_any()
                    }
                    Ok(list) if list.is_empty() => {
                        view! { <p class="empty" data-testid="empty">"No todos yet. Add one above!"</p> }
                            .into_any()
                    }
                    Ok(list) => {
                        let count = count_text(&list);
                        let rows = list
                            .into_iter()
                            .map(|todo| view! { <TodoRow todo actions echo /> })
                            .collect_view();
                        view! {
                            <p class="muted count" data-testid="count">{count}</p>
                            <ul class="todos">{rows}</ul>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}
