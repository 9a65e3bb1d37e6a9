//! Sample charts in English and Dari, shared by the tests and `examples/render.rs`.

#![allow(dead_code)]

use gawah_charts::{
    Bar, BarChart, ChartText, Digits, Marker, MonthCounts, MonthlyChart, PROVINCE_CODES,
    ProvinceValue, Style, TileMap, Value,
};

/// The two languages the samples come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English, left to right, ASCII digits.
    En,
    /// Dari, right to left, Persian digits.
    Fa,
}

impl Lang {
    pub fn style(self) -> Style {
        match self {
            Lang::En => Style {
                rtl: false,
                digits: Digits::Ascii,
            },
            Lang::Fa => Style {
                rtl: true,
                digits: Digits::Persian,
            },
        }
    }

    fn pick(self, en: &str, fa: &str) -> String {
        match self {
            Lang::En => en.to_owned(),
            Lang::Fa => fa.to_owned(),
        }
    }

    fn text(self, title: (&str, &str), desc: (&str, &str)) -> ChartText {
        ChartText {
            title: self.pick(title.0, title.1),
            desc: self.pick(desc.0, desc.1),
            no_data: self.pick("No data", "بدون معلومات"),
        }
    }
}

const DOMAINS: [(&str, &str); 10] = [
    ("Education", "آموزش"),
    ("Employment", "اشتغال"),
    ("Movement", "آزادی رفت‌وآمد"),
    ("Dress", "پوشش"),
    ("Health", "صحت"),
    ("Justice", "عدالت"),
    ("Public space", "اماکن عامه"),
    ("Media", "رسانه"),
    ("Political participation", "مشارکت سیاسی"),
    ("Other", "دیگر"),
];

const MONTHS: [(&str, &str); 12] = [
    ("Jan", "جنوری"),
    ("Feb", "فبروری"),
    ("Mar", "مارچ"),
    ("Apr", "اپریل"),
    ("May", "می"),
    ("Jun", "جون"),
    ("Jul", "جولای"),
    ("Aug", "اگست"),
    ("Sep", "سپتمبر"),
    ("Oct", "اکتوبر"),
    ("Nov", "نومبر"),
    ("Dec", "دسمبر"),
];

const EDICTS: [(&str, &str, &str); 8] = [
    (
        "2021-09",
        "Girls' secondary schools closed",
        "بسته شدن مکاتب متوسطه به روی دختران",
    ),
    (
        "2021-12",
        "Mahram required for travel over 72 km",
        "محرم برای سفر بیش از ۷۲ کیلومتر",
    ),
    ("2022-05", "Face covering decree", "فرمان پوشاندن چهره"),
    (
        "2022-11",
        "Parks, gyms and baths closed to women",
        "منع زنان از پارک‌ها، باشگاه‌ها و حمام‌ها",
    ),
    (
        "2022-12",
        "Universities closed to women",
        "منع زنان از تحصیل در دانشگاه",
    ),
    (
        "2022-12",
        "Women barred from NGO work",
        "منع کار زنان در نهادهای غیردولتی",
    ),
    (
        "2023-07",
        "Beauty salons closed",
        "بسته شدن آرایشگاه‌های زنانه",
    ),
    (
        "2024-08",
        "Law on the propagation of virtue",
        "قانون امر به معروف و نهی از منکر",
    ),
];

/// 41 months, August 2021 to December 2024, with a deterministic made-up pattern.
pub fn monthly(lang: Lang) -> MonthlyChart {
    let months = (0..41u64)
        .map(|i| {
            let (y, m) = (2021 + (7 + i) / 12, (7 + i) % 12 + 1);
            let mut counts = [0u64; 10];
            for (d, c) in counts.iter_mut().enumerate() {
                let d = d as u64;
                *c = (i * (d + 3) + d * 7) % (4 + d)
                    + if d == 0 && (13..20).contains(&i) {
                        9
                    } else {
                        0
                    };
            }
            MonthCounts {
                month: format!("{y:04}-{m:02}"),
                counts,
            }
        })
        .collect();
    MonthlyChart {
        text: lang.text(
            ("Incidents per month by domain", "رویدادها در هر ماه به تفکیک حوزه"),
            (
                "Stacked bars of documented incidents per month, August 2021 to December 2024, with the dates of edicts.",
                "ستون‌های انباشته رویدادهای مستند در هر ماه، از اگست ۲۰۲۱ تا دسمبر ۲۰۲۴، با تاریخ فرمان‌ها.",
            ),
        ),
        style: lang.style(),
        domain_labels: DOMAINS.map(|(en, fa)| lang.pick(en, fa)),
        month_names: MONTHS.map(|(en, fa)| lang.pick(en, fa)),
        months,
        markers: EDICTS
            .iter()
            .map(|(month, en, fa)| Marker { month: (*month).into(), label: lang.pick(en, fa) })
            .collect(),
    }
}

const DARI_PROVINCES: [&str; 34] = [
    "بلخ",
    "بامیان",
    "بادغیس",
    "بدخشان",
    "بغلان",
    "دایکندی",
    "فراه",
    "فاریاب",
    "غزنی",
    "غور",
    "هلمند",
    "هرات",
    "جوزجان",
    "کابل",
    "قندهار",
    "کاپیسا",
    "کندز",
    "خوست",
    "کنر",
    "لغمان",
    "لوگر",
    "ننگرهار",
    "نیمروز",
    "نورستان",
    "پنجشیر",
    "پروان",
    "پکتیا",
    "پکتیکا",
    "سمنگان",
    "سرپل",
    "تخار",
    "ارزگان",
    "وردک",
    "زابل",
];

/// Nuristan without data, Panjshir not listed at all (no data either); Daykundi zero, Badghis
/// suppressed.
pub fn tiles(lang: Lang) -> TileMap {
    let provinces = PROVINCE_CODES
        .iter()
        .zip(gawah_core::vocab::PROVINCES)
        .zip(DARI_PROVINCES)
        .enumerate()
        .filter(|(_, ((code, _), _))| **code != "AF-PAN")
        .map(|(i, ((code, (_, en)), fa))| ProvinceValue {
            code: (*code).into(),
            label: lang.pick(en, fa),
            value: match *code {
                "AF-NUR" => None,
                "AF-DAY" => Some(Value::Count(0)),
                "AF-BDG" => Some(Value::Under(5)),
                "AF-KAB" => Some(Value::Count(1234)),
                _ => Some(Value::Count((i as u64 * 37) % 160 + 5)),
            },
        })
        .collect();
    TileMap {
        text: lang.text(
            ("Incidents by province", "رویدادها به تفکیک ولایت"),
            (
                "Documented incidents in each of the 34 provinces.",
                "رویدادهای مستند در هر یک از ۳۴ ولایت.",
            ),
        ),
        style: lang.style(),
        provinces,
    }
}

const EDICT_BARS: [(&str, &str, u64); 6] = [
    (
        "Universities closed to women (December 2022)",
        "منع زنان از تحصیل در دانشگاه (دسمبر ۲۰۲۲)",
        412,
    ),
    (
        "Mahram required for travel over 72 km",
        "محرم برای سفر بیش از ۷۲ کیلومتر",
        268,
    ),
    ("Face covering decree", "فرمان پوشاندن چهره", 195),
    (
        "Women barred from work in national and international non-governmental organisations",
        "منع کار زنان در نهادهای غیردولتی ملی و بین‌المللی و دفاتر سازمان ملل متحد",
        88,
    ),
    ("Beauty salons closed", "بسته شدن آرایشگاه‌های زنانه", 31),
    ("Ban on speaking in public", "منع صحبت زنان در ملای عام", 0),
];

/// Edicts and their enforcement incidents, one of them suppressed.
pub fn bars(lang: Lang) -> BarChart {
    let mut bars: Vec<Bar> = EDICT_BARS
        .iter()
        .map(|(en, fa, n)| Bar {
            label: lang.pick(en, fa),
            value: Value::Count(*n),
        })
        .collect();
    bars.push(Bar {
        label: lang.pick("Dress code on television", "قواعد پوشش در تلویزیون"),
        value: Value::Under(5),
    });
    BarChart {
        text: lang.text(
            (
                "Enforcement incidents by edict",
                "رویدادهای اجرا به تفکیک فرمان",
            ),
            (
                "Incidents linked to each edict.",
                "رویدادهای مرتبط با هر فرمان.",
            ),
        ),
        style: lang.style(),
        bars,
    }
}
