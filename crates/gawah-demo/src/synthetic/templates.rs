//! Incident text templates, per language and domain.
//!
//! Placeholders: `{role}` (who was harmed, as a role, never a name), `{witness}` (a pseudonym),
//! `{n}` (a count), `{prov}` (the province's name in the template's language). Digits in the
//! static text are written in ASCII; the generator renders them in the incident's digit style.

/// One template: the domain it documents, a title and a description.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Template {
    pub domain: &'static str,
    pub title: &'static str,
    pub description: &'static str,
}

const fn t(domain: &'static str, title: &'static str, description: &'static str) -> Template {
    Template {
        domain,
        title,
        description,
    }
}

pub(crate) const EN: [Template; 14] = [
    t(
        "education",
        "Girls turned away from secondary school in {prov}",
        "{witness} reports that officials sent {n} girls above grade 6 home from their school and said the ban on girls' secondary education would be enforced.",
    ),
    t(
        "education",
        "Women students refused entry to university",
        "{witness}, {role}, says guards at a university gate in {prov} turned away {n} women students after the December 2022 suspension of women's higher education.",
    ),
    t(
        "employment",
        "Woman told to leave her government post",
        "{role} in {prov} says her department told her to stay at home and send a male relative to take her job; {witness} confirms the instruction.",
    ),
    t(
        "employment",
        "NGO ordered to stop female staff working",
        "Officials visited a local NGO office in {prov} and ordered its {n} female employees to stop coming to work, threatening to revoke its licence, according to {witness}.",
    ),
    t(
        "movement",
        "Woman sent back at checkpoint for travelling without mahram",
        "{role} travelling between districts of {prov} was stopped at a checkpoint and sent back because no male guardian was with her, according to {witness}.",
    ),
    t(
        "movement",
        "Taxi driver fined for carrying women alone",
        "{witness} says a driver in {prov} was fined and warned after inspectors found {n} women in his car without a male relative.",
    ),
    t(
        "dress",
        "Women detained over hijab in a market",
        "{witness} saw vice-and-virtue inspectors detain {n} women in a market in {prov} for not covering their faces; they were released after male relatives signed guarantees.",
    ),
    t(
        "public_space",
        "Women refused entry to a public park",
        "{role} and {n} other women were refused entry to a park in {prov}; the guards cited the ban on women in parks, says {witness}.",
    ),
    t(
        "health",
        "Patient refused treatment without a male guardian",
        "{witness} reports that a clinic in {prov} turned away {role} because she came without a male guardian, and that {n} other women waited outside.",
    ),
    t(
        "media",
        "Women's voices taken off local radio",
        "{role} at a local radio station in {prov} was told women's voices could no longer be broadcast; the station dropped {n} programmes, according to {witness}.",
    ),
    t(
        "justice",
        "Woman flogged in public after summary hearing",
        "{witness} reports that {role} was flogged in public in {prov} after a hearing at which she had no lawyer and could not call witnesses.",
    ),
    t(
        "political_participation",
        "Women's protest dispersed and participant detained",
        "{witness} says forces dispersed a gathering of {n} women in {prov} demanding the right to work, and held {role} for several days.",
    ),
    t(
        "other",
        "Beauty salon closed by inspectors",
        "{role} who ran a beauty salon in {prov} says inspectors closed it and took the equipment; {n} women lost their work, according to {witness}.",
    ),
    t(
        "other",
        "Family ordered to block windows facing a courtyard",
        "{witness} says municipal officials in {prov} ordered a family to brick up {n} windows overlooking a neighbour's courtyard used by women.",
    ),
];

pub(crate) const FA: [Template; 14] = [
    t(
        "education",
        "بازگرداندن دختران از مکتب متوسطه در {prov}",
        "{witness} گزارش می‌دهد که مسئولان {n} دختر بالاتر از صنف 6 را از مکتب به خانه فرستادند و گفتند ممنوعیت آموزش متوسطهٔ دختران اجرا می‌شود.",
    ),
    t(
        "education",
        "منع ورود دانشجویان دختر به پوهنتون",
        "{witness}، {role}، می‌گوید نگهبانان دروازهٔ پوهنتون در {prov} پس از تعلیق تحصیلات عالی زنان در دسمبر 2022 جلو {n} دانشجوی دختر را گرفتند.",
    ),
    t(
        "employment",
        "به یک کارمند زن گفته شد وظیفه‌اش را ترک کند",
        "{role} در {prov} می‌گوید اداره‌اش به او گفت در خانه بماند و یک مرد از خانواده‌اش را به جای خود بفرستد؛ {witness} این دستور را تأیید می‌کند.",
    ),
    t(
        "employment",
        "دستور توقف کار کارمندان زن یک موسسه",
        "به گفتهٔ {witness}، مأموران به دفتر یک موسسهٔ محلی در {prov} رفتند و دستور دادند {n} کارمند زن آن دیگر سر کار نیایند، وگرنه جواز موسسه لغو می‌شود.",
    ),
    t(
        "movement",
        "زنی بدون محرم از ایست بازرسی برگردانده شد",
        "به گفتهٔ {witness}، {role} که میان ولسوالی‌های {prov} سفر می‌کرد در یک ایست بازرسی متوقف و برگردانده شد، چون محرم همراهش نبود.",
    ),
    t(
        "movement",
        "جریمهٔ رانندهٔ تکسی برای سوار کردن زنان",
        "{witness} می‌گوید یک راننده در {prov} پس از آنکه مأموران {n} زن بدون محرم را در موترش یافتند جریمه و تهدید شد.",
    ),
    t(
        "dress",
        "بازداشت زنان در بازار به بهانهٔ حجاب",
        "{witness} دید که مأموران امر به معروف {n} زن را در بازاری در {prov} به دلیل نپوشاندن روی بازداشت کردند؛ آنان پس از ضمانت مردان خانواده رها شدند.",
    ),
    t(
        "public_space",
        "جلوگیری از ورود زنان به پارک عمومی",
        "{witness} می‌گوید نگهبانان یک پارک در {prov} به {role} و {n} زن دیگر اجازهٔ ورود ندادند و به ممنوعیت رفتن زنان به پارک‌ها استناد کردند.",
    ),
    t(
        "health",
        "رد درمان بیمار زن بدون محرم",
        "{witness} گزارش می‌دهد که یک کلینیک در {prov} {role} را چون بدون محرم آمده بود نپذیرفت و {n} زن دیگر بیرون منتظر ماندند.",
    ),
    t(
        "media",
        "حذف صدای زنان از رادیوی محلی",
        "به گفتهٔ {witness}، به {role} در یک رادیوی محلی در {prov} گفته شد صدای زنان دیگر پخش نمی‌شود و رادیو {n} برنامه را قطع کرد.",
    ),
    t(
        "justice",
        "شلاق زدن یک زن در ملأ عام پس از محاکمهٔ صحرایی",
        "{witness} گزارش می‌دهد که {role} در {prov} پس از جلسه‌ای که در آن وکیل نداشت و نمی‌توانست شاهد بیاورد، در ملأ عام شلاق خورد.",
    ),
    t(
        "political_participation",
        "پراکنده کردن اعتراض زنان و بازداشت یک معترض",
        "{witness} می‌گوید نیروها تجمع {n} زن را که در {prov} حق کار می‌خواستند پراکنده کردند و {role} را چند روز بازداشت کردند.",
    ),
    t(
        "other",
        "بسته شدن یک آرایشگاه زنانه از سوی مأموران",
        "{role} که در {prov} آرایشگاه داشت می‌گوید مأموران آن را بستند و وسایلش را بردند؛ به گفتهٔ {witness}، {n} زن کارشان را از دست دادند.",
    ),
    t(
        "other",
        "دستور مسدود کردن کلکین‌های رو به حویلی",
        "{witness} می‌گوید مأموران شاروالی در {prov} به یک خانواده دستور دادند {n} کلکین رو به حویلی همسایه را که زنان از آن استفاده می‌کنند با خشت ببندند.",
    ),
];

pub(crate) const PS: [Template; 14] = [
    t(
        "education",
        "په {prov} کې نجونې له منځني ښوونځي بېرته ولېږل شوې",
        "{witness} وايي چې چارواکو له 6م ټولګي پورته {n} نجونې له ښوونځي کور ته ولېږلې او ویې ویل چې د نجونو د منځنیو زده کړو بندیز به پلی کېږي.",
    ),
    t(
        "education",
        "ښځینه محصلینو ته پوهنتون ته د ننوتو اجازه ورنه کړل شوه",
        "{witness}، {role}، وايي چې په {prov} کې د پوهنتون د دروازې ساتونکو د 2022 کال د ډسمبر د بندیز وروسته {n} ښځینه محصلینې بېرته ولېږلې.",
    ),
    t(
        "employment",
        "یوې ښځې ته وویل شول چې دولتي دنده پرېږدي",
        "{role} په {prov} کې وايي چې ادارې یې ورته وویل په کور کې پاتې شي او یو نارینه خپلوان د خپلې دندې لپاره ولېږي؛ {witness} دا لارښوونه تاییدوي.",
    ),
    t(
        "employment",
        "یوې موسسې ته امر وشو چې ښځینه کارکوونکې له کار منع کړي",
        "د {witness} په وینا، مامورینو په {prov} کې د یوې سیمه‌ییزې موسسې دفتر ته ورغلل او امر یې وکړ چې {n} ښځینه کارکوونکې یې نور کار ته رانه شي، کنه جواز یې لغوه کېږي.",
    ),
    t(
        "movement",
        "ښځه بې له محرمه له تلاشۍ ځای بېرته ستنه شوه",
        "د {witness} په وینا، {role} چې د {prov} د ولسوالیو ترمنځ یې سفر کاوه، په یوه تلاشۍ ځای کې ودرول شوه او بېرته ستنه کړل شوه، ځکه محرم ورسره نه و.",
    ),
    t(
        "movement",
        "ټکسي چلوونکی د ښځو د سپرولو له امله جریمه شو",
        "{witness} وايي چې په {prov} کې یو چلوونکی هغه وخت جریمه او ګواښل شو چې مامورینو یې په موټر کې بې له محرمه {n} ښځې وموندلې.",
    ),
    t(
        "dress",
        "په بازار کې د حجاب په پلمه د ښځو نیول",
        "{witness} ولیدل چې د امر بالمعروف مامورینو په {prov} کې په یوه بازار کې {n} ښځې د مخ نه پټولو له امله ونیولې؛ هغوی د نارینه خپلوانو له ضمانت وروسته خوشې شوې.",
    ),
    t(
        "public_space",
        "ښځو ته عامه پارک ته د ننوتو اجازه ورنه کړل شوه",
        "{witness} وايي چې په {prov} کې د یوه پارک ساتونکو {role} او {n} نورو ښځو ته د ننوتو اجازه ورنه کړه او د پارکونو پر ښځو بندیز یې یاد کړ.",
    ),
    t(
        "health",
        "بې له محرمه د ښځینه ناروغې درملنه ونه شوه",
        "{witness} راپور ورکوي چې په {prov} کې یوه کلینیک {role} ونه منله ځکه بې له محرمه راغلې وه، او {n} نورې ښځې بهر انتظار وې.",
    ),
    t(
        "media",
        "له سیمه‌ییزې راډیو څخه د ښځو غږ لرې شو",
        "د {witness} په وینا، په {prov} کې د یوې سیمه‌ییزې راډیو {role} ته وویل شول چې د ښځو غږ نور نه خپرېږي، او راډیو {n} خپرونې بندې کړې.",
    ),
    t(
        "justice",
        "یوه ښځه له لنډې محاکمې وروسته په عامه ځای کې په دُرو ووهل شوه",
        "{witness} راپور ورکوي چې {role} په {prov} کې له داسې غونډې وروسته په عامه ځای کې په دُرو ووهل شوه چې وکیل یې نه درلود او شاهدان یې نه شول راوستلای.",
    ),
    t(
        "political_participation",
        "د ښځو لاریون وشړل شو او یوه ګډونواله ونیول شوه",
        "{witness} وايي چې ځواکونو په {prov} کې د {n} ښځو غونډه چې د کار حق یې غوښت وشړله، او {role} یې څو ورځې بندي وساتله.",
    ),
    t(
        "other",
        "مامورینو د ښځو سینګارتون وتاړه",
        "{role} چې په {prov} کې یې سینګارتون درلود وايي چې مامورینو هغه وتاړه او سامانونه یې یوړل؛ د {witness} په وینا {n} ښځې بې کاره شوې.",
    ),
    t(
        "other",
        "یوې کورنۍ ته امر وشو چې انګړ ته مخامخ کړکۍ بندې کړي",
        "{witness} وايي چې په {prov} کې د ښاروالۍ مامورینو یوې کورنۍ ته امر وکړ چې د ګاونډي هغه انګړ ته مخامخ {n} کړکۍ په خښتو بندې کړي چې ښځې یې کاروي.",
    ),
];

/// Roles (never names) of the person harmed, per language, in the same order.
pub(crate) const ROLES: [[&str; 8]; 3] = [
    [
        "a schoolteacher",
        "a midwife",
        "a university student",
        "an NGO worker",
        "a journalist",
        "a widow",
        "a secondary-school girl",
        "a nurse",
    ],
    [
        "معلم یک مکتب",
        "یک قابله",
        "یک دانشجوی پوهنتون",
        "کارمند یک موسسه",
        "یک خبرنگار",
        "یک زن بیوه",
        "یک شاگرد مکتب",
        "یک نرس",
    ],
    [
        "د یوه ښوونځي ښوونکې",
        "یوه قابله",
        "د پوهنتون یوه محصله",
        "د یوې موسسې کارکوونکې",
        "یوه خبریاله",
        "یوه کونډه",
        "د ښوونځي یوه زده کوونکې",
        "یوه نرسه",
    ],
];

/// Fictional landmarks for the confidential exact location, per language.
pub(crate) const LANDMARKS: [[&str; 6]; 3] = [
    [
        "near the girls' school",
        "behind the central market",
        "by the district health clinic",
        "opposite the bus stop",
        "near the old mosque",
        "at the main checkpoint",
    ],
    [
        "نزدیک مکتب دخترانه",
        "پشت بازار مرکزی",
        "کنار کلینیک ولسوالی",
        "روبروی ایستگاه سرویس",
        "نزدیک مسجد کهنه",
        "در ایست بازرسی اصلی",
    ],
    [
        "د نجونو ښوونځي ته نږدې",
        "د مرکزي بازار شاته",
        "د ولسوالۍ کلینیک ته څېرمه",
        "د بس تمځای مخې ته",
        "زاړه جومات ته نږدې",
        "په اصلي تلاشۍ ځای کې",
    ],
];

/// Templates for a language: 0 English, 1 Dari, 2 Pashto.
pub(crate) fn for_language(lang: usize) -> &'static [Template; 14] {
    match lang {
        1 => &FA,
        2 => &PS,
        _ => &EN,
    }
}
