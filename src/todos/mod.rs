//! The todos: a todo and the title rules (`model`, a leaf both sides share), the server
//! functions (`api`) and the page (`page`, with one `row` per todo).

pub mod api;
pub mod model;
pub mod page;
pub mod row;
