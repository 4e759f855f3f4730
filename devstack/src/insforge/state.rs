//! What every request of the stand-in shares: the database pool and the project's credentials.

use deadpool_postgres::Pool;

use super::auth::Credentials;

pub struct AppState {
    pub(crate) pool: Pool,
    pub(crate) credentials: Credentials,
}
