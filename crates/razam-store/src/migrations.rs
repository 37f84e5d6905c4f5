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
}
