//! Razam's domain: the types and rules every other crate shares.
//!
//! This crate does no I/O and knows nothing of HTTP, SQL, files or the command line.
//! Values that reach it from outside are parsed once into newtypes here; the rest of the
//! code takes the newtype and never checks again.

pub mod account;
pub mod audit;
pub mod custody;
pub mod locale;
pub mod registry;
pub mod role;
pub mod totp;

pub use account::{DisplayName, EmailAddress, NewPassword, Username};
pub use audit::{AuditRecord, ChainBreak, ChainLink};
pub use locale::Locale;
pub use role::Role;
