//! Form fields as the templates draw them: one label, one control, the error beside it, the
//! value the person typed kept. Also the small helpers the registry pages share (query
//! strings, times, vocabulary options).

use razam_core::registry::{Confidentiality, Day, Region};

use crate::i18n::Tr;

/// The idempotency key a form that records something (a booking, a donation, a stock
/// movement, an event) is shown with, in its hidden `key` field, so that the form sent twice
/// (a click again after a lost answer) records once: `sent`, the key of a refused form shown
/// again (nothing was recorded under it), or a fresh random one when that is empty.
pub fn form_key(sent: &str) -> String {
    if sent.is_empty() {
        hex::encode(rand::random::<[u8; 16]>())
    } else {
        sent.to_owned()
    }
}

/// One control of a form. `templates/field.html` draws it.
pub struct Field {
    pub name: &'static str,
    pub label: String,
    pub value: String,
    /// The translated reason this field was refused, or empty.
    pub error: String,
    /// A short hint under the label (formats, examples), or empty.
    pub hint: String,
    pub widget: Widget,
    pub required: bool,
    /// The most characters the control takes (`maxlength`), or 0 for no limit.
    pub max_len: usize,
    /// A text area's height in lines.
    pub rows: u8,
    /// Whether this is the field the cursor starts in (the first refused one, else the first).
    pub focus: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Widget {
    Text,
    Number,
    TextArea,
    Select,
    Checkbox,
}

impl Field {
    pub fn new(tr: &Tr, name: &'static str, label_key: &str, value: impl Into<String>, widget: Widget) -> Field {
        Field {
            name,
            label: tr.t(label_key),
            value: value.into(),
            error: String::new(),
            hint: String::new(),
            widget,
            required: false,
            max_len: 0,
            rows: 4,
            focus: false,
        }
    }

    /// Limits what can be typed; the server checks the same limit.
    pub fn max_len(mut self, chars: usize) -> Field {
        self.max_len = chars;
        self
    }

    pub fn rows(mut self, rows: u8) -> Field {
        self.rows = rows;
        self
    }

    pub fn hint(mut self, tr: &Tr, key: &str) -> Field {
        self.hint = tr.t(key);
        self
    }

    pub fn required(mut self) -> Field {
        self.required = true;
        self
    }

    pub fn is(&self, widget: &str) -> bool {
        let name = match self.widget {
            Widget::Text => "text",
            Widget::Number => "number",
            Widget::TextArea => "textarea",
            Widget::Select => "select",
            Widget::Checkbox => "checkbox",
        };
        name == widget
    }

    pub fn checked(&self) -> bool {
        !self.value.is_empty()
    }

    /// The ids of the hint and the error that describe the control, for `aria-describedby`.
    pub fn described_by(&self) -> String {
        let hint = (!self.hint.is_empty()).then(|| format!("h-{}", self.name));
        let error = (!self.error.is_empty()).then(|| format!("e-{}", self.name));
        hint.into_iter().chain(error).collect::<Vec<_>>().join(" ")
    }
}

/// A select field with its options: (value, label). The selected one is `Field::value`.
pub struct Choice {
    pub field: Field,
    pub options: Vec<(String, String)>,
}

/// What a form shows: its fields in order, each select with its options.
pub struct FormView {
    pub fields: Vec<Choice>,
}

impl FormView {
    pub fn new() -> FormView {
        FormView { fields: Vec::new() }
    }

    pub fn push(&mut self, field: Field) {
        self.fields.push(Choice {
            field,
            options: Vec::new(),
        });
    }

    pub fn select(&mut self, field: Field, options: Vec<(String, String)>) {
        self.fields.push(Choice { field, options });
    }

    /// Puts each refusal beside its field and the cursor in the first refused field.
    pub fn refuse(&mut self, tr: &Tr, errors: &[FieldError]) {
        for e in errors {
            if let Some(c) = self.fields.iter_mut().find(|c| c.field.name == e.field) {
                c.field.error = tr.t(e.key);
            }
        }
        let first = self.fields.iter().position(|c| !c.field.error.is_empty()).unwrap_or(0);
        if let Some(c) = self.fields.get_mut(first) {
            c.field.focus = true;
        }
    }

    /// The refused fields, for the summary at the top of the form: (name, label, reason).
    pub fn errors(&self) -> Vec<(&'static str, &str, &str)> {
        self.fields
            .iter()
            .filter(|c| !c.field.error.is_empty())
            .map(|c| (c.field.name, c.field.label.as_str(), c.field.error.as_str()))
            .collect()
    }
}

/// A field refused, with the translation key of the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub key: &'static str,
}

impl FieldError {
    pub fn new(field: &'static str, key: &'static str) -> FieldError {
        FieldError { field, key }
    }
}

/// The refusals a use case of the app gave (field → translation key), as the form shows them.
pub fn refusals<'a>(errors: impl IntoIterator<Item = (&'a &'static str, &'a &'static str)>) -> Vec<FieldError> {
    errors.into_iter().map(|(f, k)| FieldError::new(f, k)).collect()
}

/// Options for a region select: "not known", the regions, and the stored text when it is
/// none of them (an imported free-text place), so editing never loses it.
pub fn region_options(tr: &Tr, current: &str, empty_key: &str) -> Vec<(String, String)> {
    let mut options = vec![(String::new(), tr.t(empty_key))];
    options.extend(
        Region::ALL
            .iter()
            .map(|r| (r.as_str().to_owned(), tr.t(&format!("region-{}", r.as_str())))),
    );
    if !current.is_empty() && Region::parse(current).is_none() {
        options.push((current.to_owned(), current.to_owned()));
    }
    options
}

pub fn level_options(tr: &Tr) -> Vec<(String, String)> {
    Confidentiality::ALL
        .iter()
        .map(|c| (c.as_str().to_owned(), tr.t(&format!("level-{}", c.as_str()))))
        .collect()
}

/// How a stored region reads: its translated name, or the text as imported.
pub fn region_name(tr: &Tr, region: Option<&str>) -> String {
    match region {
        None => String::new(),
        Some(code) if Region::parse(code).is_some() => tr.t(&format!("region-{code}")),
        Some(text) => text.to_owned(),
    }
}

/// A query string from pairs, empty values left out, each value percent-encoded.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        out.push(if out.is_empty() { '?' } else { '&' });
        out.push_str(k);
        out.push('=');
        for b in v.bytes() {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

const DAY_MS: i64 = 86_400_000;

/// The day of a moment as `YYYY-MM-DD` (UTC), or empty when it is out of the calendar's range.
pub fn utc_day(at_ms: i64) -> String {
    Day::from_days_since_epoch(at_ms.div_euclid(DAY_MS)).map_or_else(String::new, |d| d.to_string())
}

/// A moment as `YYYY-MM-DD HH:MM UTC`.
pub fn utc_minute(at_ms: i64) -> String {
    let minutes = at_ms.rem_euclid(DAY_MS) / 60_000;
    format!("{} {:02}:{:02} UTC", utc_day(at_ms), minutes / 60, minutes % 60)
}

/// Person labels as documenters write them: `P-000012` or just `12`.
pub fn parse_person_label(text: &str) -> Option<i64> {
    let t = text.trim();
    let digits = t.strip_prefix("P-").or_else(|| t.strip_prefix("p-")).unwrap_or(t);
    digits.parse::<i64>().ok().filter(|id| *id > 0)
}

/// The compartment select of a person or event form, offered only to a member of at least
/// one compartment (`own`: (id, name) of the writer's compartments); `current` is the id as
/// text, or empty for none.
pub fn compartment_field(tr: &Tr, form: &mut FormView, current: &str, own: &[(i64, String)]) {
    if own.is_empty() && current.is_empty() {
        return;
    }
    let mut options = vec![(String::new(), tr.t("record-compartment-none"))];
    options.extend(own.iter().map(|(id, name)| (id.to_string(), name.clone())));
    form.select(
        Field::new(tr, "compartment", "record-compartment", current, Widget::Select)
            .hint(tr, "record-compartment-help"),
        options,
    );
}

/// The refusal beside the compartment field: not one of the writer's compartments.
pub fn compartment_refused() -> FieldError {
    FieldError::new("compartment", "record-compartment-refused")
}

/// A compartment field's value: empty for none, else the compartment's id. Anything else is
/// no compartment the writer has, which the app refuses with a clear message.
pub fn parse_compartment(value: &str) -> Result<Option<i64>, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    value
        .parse::<i64>()
        .map(Some)
        .map_err(|_| FieldError::new("compartment", "form-choose"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_encode_values_and_drop_empty_ones() {
        assert_eq!(
            query_string(&[("region", "minsk-city"), ("status", ""), ("q", "a b&c")]),
            "?region=minsk-city&q=a%20b%26c"
        );
        assert_eq!(query_string(&[("x", "")]), "");
    }

    #[test]
    fn moments_read_in_utc() {
        assert_eq!(utc_minute(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_minute(1_597_000_000_000), "2020-08-09 19:06 UTC");
        assert_eq!(utc_day(1_597_000_000_000), "2020-08-09");
        assert_eq!(utc_day(-1), "1969-12-31");
    }

    #[test]
    fn person_labels_parse_with_or_without_prefix() {
        assert_eq!(parse_person_label("P-000012"), Some(12));
        assert_eq!(parse_person_label(" 7 "), Some(7));
        assert_eq!(parse_person_label("P-0"), None);
        assert_eq!(parse_person_label("Ivan"), None);
    }
}
