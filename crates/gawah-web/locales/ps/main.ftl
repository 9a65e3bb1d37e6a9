# د gawah (ګواه) کارن انټرفېس، پښتو.
skip-to-content = اصلي منځپانګې ته لاړ شئ
nav-label = اصلي مینو
nav-edicts = فرمانونه
nav-declaration = اعلامیه
nav-log = د روڼتیا ثبت دفتر
nav-incidents = پېښې
nav-logout = وتل
nav-login = ننوتل
nav-language = ژبه
footer-text = gawah شاهدۍ خوندي ساتي او ثبوتونه د تایید وړ ګرځوي. هر بدلون په یوه عمومي ثبت دفتر کې ثبتېږي چې هر ډول لاسوهنه پکې ښکاره کېږي.
back-home = بېرته لومړي مخ ته

home-title = د جنسیتي اپارتاید مستندول
home-heading = په افغانستان کې د جنسیتي اپارتاید مستندول
home-lead = د ۲۰۲۱ کال له اګست راهیسې طالبانو یو په بل پسې فرمانونه صادر کړي چې ښځې او نجونې یې له ښوونځي، کار، سفر او ټولنیز ژوند څخه بې برخې کړې دي. دا آرشیف هغه فرمانونه له سرچینو سره لېست کوي او د مستندولو ټیمونو ته دا امکان ورکوي چې داسې ثبوتونه وساتي چې محکمه یې پرته له دې چې پر دوی باور وکړي، تایید کولای شي.
home-figures = شمېرې
home-edicts-count = ثبت شوي فرمانونه
home-milestones-count = د حساب ورکونې مهم ګامونه
home-endorsements-count = د اعلامیې ملاتړي سازمانونه
home-by-domain = فرمانونه د برخې له مخې
domain = برخه
home-latest = وروستي فرمانونه
home-all-edicts = ټول فرمانونه
home-verify-heading = موږ وڅېړئ
home-verify-text = هر څوک کولای شي د دې سیستم ثبت دفتر د روڼتیا د ثبت دفتر په هر کلاینټ وپلټي: د تایید کیلي او لاسلیک شوی کنټرول ټکی عمومي دي.

edicts-title = فرمانونه
edicts-intro = هغه حکمونه، امرونه او رسمي بیانیې چې ښځې او نجونې محدودوي، له خپلو سرچینو سره. نېټې په میلادي او هجري لمریز کلیزونو ښودل کېږي.
all-domains = ټولې برخې
filter = فلټر
edicts-shown = ښودل شوي
sources = سرچینې

declaration-title = اعلامیه
declaration-endorsers = ملاتړي سازمانونه
declaration-none = تر اوسه هېڅ سازمان د اعلامیې ملاتړ نه دی کړی.
declaration-endorse = زما د سازمان په استازیتوب ملاتړ

login-title = ننوتل
login-username = کارن نوم
login-password = پټنوم
login-code = ستاسو د هویت تایید له اپلیکېشن څخه شپږ رقمي کوډ
login-submit = ننوتل
login-failed = کارن نوم یا پټنوم ناسم دی.
login-locked = ډېرې ناکامې هڅې: دا حساب د ۱۵ دقیقو لپاره قفل شوی دی.
login-bad-code = دا کوډ سم نه دی. اوسنی کوډ وازمویئ.

incidents-title = پېښې
incident-new = پېښه ثبت کړئ
incidents-total = ټولټال
incident-title = پېښه
incident-form-title = پېښه
edit = سمون
save = خوندي کول
pager = پاڼې
previous = مخکینی
next = بل
form-has-errors = مهرباني وکړئ لاندې خانې سمې کړئ. هر څه چې تاسو لیکلي وو، ساتل شوي دي.
one-per-line = په هره کرښه کې یو
confidential = محرمانه
version = نسخه
history = تاریخچه
history-time = وخت
history-action = کړنه
history-actor = ترسره کوونکی
history-log-index = په ثبت دفتر کې شمېره

field-ref = د مرجع شمېره
field-title = سرلیک
field-description = تشریح
field-date = نېټه
field-date_precision = د نېټې دقت
field-province = ولایت
field-violation_types = د سرغړونې ډولونه
field-perpetrators = مرتکبین
field-exact_location = دقیق ځای
field-source = د سرچینې ارزونه
field-source_reliability = د سرچینې د باور وړتیا (A–F)
field-source_credibility = د معلوماتو اعتبار (1–6)
field-verification_status = د تایید حالت
field-edicts = پلي شوي فرمانونه
field-form = فورمه

precision-auto = د نېټې له مخې
precision-day = ورځ
precision-month = میاشت
precision-year = کال
precision-approximate = اټکلي

status-unverified = تایید نه شوی
status-partially_verified = تر یوه حده تایید شوی
status-verified = تایید شوی
status-disputed = اختلافي

domain-education = زده کړه
domain-employment = کار
domain-movement = تګ راتګ
domain-dress = پوښاک
domain-health = روغتیا
domain-justice = عدالت
domain-public_space = عامه ځایونه
domain-media = رسنۍ
domain-political_participation = سیاسي ګډون
domain-other = نور
domain-accountability = حساب ورکونه

action-intake = ترلاسه کول
action-view = کتنه
action-export = صادرول
action-transfer = لېږد
action-redaction = د حساسو معلوماتو پټول
action-analysis = شننه
action-disposition = وروستی تصمیم
action-create = جوړول
action-update = بدلون

error-title = یوه ستونزه رامنځته شوه
error-unauthenticated = مهرباني وکړئ لومړی ننوځئ.
error-forbidden = تاسو د دې کار اجازه نه لرئ، یا د فورمې وخت تېر شوی دی. بېرته لاړ شئ، پاڼه تازه کړئ او بیا هڅه وکړئ.
error-not-found = ونه موندل شو.
error-too-many = ډېرې هڅې. یوه دقیقه صبر وکړئ او بیا هڅه وکړئ.
error-internal = یوه داخلي تېروتنه رامنځته شوه. هېڅ شی خوندي نه شو. مهرباني وکړئ وروسته بیا هڅه وکړئ.
error-bad-request = غوښتنه د پوهېدو وړ نه وه.
