//! Signing in and out: who the user is, the ways this deployment offers to sign in and the
//! email rule (`model`, a leaf both sides share), the server functions behind the sign-in page
//! (`api`), and the pages (`page`, and `magic_link` where an emailed link lands). The
//! providers' protocols are server-only (`server::providers`).

pub mod api;
pub mod magic_link;
pub mod model;
pub mod page;
