//! Razam's domain: the types and rules every other crate shares.
//!
//! This crate does no I/O and knows nothing of HTTP, SQL, files or the command line.
//! Values that reach it from outside are parsed once into newtypes here; the rest of the
//! code takes the newtype and never checks again.

pub mod account;
pub mod aid;
pub mod assistance;
pub mod audit;
pub mod barcode;
pub mod campaign;
pub mod custody;
pub mod ledger;
pub mod locale;
pub mod registry;
pub mod role;
pub mod totp;
pub mod transparency;

pub use account::{DisplayName, EmailAddress, NewPassword, Username};
pub use audit::{AuditRecord, ChainBreak, ChainLink};
pub use locale::Locale;
pub use role::Role;
