//! `razam observe forensics` on the real protocol files: no instance, the columns it used, the
//! JSON shape, the figures the library computes (tested against independent derivations in
//! razam-forensics/tests/real_protocols.rs), and clear errors with exit 2.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn data(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/elections")
        .join(path)
}

fn forensics(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_razam"))
        .args(["observe", "forensics"])
        .args(args)
        .env("RAZAM_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn forensics_of_the_2012_protocols_reports_the_library_figures_in_the_agreed_json() {
    let file = data("ru/2012.csv.zip");
    let tmp = tempfile::tempdir().unwrap();
    let svg = tmp.path().join("fp.svg");
    let o = forensics(&[
        "--protocols",
        file.to_str().unwrap(),
        "--format",
        "json",
        "--repetitions",
        "40",
        "--bootstrap",
        "20",
        "--seed",
        "5",
        "--svg",
        svg.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();

    // The agreed shape of integer_percentages, exactly.
    let ip = v["integer_percentages"].as_object().unwrap();
    let keys: Vec<&str> = ip.keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 5);
    for k in ["stations_included", "observed", "expected", "excess", "p999"] {
        assert!(ip.contains_key(k), "{k}");
    }
    for k in ["observed", "expected", "excess", "p999"] {
        let inner: Vec<&str> = ip[k].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(inner.len(), 3);
        for w in ["either", "result", "turnout"] {
            assert!(ip[k][w].is_number(), "{k}.{w}");
        }
    }

    // The same figures as the library on the same bytes and options.
    let bytes = {
        use std::io::Read;
        let mut archive = zip::ZipArchive::new(std::fs::File::open(&file).unwrap()).unwrap();
        let mut out = Vec::new();
        archive.by_index(0).unwrap().read_to_end(&mut out).unwrap();
        out
    };
    let parsed = razam_forensics::protocol::parse(&bytes).unwrap();
    let leader = parsed.election.leader().unwrap();
    let lib = razam_forensics::integer::integer_percentages(&parsed.election, leader, 40, 5);
    assert_eq!(ip["stations_included"], lib.stations_included);
    assert_eq!(ip["observed"]["either"], lib.observed.either);
    assert_eq!(ip["observed"]["result"], lib.observed.result);
    assert_eq!(ip["observed"]["turnout"], lib.observed.turnout);
    assert_eq!(ip["expected"]["either"].as_f64().unwrap(), lib.expected.either);
    assert_eq!(ip["p999"]["turnout"].as_f64().unwrap(), lib.p999.turnout);

    // The columns it used, and the rest of the report.
    assert_eq!(v["format"], "ru-cec");
    assert_eq!(v["stations"], 95_415);
    assert_eq!(
        v["columns"]["registered"],
        serde_json::json!(["Число избирателей, включенных в список избирателей"])
    );
    assert_eq!(v["columns"]["issued"].as_array().unwrap().len(), 3);
    assert_eq!(v["leader"], "Путин Владимир Владимирович");
    assert_eq!(v["parameters"]["repetitions"], 40);
    let counts = v["fingerprint"]["station_counts"].as_array().unwrap();
    assert_eq!(counts.len(), 100);
    assert!(counts.iter().all(|row| row.as_array().unwrap().len() == 100));
    assert!(v["shpilkin"]["anomalous_votes"].as_f64().unwrap() > 0.0);
    assert_eq!(v["digits"]["second_digit"].as_array().unwrap().len(), 5);
    assert_eq!(v["pvt"]["simple"]["sample"], 1000);
    assert_eq!(v["arithmetic"]["failing_rows"], 0);
    assert_eq!(v["arithmetic"]["rows_checked"], 95_415);

    let drawing = std::fs::read_to_string(&svg).unwrap();
    assert!(drawing.starts_with("<svg") && drawing.ends_with("</svg>"));
    assert!(!drawing.contains("<script"));
}

#[test]
fn the_belarus_file_says_which_rows_it_used_and_names_its_columns_on_stderr() {
    let file = data("by-2020/voice.csv");
    let o = forensics(&[
        "--protocols",
        file.to_str().unwrap(),
        "--repetitions",
        "20",
        "--bootstrap",
        "20",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("Belarus 2020 platform file (Golos), 1374 stations (4335 rows skipped)"),
        "{err}"
    );
    assert!(err.contains("registered: officialVoters"), "{err}");
    assert!(err.contains("present for 1374 of 5709 stations"), "{err}");
    let out = text(&o.stdout);
    assert!(out.contains("leader: lukashenko"), "{out}");
    assert!(out.contains("integer percentages"), "{out}");
    assert!(out.contains("protocol arithmetic"), "{out}");
}

#[test]
fn bad_files_are_refused_with_exit_2_and_the_place_named() {
    let tmp = tempfile::tempdir().unwrap();

    let o = forensics(&["--protocols", tmp.path().join("none.csv").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("cannot read"), "{}", text(&o.stderr));

    let other = tmp.path().join("other.csv");
    std::fs::write(&other, "name,votes\nx,1\n").unwrap();
    let o = forensics(&["--protocols", other.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("no recognisable columns"),
        "{}",
        text(&o.stderr)
    );

    // A bad cell on line 3 of a Russian protocol.
    let header = "region,tik,uik,\"Число избирателей, включенных в список избирателей\",\"Число избирательных бюллетеней, выданных избирателям, проголосовавшим досрочно\",\"Число избирательных бюллетеней, выданных в помещении для голосования в день голосования\",\"Число избирательных бюллетеней, выданных вне помещения для голосования в день голосования\",Число недействительных избирательных бюллетеней,Число действительных избирательных бюллетеней,А,Б,url";
    let bad = tmp.path().join("bad.csv");
    std::fs::write(
        &bad,
        format!("{header}\nR,1,1,1000,0,500,0,5,495,300,195,u\nR,1,2,1000,0,5O0,0,5,495,300,195,u\n"),
    )
    .unwrap();
    let o = forensics(&["--protocols", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("line 3, column \"Число избирательных бюллетеней, выданных в помещении для голосования в день голосования\": \"5O0\" is not a whole number"),
        "{err}"
    );

    // An archive must hold exactly one CSV.
    let two = tmp.path().join("two.zip");
    {
        let mut w = zip::ZipWriter::new(std::fs::File::create(&two).unwrap());
        for name in ["a.csv", "b.csv"] {
            w.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
            w.write_all(b"x\n").unwrap();
        }
        w.finish().unwrap();
    }
    let o = forensics(&["--protocols", two.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("the archive holds 2 CSV files; one is needed"),
        "{}",
        text(&o.stderr)
    );

    let o = forensics(&["--protocols", other.to_str().unwrap(), "--format", "xml"]);
    assert_eq!(o.status.code(), Some(2));
}
