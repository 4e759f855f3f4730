//! What can go wrong with a cluster.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error(
        "PostgreSQL server binaries not found (looked for initdb in $PG_BIN_DIR and \
         /usr/lib/postgresql/*/bin); install them with `apt-get install postgresql`"
    )]
    BinariesNotFound,
    #[error(
        "running as root, but there is no unprivileged user (`postgres` or `nobody`) to run PostgreSQL as"
    )]
    NoUnprivilegedUser,
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{what} failed; its output:\n{log}")]
    Command { what: String, log: String },
    #[error("PostgreSQL did not accept connections within {0:?}; its log:\n{1}")]
    NotReady(Duration, String),
    #[error("database setup: {0}")]
    Sql(#[from] tokio_postgres::Error),
    #[error("{0}")]
    Other(String),
}

pub(super) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> PgError {
    let what = what.into();
    move |source| PgError::Io { what, source }
}
