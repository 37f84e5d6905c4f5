//! The one integration-test binary: the app served on port 0 with a fresh instance per test,
//! driven over HTTP, through the real `razam` binary, and in headless Chromium.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod advisories;
mod aid;
mod api;
mod authz;

mod assistance;
mod browser;
mod campaigns;
mod cli;
mod compartments;
mod crash;
mod duplicates;
mod erasure;
mod events_import;
mod evidence;
mod export;
mod figures;
mod hangup;
mod hostile;
mod i18n;
mod intake;
mod ledger;
mod limits;
mod link;
mod lock;
mod login;
mod observation;
mod observe;
mod reconnect;
mod registry;
mod registry_pages;
mod sealing;
mod search;
mod search_snapshot;
mod sessions;
mod shell;
mod solidarity_api;
mod two_factor;
mod volunteers;
