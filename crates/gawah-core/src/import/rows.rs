//! One row into an input: CSV cells through the mapped columns, or one JSON object, into an
//! [`IncidentInput`] or an [`Edict`], each fault named by its field.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::csv::utf8_message;
use super::hxl::{Col, Target};
use super::{Fault, LIST_SEPARATORS, fault, row_fault};
use crate::edict::{Edict, Source, Translated};
use crate::incident::IncidentInput;
use crate::vocab::PROVINCES;

/// The text of column `col`, or a fault if it is not UTF-8.
fn cell<'a>(col: &Col, fields: &'a [Vec<u8>], faults: &mut Vec<Fault>) -> Option<&'a str> {
    let bytes = fields.get(col.index)?;
    match std::str::from_utf8(bytes) {
        Ok(s) => Some(s),
        Err(e) => {
            faults.push(fault(col.field.clone(), utf8_message(&e)));
            None
        }
    }
}

fn split_list(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(LIST_SEPARATORS)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn non_empty(text: &str) -> Option<String> {
    Some(text.to_owned()).filter(|t| !t.trim().is_empty())
}

/// The province code for an English province name, case-insensitively.
fn province_by_name(name: &str) -> Option<&'static str> {
    let name = name.trim();
    PROVINCES
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(name))
        .map(|(c, _)| *c)
}

pub(crate) fn incident_from_csv(
    cols: &[Col],
    fields: &[Vec<u8>],
) -> Result<IncidentInput, Vec<Fault>> {
    let mut input = IncidentInput::default();
    let mut faults = Vec::new();
    let mut province_name = None;
    for col in cols {
        let Some(text) = cell(col, fields, &mut faults) else {
            continue;
        };
        match col.target {
            Target::Ref => input.reference = non_empty(text),
            Target::Title => input.title = text.to_owned(),
            Target::Description => input.description = text.to_owned(),
            Target::Date => input.date = text.to_owned(),
            Target::DatePrecision => input.date_precision = non_empty(text.trim()),
            Target::Province => input.province = text.to_owned(),
            Target::ProvinceName => province_name = non_empty(text),
            Target::ViolationTypes => input.violation_types.extend(split_list(text)),
            Target::Perpetrators => input.perpetrators.extend(split_list(text)),
            Target::Edicts => input.edicts.extend(split_list(text)),
            Target::ExactLocation => input.exact_location = non_empty(text),
            Target::Reliability => input.source_reliability = non_empty(text),
            Target::Verification => input.verification_status = non_empty(text.trim()),
            Target::Credibility => match text.trim() {
                "" => {}
                t => match t.parse::<u8>() {
                    Ok(n) => input.source_credibility = Some(n),
                    Err(_) => faults.push(fault(
                        "source_credibility",
                        format!("{t:?} is not a number from 1 to 6"),
                    )),
                },
            },
            _ => {}
        }
    }
    if input.province.trim().is_empty()
        && let Some(name) = province_name
    {
        match province_by_name(&name) {
            Some(code) => input.province = code.to_owned(),
            None => faults.push(fault(
                "province",
                format!(
                    "{name:?} is not a province name; use the English name (Kabul, Herat, …) or \
                     an ISO 3166-2:AF code in #adm1+code"
                ),
            )),
        }
    }
    if faults.is_empty() {
        Ok(input)
    } else {
        Err(faults)
    }
}

pub(crate) fn edict_from_csv(cols: &[Col], fields: &[Vec<u8>]) -> Result<Edict, Vec<Fault>> {
    let mut e = Edict {
        id: String::new(),
        date: String::new(),
        domain: String::new(),
        title: Translated::default(),
        summary: Translated::default(),
        issuing_body: Translated::default(),
        scope: Translated::default(),
        sources: Vec::new(),
    };
    let mut faults = Vec::new();
    let (mut titles, mut urls) = (Vec::new(), Vec::new());
    for col in cols {
        let Some(text) = cell(col, fields, &mut faults) else {
            continue;
        };
        let text = text.to_owned();
        let set = |t: &mut Translated, v: String| match col.lang {
            "fa" => t.fa = v,
            "ps" => t.ps = v,
            _ => t.en = v,
        };
        match col.target {
            Target::Id => e.id = text,
            Target::Date => e.date = text,
            Target::Domain => e.domain = text,
            Target::Title => set(&mut e.title, text),
            Target::Summary => set(&mut e.summary, text),
            Target::IssuingBody => set(&mut e.issuing_body, text),
            Target::Scope => set(&mut e.scope, text),
            Target::SourceTitle => titles.push(text),
            Target::SourceUrl => urls.push(text),
            _ => {}
        }
    }
    for i in 0..titles.len().max(urls.len()) {
        let title = titles.get(i).cloned().unwrap_or_default();
        let url = urls.get(i).cloned().unwrap_or_default();
        if !title.trim().is_empty() || !url.trim().is_empty() {
            e.sources.push(Source { title, url });
        }
    }
    if faults.is_empty() {
        Ok(e)
    } else {
        Err(faults)
    }
}

/// A JSON line as an object, or why it is not one.
fn json_object(bytes: &[u8]) -> Result<Map<String, Value>, Vec<Fault>> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        vec![row_fault(format!(
            "invalid UTF-8 at byte {} of the line; save the file as UTF-8",
            e.valid_up_to() + 1
        ))]
    })?;
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(vec![row_fault(
            "not a JSON object; write one object per line",
        )]),
        Err(e) => {
            let m = e.to_string();
            let m = m.split(" at line ").next().unwrap_or_default();
            Err(vec![row_fault(format!(
                "invalid JSON at column {}: {m}",
                e.column()
            ))])
        }
    }
}

/// Faults for keys of `obj` not in `known`, named `prefix` + key.
fn unknown_keys<K: AsRef<str>>(obj: &Map<String, Value>, known: &[K], prefix: &str) -> Vec<Fault> {
    let names = || {
        known
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<&str>>()
            .join(", ")
    };
    obj.keys()
        .filter(|k| !known.iter().any(|n| n.as_ref() == k.as_str()))
        .map(|k| {
            fault(
                format!("{prefix}{k}"),
                format!("is not a known field; known fields: {}", names()),
            )
        })
        .collect()
}

pub(crate) fn incident_keys() -> Vec<String> {
    match serde_json::to_value(IncidentInput::default()) {
        Ok(Value::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

pub(crate) fn incident_from_json(
    bytes: &[u8],
    known: &[String],
) -> Result<IncidentInput, Vec<Fault>> {
    let obj = json_object(bytes)?;
    let unknown = unknown_keys(&obj, known, "");
    if !unknown.is_empty() {
        return Err(unknown);
    }
    // Each field on its own, so that a wrong type is named by its field.
    let mut faults = Vec::new();
    for (k, v) in &obj {
        let one = Map::from_iter([(k.clone(), v.clone())]);
        if let Err(e) = serde_json::from_value::<IncidentInput>(Value::Object(one)) {
            let expected = match k.as_str() {
                "violation_types" | "perpetrators" | "edicts" => "must be a list of strings",
                "source_credibility" => "must be a whole number from 1 to 6",
                _ => "must be a string",
            };
            faults.push(fault(k.clone(), format!("{expected} ({e})")));
        }
    }
    if !faults.is_empty() {
        return Err(faults);
    }
    serde_json::from_value(Value::Object(obj)).map_err(|e| vec![row_fault(e.to_string())])
}

const EDICT_KEYS: [&str; 8] = [
    "id",
    "date",
    "domain",
    "title",
    "summary",
    "issuing_body",
    "scope",
    "sources",
];
const TRANSLATED_KEYS: [&str; 3] = ["en", "fa", "ps"];
const SOURCE_KEYS: [&str; 2] = ["title", "url"];

/// An edict object, as `GET /api/v1/edicts` lists them. Missing translations (`fa`, `ps`) are
/// taken as empty; unknown fields, at any depth, are refused.
pub(crate) fn edict_from_json(bytes: &[u8]) -> Result<Edict, Vec<Fault>> {
    let obj = json_object(bytes)?;
    let mut faults = unknown_keys(&obj, &EDICT_KEYS, "");
    fn get<T: DeserializeOwned + Default>(
        obj: &Map<String, Value>,
        key: &str,
        faults: &mut Vec<Fault>,
    ) -> T {
        match obj.get(key) {
            None => {
                faults.push(fault(key, "is required"));
                T::default()
            }
            Some(v) => serde_json::from_value(v.clone()).unwrap_or_else(|e| {
                faults.push(fault(key, e.to_string()));
                T::default()
            }),
        }
    }
    let text = |key: &str, faults: &mut Vec<Fault>| -> Translated {
        match obj.get(key) {
            None => {
                faults.push(fault(format!("{key}.en"), "is required"));
                Translated::default()
            }
            Some(Value::Object(t)) => {
                faults.extend(unknown_keys(t, &TRANSLATED_KEYS, &format!("{key}.")));
                let lang = |l: &str, faults: &mut Vec<Fault>| -> String {
                    match t.get(l) {
                        None | Some(Value::Null) => String::new(),
                        Some(Value::String(s)) => s.clone(),
                        Some(_) => {
                            faults.push(fault(format!("{key}.{l}"), "must be a string"));
                            String::new()
                        }
                    }
                };
                Translated {
                    en: lang("en", faults),
                    fa: lang("fa", faults),
                    ps: lang("ps", faults),
                }
            }
            Some(_) => {
                faults.push(fault(key, "must be an object with en, fa and ps"));
                Translated::default()
            }
        }
    };
    let title = text("title", &mut faults);
    let summary = text("summary", &mut faults);
    let issuing_body = text("issuing_body", &mut faults);
    let scope = text("scope", &mut faults);
    let mut sources = Vec::new();
    match obj.get("sources") {
        None => faults.push(fault("sources", "is required")),
        Some(Value::Array(list)) => {
            for (i, s) in list.iter().enumerate() {
                let name = format!("sources[{}]", i + 1);
                match s {
                    Value::Object(m) => {
                        faults.extend(unknown_keys(m, &SOURCE_KEYS, &format!("{name}.")));
                        let mut f = Vec::new();
                        let title: String = get(m, "title", &mut f);
                        let url: String = get(m, "url", &mut f);
                        faults.extend(f.into_iter().map(|f| Fault {
                            field: f.field.map(|k| format!("{name}.{k}")),
                            message: f.message,
                        }));
                        sources.push(Source { title, url });
                    }
                    _ => faults.push(fault(name, "must be an object with title and url")),
                }
            }
        }
        Some(_) => faults.push(fault("sources", "must be a list of {title, url} objects")),
    }
    let e = Edict {
        id: get(&obj, "id", &mut faults),
        date: get(&obj, "date", &mut faults),
        domain: get(&obj, "domain", &mut faults),
        title,
        summary,
        issuing_body,
        scope,
        sources,
    };
    if faults.is_empty() {
        Ok(e)
    } else {
        Err(faults)
    }
}
