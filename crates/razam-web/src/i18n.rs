//! Translations: one Fluent file per language under `locales/`, compiled into the binary.
//! English is the reference; a test fails when any other language lacks one of its keys.

use std::sync::Arc;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use razam_core::Locale;

const SOURCES: [(Locale, &str); 6] = [
    (Locale::Be, include_str!("../locales/be.ftl")),
    (Locale::Ru, include_str!("../locales/ru.ftl")),
    (Locale::Uk, include_str!("../locales/uk.ftl")),
    (Locale::En, include_str!("../locales/en.ftl")),
    (Locale::Pl, include_str!("../locales/pl.ftl")),
    (Locale::Lt, include_str!("../locales/lt.ftl")),
];

pub struct I18n {
    bundles: Vec<(Locale, FluentBundle<FluentResource>)>,
}

impl I18n {
    pub fn load() -> Result<Arc<I18n>, String> {
        let mut bundles = Vec::new();
        for (locale, source) in SOURCES {
            let resource = FluentResource::try_new(source.to_owned())
                .map_err(|(_, errors)| format!("locales/{}.ftl: {errors:?}", locale.code()))?;
            let langid = locale
                .code()
                .parse()
                .map_err(|e| format!("language tag {}: {e}", locale.code()))?;
            let mut bundle = FluentBundle::new_concurrent(vec![langid]);
            // No Unicode isolation marks: they end up inside attributes and form values.
            bundle.set_use_isolating(false);
            bundle
                .add_resource(resource)
                .map_err(|errors| format!("locales/{}.ftl: {errors:?}", locale.code()))?;
            bundles.push((locale, bundle));
        }
        Ok(Arc::new(I18n { bundles }))
    }

    fn bundle(&self, locale: Locale) -> Option<&FluentBundle<FluentResource>> {
        self.bundles.iter().find(|(l, _)| *l == locale).map(|(_, b)| b)
    }

    fn format(&self, locale: Locale, key: &str, args: Option<&FluentArgs>) -> String {
        let found = self
            .bundle(locale)
            .and_then(|b| b.get_message(key).and_then(|m| m.value()).map(|p| (b, p)));
        match found {
            Some((bundle, pattern)) => {
                let mut errors = Vec::new();
                bundle.format_pattern(pattern, args, &mut errors).into_owned()
            }
            None => {
                tracing::warn!(key, locale = locale.code(), "missing translation");
                key.to_owned()
            }
        }
    }
}

/// The translator of one request.
#[derive(Clone)]
pub struct Tr {
    i18n: Arc<I18n>,
    locale: Locale,
}

impl Tr {
    pub fn new(i18n: Arc<I18n>, locale: Locale) -> Tr {
        Tr { i18n, locale }
    }

    pub fn code(&self) -> &'static str {
        self.locale.code()
    }

    pub fn t(&self, key: &str) -> String {
        self.i18n.format(self.locale, key, None)
    }

    /// A message with one variable.
    pub fn t1(&self, key: &str, name: &str, value: &str) -> String {
        let mut args = FluentArgs::new();
        args.set(name.to_owned(), value.to_owned());
        self.i18n.format(self.locale, key, Some(&args))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(source: &str) -> Vec<&str> {
        source
            .lines()
            .filter_map(|line| line.split_once(" = ").map(|(k, _)| k))
            .filter(|k| !k.starts_with([' ', '#']) && !k.is_empty())
            .collect()
    }

    #[test]
    fn every_language_has_exactly_the_english_keys() {
        let i18n = I18n::load().unwrap();
        let english = keys(SOURCES[3].1);
        assert!(english.len() > 40);
        for (locale, source) in SOURCES {
            let bundle = i18n.bundle(locale).unwrap();
            let missing: Vec<_> = english.iter().filter(|k| !bundle.has_message(k)).collect();
            assert!(missing.is_empty(), "{} lacks {missing:?}", locale.code());
            let extra: Vec<_> = keys(source).into_iter().filter(|k| !english.contains(k)).collect();
            assert!(extra.is_empty(), "{} has keys English lacks: {extra:?}", locale.code());
        }
    }

    #[test]
    fn every_key_the_templates_and_handlers_use_exists_in_english() {
        let english = keys(SOURCES[3].1);
        let templates = [
            include_str!("../templates/base.html"),
            include_str!("../templates/login.html"),
            include_str!("../templates/home.html"),
            include_str!("../templates/account.html"),
            include_str!("../templates/users.html"),
            include_str!("../templates/error.html"),
            include_str!("../templates/figures.html"),
            include_str!("../templates/persons.html"),
            include_str!("../templates/person.html"),
            include_str!("../templates/events.html"),
            include_str!("../templates/event.html"),
            include_str!("../templates/history.html"),
            include_str!("../templates/record_form.html"),
            include_str!("../templates/report.html"),
            include_str!("../templates/report_done.html"),
            include_str!("../templates/field.html"),
            include_str!("../templates/form_errors.html"),
            include_str!("../templates/triage.html"),
            include_str!("../templates/triage_report.html"),
            include_str!("../templates/observation_list.html"),
            include_str!("../templates/observation_report.html"),
            include_str!("../templates/observation_work.html"),
            include_str!("../templates/observation_import.html"),
            include_str!("../templates/observe_stations.html"),
            include_str!("../templates/observe_count.html"),
            include_str!("../templates/evidence_cases.html"),
            include_str!("../templates/evidence_case.html"),
            include_str!("../templates/evidence_item.html"),
            include_str!("../templates/evidence_items.html"),
            include_str!("../templates/dossier.html"),
            include_str!("../templates/campaigns.html"),
            include_str!("../templates/campaign_public.html"),
            include_str!("../templates/campaign_manage.html"),
            include_str!("../templates/assistance.html"),
            include_str!("../templates/assistance_case.html"),
            include_str!("../templates/transparency.html"),
        ];
        let mut used = Vec::new();
        for source in templates {
            for call in ["t(\"", "t1(\""] {
                used.extend(source.split(call).skip(1).filter_map(|rest| rest.split('"').next()));
            }
        }
        // Handlers pass keys as literals: error pages, roles, login messages, form fields.
        let prefixes = [
            "error-",
            "role-",
            "login-",
            "form-",
            "person-",
            "persons-",
            "event-",
            "events-",
            "source-",
            "recognition-",
            "status-",
            "record-",
            "history-",
            "figures-",
            "evidence-",
            "dossier-",
        ];
        for handlers in [
            include_str!("pages.rs"),
            include_str!("persons.rs"),
            include_str!("events.rs"),
            include_str!("figures.rs"),
            include_str!("evidence.rs"),
        ] {
            used.extend(
                handlers
                    .split('"')
                    .skip(1)
                    .step_by(2)
                    .filter(|s| prefixes.iter().any(|p| s.starts_with(p)) && !s.contains('{')),
            );
        }
        // Keys built from a vocabulary's stored names.
        use razam_core::registry::{Confidentiality, EventKind, PersonRole, PrisonerStatus, Region, SourceKind};
        let built: Vec<String> = EventKind::ALL
            .iter()
            .map(|k| format!("kind-{k}"))
            .chain(PersonRole::ALL.iter().map(|r| format!("prole-{r}")))
            .chain(PrisonerStatus::ALL.iter().map(|s| format!("status-{s}")))
            .chain(Confidentiality::ALL.iter().map(|c| format!("level-{c}")))
            .chain(SourceKind::ALL.iter().map(|k| format!("source-{k}")))
            .chain(Region::ALL.iter().map(|r| format!("region-{r}")))
            .chain(
                razam_app::evidence::CUSTODY_ACTIONS
                    .iter()
                    .map(|a| format!("custody-{a}")),
            )
            .chain(
                crate::persons::STATUS_FILTERS
                    .iter()
                    .map(|s| format!("persons-filter-{s}")),
            )
            .collect();
        used.extend(built.iter().map(String::as_str));
        // The observation pages, the app's count-form errors, the flags and comparisons.
        let observation: Vec<String> = razam_app::observation::VIOLATIONS
            .iter()
            .map(|f| format!("observe-flag-{f}"))
            .chain(
                ["early", "election_day", "all_days"]
                    .iter()
                    .map(|c| format!("observe-comparison-{c}")),
            )
            .collect();
        used.extend(observation.iter().map(String::as_str));
        for source in [
            include_str!("observation.rs"),
            include_str!("../../razam-app/src/observation/counts.rs"),
        ] {
            used.extend(
                source
                    .split('"')
                    .skip(1)
                    .step_by(2)
                    .filter(|s| s.starts_with("observe-") && !s.contains('{')),
            );
        }
        // The intake pages and the app's form errors, likewise.
        for source in [include_str!("intake.rs"), include_str!("../../razam-app/src/intake.rs")] {
            used.extend(
                source
                    .split('"')
                    .skip(1)
                    .step_by(2)
                    .filter(|s| ["intake-", "triage-"].iter().any(|p| s.starts_with(p)) && !s.contains('{')),
            );
        }
        // Solidarity: the pages' literal keys and those built from the vocabularies.
        for source in [
            include_str!("campaigns.rs"),
            include_str!("assistance.rs"),
            include_str!("transparency.rs"),
        ] {
            used.extend(
                source
                    .split('"')
                    .skip(1)
                    .step_by(2)
                    .filter(|s| ["camp-", "assist-", "transp-"].iter().any(|p| s.starts_with(p)) && !s.contains('{')),
            );
        }
        use razam_core::assistance::{CaseAction, CaseState, Category};
        let solidarity: Vec<String> = Category::ALL
            .iter()
            .map(|c| format!("assist-category-{}", c.as_str()))
            .chain(CaseState::ALL.iter().map(|s| format!("assist-state-{}", s.as_str())))
            .chain(
                CaseAction::ALL
                    .iter()
                    .map(|a| format!("assist-step-{}", a.as_str()))
                    .chain(["assist-step-request".to_owned()]),
            )
            .chain(["active", "closed"].iter().map(|s| format!("camp-status-{s}")))
            .collect();
        used.extend(solidarity.iter().map(String::as_str));
        assert!(used.len() > 40, "found {} keys in use", used.len());
        let missing: Vec<_> = used.iter().filter(|k| !english.contains(k)).collect();
        assert!(missing.is_empty(), "used but not in en.ftl: {missing:?}");
    }

    #[test]
    fn variables_are_filled_in() {
        let tr = Tr::new(I18n::load().unwrap(), Locale::Be);
        assert_eq!(tr.t1("home-greeting", "name", "Алесь"), "Вітаем, Алесь.");
        assert_eq!(tr.t("no-such-key"), "no-such-key");
    }
}
