//! prop
