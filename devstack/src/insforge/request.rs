//! A records request as the gateway passes it on to PostgREST: its method, its target, its
//! query and preferences parsed, and its body.

use axum::http::Method;
use serde_json::Value;

use super::query::{Prefer, Query};

pub(super) struct Request {
    pub(super) method: Method,
    pub(super) schema: String,
    pub(super) table: String,
    pub(super) query: Query,
    pub(super) prefer: Prefer,
    pub(super) singular: bool,
    pub(super) body: Option<Value>,
}

impl Request {
    pub(super) fn is_read(&self) -> bool {
        matches!(self.method, Method::GET | Method::HEAD)
    }
}
