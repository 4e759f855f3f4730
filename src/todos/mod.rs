//! The todos: a todo and the title rules (`model`, a leaf both sides share), the server
//! functions (`api`), the page (`page`, with one `row` per todo) and its islands (`fields`).

pub mod api;
pub mod fields;
pub mod model;
pub mod page;
pub mod row;
