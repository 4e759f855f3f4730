//! What the soak (`src/main.rs`) and the bench's user (`src/bin/bench-user.rs`) share: users
//! signed in through the real magic-link flow, calling the app as the hydrated page does.

pub mod users;
