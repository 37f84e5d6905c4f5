//! No personal data in plaintext on disk: a unique marker written into sealed fields must not
//! appear in any file under the data folder (nor in the PostgreSQL cluster's files), in any
//! encoding: UTF-8, UTF-16 (both byte orders), hex (both cases), base64 (standard and URL-safe,
//! at every alignment).

use base64::Engine;
use razam_core::Role;
use sqlx::Connection;

use crate::helpers::{Db, TestApp, add_user_with_email, files_below};
use crate::on_both_databases;

fn needles(text: &str) -> Vec<(String, Vec<u8>)> {
    let bytes = text.as_bytes();
    let mut out = vec![
        ("utf-8".to_owned(), bytes.to_vec()),
        (
            "utf-16le".into(),
            text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        ),
        (
            "utf-16be".into(),
            text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        ),
        ("hex".into(), hex::encode(bytes).into_bytes()),
        ("HEX".into(), hex::encode_upper(bytes).into_bytes()),
    ];
    for (name, engine) in [
        ("base64", &base64::engine::general_purpose::STANDARD_NO_PAD),
        ("base64url", &base64::engine::general_purpose::URL_SAFE_NO_PAD),
    ] {
        // Whatever precedes the marker in a base64 stream, one of these three alignments
        // matches; the last two characters depend on what follows, so they are dropped.
        for skip in 0..3 {
            let encoded = engine.encode(&bytes[skip..]);
            out.push((
                format!("{name}+{skip}"),
                encoded.as_bytes()[..encoded.len() - 2].to_vec(),
            ));
        }
    }
    out
}

fn find_in_files(dirs: &[std::path::PathBuf], markers: &[String]) -> Vec<String> {
    let all: Vec<(String, Vec<u8>)> = markers.iter().flat_map(|m| needles(m)).collect();
    let mut found = Vec::new();
    for dir in dirs {
        for file in files_below(dir) {
            let Ok(content) = std::fs::read(&file) else { continue };
            for (encoding, needle) in &all {
                if memchr::memmem::find(&content, needle).is_some() {
                    found.push(format!("{} ({encoding})", file.display()));
                }
            }
        }
    }
    found
}

async fn a_sealed_marker_never_reaches_the_disk(app: TestApp) {
    let marker = format!("zq{}", hex::encode(rand::random::<[u8; 8]>()));
    let display = format!("Алесь {marker}");
    let email = format!("{marker}@example.org");
    add_user_with_email(
        &app.app,
        &marker,
        &display,
        Some(&email),
        Role::Documenter,
        "marker-password-1",
    )
    .await;

    // Use it the way people do: log in, open pages that show the name, switch language.
    let c = app.logged_in_client(&marker, "marker-password-1").await;
    let (_, home) = app.get(&c, "/?lang=be").await;
    assert!(home.contains(&display), "the marker is really there to be found");
    app.get(&c, "/account").await;
    // An API token named with the marker, used once: only its keyed hash may be stored.
    let (_, account) = app.get(&c, "/account").await;
    let answer = app
        .post_form(&c, "/account/tokens", &account, &[("name", &format!("token {marker}"))])
        .await
        .text()
        .await
        .unwrap();
    let at = answer.find("<code id=\"new-token\">").expect("the new token is shown") + 21;
    let token = answer[at..].split('<').next().unwrap().to_owned();
    let r = reqwest::Client::new()
        .get(app.url("/api/v1/persons"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let listed = app.app.list_users(&razam_app::Actor::Cli).await.unwrap();
    assert!(listed.iter().any(|u| u.email.as_deref() == Some(email.as_str())));

    // The registry: a person's names, a list reference, an event's place, every version.
    let list = format!(
        "ref,given_name,family_name,patronymic,birth_date,region,detained_on,articles,recognized_on,released_on\n\
         ref-{marker},Алесь,{marker},{marker},1962,Minsk,2021-07-14,228,2021-07-15,\n"
    );
    let report = app
        .app
        .import_prisoners(&razam_app::Actor::Cli, list.as_bytes(), false)
        .await
        .unwrap();
    assert_eq!(report.created, 1, "{report:?}");
    let list = list.replace(",228,", ",228;342,");
    let report = app
        .app
        .import_prisoners(&razam_app::Actor::Cli, list.as_bytes(), false)
        .await
        .unwrap();
    assert_eq!(report.updated, 1, "{report:?}");
    // A source on the imported detention: its title, reference and notes.
    let person = app
        .app
        .list_persons(&razam_app::Actor::Cli, Default::default(), None, 10)
        .await
        .unwrap()[0]
        .id;
    let event = app
        .app
        .person_page(&razam_app::Actor::Cli, person)
        .await
        .unwrap()
        .events[0]
        .0
        .id;
    let source = razam_app::sources::SourceInput {
        kind: razam_core::registry::SourceKind::Testimony,
        details: razam_app::sources::SourceDetails {
            title: marker.clone(),
            reference: marker.clone(),
            notes: marker.clone(),
        },
        confidentiality: razam_core::registry::Confidentiality::Restricted,
    };
    app.app
        .add_source(&razam_app::Actor::Cli, event, &source)
        .await
        .unwrap();

    // Search: the marker is in the in-memory index (names, the source's text) and in the
    // query; neither the index nor the query may reach the disk.
    let (_, found) = app.get(&c, &format!("/search?q={marker}")).await;
    assert!(
        found.contains(&format!("href=\"/persons/{person}\"")),
        "the search finds the marker's person"
    );
    let r = app.app.search(&razam_app::Actor::Cli, &marker, 50).await.unwrap();
    assert_eq!(
        (r.persons.all, r.events_total),
        (1, 1),
        "names and the source's text are indexed"
    );

    // In-kind aid and volunteers: a named donor, a movement's notes, a recipient's link and a
    // volunteer's name and contact (the catalogue and places are not personal).
    {
        use razam_app::aid::{Donor, ItemInput, MovementInput, RecipientLink};
        let cli = razam_app::Actor::Cli;
        let item = ItemInput {
            name: "Blanket".into(),
            category: razam_core::aid::Category::Bedding,
            unit: "pcs".into(),
            unit_value: None,
        };
        let item = app.app.create_aid_item(&cli, &item).await.unwrap();
        let w = app.app.create_warehouse(&cli, "Hall", "Vilnius").await.unwrap();
        let receipt = MovementInput::Receipt {
            warehouse: w,
            item,
            quantity: 3,
            donor: Donor {
                name: format!("Donor {marker}"),
                consented: true,
            },
            notes: marker.clone(),
        };
        app.app.record_movement(&cli, &receipt).await.unwrap();
        let link = RecipientLink {
            person: Some(person),
            case: format!("AC {marker}"),
            notes: marker.clone(),
        };
        app.app.create_shipment(&cli, Some(link)).await.unwrap();
        let volunteer = razam_app::volunteers::VolunteerInput {
            details: razam_app::volunteers::VolunteerDetails {
                name: format!("Volunteer {marker}"),
                contact: email.clone(),
            },
            skills: Vec::new(),
            account: None,
        };
        app.app.create_volunteer(&cli, &volunteer).await.unwrap();
        assert!(
            app.app.movements(&cli, 10).await.unwrap()[0].donor.as_deref() == Some(format!("Donor {marker}").as_str())
        );
    }

    // A report from the public form, sealed whole.
    let intake = razam_app::intake::IntakeReport {
        family_name: marker.clone(),
        what_happened: format!("detained {marker}"),
        contact: email.clone(),
        ..Default::default()
    };
    app.app.submit_report(None, &intake).await.unwrap();

    // Evidence: a file whose content, name, case reference and capture metadata hold the
    // marker, taken in, viewed and downloaded; its hashes are sealed too.
    let outside = tempfile::tempdir().unwrap();
    let original = outside.path().join(format!("photo {marker}.jpg"));
    std::fs::write(&original, format!("frame of {marker}\n").repeat(20_000)).unwrap();
    let capture = razam_app::evidence::Capture {
        collected_by: marker.clone(),
        source: format!("Minsk, {marker} street"),
        notes: marker.clone(),
        ..Default::default()
    };
    let item = app
        .app
        .add_evidence_file(
            &razam_app::Actor::Cli,
            &format!("case {marker}"),
            &original,
            &capture,
            razam_app::evidence::Attachment::Person(person),
            razam_core::registry::Confidentiality::Restricted,
        )
        .await
        .unwrap();
    let (_, page) = app.get(&c, &format!("/evidence/items/{}", item.id)).await;
    assert!(page.contains(&marker), "the item page shows the capture metadata");
    let body = c
        .get(app.url(&format!("/evidence/items/{}/original", item.id)))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(body.len() as u64, item.facts.size);
    let (_, dossier) = app.get(&c, &format!("/persons/{person}/dossier")).await;
    assert!(dossier.contains(&item.facts.sha256));
    let file_hash = item.facts.sha256.clone();
    let package = outside.path().join("case.tar");
    let report = app
        .app
        .export_evidence(&razam_app::Actor::Cli, &format!("case {marker}"), &package, None)
        .await
        .unwrap();
    let details = razam_app::evidence::TransferDetails {
        to: format!("lawyer {marker}"),
        notes: marker.clone(),
    };
    app.app
        .transfer_package(
            &razam_app::Actor::Cli,
            &format!("case {marker}"),
            &report.package,
            &details,
        )
        .await
        .unwrap();
    let (_, page) = app.get(&c, &format!("/evidence/items/{}", item.id)).await;
    assert!(
        page.contains(&format!("lawyer {marker}")),
        "the item page names the recipient"
    );

    // Solidarity: a campaign's title and description, a donor's name, an assistance case's
    // purpose, each the marker (the campaign page shows them, so they are really there).
    let cli = razam_app::Actor::Cli;
    let bank = crate::campaigns::bank(&app, "bank-eur").await;
    let mut form = crate::campaigns::campaign("SEALED", "100", true);
    form.title = format!("Campaign {marker}");
    form.description = marker.clone();
    let campaign = app.app.create_campaign(&cli, &form).await.unwrap();
    app.app
        .record_donation(
            &cli,
            campaign.id,
            &crate::campaigns::donation("sealed-1", bank, "5", &format!("Donor {marker}"), true, true),
        )
        .await
        .unwrap();
    let (_, public) = app.get(&c, "/campaigns/SEALED").await;
    assert!(public.contains(&format!("Donor {marker}")) && public.contains(&format!("Campaign {marker}")));
    app.app
        .request_assistance(
            &cli,
            &razam_app::assistance::AssistanceForm {
                persons: person.to_string(),
                category: "legal-aid".into(),
                currency: "EUR".into(),
                amount: "10".into(),
                purpose: marker.clone(),
            },
        )
        .await
        .unwrap();

    // The needles do find the marker where it is in the clear (proof that the search works).
    let probe = tempfile::tempdir().unwrap();
    std::fs::write(probe.path().join("probe"), format!("xx{}yy", hex::encode(&display))).unwrap();
    assert_eq!(
        find_in_files(&[probe.path().to_owned()], std::slice::from_ref(&display)).len(),
        1
    );

    let mut dirs = vec![app.data_dir()];
    if app.db == Db::Postgres
        && let Ok(cluster) = std::env::var("PG_THROWAWAY_DIR")
    {
        // The cluster's files are on this disk too: this database's pages (flushed by a
        // checkpoint) and the write-ahead log that every change passes through.
        let mut conn = sqlx::PgConnection::connect(app.database_url.as_deref().unwrap())
            .await
            .unwrap();
        sqlx::query("CHECKPOINT").execute(&mut conn).await.unwrap();
        let oid: sqlx::postgres::types::Oid =
            sqlx::query_scalar("SELECT oid FROM pg_database WHERE datname = current_database()")
                .fetch_one(&mut conn)
                .await
                .unwrap();
        let data = std::path::Path::new(&cluster).join("data");
        dirs.push(data.join("base").join(oid.0.to_string()));
        dirs.push(data.join("pg_wal"));
        assert!(
            !files_below(&data.join("pg_wal")).is_empty(),
            "the cluster is where we think"
        );
    }
    let markers = [marker.clone(), display.clone(), email.clone(), token.clone(), file_hash];
    let while_running = find_in_files(&dirs, &markers);
    assert!(
        while_running.is_empty(),
        "found in plaintext while running: {while_running:?}"
    );
    if let Some(url) = &app.database_url {
        // Control: text written in the clear into this database is found by the same scan.
        let probe = format!("probe{}", hex::encode(rand::random::<[u8; 8]>()));
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::raw_sql(&format!(
            "CREATE TABLE probe (t TEXT); INSERT INTO probe VALUES ('{probe}'); CHECKPOINT;"
        ))
        .execute(&mut conn)
        .await
        .unwrap();
        assert!(
            !find_in_files(&dirs, &[probe]).is_empty(),
            "the scan reaches the cluster's files"
        );
    }
    let data = app.data_dir();
    let _dir = app.stop().await;
    let after = find_in_files(&[data], &markers);
    assert!(after.is_empty(), "found in plaintext after stopping: {after:?}");
}
on_both_databases!(a_sealed_marker_never_reaches_the_disk);
