//! Turning random draws into one incident.

use super::templates::{self, Template};
use super::variants::Spelling;
use super::{EDICT_INDEX, MARKERS, PROVINCE_INDEX, SplitMix64, SyntheticIncident};
use super::{civil_from_days, days_from_civil};

/// A perpetrator institution's name in the three languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label {
    /// English.
    pub en: &'static str,
    /// Dari.
    pub fa: &'static str,
    /// Pashto.
    pub ps: &'static str,
}

const fn label(en: &'static str, fa: &'static str, ps: &'static str) -> Label {
    Label { en, fa, ps }
}

const PERPETRATORS: [(&str, Label); 13] = [
    (
        "mpvpv",
        label(
            "Ministry for the Propagation of Virtue and Prevention of Vice",
            "وزارت امر به معروف و نهی از منکر",
            "د امر بالمعروف او نهې عن المنکر وزارت",
        ),
    ),
    (
        "provincial_pvpv",
        label(
            "Provincial vice-and-virtue department",
            "ریاست ولایتی امر به معروف و نهی از منکر",
            "د امر بالمعروف او نهې عن المنکر ولایتي ریاست",
        ),
    ),
    (
        "moe",
        label("Ministry of Education", "وزارت معارف", "د پوهنې وزارت"),
    ),
    (
        "mohe",
        label(
            "Ministry of Higher Education",
            "وزارت تحصیلات عالی",
            "د لوړو زده کړو وزارت",
        ),
    ),
    (
        "moec",
        label("Ministry of Economy", "وزارت اقتصاد", "د اقتصاد وزارت"),
    ),
    (
        "mof",
        label("Ministry of Finance", "وزارت مالیه", "د مالیې وزارت"),
    ),
    (
        "moph",
        label(
            "Ministry of Public Health",
            "وزارت صحت عامه",
            "د عامې روغتیا وزارت",
        ),
    ),
    (
        "moic",
        label(
            "Ministry of Information and Culture",
            "وزارت اطلاعات و فرهنگ",
            "د اطلاعاتو او فرهنګ وزارت",
        ),
    ),
    (
        "gdi",
        label(
            "General Directorate of Intelligence",
            "ریاست عمومی استخبارات",
            "د استخباراتو لوی ریاست",
        ),
    ),
    (
        "courts",
        label("Taliban courts", "محاکم طالبان", "د طالبانو محکمې"),
    ),
    (
        "police",
        label("Taliban police", "پولیس طالبان", "د طالبانو پولیس"),
    ),
    (
        "local",
        label(
            "Taliban local authorities",
            "مقامات محلی طالبان",
            "د طالبانو سیمه‌ییز چارواکي",
        ),
    ),
    ("municipality", label("Municipality", "شاروالی", "ښاروالي")),
];

/// The perpetrator institutions an incident's `perpetrator` key refers to.
pub fn perpetrators() -> &'static [(&'static str, Label)] {
    &PERPETRATORS
}

/// Incident domains with their share in percent (outside bursts) and likely perpetrators.
const DOMAINS: [(&str, u64, &[&str]); 10] = [
    ("education", 22, &["moe", "mohe", "local"]),
    ("employment", 14, &["moec", "mof", "local"]),
    ("movement", 12, &["mpvpv", "police", "provincial_pvpv"]),
    ("dress", 14, &["mpvpv", "provincial_pvpv", "police"]),
    ("public_space", 10, &["mpvpv", "provincial_pvpv", "local"]),
    ("health", 10, &["moph", "provincial_pvpv"]),
    ("media", 7, &["moic", "gdi"]),
    ("justice", 4, &["courts", "police"]),
    ("political_participation", 3, &["gdi", "police"]),
    ("other", 4, &["mpvpv", "municipality", "provincial_pvpv"]),
];

/// Major edicts after which reports surge: id, day, domain, relative weight.
pub(crate) const BURSTS: [(&str, i64, &str, u64); 10] = [
    ("E014", days_from_civil(2022, 3, 23), "education", 1),
    ("E017", days_from_civil(2022, 5, 7), "dress", 1),
    ("E026", days_from_civil(2022, 11, 10), "public_space", 1),
    ("E027", days_from_civil(2022, 12, 20), "education", 3),
    ("E029", days_from_civil(2022, 12, 24), "employment", 1),
    ("E034", days_from_civil(2023, 4, 4), "employment", 1),
    ("E037", days_from_civil(2023, 7, 4), "employment", 1),
    ("E046", days_from_civil(2024, 8, 21), "dress", 1),
    ("E049", days_from_civil(2024, 12, 2), "education", 1),
    ("E054", days_from_civil(2025, 7, 16), "dress", 1),
];

pub(crate) const FIRST_DAY: i64 = days_from_civil(2021, 8, 15);
pub(crate) const LAST_DAY: i64 = days_from_civil(2025, 11, 30);
const BIG_PROVINCES: [usize; 5] = [13, 14, 11, 0, 21]; // Kabul, Kandahar, Herat, Balkh, Nangarhar
const LANGUAGES: [&str; 3] = ["en", "fa", "ps"];
const WITNESS: [&str; 3] = ["Witness ", "شاهد ", "شاهد "];
const DISTRICT: [&str; 3] = [", district ", "، ناحیهٔ ", "، ناحیه "];

/// One incident; with `vary` false its text keeps the standard spelling, while every random
/// draw (the spelling's included) is made as usual, so the rest of the incident and the
/// incidents after it are the same as with `vary` true.
pub(crate) fn incident(rng: &mut SplitMix64, index: usize, vary: bool) -> SyntheticIncident {
    let lang = match rng.below(100) {
        0..=44 => 1,
        45..=69 => 2,
        _ => 0,
    };
    let (day, primary) = day_and_domain(rng);
    let (y, m, d) = civil_from_days(day);
    let (date, date_precision, key) = match rng.below(100) {
        0..=74 => (format!("{y:04}-{m:02}-{d:02}"), "day", (y, m, d)),
        75..=94 => (format!("{y:04}-{m:02}"), "month", (y, m, 1)),
        _ => (format!("{y:04}"), "year", (y, 1, 1)),
    };
    let mut violation_types = vec![DOMAINS[primary].0.to_owned()];
    if rng.percent(20) {
        let second = (primary + 1 + rng.below(9) as usize) % DOMAINS.len();
        violation_types.push(DOMAINS[second].0.to_owned());
    }
    let edicts = linked_edicts(rng, &violation_types, key);
    let perps = DOMAINS[primary].2;
    let perpetrator = perps[rng.below(perps.len() as u64) as usize].to_owned();
    let province = if rng.percent(35) {
        BIG_PROVINCES[rng.below(5) as usize]
    } else {
        rng.below(PROVINCE_INDEX.len() as u64) as usize
    };
    let template = pick_template(rng, lang, DOMAINS[primary].0);
    let spelling = if lang == 0 {
        Spelling::PLAIN
    } else {
        Spelling::from_bits(rng.next_u64() as u32)
    };
    let spelling = if vary { spelling } else { Spelling::PLAIN };
    let victims = if template.description.contains("{n}") {
        2 + rng.below(39) as u8
    } else {
        1
    };
    let witness = numbered(spelling, WITNESS[lang], 1 + rng.below(500));
    let role = templates::ROLES[lang][rng.below(8) as usize];
    let prov_name = province_name(province, lang);
    let fill = Fill {
        role,
        witness: &witness,
        prov: prov_name,
        n: victims,
    };
    let mut description = String::with_capacity(template.description.len() + 64);
    description.push_str(MARKERS[lang]);
    expand(&mut description, template.description, &fill, spelling);
    let mut title = String::with_capacity(template.title.len() + 16);
    expand(&mut title, template.title, &fill, spelling);
    let landmark = templates::LANDMARKS[lang][rng.below(6) as usize];
    let mut exact_location = String::with_capacity(64);
    spelling.push(&mut exact_location, landmark, &mut 0);
    exact_location.push_str(&numbered(spelling, DISTRICT[lang], 1 + rng.below(16)));
    SyntheticIncident {
        r#ref: format!("SYN-{:06}", index + 1),
        title,
        description,
        language: LANGUAGES[lang],
        date,
        date_precision,
        province: PROVINCE_INDEX[province].0.to_owned(),
        violation_types,
        perpetrator,
        edicts,
        source_reliability: char::from(b'A' + rating(rng)),
        source_credibility: 1 + rating(rng),
        verification_status: match rng.below(10) {
            0..=4 => "unverified",
            5..=7 => "partially_verified",
            _ => "verified",
        },
        exact_location,
        victims,
        witness_pseudonym: witness,
    }
}

/// A random template of `domain`; every language has at least one per domain (tested).
fn pick_template(rng: &mut SplitMix64, lang: usize, domain: &str) -> &'static Template {
    let all = templates::for_language(lang);
    let count = all.iter().filter(|t| t.domain == domain).count();
    let nth = rng.below(count as u64) as usize;
    all.iter()
        .filter(|t| t.domain == domain)
        .nth(nth)
        .unwrap_or(&all[0])
}

/// A day in range and the index in [`DOMAINS`] of the incident's primary domain.
fn day_and_domain(rng: &mut SplitMix64) -> (i64, usize) {
    if rng.percent(60) {
        let day = FIRST_DAY + rng.below((LAST_DAY - FIRST_DAY + 1) as u64) as i64;
        return (day, weighted_domain(rng));
    }
    let total: u64 = BURSTS.iter().map(|b| b.3).sum();
    let mut pick = rng.below(total);
    let burst = BURSTS.iter().find(|b| {
        let hit = pick < b.3;
        pick = pick.saturating_sub(b.3);
        hit
    });
    let (_, start, domain, _) = burst.copied().unwrap_or(BURSTS[0]);
    // Squaring a uniform draw crowds reports into the first weeks after the edict.
    let u = rng.below(1000) as i64;
    let day = (start + u * u * 90 / 1_000_000).min(LAST_DAY);
    let index = DOMAINS.iter().position(|d| d.0 == domain).unwrap_or(0);
    (day, index)
}

fn weighted_domain(rng: &mut SplitMix64) -> usize {
    let mut pick = rng.below(100);
    for (i, (_, share, _)) in DOMAINS.iter().enumerate() {
        if pick < *share {
            return i;
        }
        pick -= share;
    }
    0
}

/// The latest edict of the incident's domains that it can enforce, and half the time one
/// earlier such edict; see the module doc for the date rule.
fn linked_edicts(rng: &mut SplitMix64, types: &[String], day: (i64, i64, i64)) -> Vec<String> {
    let mut candidates = [0usize; 58];
    let mut count = 0;
    for (i, (_, date, domain)) in EDICT_INDEX.iter().enumerate() {
        if types.iter().any(|t| t == domain) && earliest_key(date) <= day {
            candidates[count] = i;
            count += 1;
        }
    }
    let mut linked = Vec::with_capacity(2);
    if count == 0 {
        return linked;
    }
    linked.push(EDICT_INDEX[candidates[count - 1]].0.to_owned());
    if count > 1 && rng.percent(50) {
        let earlier = candidates[rng.below(count as u64 - 1) as usize];
        linked.push(EDICT_INDEX[earlier].0.to_owned());
    }
    linked
}

/// `(year, month, day)` of the earliest day a `YYYY[-MM[-DD]]` date can mean.
pub(crate) fn earliest_key(date: &str) -> (i64, i64, i64) {
    let part = |range: std::ops::Range<usize>| date.get(range).and_then(|s| s.parse().ok());
    (
        part(0..4).unwrap_or(0),
        part(5..7).unwrap_or(1),
        part(8..10).unwrap_or(1),
    )
}

/// Ratings A–F and 1–6 share one shape: mostly B/C and 2/3.
fn rating(rng: &mut SplitMix64) -> u8 {
    match rng.below(100) {
        0..=4 => 0,
        5..=29 => 1,
        30..=64 => 2,
        65..=84 => 3,
        85..=94 => 4,
        _ => 5,
    }
}

fn province_name(index: usize, lang: usize) -> &'static str {
    let (_, en, fa, ps) = PROVINCE_INDEX[index];
    [en, fa, ps][lang]
}

fn numbered(spelling: Spelling, prefix: &str, number: u64) -> String {
    let mut out = String::with_capacity(prefix.len() + 8);
    spelling.push(&mut out, prefix, &mut 0);
    spelling.push(&mut out, &number.to_string(), &mut 0);
    out
}

struct Fill<'a> {
    role: &'static str,
    witness: &'a str,
    prov: &'static str,
    n: u8,
}

/// Append `template` with its placeholders filled, in `spelling`. The witness pseudonym is
/// already spelled, so it is copied as is.
fn expand(out: &mut String, template: &str, fill: &Fill<'_>, spelling: Spelling) {
    let mut words = 0;
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        spelling.push(out, &rest[..open], &mut words);
        let after = &rest[open + 1..];
        let close = after.find('}').unwrap_or(after.len());
        match &after[..close] {
            "role" => spelling.push(out, fill.role, &mut words),
            "witness" => out.push_str(fill.witness),
            "prov" => spelling.push(out, fill.prov, &mut words),
            "n" => spelling.push(out, &fill.n.to_string(), &mut words),
            other => out.push_str(other),
        }
        rest = after.get(close + 1..).unwrap_or("");
    }
    spelling.push(out, rest, &mut words);
}
