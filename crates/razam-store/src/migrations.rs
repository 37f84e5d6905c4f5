//! The migrations of each database, in order. Only ever append to these lists: an applied
//! migration is never edited, and a database that has a version we do not know is refused.

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sql: include_str!("../migrations/sqlite/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "registry",
        sql: include_str!("../migrations/sqlite/0002_registry.sql"),
    },
    Migration {
        version: 3,
        name: "api_tokens",
        sql: include_str!("../migrations/sqlite/0003_api_tokens.sql"),
    },
    Migration {
        version: 4,
        name: "registry_import",
        sql: include_str!("../migrations/sqlite/0004_registry_import.sql"),
    },
    Migration {
        version: 5,
        name: "person_merges",
        sql: include_str!("../migrations/sqlite/0005_person_merges.sql"),
    },
    Migration {
        version: 6,
        name: "observation",
        sql: include_str!("../migrations/sqlite/0006_observation.sql"),
    },
    Migration {
        version: 7,
        name: "evidence",
        sql: include_str!("../migrations/sqlite/0007_evidence.sql"),
    },
    Migration {
        version: 8,
        name: "ledger",
        sql: include_str!("../migrations/sqlite/0008_ledger.sql"),
    },
    Migration {
        version: 9,
        name: "campaigns",
        sql: include_str!("../migrations/sqlite/0009_campaigns.sql"),
    },
    Migration {
        version: 10,
        name: "aid",
        sql: include_str!("../migrations/sqlite/0010_aid.sql"),
    },
    Migration {
        version: 11,
        name: "security",
        sql: include_str!("../migrations/sqlite/0011_security.sql"),
    },
    Migration {
        version: 12,
        name: "approvals",
        sql: include_str!("../migrations/sqlite/0012_approvals.sql"),
    },
    Migration {
        version: 13,
        name: "compartments",
        sql: include_str!("../migrations/sqlite/0013_compartments.sql"),
    },
    Migration {
        version: 14,
        name: "person_erasure",
        sql: include_str!("../migrations/sqlite/0014_person_erasure.sql"),
    },
    Migration {
        version: 15,
        name: "change_mark_index",
        sql: include_str!("../migrations/sqlite/0015_change_mark_index.sql"),
    },
    Migration {
        version: 16,
        name: "compartmented_records",
        sql: include_str!("../migrations/sqlite/0016_compartmented_records.sql"),
    },
    Migration {
        version: 17,
        name: "distinct_persons_by_high",
        sql: include_str!("../migrations/sqlite/0017_distinct_persons_by_high.sql"),
    },
    Migration {
        version: 18,
        name: "registry_generation",
        sql: include_str!("../migrations/sqlite/0018_registry_generation.sql"),
    },
    Migration {
        version: 19,
        name: "changed_in",
        sql: include_str!("../migrations/sqlite/0019_changed_in.sql"),
    },
    Migration {
        version: 20,
        name: "registry_clock",
        sql: include_str!("../migrations/sqlite/0020_registry_clock.sql"),
    },
    Migration {
        version: 21,
        name: "aid_movement_keys",
        sql: include_str!("../migrations/sqlite/0021_aid_movement_keys.sql"),
    },
];

pub const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sql: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "registry",
        sql: include_str!("../migrations/postgres/0002_registry.sql"),
    },
    Migration {
        version: 3,
        name: "api_tokens",
        sql: include_str!("../migrations/postgres/0003_api_tokens.sql"),
    },
    Migration {
        version: 4,
        name: "registry_import",
        sql: include_str!("../migrations/postgres/0004_registry_import.sql"),
    },
    Migration {
        version: 5,
        name: "person_merges",
        sql: include_str!("../migrations/postgres/0005_person_merges.sql"),
    },
    Migration {
        version: 6,
        name: "observation",
        sql: include_str!("../migrations/postgres/0006_observation.sql"),
    },
    Migration {
        version: 7,
        name: "evidence",
        sql: include_str!("../migrations/postgres/0007_evidence.sql"),
    },
    Migration {
        version: 8,
        name: "ledger",
        sql: include_str!("../migrations/postgres/0008_ledger.sql"),
    },
    Migration {
        version: 9,
        name: "campaigns",
        sql: include_str!("../migrations/postgres/0009_campaigns.sql"),
    },
    Migration {
        version: 10,
        name: "aid",
        sql: include_str!("../migrations/postgres/0010_aid.sql"),
    },
    Migration {
        version: 11,
        name: "security",
        sql: include_str!("../migrations/postgres/0011_security.sql"),
    },
    Migration {
        version: 12,
        name: "approvals",
        sql: include_str!("../migrations/postgres/0012_approvals.sql"),
    },
    Migration {
        version: 13,
        name: "compartments",
        sql: include_str!("../migrations/postgres/0013_compartments.sql"),
    },
    Migration {
        version: 14,
        name: "person_erasure",
        sql: include_str!("../migrations/postgres/0014_person_erasure.sql"),
    },
    Migration {
        version: 15,
        name: "change_mark_index",
        sql: include_str!("../migrations/postgres/0015_change_mark_index.sql"),
    },
    Migration {
        version: 16,
        name: "compartmented_records",
        sql: include_str!("../migrations/postgres/0016_compartmented_records.sql"),
    },
    Migration {
        version: 17,
        name: "distinct_persons_by_high",
        sql: include_str!("../migrations/postgres/0017_distinct_persons_by_high.sql"),
    },
    Migration {
        version: 18,
        name: "registry_generation",
        sql: include_str!("../migrations/postgres/0018_registry_generation.sql"),
    },
    Migration {
        version: 19,
        name: "changed_in",
        sql: include_str!("../migrations/postgres/0019_changed_in.sql"),
    },
    Migration {
        version: 20,
        name: "registry_clock",
        sql: include_str!("../migrations/postgres/0020_registry_clock.sql"),
    },
    Migration {
        version: 21,
        name: "aid_movement_keys",
        sql: include_str!("../migrations/postgres/0021_aid_movement_keys.sql"),
    },
];

/// The newest schema version this build knows; both databases always share it.
pub fn latest() -> i64 {
    SQLITE.last().map_or(0, |m| m.version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_databases_have_the_same_numbered_migrations() {
        let versions = |ms: &[Migration]| ms.iter().map(|m| (m.version, m.name)).collect::<Vec<_>>();
        assert_eq!(versions(SQLITE), versions(POSTGRES));
        for (i, m) in SQLITE.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "versions are 1, 2, 3, … without gaps");
        }
    }

    #[test]
    fn the_change_mark_index_has_the_change_mark_query_s_where_clause() {
        for ms in [SQLITE, POSTGRES] {
            let newest = ms
                .iter()
                .rev()
                .find(|m| m.sql.contains("INDEX audit_log_changes"))
                .expect("a migration makes the index");
            let sql: String = newest.sql.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(
                sql.contains(&format!("WHERE {};", crate::registry::CHANGE_ENTRIES)),
                "{}: {sql}",
                newest.name
            );
        }
    }

    /// The planner reads the change mark through the index rather than walking the log.
    #[tokio::test]
    async fn the_change_mark_is_read_through_its_index() {
        use sqlx::Connection;
        let mut db = sqlx::SqliteConnection::connect("sqlite::memory:").await.unwrap();
        for m in &SQLITE[..1] {
            sqlx::raw_sql(m.sql).execute(&mut db).await.unwrap();
        }
        let index = SQLITE.iter().find(|m| m.name == "change_mark_index").unwrap();
        sqlx::raw_sql(index.sql).execute(&mut db).await.unwrap();
        let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(&format!(
            "EXPLAIN QUERY PLAN SELECT seq FROM audit_log WHERE {} ORDER BY seq DESC LIMIT 1",
            crate::registry::CHANGE_ENTRIES
        ))
        .fetch_all(&mut db)
        .await
        .unwrap();
        let detail: Vec<&str> = plan.iter().map(|p| p.3.as_str()).collect();
        assert!(detail.iter().any(|d| d.contains("audit_log_changes")), "{detail:?}");
    }

    /// After every migration: a razam from before 0019, still running, has its registry
    /// writes refused (its raise names the old table), and the search index's catch-up
    /// scans read through the indexes by generation, sources joined by source.
    #[tokio::test]
    async fn an_older_razam_cannot_write_the_registry_and_catch_ups_use_their_indexes() {
        use sqlx::Connection;
        let mut db = sqlx::SqliteConnection::connect("sqlite::memory:").await.unwrap();
        for m in SQLITE {
            sqlx::raw_sql(m.sql).execute(&mut db).await.unwrap();
        }
        let old = sqlx::query("UPDATE registry_generation SET n = n + 1 WHERE id = 1")
            .execute(&mut db)
            .await;
        assert!(old.is_err(), "the raise of a razam before 0019 still runs");
        let raised: i64 = sqlx::query_scalar(crate::registry::RAISE_GENERATION)
            .fetch_one(&mut db)
            .await
            .unwrap();
        assert_eq!(raised, 1);
        let from = crate::registry::ScanFrom::changed_since(0);
        for (sql, index) in [
            (
                format!("SELECT p.id FROM persons p {}", from.clause("p", "").0),
                "persons_by_change",
            ),
            (
                format!("SELECT e.id FROM events e {}", from.clause("e", "").0),
                "events_by_change",
            ),
            (
                format!(
                    "SELECT s.id FROM sources s JOIN event_sources es ON es.source_id = s.id {}",
                    from.clause("s", ", es.event_id").0
                ),
                "event_sources_by_source",
            ),
        ] {
            let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
                .bind(0_i64)
                .bind(i64::MAX)
                .bind(10_i64)
                .fetch_all(&mut db)
                .await
                .unwrap();
            let detail: Vec<&str> = plan.iter().map(|p| p.3.as_str()).collect();
            assert!(detail.iter().any(|d| d.contains(index)), "{sql}: {detail:?}");
        }
    }
}
