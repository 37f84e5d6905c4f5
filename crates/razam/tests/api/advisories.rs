//! `scripts/check-advisories` (run by the test command) fails on a crate version with a known
//! vulnerability and passes a patched one, against the offline RustSec database in ../shared.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn check(lock: &str, db: &Path) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Cargo.lock");
    std::fs::write(&path, lock).unwrap();
    Command::new(root().join("scripts/check-advisories"))
        .arg("--lock")
        .arg(&path)
        .arg("--db")
        .arg(db)
        .output()
        .unwrap()
}

fn package(name: &str, version: &str) -> String {
    format!(
        "[[package]]\nname = \"{name}\"\nversion = \"{version}\"\n\
         source = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
    )
}

#[test]
fn a_vulnerable_crate_version_fails_the_check_and_a_patched_one_passes() {
    let db = root().join("../shared/advisory-db");
    if !db.join("crates").is_dir() {
        // The script says so itself in the test command's output ("NOT CHECKED").
        eprintln!("skipped: no advisory database at {}", db.display());
        return;
    }
    // smallvec 0.6.2 has a double free (RUSTSEC-2018-0003, patched in 0.6.3); hyper 0.14.9
    // accepts smuggled requests (RUSTSEC-2021-0078, patched in 0.14.10).
    let o = check(
        &format!(
            "version = 3\n{}{}",
            package("smallvec", "0.6.2"),
            package("hyper", "0.14.9")
        ),
        &db,
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("VULNERABLE: smallvec 0.6.2: RUSTSEC-2018-0003"), "{out}");
    assert!(out.contains("VULNERABLE: hyper 0.14.9: RUSTSEC-2021-0078"), "{out}");

    // The first patched versions pass those advisories; a caret requirement (`^0.5.1`) counts.
    let o = check(
        &format!(
            "version = 3\n{}{}{}",
            package("smallvec", "1.13.2"),
            package("hyper", "0.14.10"),
            package("serde", "1.0.0")
        ),
        &db,
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!out.contains("RUSTSEC-2021-0078"), "{out}");
    assert!(!out.contains("VULNERABLE: smallvec"), "{out}");
    let o = check(&format!("version = 3\n{}", package("smallvec", "0.5.1")), &db);
    assert!(!String::from_utf8_lossy(&o.stdout).contains("RUSTSEC-2018-0003"));

    // Without a database the check says it did not run.
    let o = check(
        &format!("version = 3\n{}", package("smallvec", "0.6.2")),
        Path::new("/nonexistent"),
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("NOT CHECKED"));
}
