//! `carin-sandbox client`: a SMART app that signs in to this sandbox (or to the CMS Blue Button
//! 2.0 sandbox), keeps its tokens, refreshes them, and reads the patient's claims.
//!
//! Plain blocking HTTP (reqwest) and std sockets; no actix here. The pieces:
//! * [`discovery`]: SMART discovery, and the Blue Button preset;
//! * [`pkce`], [`login`]: the authorization-code flow with PKCE S256, `state`, `aud`;
//! * [`loopback`], [`responder`]: the RFC 8252 loopback redirect listener;
//! * [`form_driver`]: the sandbox's sign-in and consent forms, driven for scripts and CI;
//! * [`oauth`]: code exchange, refresh (rotating), revocation;
//! * [`token_store`]: tokens per server in a 0600 file;
//! * [`fhir`], [`queries`], [`output`]: searches that refresh on 401 and follow `next` links;
//! * [`callback_server`]: a local page that completes the flow and prints curl commands;
//! * [`cli`], [`commands`]: the subcommands.

pub mod backend;
pub mod callback_server;
pub mod cli;
pub mod commands;
pub mod discovery;
pub mod error;
pub mod fhir;
pub mod form_driver;
pub mod http;
pub mod login;
pub mod loopback;
pub mod oauth;
pub mod output;
pub mod pkce;
pub mod queries;
pub mod responder;
pub mod token_store;

pub use error::ClientError;
