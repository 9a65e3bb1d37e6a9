# رابط کاربری gawah (گواه)، دری.
skip-to-content = رفتن به محتوای اصلی
nav-label = فهرست اصلی
nav-edicts = فرمان‌ها
nav-declaration = اعلامیه
nav-log = دفتر ثبت شفافیت
nav-incidents = رویدادها
nav-logout = خروج
nav-login = ورود
nav-language = زبان
footer-text = gawah شهادت‌ها را مصون و شواهد را قابل تأیید نگه می‌دارد. هر تغییر در یک دفتر ثبت عمومی ثبت می‌شود که هر گونه دستکاری در آن آشکار می‌گردد.
back-home = بازگشت به صفحه اصلی

home-title = مستندسازی آپارتاید جنسیتی
home-heading = مستندسازی آپارتاید جنسیتی در افغانستان
home-lead = از اگست ۲۰۲۱ به این سو، طالبان فرمان پشت فرمان صادر کرده‌اند و زنان و دختران را از مکتب، کار، سفر و زندگی عمومی محروم ساخته‌اند. این بایگانی آن فرمان‌ها را همراه با منابع‌شان فهرست می‌کند و به تیم‌های مستندسازی امکان می‌دهد شواهدی را نگه دارند که محکمه بتواند بدون اعتماد به خود این تیم‌ها، آن‌ها را تأیید کند.
home-figures = ارقام
home-edicts-count = فرمان‌های ثبت‌شده
home-milestones-count = گام‌های مهم حسابدهی
home-endorsements-count = سازمان‌های حامی اعلامیه
home-by-domain = فرمان‌ها بر اساس حوزه
domain = حوزه
home-latest = تازه‌ترین فرمان‌ها
home-all-edicts = همه فرمان‌ها
home-verify-heading = ما را وارسی کنید
home-verify-text = هر کس می‌تواند دفتر ثبت این سامانه را با هر کلاینت دفتر شفافیت حسابرسی کند: کلید تأییدکننده و نقطه کنترل امضاشده عمومی هستند.

edicts-title = فرمان‌ها
edicts-intro = احکام، دستورها و بیانیه‌های رسمی که زنان و دختران را محدود می‌سازند، همراه با منابع آن‌ها. تاریخ‌ها به تقویم میلادی و هجری شمسی نشان داده می‌شوند.
all-domains = همه حوزه‌ها
filter = فیلتر
edicts-shown = نمایش داده‌شده
sources = منابع

declaration-title = اعلامیه
declaration-endorsers = سازمان‌های حامی
declaration-none = هنوز هیچ سازمانی از این اعلامیه حمایت نکرده است.
declaration-endorse = حمایت به نمایندگی از سازمان من

login-title = ورود
login-username = نام کاربری
login-password = رمز عبور
login-code = کد شش‌رقمی از برنامه احراز هویت شما
login-submit = ورود
login-failed = نام کاربری یا رمز عبور نادرست است.
login-locked = تلاش‌های ناموفق بیش از حد: این حساب برای ۱۵ دقیقه قفل شده است.
login-bad-code = این کد معتبر نیست. کد فعلی را امتحان کنید.

incidents-title = رویدادها
incident-new = ثبت رویداد
incidents-total = مجموع
incident-title = رویداد
incident-form-title = رویداد
edit = ویرایش
save = ذخیره
pager = صفحه‌ها
previous = قبلی
next = بعدی
form-has-errors = لطفاً خانه‌های زیر را اصلاح کنید. هر آنچه نوشته بودید، حفظ شده است.
one-per-line = هر مورد در یک سطر
confidential = محرمانه
version = نسخه
history = تاریخچه
history-time = زمان
history-action = اقدام
history-actor = انجام‌دهنده
history-log-index = شماره در دفتر ثبت

field-ref = شماره مرجع
field-title = عنوان
field-description = شرح
field-date = تاریخ
field-date_precision = دقت تاریخ
field-province = ولایت
field-violation_types = انواع نقض
field-perpetrators = عاملان
field-exact_location = موقعیت دقیق
field-source = ارزیابی منبع
field-source_reliability = اعتبار منبع (A–F)
field-source_credibility = باورپذیری اطلاعات (1–6)
field-verification_status = وضعیت تأیید
field-edicts = فرمان‌های اجراشده
field-form = فورم

precision-auto = بر اساس تاریخ
precision-day = روز
precision-month = ماه
precision-year = سال
precision-approximate = تقریبی

status-unverified = تأییدنشده
status-partially_verified = تا حدی تأییدشده
status-verified = تأییدشده
status-disputed = مورد اختلاف

domain-education = آموزش
domain-employment = اشتغال
domain-movement = رفت‌وآمد
domain-dress = پوشش
domain-health = صحت
domain-justice = عدالت
domain-public_space = فضای عمومی
domain-media = رسانه‌ها
domain-political_participation = مشارکت سیاسی
domain-other = سایر
domain-accountability = حسابدهی

action-intake = دریافت
action-view = مشاهده
action-export = خروجی‌گیری
action-transfer = انتقال
action-redaction = پوشاندن اطلاعات حساس
action-analysis = تحلیل
action-disposition = تعیین تکلیف
action-create = ایجاد
action-update = تغییر

error-title = مشکلی پیش آمد
error-unauthenticated = لطفاً نخست وارد شوید.
error-forbidden = شما اجازه انجام این کار را ندارید، یا فورم منقضی شده است. به عقب برگردید، صفحه را دوباره بارگذاری کنید و دوباره تلاش کنید.
error-not-found = یافت نشد.
error-too-many = تلاش‌های بیش از حد. یک دقیقه صبر کنید و دوباره تلاش کنید.
error-internal = یک خطای داخلی رخ داد. هیچ چیزی ذخیره نشد. لطفاً بعداً دوباره تلاش کنید.
error-bad-request = درخواست قابل فهم نبود.
