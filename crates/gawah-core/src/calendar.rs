//! The Solar Hijri calendar as used in Afghanistan, and its conversion to and from the
//! proleptic Gregorian calendar.
//!
//! Afghanistan and Iran keep the same Solar Hijri calendar (Afghanistan adopted it in
//! 1301 SH, 1922 CE) with the same year numbers, month lengths and leap years; only the
//! month names differ. The year starts on Nowruz, 1 Hamal: the day of the March equinox
//! if the equinox falls before noon on the 52.5°E meridian (UTC+03:30), else the next day.
//! Months 1–6 have 31 days, 7–11 have 30, and Hut has 29, or 30 in a leap year.
//!
//! # Leap years
//! A year `y` is leap when `(25 y + 11) mod 33 < 8`: the 33-year arithmetic cycle. Over
//! [`FIRST_SUPPORTED_YEAR`]..=[`LAST_SUPPORTED_YEAR`] (1206–1498 SH, 22 March 1827 to
//! 20 March 2120 CE) it gives exactly the leap years and Nowruz dates of the official
//! table of the University of Tehran's calendar centre (*Kabise Shamsi 1206–1498*), and of
//! an equinox computation (VSOP87 with ΔT) by the noon rule above, for 1259–1498 SH.
//! Dates outside that range are refused rather than guessed: the calendar is astronomical,
//! and further out the cycle and the sky part ways.
//!
//! Caveat: some Afghan almanacs instead pin 1 Hamal to 21 March (20 March when the
//! Gregorian year is leap). That rule and this one agree on every day from
//! 21 March 1993 (1 Hamal 1372) to 19 March 2029 (29 Hut 1407) and differ by a day
//! in some years outside it.

/// The first Solar Hijri year this module converts.
pub const FIRST_SUPPORTED_YEAR: i32 = 1206;
/// The last Solar Hijri year this module converts.
pub const LAST_SUPPORTED_YEAR: i32 = 1498;

/// Nowruz of [`FIRST_SUPPORTED_YEAR`], 22 March 1827, in days since 1970-01-01.
const FIRST_NOWRUZ: i64 = days_from_civil(1827, 3, 22);

/// A date in the Solar Hijri calendar. Fields are public, so a value is only known to be
/// a real date when it came from [`to_solar_hijri`] or passed [`from_solar_hijri`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SolarHijriDate {
    /// The year, counted from the Hijra.
    pub year: i32,
    /// The month, 1 (Hamal) to 12 (Hut).
    pub month: u8,
    /// The day of the month, from 1.
    pub day: u8,
}

/// Whether `year` is a Solar Hijri leap year (Hut has 30 days). Only meaningful within
/// the supported range.
pub fn is_leap_year(year: i32) -> bool {
    (25 * i64::from(year) + 11).rem_euclid(33) < 8
}

/// The Solar Hijri date of a Gregorian date, or `None` if the date does not exist or lies
/// outside the supported range.
pub fn to_solar_hijri(year: i32, month: u8, day: u8) -> Option<SolarHijriDate> {
    if !(1..=12).contains(&month) || day == 0 || day > gregorian_month_len(year, month) {
        return None;
    }
    let days = days_from_civil(i64::from(year), i64::from(month), i64::from(day));
    if days < FIRST_NOWRUZ || days >= nowruz(LAST_SUPPORTED_YEAR + 1) {
        return None;
    }
    // Mean year length 12053/33 days; the estimate is at most one year off either way.
    let mut sh_year =
        FIRST_SUPPORTED_YEAR + i32::try_from((days - FIRST_NOWRUZ) * 33 / 12053).ok()?;
    while nowruz(sh_year) > days {
        sh_year -= 1;
    }
    while nowruz(sh_year + 1) <= days {
        sh_year += 1;
    }
    let (month, day) = month_and_day(days - nowruz(sh_year));
    Some(SolarHijriDate {
        year: sh_year,
        month,
        day,
    })
}

/// The Gregorian `(year, month, day)` of a Solar Hijri date, or `None` if the date does
/// not exist or lies outside the supported range.
pub fn from_solar_hijri(year: i32, month: u8, day: u8) -> Option<(i32, u8, u8)> {
    if !(FIRST_SUPPORTED_YEAR..=LAST_SUPPORTED_YEAR).contains(&year)
        || day == 0
        || day > solar_hijri_month_len(year, month)?
    {
        return None;
    }
    let day_of_year = if month <= 6 {
        (i64::from(month) - 1) * 31
    } else {
        186 + (i64::from(month) - 7) * 30
    } + i64::from(day)
        - 1;
    civil_from_days(nowruz(year) + day_of_year)
}

/// The number of days in a Solar Hijri month, or `None` for a month outside 1..=12.
pub fn solar_hijri_month_len(year: i32, month: u8) -> Option<u8> {
    match month {
        1..=6 => Some(31),
        7..=11 => Some(30),
        12 if is_leap_year(year) => Some(30),
        12 => Some(29),
        _ => None,
    }
}

const NAMES_EN: [&str; 12] = [
    "Hamal", "Sawr", "Jawza", "Saratan", "Asad", "Sunbula", "Mizan", "Aqrab", "Qaws", "Jadi",
    "Dalw", "Hut",
];
const NAMES_FA: [&str; 12] = [
    "حمل",
    "ثور",
    "جوزا",
    "سرطان",
    "اسد",
    "سنبله",
    "میزان",
    "عقرب",
    "قوس",
    "جدی",
    "دلو",
    "حوت",
];
const NAMES_PS: [&str; 12] = [
    "وری",
    "غویی",
    "غبرګولی",
    "چنګاښ",
    "زمری",
    "وږی",
    "تله",
    "لړم",
    "لیندۍ",
    "مرغومی",
    "سلواغه",
    "کب",
];

/// The name of a month (1..=12) as said in Afghanistan: `"fa"` Dari, `"ps"` Pashto, and
/// the Dari names transliterated for anything else. An empty string for a month outside
/// 1..=12.
pub fn month_name(month: u8, lang: &str) -> &'static str {
    let names = match lang {
        "fa" => &NAMES_FA,
        "ps" => &NAMES_PS,
        _ => &NAMES_EN,
    };
    usize::from(month)
        .checked_sub(1)
        .and_then(|index| names.get(index))
        .copied()
        .unwrap_or("")
}

/// A date as "day month year", e.g. "24 Asad 1400", or "۲۴ اسد ۱۴۰۰" with Persian digits
/// for `"fa"` and `"ps"`.
pub fn format_solar_hijri(d: &SolarHijriDate, lang: &str) -> String {
    let text = format!("{} {} {}", d.day, month_name(d.month, lang), d.year);
    match lang {
        "fa" | "ps" => to_persian_digits(&text),
        _ => text,
    }
}

const PERSIAN_DIGITS: [char; 10] = ['۰', '۱', '۲', '۳', '۴', '۵', '۶', '۷', '۸', '۹'];

/// `s` with the ASCII digits 0–9 replaced by the Persian digits ۰–۹ (U+06F0..U+06F9).
pub fn to_persian_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' => PERSIAN_DIGITS[usize::from(c as u8 - b'0')],
            _ => c,
        })
        .collect()
}

/// Replaces Persian (۰–۹) and Arabic-Indic (٠–٩) digits with ASCII digits, as a Dari or
/// Pashto keyboard types them.
pub fn to_ascii_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
            '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
            _ => c,
        })
        .collect()
}

/// Nowruz of `year`, in days since 1970-01-01.
fn nowruz(year: i32) -> i64 {
    let year = i64::from(year);
    let first = i64::from(FIRST_SUPPORTED_YEAR);
    FIRST_NOWRUZ + 365 * (year - first) + leap_years_through(year - 1)
        - leap_years_through(first - 1)
}

/// The number of leap years in 1..=`year` under the 33-year rule: `(8 y + 29) div 33`
/// steps up exactly when `(25 y + 11) mod 33 < 8`.
fn leap_years_through(year: i64) -> i64 {
    (8 * year + 29).div_euclid(33)
}

/// Month and day of the zero-based day of a Solar Hijri year.
fn month_and_day(day_of_year: i64) -> (u8, u8) {
    let (month, day) = if day_of_year < 186 {
        (day_of_year / 31 + 1, day_of_year % 31 + 1)
    } else {
        ((day_of_year - 186) / 30 + 7, (day_of_year - 186) % 30 + 1)
    };
    // Callers pass 0..366, so month is 1..=12 and day 1..=31.
    (
        u8::try_from(month).unwrap_or(0),
        u8::try_from(day).unwrap_or(0),
    )
}

fn gregorian_month_len(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
const fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Hinnant's
/// `civil_from_days`), or `None` if the year does not fit an `i32`.
fn civil_from_days(days: i64) -> Option<(i32, u8, u8)> {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    Some((
        i32::try_from(year).ok()?,
        u8::try_from(month).ok()?,
        u8::try_from(day).ok()?,
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn ascii_digits_from_both_arabic_scripts() {
        assert_eq!(super::to_ascii_digits("۲۰۲۱-۰۸-۱۵ ٣"), "2021-08-15 3");
    }

    use super::*;

    fn sh(year: i32, month: u8, day: u8) -> SolarHijriDate {
        SolarHijriDate { year, month, day }
    }

    /// Leap years of the University of Tehran calendar centre's table "Kabise Shamsi
    /// 1206–1498" (also checked against an equinox computation for 1259–1498).
    const OFFICIAL_LEAP_YEARS: [i32; 71] = [
        1210, 1214, 1218, 1222, 1226, 1230, 1234, 1238, 1243, 1247, 1251, 1255, 1259, 1263, 1267,
        1271, 1276, 1280, 1284, 1288, 1292, 1296, 1300, 1304, 1309, 1313, 1317, 1321, 1325, 1329,
        1333, 1337, 1342, 1346, 1350, 1354, 1358, 1362, 1366, 1370, 1375, 1379, 1383, 1387, 1391,
        1395, 1399, 1403, 1408, 1412, 1416, 1420, 1424, 1428, 1432, 1436, 1441, 1445, 1449, 1453,
        1457, 1461, 1465, 1469, 1474, 1478, 1482, 1486, 1490, 1494, 1498,
    ];

    /// Nowruz dates from the same table, chosen around cycle breaks and the range ends.
    const OFFICIAL_NOWRUZ: [(i32, (i32, u8, u8)); 15] = [
        (1206, (1827, 3, 22)),
        (1275, (1896, 3, 20)),
        (1276, (1897, 3, 20)),
        (1281, (1902, 3, 22)),
        (1304, (1925, 3, 21)),
        (1309, (1930, 3, 21)),
        (1375, (1996, 3, 20)),
        (1403, (2024, 3, 20)),
        (1404, (2025, 3, 21)),
        (1407, (2028, 3, 20)),
        (1408, (2029, 3, 20)),
        (1440, (2061, 3, 20)),
        (1470, (2091, 3, 21)),
        (1479, (2100, 3, 21)),
        (1498, (2119, 3, 21)),
    ];

    #[test]
    fn leap_years_match_the_official_table() {
        for year in FIRST_SUPPORTED_YEAR..=LAST_SUPPORTED_YEAR {
            let official = OFFICIAL_LEAP_YEARS.contains(&year);
            assert_eq!(is_leap_year(year), official, "year {year}");
            let last_day = if official { 30 } else { 29 };
            assert!(
                from_solar_hijri(year, 12, last_day).is_some(),
                "{year}-12-{last_day}"
            );
            assert_eq!(
                from_solar_hijri(year, 12, 30).is_some(),
                official,
                "{year}-12-30"
            );
        }
    }

    #[test]
    fn nowruz_matches_the_official_table() {
        for (year, gregorian) in OFFICIAL_NOWRUZ {
            assert_eq!(
                from_solar_hijri(year, 1, 1),
                Some(gregorian),
                "Nowruz {year}"
            );
            let (gy, gm, gd) = gregorian;
            assert_eq!(
                to_solar_hijri(gy, gm, gd),
                Some(sh(year, 1, 1)),
                "Nowruz {year}"
            );
        }
    }

    #[test]
    fn known_equivalences() {
        let cases = [
            ((2021, 8, 15), sh(1400, 5, 24)),  // the fall of Kabul, 24 Asad 1400
            ((2022, 3, 21), sh(1401, 1, 1)),   // Nowruz 1401
            ((2022, 12, 20), sh(1401, 9, 29)), // university ban for women, 29 Qaws 1401
            ((2023, 3, 21), sh(1402, 1, 1)),   // Nowruz 1402
            ((2024, 3, 19), sh(1402, 12, 29)), // 1402 is common: Hut has 29 days
            ((2024, 3, 20), sh(1403, 1, 1)),   // Nowruz 1403
            ((2025, 3, 20), sh(1403, 12, 30)), // 1403 is leap: 30 Hut
            ((2025, 3, 21), sh(1404, 1, 1)),   // Nowruz 1404
        ];
        for ((gy, gm, gd), date) in cases {
            assert_eq!(to_solar_hijri(gy, gm, gd), Some(date), "{gy}-{gm}-{gd}");
            assert_eq!(
                from_solar_hijri(date.year, date.month, date.day),
                Some((gy, gm, gd))
            );
        }
    }

    /// Walks every day of 1950–2100: each converts, converts back, and follows the
    /// previous day in the Solar Hijri calendar too.
    #[test]
    fn every_day_1950_to_2100_round_trips_and_advances_by_one() {
        let mut previous: Option<SolarHijriDate> = None;
        for days in days_from_civil(1950, 1, 1)..=days_from_civil(2100, 12, 31) {
            let Some((gy, gm, gd)) = civil_from_days(days) else {
                panic!("day {days} has no Gregorian date");
            };
            let Some(date) = to_solar_hijri(gy, gm, gd) else {
                panic!("{gy}-{gm}-{gd} did not convert");
            };
            assert_eq!(
                from_solar_hijri(date.year, date.month, date.day),
                Some((gy, gm, gd))
            );
            if let Some(prev) = previous {
                assert_eq!(date, next_day(prev), "after {prev:?}");
            }
            previous = Some(date);
        }
    }

    fn next_day(d: SolarHijriDate) -> SolarHijriDate {
        match solar_hijri_month_len(d.year, d.month) {
            Some(len) if d.day < len => sh(d.year, d.month, d.day + 1),
            _ if d.month < 12 => sh(d.year, d.month + 1, 1),
            _ => sh(d.year + 1, 1, 1),
        }
    }

    #[test]
    fn supported_range_ends_are_exact() {
        assert_eq!(to_solar_hijri(1827, 3, 22), Some(sh(1206, 1, 1)));
        assert_eq!(to_solar_hijri(1827, 3, 21), None);
        assert_eq!(to_solar_hijri(2120, 3, 20), Some(sh(1498, 12, 30)));
        assert_eq!(to_solar_hijri(2120, 3, 21), None);
        assert_eq!(from_solar_hijri(1205, 12, 29), None);
        assert_eq!(from_solar_hijri(1499, 1, 1), None);
    }

    #[test]
    fn invalid_gregorian_dates_are_refused() {
        for (y, m, d) in [
            (2023, 2, 29),
            (1900, 2, 29),
            (2021, 4, 31),
            (2021, 0, 1),
            (2021, 13, 1),
            (2021, 1, 0),
            (2021, 1, 32),
            (i32::MIN, 1, 1),
            (i32::MAX, 12, 31),
        ] {
            assert_eq!(to_solar_hijri(y, m, d), None, "{y}-{m}-{d}");
        }
        assert_eq!(to_solar_hijri(2000, 2, 29), Some(sh(1378, 12, 10)));
    }

    #[test]
    fn invalid_solar_hijri_dates_are_refused() {
        for (y, m, d) in [
            (1402, 12, 30),
            (1400, 7, 31),
            (1400, 6, 32),
            (1400, 0, 1),
            (1400, 13, 1),
            (1400, 1, 0),
            (i32::MIN, 1, 1),
            (i32::MAX, 1, 1),
        ] {
            assert_eq!(from_solar_hijri(y, m, d), None, "{y}-{m}-{d}");
        }
    }

    #[test]
    fn month_names_in_each_language() {
        assert_eq!(month_name(1, "en"), "Hamal");
        assert_eq!(month_name(12, "en"), "Hut");
        assert_eq!(month_name(5, "fa"), "اسد");
        assert_eq!(month_name(9, "fa"), "قوس");
        assert_eq!(month_name(1, "ps"), "وری");
        assert_eq!(month_name(12, "ps"), "کب");
        assert_eq!(month_name(3, "de"), "Jawza");
        assert_eq!(month_name(0, "en"), "");
        assert_eq!(month_name(13, "fa"), "");
    }

    #[test]
    fn dari_and_pashto_names_use_persian_letters() {
        // Persian yeh U+06CC, not Arabic yeh U+064A or alef maksura U+0649.
        for month in 1..=12 {
            for lang in ["fa", "ps"] {
                let name = month_name(month, lang);
                assert!(!name.is_empty());
                assert!(
                    !name.contains(['\u{064A}', '\u{0649}', '\u{0643}']),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn formats_in_each_language() {
        let date = sh(1400, 5, 24);
        assert_eq!(format_solar_hijri(&date, "en"), "24 Asad 1400");
        assert_eq!(format_solar_hijri(&date, "fa"), "۲۴ اسد ۱۴۰۰");
        assert_eq!(format_solar_hijri(&date, "ps"), "۲۴ زمری ۱۴۰۰");
        assert_eq!(format_solar_hijri(&sh(1401, 9, 29), "fa"), "۲۹ قوس ۱۴۰۱");
    }

    #[test]
    fn persian_digits_replace_ascii_digits_only() {
        assert_eq!(to_persian_digits("0123456789"), "۰۱۲۳۴۵۶۷۸۹");
        assert_eq!(to_persian_digits("a1-b2 ٣"), "a۱-b۲ ٣");
        assert_eq!(to_persian_digits(""), "");
    }
}
