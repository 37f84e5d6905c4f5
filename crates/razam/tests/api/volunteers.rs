//! Volunteers on both databases: the coverage view shows the shortfall (places and skills),
//! no double sign-up and no sign-up over the head count under concurrency, cancellation
//! frees a place, a volunteer signs up only themselves and sees no one else's name.

use std::sync::Arc;

use razam_app::volunteers::{ShiftInput, VolunteerDetails, VolunteerInput, needs_from_text, skills_from_text};
use razam_app::{Actor, App, AppError};
use razam_core::Role;
use razam_core::aid::Skill;

use crate::helpers::{TestApp, add_user, audit_log};
use crate::on_both_databases;

const HOUR: i64 = 3_600_000;

async fn volunteer(a: &App, name: &str, skills: &str, account: Option<&str>) -> i64 {
    let input = VolunteerInput {
        details: VolunteerDetails {
            name: name.into(),
            contact: format!("@{name}"),
        },
        skills: skills_from_text(skills).unwrap(),
        account: account.map(str::to_owned),
    };
    a.create_volunteer(&Actor::Cli, &input).await.unwrap()
}

/// A help desk and one shift starting in `in_hours` hours.
async fn shift(a: &App, head_count: i64, needs: &str, in_hours: i64) -> i64 {
    let place = match a.places(&Actor::Cli).await.unwrap().first() {
        Some(p) => p.id,
        None => a
            .create_place(&Actor::Cli, "Help desk, Warszawa Centralna", "hall, by platform 1")
            .await
            .unwrap(),
    };
    let start = razam_app::now_ms() + in_hours * HOUR;
    let input = ShiftInput {
        place_id: place,
        starts_at_ms: start,
        ends_at_ms: start + 6 * HOUR,
        head_count,
        needs: needs_from_text(needs).unwrap(),
    };
    a.create_shift(&Actor::Cli, &input).await.unwrap()
}

async fn coverage_shows_the_missing_skills_and_places(app: TestApp) {
    let a = &app.app;
    let cli = Actor::Cli;
    let needy = shift(a, 3, "lang:uk=2 first-aid", 2).await;
    let easy = shift(a, 1, "", 30).await;
    let olena = volunteer(a, "Olena", "lang:uk lang:ru first-aid", None).await;
    let pavel = volunteer(a, "Pavel", "lang:ru driving:B", None).await;
    a.sign_up(&cli, needy, Some(olena)).await.unwrap();
    a.sign_up(&cli, needy, Some(pavel)).await.unwrap();
    let now = razam_app::now_ms();
    let open = a.uncovered_shifts(&cli, now, 7).await.unwrap();
    let ids: Vec<i64> = open.iter().map(|s| s.id).collect();
    assert_eq!(ids, vec![needy, easy]);
    let needy_view = &open[0];
    assert_eq!(needy_view.coverage.open_places, 1);
    let missing: Vec<(String, u32)> = needy_view
        .coverage
        .missing
        .iter()
        .map(|(s, n)| (s.to_string(), *n))
        .collect();
    assert_eq!(
        missing,
        vec![("lang:uk".to_owned(), 1)],
        "two Ukrainian speakers needed, one signed up"
    );
    let names: Vec<&str> = needy_view.volunteers.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, vec!["Olena", "Pavel"]);
    // A third volunteer who speaks Ukrainian covers it; the shift leaves the coverage view.
    let ivan = volunteer(a, "Ivan", "lang:uk sorting", None).await;
    a.sign_up(&cli, needy, Some(ivan)).await.unwrap();
    let open = a.uncovered_shifts(&cli, now, 7).await.unwrap();
    assert_eq!(open.iter().map(|s| s.id).collect::<Vec<_>>(), vec![easy]);
    // A day's window leaves the shift in 30 hours out.
    assert!(a.uncovered_shifts(&cli, now, 1).await.unwrap().is_empty());
    // Cancelling opens the gap again.
    a.cancel_sign_up(&cli, needy, Some(ivan)).await.unwrap();
    assert!(matches!(
        a.cancel_sign_up(&cli, needy, Some(ivan)).await,
        Err(AppError::NotFound(_))
    ));
    let open = a.uncovered_shifts(&cli, now, 7).await.unwrap();
    assert_eq!(
        open[0].coverage.missing.get(&Skill::parse("lang:uk").unwrap()),
        Some(&1)
    );
    let log = audit_log(&app).await;
    let count = |action: &str| log.iter().filter(|(_, a, _)| a == action).count();
    assert_eq!((count("shift.sign_up"), count("shift.cancel_sign_up")), (3, 1));
    assert!(
        log.iter()
            .any(|(_, a, o)| a == "shift.sign_up" && o == &format!("shift:{needy}/volunteer:{olena}"))
    );
}
on_both_databases!(coverage_shows_the_missing_skills_and_places);

async fn concurrent_sign_ups_never_exceed_the_head_count(app: TestApp) {
    let a: Arc<App> = app.app.clone();
    let s = shift(&a, 2, "", 5).await;
    let mut ids = Vec::new();
    for i in 0..8 {
        ids.push(volunteer(&a, &format!("V{i}"), "sorting", None).await);
    }
    // Every volunteer twice, all at once: two places, one each.
    let tasks: Vec<_> = ids
        .iter()
        .chain(ids.iter())
        .map(|v| {
            let (a, v) = (a.clone(), *v);
            tokio::spawn(async move { a.sign_up(&Actor::Cli, s, Some(v)).await })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => ok += 1,
            Err(AppError::BadInput(m)) => assert!(m.contains("every place"), "{m}"),
            Err(AppError::Conflict(_)) => {}
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(ok, 2);
    let view = a.shifts(&Actor::Cli, razam_app::now_ms(), 1).await.unwrap();
    assert_eq!((view[0].signed_up, view[0].volunteers.len()), (2, 2));
    let signed = view[0].volunteers[0].0;
    assert!(matches!(
        a.sign_up(&Actor::Cli, s, Some(signed)).await,
        Err(AppError::Conflict(_))
    ));
    // A cancellation frees exactly one place.
    a.cancel_sign_up(&Actor::Cli, s, Some(signed)).await.unwrap();
    let free = ids
        .iter()
        .find(|v| !view[0].volunteers.iter().any(|(id, _)| id == *v))
        .unwrap();
    a.sign_up(&Actor::Cli, s, Some(*free)).await.unwrap();
    let other = ids
        .iter()
        .find(|v| **v != *free && **v != signed && !view[0].volunteers.iter().any(|(id, _)| id == *v))
        .unwrap();
    assert!(matches!(
        a.sign_up(&Actor::Cli, s, Some(*other)).await,
        Err(AppError::BadInput(_))
    ));
    assert!(matches!(
        a.sign_up(&Actor::Cli, 9_999, Some(*other)).await,
        Err(AppError::NotFound(_))
    ));
}
on_both_databases!(concurrent_sign_ups_never_exceed_the_head_count);

async fn a_volunteer_signs_up_only_themselves_and_sees_no_names(app: TestApp) {
    let a = &app.app;
    add_user(a, "marta", "Marta", Role::Volunteer, "marta-password-1").await;
    add_user(a, "doc", "Doc", Role::Documenter, "doc-password-1").await;
    add_user(a, "coord", "Coord", Role::Coordinator, "coord-password-1").await;
    let s = shift(a, 3, "lang:pl", 4).await;
    let other = volunteer(a, "Somebody Else", "lang:pl", None).await;
    // Only an account with the volunteer role can be linked.
    let wrong = VolunteerInput {
        details: VolunteerDetails {
            name: "Doc".into(),
            contact: String::new(),
        },
        skills: Vec::new(),
        account: Some("doc".into()),
    };
    assert!(matches!(
        a.create_volunteer(&Actor::Cli, &wrong).await,
        Err(AppError::BadInput(_))
    ));
    let marta_profile = volunteer(a, "Marta", "lang:pl lang:be", Some("marta")).await;
    let login = |name: &'static str| async move {
        Actor::Account(a.log_in(name, &format!("{name}-password-1"), None).await.unwrap().user)
    };
    let marta = login("marta").await;
    let doc = login("doc").await;
    let coord = login("coord").await;

    a.sign_up(&coord, s, Some(other)).await.unwrap();
    a.sign_up(&marta, s, None).await.unwrap();
    let seen = a.shifts(&marta, razam_app::now_ms(), 7).await.unwrap();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].mine);
    assert_eq!(seen[0].signed_up, 2);
    assert!(seen[0].volunteers.is_empty(), "a volunteer sees no names");
    // Not others, not shifts, not profiles.
    assert!(matches!(
        a.sign_up(&marta, s, Some(other)).await,
        Err(AppError::Forbidden)
    ));
    assert!(matches!(a.volunteers(&marta).await, Err(AppError::Forbidden)));
    assert!(matches!(
        a.create_place(&marta, "x", "").await,
        Err(AppError::Forbidden)
    ));
    // A documenter has no part in shifts at all.
    assert!(matches!(a.shifts(&doc, 0, 7).await, Err(AppError::Forbidden)));
    assert!(matches!(a.sign_up(&doc, s, None).await, Err(AppError::Forbidden)));
    // The coordinator sees who is signed up; the profile stays linked.
    let names: Vec<String> = a.shifts(&coord, razam_app::now_ms(), 7).await.unwrap()[0]
        .volunteers
        .iter()
        .map(|(_, n)| n.clone())
        .collect();
    assert_eq!(names, vec!["Somebody Else", "Marta"]);
    a.cancel_sign_up(&marta, s, None).await.unwrap();
    assert!(!a.shifts(&marta, razam_app::now_ms(), 7).await.unwrap()[0].mine);
    let profiles = a.volunteers(&coord).await.unwrap();
    assert!(profiles.iter().any(|p| p.id == marta_profile && p.linked));
}
on_both_databases!(a_volunteer_signs_up_only_themselves_and_sees_no_names);
