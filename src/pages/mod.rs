//! The pages, each rendered on the server and then hydrated.

pub mod authenticate;
pub mod login;
pub mod theme;
pub mod todo_row;
pub mod todos;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// A query parameter of the current URL, on the server and in the browser alike.
pub fn query_param(name: &'static str) -> Memo<Option<String>> {
    let query = use_query_map();
    Memo::new(move |_| query.with(|q| q.get(name)))
}
