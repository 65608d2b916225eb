//! The web plumbing `http` and `portal` share: the application state, cookies, CSRF, the
//! beneficiary's session, page rendering and the HTML error page, form posts, flash messages,
//! the audit hook for what pages decide, and the server's public endpoints.
//!
//! Part of the web edge (it uses actix-web, as `http` and `portal` do). It depends on the
//! plain-Rust modules only; `http` and `portal` depend on it and never on each other, and the
//! composition root (`app`) builds the state and mounts both.

pub mod audit;
pub mod beneficiary;
pub mod cookies;
pub mod csrf;
pub mod documents;
pub mod endpoints;
pub mod flash;
pub mod forms;
pub mod pages;
mod state;

pub use state::{self_signed_paths, AppState};
