//! Evidence and chain of custody on both databases: files taken in, viewed, downloaded,
//! exported into a signed package, verified by the `razam` binary without an instance, and
//! every kind of tampering named; the command line, age encryption, the README's standard-tool
//! instructions, who may do what, and memory that stays bounded on a large file.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use razam_app::Actor;
use razam_app::evidence::{Attachment, Capture};
use razam_core::Role;
use razam_core::registry::Confidentiality;

use crate::helpers::{TestApp, add_user};
use crate::on_both_databases;

const CASE: &str = "ECHR 12345/21 — Case of A.B. v. Belarus";

fn razam() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_razam"));
    for var in ["RAZAM_PASSPHRASE", "RAZAM_LISTEN", "RAZAM_DATABASE", "RAZAM_PEAK_RSS"] {
        c.env_remove(var);
    }
    c.env("RAZAM_LOG", "warn").stdin(Stdio::null());
    c
}

fn verify(package: &Path) -> (i32, Vec<String>) {
    let o = razam().arg("evidence").arg("verify").arg(package).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    (o.status.code().unwrap(), out.lines().map(str::to_owned).collect())
}

/// A JPEG whose EXIF segment carries a position: enough structure for the sharing copy.
fn jpeg_with_position() -> Vec<u8> {
    let mut j = vec![0xff, 0xd8];
    let seg = |kind: u8, body: &[u8]| {
        let mut s = vec![0xff, kind];
        s.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
        s.extend_from_slice(body);
        s
    };
    j.extend(seg(0xe0, b"JFIF\0\x01\x02\0\0\x01\0\x01\0\0"));
    j.extend(seg(0xe1, b"Exif\0\0GPSLatitude 53.8765 N"));
    j.extend(seg(0xdb, &[0; 65]));
    j.extend(seg(0xda, &[1, 1, 0, 0, 63, 0]));
    j.extend([0x12, 0x34, 0x56, 0xff, 0xd9]);
    j
}

struct Files {
    _dir: tempfile::TempDir,
    paths: Vec<PathBuf>,
}

fn files() -> Files {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    let video: Vec<u8> = (0..1_500_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for (name, bytes) in [
        ("photo.jpg", jpeg_with_position()),
        (
            "statement of witness.pdf",
            b"%PDF-1.7\n...testimony...\n%%EOF\n".to_vec(),
        ),
        ("video.mp4", video),
    ] {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        paths.push(p);
    }
    Files { _dir: dir, paths }
}

fn capture() -> Capture {
    Capture {
        collected_by: "Observer 7".into(),
        collected_at: "2020-08-10, evening".into(),
        method: "photographed from a balcony".into(),
        source: String::new(),
        tool: "phone camera".into(),
        notes: String::new(),
    }
}

/// The entries of a tar archive, in order, with their bytes.
fn entries(package: &Path) -> Vec<(String, Vec<u8>)> {
    let mut archive = tar::Archive::new(std::fs::File::open(package).unwrap());
    archive
        .entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let path = e.path().unwrap().to_string_lossy().into_owned();
            let mut bytes = Vec::new();
            e.read_to_end(&mut bytes).unwrap();
            (path, bytes)
        })
        .collect()
}

/// A copy of `package` with its entries changed by `change`.
fn tampered(package: &Path, name: &str, change: impl FnOnce(&mut Vec<(String, Vec<u8>)>)) -> PathBuf {
    let mut all = entries(package);
    change(&mut all);
    let out = package.with_file_name(name);
    let mut builder = tar::Builder::new(std::fs::File::create(&out).unwrap());
    for (path, bytes) in all {
        let mut h = tar::Header::new_ustar();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        builder.append_data(&mut h, path, bytes.as_slice()).unwrap();
    }
    builder.into_inner().unwrap().flush().unwrap();
    out
}

fn problems(lines: &[String]) -> Vec<String> {
    lines.iter().filter(|l| !l.starts_with("FAILED")).cloned().collect()
}

async fn a_case_is_taken_in_exported_verified_and_each_tampering_is_named(app: TestApp) {
    let a = &app.app;
    let f = files();
    let mut ids = Vec::new();
    for p in &f.paths {
        let item = a
            .add_evidence_file(
                &Actor::Cli,
                CASE,
                p,
                &capture(),
                Attachment::None,
                Confidentiality::Restricted,
            )
            .await
            .unwrap();
        let bytes = std::fs::read(p).unwrap();
        assert_eq!(item.facts.size, bytes.len() as u64);
        assert_eq!(item.facts.capture, capture(), "capture metadata is kept as given");
        // The hashes are those standard tools compute.
        let sha = Command::new("sha256sum").arg(p).output().unwrap();
        assert!(String::from_utf8_lossy(&sha.stdout).starts_with(&item.facts.sha256));
        assert_eq!(item.facts.blake3, blake3::hash(&bytes).to_hex().to_string());
        ids.push(item.id);
    }
    // The data folder holds only opaque names, none of them the original's.
    let stored: Vec<String> = std::fs::read_dir(app.data_dir().join("evidence"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(stored.len(), 3);
    assert!(
        stored
            .iter()
            .all(|n| n.len() == 32 && n.chars().all(|c| c.is_ascii_hexdigit())),
        "{stored:?}"
    );

    // A view, a download of the original and a sharing copy of the photo.
    let (view, log) = a.evidence_item(&Actor::Cli, ids[0]).await.unwrap();
    assert_eq!(view.facts.original_name, "photo.jpg");
    assert_eq!(log.len(), 2);
    let original = SharedBuf::default();
    a.download_evidence(&Actor::Cli, ids[0], false, original.clone())
        .await
        .unwrap();
    assert_eq!(original.bytes(), jpeg_with_position());
    let copy = SharedBuf::default();
    a.download_evidence(&Actor::Cli, ids[0], true, copy.clone())
        .await
        .unwrap();
    let copy = copy.bytes();
    assert!(
        !copy.windows(11).any(|w| w == b"GPSLatitude"),
        "the position is stripped"
    );
    assert!(
        copy.ends_with(&[0x12, 0x34, 0x56, 0xff, 0xd9]),
        "the image data is kept"
    );
    let err = a
        .download_evidence(&Actor::Cli, ids[1], true, SharedBuf::default())
        .await
        .unwrap_err();
    assert!(err.is_bad_input(), "no sharing copy of a PDF: {err}");

    // The package verifies, and carries the custody log with the export in it.
    let out_dir = tempfile::tempdir().unwrap();
    let package = out_dir.path().join("case.tar");
    let report = a.export_evidence(&Actor::Cli, CASE, &package, None).await.unwrap();
    assert_eq!(report.files, 3);
    assert_eq!(report.fingerprint, a.signing_identity().fingerprint());
    let (code, lines) = verify(&package);
    assert_eq!(code, 0, "{lines:?}");
    assert!(lines[0].starts_with("OK: 3 files of case ECHR 12345/21"), "{lines:?}");
    assert!(lines[0].ends_with(&report.fingerprint), "{lines:?}");
    let (_, log) = a.evidence_item(&Actor::Cli, ids[0]).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|c| c.record.action.as_str()).collect();
    assert_eq!(
        actions,
        ["intake", "view", "download", "sharing-copy", "export", "view"]
    );
    assert_eq!(log[4].record.detail, format!("package:{}", report.package));
    assert!(log.windows(2).all(|w| w[1].prev_hash == w[0].hash), "one chain");
    let verified = razam_core::custody::verify_custody(log.iter().map(|c| (&c.record, &c.prev_hash, &c.hash)));
    assert_eq!(verified, Ok(6));
    let manifest: serde_json::Value = {
        let all = entries(&package);
        let (_, m) = all.iter().find(|(p, _)| p.ends_with("/manifest.json")).unwrap();
        serde_json::from_slice(m).unwrap()
    };
    assert_eq!(manifest["files"][0]["capture"]["tool"], "phone camera");
    assert_eq!(manifest["files"][0]["capture"]["source"], "", "not given stays empty");
    assert_eq!(manifest["files"][0]["custody"][4]["action"], "export");
    let names: Vec<String> = entries(&package).into_iter().map(|(p, _)| p).collect();
    let video = names.iter().find(|n| n.ends_with("0003-video.mp4")).unwrap().clone();
    let statement = names
        .iter()
        .find(|n| n.ends_with("0002-statement_of_witness.pdf"))
        .unwrap()
        .clone();
    let folder = video.split('/').next().unwrap().to_owned();

    // One byte of one file flipped: that file, and nothing else, is named.
    let flipped = tampered(&package, "flipped.tar", |all| {
        let (_, bytes) = all.iter_mut().find(|(p, _)| *p == video).unwrap();
        bytes[700_000] ^= 0x01;
    });
    let (code, lines) = verify(&flipped);
    assert_eq!(code, 1);
    assert_eq!(problems(&lines), ["altered: files/0003-video.mp4"]);

    // The manifest edited (a capture field changed): its signature fails.
    let edited = tampered(&package, "edited.tar", |all| {
        let (_, bytes) = all.iter_mut().find(|(p, _)| p.ends_with("/manifest.json")).unwrap();
        let text = String::from_utf8(bytes.clone())
            .unwrap()
            .replace("Observer 7", "Observer 8");
        *bytes = text.into_bytes();
    });
    let (code, lines) = verify(&edited);
    assert_eq!(code, 1);
    assert_eq!(problems(&lines), ["bad signature: manifest.json"]);

    // A file removed, and a file added.
    let removed = tampered(&package, "removed.tar", |all| all.retain(|(p, _)| *p != statement));
    let (code, lines) = verify(&removed);
    assert_eq!(code, 1);
    assert_eq!(problems(&lines), ["missing: files/0002-statement_of_witness.pdf"]);
    let extra = tampered(&package, "extra.tar", |all| {
        all.push((format!("{folder}/files/0004-planted.jpg"), b"planted".to_vec()))
    });
    let (code, lines) = verify(&extra);
    assert_eq!(code, 1);
    assert_eq!(problems(&lines), ["extra: files/0004-planted.jpg"]);

    // Every custody entry is also in the keyed audit chain, which still holds.
    let audit = a.verify_audit(None, &|_| {}).await.unwrap();
    assert!(audit.entries >= 3 + 6, "{audit:?}");
}
on_both_databases!(a_case_is_taken_in_exported_verified_and_each_tampering_is_named);

/// A writer the test keeps a handle to while the app writes into it on another thread.
#[derive(Clone, Default)]
struct SharedBuf(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl SharedBuf {
    fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap().clone()
    }
}

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn each_role_adds_views_and_exports_what_it_may(app: TestApp) {
    let a = &app.app;
    let f = files();
    for (name, role) in [
        ("doc", Role::Documenter),
        ("rev", Role::Reviewer),
        ("viewer", Role::Viewer),
        ("vol", Role::Volunteer),
        ("coord", Role::Coordinator),
    ] {
        add_user(a, name, name, role, &format!("{name}-password-1")).await;
    }
    let actor = |name: &'static str| async move {
        Actor::Account(a.log_in(name, &format!("{name}-password-1"), None).await.unwrap().user)
    };
    let (doc, rev, viewer, vol, coord) = (
        actor("doc").await,
        actor("rev").await,
        actor("viewer").await,
        actor("vol").await,
        actor("coord").await,
    );
    let add = |who: &Actor, level: Confidentiality| {
        let who = who.clone();
        let path = f.paths[1].clone();
        async move {
            a.add_evidence_file(&who, CASE, &path, &Capture::default(), Attachment::None, level)
                .await
        }
    };
    // Documenters and reviewers take evidence in; nobody else does.
    let restricted = add(&doc, Confidentiality::Restricted).await.unwrap();
    let internal = add(&rev, Confidentiality::Internal).await.unwrap();
    for who in [&viewer, &vol, &coord] {
        assert!(matches!(
            add(who, Confidentiality::Internal).await,
            Err(razam_app::AppError::Forbidden)
        ));
    }
    // Viewers read internal items but not restricted ones; volunteers read none.
    let case = a.evidence_case_by_reference(&doc, CASE).await.unwrap();
    let (_, seen) = a.evidence_case(&viewer, case.id).await.unwrap();
    assert_eq!(seen.iter().map(|i| i.id).collect::<Vec<_>>(), [internal.id]);
    assert!(a.evidence_item(&viewer, internal.id).await.is_ok());
    assert!(matches!(
        a.evidence_item(&viewer, restricted.id).await,
        Err(razam_app::AppError::Forbidden)
    ));
    assert!(a.evidence_case(&vol, case.id).await.is_err());
    assert!(a.evidence_item(&vol, internal.id).await.is_err());
    // Exporting needs the export permission: documenters, reviewers, admins.
    let dir = tempfile::tempdir().unwrap();
    for (who, may) in [(&viewer, false), (&coord, false), (&doc, true), (&rev, true)] {
        let out = dir.path().join(format!("{}.tar", rand::random::<u32>()));
        let result = a.export_evidence(who, CASE, &out, None).await;
        assert_eq!(result.is_ok(), may, "{result:?}");
        assert_eq!(out.exists(), may);
    }
    // A refused view leaves no custody entry; the allowed ones do.
    let (_, log) = a.evidence_item(&doc, restricted.id).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|c| c.record.action.as_str()).collect();
    assert_eq!(actions, ["intake", "export", "export", "view"]);
}
on_both_databases!(each_role_adds_views_and_exports_what_it_may);

// --- the command line, on SQLite ---------------------------------------------------------

const PASS: &str = "operator passphrase 2026";

fn instance() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let o = razam()
        .args(["init", "--data", data.to_str().unwrap()])
        .env("RAZAM_PASSPHRASE", PASS)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (tmp, data)
}

fn run(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = razam();
    c.arg("evidence").arg(args[0]).arg("--data").arg(data).args(&args[1..]);
    c.env("RAZAM_PASSPHRASE", PASS);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

#[test]
fn the_command_line_adds_exports_encrypts_and_the_readme_instructions_work() {
    let (_tmp, data) = instance();
    let f = files();
    let mut args = vec!["add", "--case", CASE, "--collected-by", "Observer 7"];
    args.extend(f.paths.iter().map(|p| p.to_str().unwrap()));
    let o = run(&data, &args, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 3);
    // A missing file: nothing is taken in, exit 2.
    let o = run(&data, &["add", "--case", CASE, "/nonexistent/file.jpg"], &[]);
    assert_eq!(o.status.code(), Some(2));

    // A backup does not hold the evidence files yet, and says so.
    let archive = _tmp.path().join("razam.backup");
    let o = razam()
        .args([
            "backup",
            "--data",
            data.to_str().unwrap(),
            "--out",
            archive.to_str().unwrap(),
        ])
        .env("RAZAM_PASSPHRASE", PASS)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("evidence files are NOT in this archive"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    let out = tempfile::tempdir().unwrap();
    let package = out.path().join("case.tar");
    let o = run(
        &data,
        &["export", "--case", CASE, "--out", package.to_str().unwrap()],
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("in the clear"),
        "the operator is warned"
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&package).unwrap().permissions().mode() & 0o777, 0o600);
    // Exporting over an existing file is refused.
    let o = run(
        &data,
        &["export", "--case", CASE, "--out", package.to_str().unwrap()],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(verify(&package).0, 0);

    // Handing the package on is recorded in the custody log of each file in it.
    let id = String::from_utf8_lossy(&o_package_id(&package)).into_owned();
    let o = run(
        &data,
        &[
            "transfer",
            "--case",
            CASE,
            "--package",
            &id,
            "--to",
            "Registry of the Court",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(
        &data,
        &["transfer", "--case", CASE, "--package", "0000", "--to", "someone"],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "an unknown package is named as such");
    let again = out.path().join("again.tar");
    let o = run(
        &data,
        &["export", "--case", CASE, "--out", again.to_str().unwrap()],
        &[],
    );
    assert!(o.status.success());
    assert_eq!(verify(&again).0, 0, "the custody chains with the transfer verify");
    let manifest: serde_json::Value = {
        let all = entries(&again);
        let (_, m) = all.iter().find(|(p, _)| p.ends_with("/manifest.json")).unwrap();
        serde_json::from_slice(m).unwrap()
    };
    let actions: Vec<&str> = manifest["files"][0]["custody"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["intake", "export", "transfer", "export"]);

    // The README's own commands, run as written in the unpacked folder.
    if Command::new("openssl").arg("version").output().is_ok() {
        let unpacked = out.path().join("unpacked");
        std::fs::create_dir(&unpacked).unwrap();
        let o = Command::new("tar")
            .arg("xf")
            .arg(&package)
            .arg("-C")
            .arg(&unpacked)
            .output()
            .unwrap();
        assert!(o.status.success());
        let folder = std::fs::read_dir(&unpacked).unwrap().next().unwrap().unwrap().path();
        let readme = std::fs::read_to_string(folder.join("README.txt")).unwrap();
        let commands: Vec<&str> = readme
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("openssl ") || l.starts_with("sha256sum ") || l.starts_with("find "))
            .collect();
        assert_eq!(commands.len(), 5, "{commands:?}");
        let fingerprint = readme
            .lines()
            .map(str::trim)
            .find(|l| l.len() == 79 && l.matches(':').count() == 15)
            .unwrap()
            .replace(':', "");
        for command in commands {
            let o = Command::new("sh")
                .arg("-c")
                .arg(command)
                .current_dir(&folder)
                .output()
                .unwrap();
            let said = String::from_utf8_lossy(&o.stdout).into_owned();
            assert!(
                o.status.success(),
                "{command}: {said} {}",
                String::from_utf8_lossy(&o.stderr)
            );
            if command.starts_with("openssl pkey ") {
                assert!(said.starts_with(&fingerprint), "{said} vs {fingerprint}");
            } else if command.starts_with("openssl pkeyutl") {
                assert!(said.contains("Signature Verified Successfully"), "{said}");
            } else if command.starts_with("sha256sum") {
                assert_eq!(said.lines().filter(|l| l.ends_with(": OK")).count(), 3, "{said}");
            } else {
                let counts: Vec<&str> = said.split_whitespace().collect();
                assert_eq!(counts, ["3", "3"], "{said}");
            }
        }
        // And openssl refuses an altered manifest.
        let manifest = folder.join("manifest.json");
        let text = std::fs::read_to_string(&manifest)
            .unwrap()
            .replace("Observer 7", "Observer 8");
        std::fs::write(&manifest, text).unwrap();
        let o = Command::new("sh")
            .arg("-c")
            .arg("openssl pkeyutl -verify -pubin -inkey public-key.pem -rawin -in manifest.json -sigfile manifest.json.sig")
            .current_dir(&folder)
            .output()
            .unwrap();
        assert!(!o.status.success());
    }

    // Encrypted to an age recipient: unreadable as a tar, verified with the identity.
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public().to_string();
    let sealed = out.path().join("case.tar.age");
    let o = run(
        &data,
        &[
            "export",
            "--case",
            CASE,
            "--out",
            sealed.to_str().unwrap(),
            "--age-recipient",
            &recipient,
        ],
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::read(&sealed).unwrap().starts_with(b"age-encryption.org/v1"));
    let o = razam().args(["evidence", "verify"]).arg(&sealed).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "an encrypted package needs its identity");
    let key_file = out.path().join("identity.txt");
    use age::secrecy::ExposeSecret;
    std::fs::write(&key_file, identity.to_string().expose_secret()).unwrap();
    let o = razam()
        .args(["evidence", "verify"])
        .arg(&sealed)
        .arg("--identity")
        .arg(&key_file)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));
    let o = run(
        &data,
        &[
            "export",
            "--case",
            CASE,
            "--out",
            "/tmp/x.tar",
            "--age-recipient",
            "nonsense",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
}

/// The package id, as the folder name inside the archive tells it.
fn o_package_id(package: &Path) -> Vec<u8> {
    let first = entries(package).remove(0).0;
    first
        .split('/')
        .next()
        .unwrap()
        .trim_start_matches("razam-evidence-")
        .as_bytes()
        .to_vec()
}

/// Peak resident memory the binary reports with RAZAM_PEAK_RSS, in KiB.
fn peak_kib(o: &Output) -> u64 {
    let err = String::from_utf8_lossy(&o.stderr);
    let line = err
        .lines()
        .find(|l| l.starts_with("peak RSS: "))
        .unwrap_or_else(|| panic!("{err}"));
    line["peak RSS: ".len()..]
        .trim_end_matches(" kB")
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn a_large_file_goes_through_intake_export_and_verify_in_bounded_memory() {
    // Debug builds seal at a few MB/s (the cipher's generic code is compiled in razam-app,
    // unoptimised), so the file is 64 MiB here; bench/evidence.sh takes 2 GiB through the
    // release build.
    const SIZE: u64 = 64 * 1024 * 1024;
    let (_tmp, data) = instance();
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small.bin");
    std::fs::write(&small, b"x").unwrap();
    let large = dir.path().join("large.bin");
    // Sparse: 64 MiB that take no room on disk until sealed.
    std::fs::File::create(&large).unwrap().set_len(SIZE).unwrap();
    let env = [("RAZAM_PEAK_RSS", "1")];
    let base = run(&data, &["add", "--case", "small", small.to_str().unwrap()], &env);
    assert!(base.status.success());
    let o = run(&data, &["add", "--case", "large", large.to_str().unwrap()], &env);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // KiB of growth allowed: a quarter of the file, far above the buffers (a few 256 KiB).
    let limit = 16 * 1024;
    assert!(
        peak_kib(&o) < peak_kib(&base) + limit,
        "intake {} vs {}",
        peak_kib(&o),
        peak_kib(&base)
    );

    let package = dir.path().join("large.tar");
    let base_package = dir.path().join("small.tar");
    let base = run(
        &data,
        &["export", "--case", "small", "--out", base_package.to_str().unwrap()],
        &env,
    );
    assert!(base.status.success());
    let o = run(
        &data,
        &["export", "--case", "large", "--out", package.to_str().unwrap()],
        &env,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        peak_kib(&o) < peak_kib(&base) + limit,
        "export {} vs {}",
        peak_kib(&o),
        peak_kib(&base)
    );
    assert!(std::fs::metadata(&package).unwrap().len() > SIZE);

    let verify = |p: &Path| {
        razam()
            .args(["evidence", "verify"])
            .arg(p)
            .env("RAZAM_PEAK_RSS", "1")
            .output()
            .unwrap()
    };
    let base = verify(&base_package);
    let o = verify(&package);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stdout));
    assert!(
        peak_kib(&o) < peak_kib(&base) + limit,
        "verify {} vs {}",
        peak_kib(&o),
        peak_kib(&base)
    );
}

async fn the_pages_show_items_custody_and_dossiers_to_those_who_may_read_them(app: TestApp) {
    use razam_app::registry::{EventDetails, EventInput, Identity, PersonInput};
    use razam_core::registry::{Article, EventKind, FuzzyDate, PersonRole};
    let a = &app.app;
    let person = a
        .create_person(
            &Actor::Cli,
            &PersonInput {
                identity: Identity {
                    given_name: "Алесь".into(),
                    family_name: "Дасьевіч".into(),
                    ..Identity::default()
                },
                region: Some("minsk".into()),
                confidentiality: Confidentiality::Internal,
                consent_to_publish: false,
            },
        )
        .await
        .unwrap();
    let event = a
        .create_event(
            &Actor::Cli,
            &EventInput {
                kind: EventKind::Sentence,
                date: Some(FuzzyDate::parse("2021-05").unwrap()),
                region: Some("minsk".into()),
                arrest_days: None,
                term_months: Some(36),
                details: EventDetails::default(),
                confidentiality: Confidentiality::Internal,
                articles: vec![Article::parse("342").unwrap()],
                persons: vec![(person, PersonRole::Victim)],
            },
        )
        .await
        .unwrap();
    let f = files();
    let photo = a
        .add_evidence_file(
            &Actor::Cli,
            CASE,
            &f.paths[0],
            &capture(),
            Attachment::Person(person),
            Confidentiality::Internal,
        )
        .await
        .unwrap();
    let statement = a
        .add_evidence_file(
            &Actor::Cli,
            CASE,
            &f.paths[1],
            &Capture::default(),
            Attachment::Event(event),
            Confidentiality::Restricted,
        )
        .await
        .unwrap();
    let case = a.evidence_case_by_reference(&Actor::Cli, CASE).await.unwrap();

    let c = app
        .logged_in_client(crate::helpers::ADMIN, crate::helpers::ADMIN_PASSWORD)
        .await;
    let (status, page) = app.get(&c, "/evidence?lang=en").await;
    assert_eq!(status, 200);
    assert!(page.contains("ECHR 12345/21"), "{page}");
    assert!(
        page.contains(&a.signing_identity().fingerprint()),
        "the key's fingerprint is shown"
    );
    assert!(page.contains("BEGIN PUBLIC KEY"));
    let (_, page) = app.get(&c, &format!("/evidence/cases/{}", case.id)).await;
    assert!(
        page.contains(&photo.facts.sha256) && page.contains(&statement.facts.blake3),
        "{page}"
    );

    // The item page shows the capture as given and the custody log, itself now one longer.
    let (_, page) = app.get(&c, &format!("/evidence/items/{}", photo.id)).await;
    assert!(page.contains("phone camera") && page.contains("not given"), "{page}");
    assert!(page.contains("intake") && page.contains("viewed"), "{page}");
    let r = c
        .get(app.url(&format!("/evidence/items/{}/original", photo.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-disposition"], "attachment; filename=\"photo.jpg\"");
    assert_eq!(r.bytes().await.unwrap().to_vec(), jpeg_with_position());
    let r = c
        .get(app.url(&format!("/evidence/items/{}/sharing-copy", photo.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let copy = r.bytes().await.unwrap().to_vec();
    assert!(!copy.windows(11).any(|w| w == b"GPSLatitude") && copy.starts_with(&[0xff, 0xd8]));
    let (_, page) = app.get(&c, &format!("/evidence/items/{}", photo.id)).await;
    assert!(
        page.contains("downloaded") && page.contains("sharing copy downloaded"),
        "{page}"
    );
    let (_, log) = a.evidence_item(&Actor::Cli, photo.id).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.record.action.as_str()).collect();
    assert_eq!(actions, ["intake", "view", "download", "sharing-copy", "view", "view"]);

    // The person's dossier, in the reader's language, with both items and their hashes.
    let (status, dossier) = app.get(&c, &format!("/persons/{person}/dossier?lang=be")).await;
    assert_eq!(status, 200);
    assert!(dossier.contains("Дасьевіч") && dossier.contains("Дасье"), "{dossier}");
    assert!(dossier.contains("342"), "the charges");
    assert!(dossier.contains(&photo.facts.sha256) && dossier.contains(&statement.facts.sha256));
    let (_, dossier) = app.get(&c, &format!("/evidence/cases/{}/dossier", case.id)).await;
    assert!(
        dossier.contains("Дасьевіч") && dossier.contains(&statement.facts.blake3),
        "{dossier}"
    );
    let (_, css) = app.get(&c, "/static/razam.css").await;
    assert!(css.contains("@media print"));

    // A viewer sees the internal photo in the dossier but not the restricted statement; a
    // volunteer sees no evidence at all.
    add_user(a, "viewer", "Viewer", Role::Viewer, "viewer-password-1").await;
    let v = app.logged_in_client("viewer", "viewer-password-1").await;
    let (_, dossier) = app.get(&v, &format!("/persons/{person}/dossier")).await;
    assert!(dossier.contains(&photo.facts.sha256) && !dossier.contains(&statement.facts.sha256));
    let (status, _) = app.get(&v, &format!("/evidence/items/{}", statement.id)).await;
    assert_eq!(status, 403);
    let r = v
        .get(app.url(&format!("/evidence/items/{}/original", statement.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    add_user(a, "vol", "Volunteer", Role::Volunteer, "vol-password-1").await;
    let vol = app.logged_in_client("vol", "vol-password-1").await;
    let (status, _) = app.get(&vol, "/evidence").await;
    assert_eq!(status, 403);
    let (status, _) = app.get(&vol, &format!("/evidence/items/{}", photo.id)).await;
    assert_eq!(status, 403);
}
on_both_databases!(the_pages_show_items_custody_and_dossiers_to_those_who_may_read_them);

async fn a_sealed_file_altered_on_disk_is_refused_and_the_failed_export_is_logged(app: TestApp) {
    let a = &app.app;
    let f = files();
    let item = a
        .add_evidence_file(
            &Actor::Cli,
            CASE,
            &f.paths[2],
            &Capture::default(),
            Attachment::None,
            Confidentiality::Restricted,
        )
        .await
        .unwrap();
    let sealed = std::fs::read_dir(app.data_dir().join("evidence"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&sealed).unwrap();
    bytes[500_000] ^= 0x01;
    std::fs::write(&sealed, bytes).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("case.tar");
    let err = a.export_evidence(&Actor::Cli, CASE, &out, None).await.unwrap_err();
    assert!(err.to_string().contains("damaged or was altered"), "{err}");
    assert!(
        !out.exists() && std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing is left behind"
    );
    assert!(
        a.download_evidence(&Actor::Cli, item.id, false, SharedBuf::default())
            .await
            .is_err()
    );
    let (_, log) = a.evidence_item(&Actor::Cli, item.id).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|c| c.record.action.as_str()).collect();
    assert_eq!(actions, ["intake", "export", "export-failed", "download", "view"]);
    assert_eq!(log[1].record.detail, log[2].record.detail);
}
on_both_databases!(a_sealed_file_altered_on_disk_is_refused_and_the_failed_export_is_logged);
