# gawah user interface, English.
skip-to-content = Skip to content
nav-label = Main
nav-edicts = Edicts
nav-declaration = Declaration
nav-log = Transparency log
nav-incidents = Incidents
nav-logout = Sign out
nav-login = Sign in
nav-language = Language
footer-text = gawah keeps testimony safe and evidence verifiable. Every change is recorded in a public, tamper-evident log.
back-home = Back to the start page

home-title = Documenting gender apartheid
home-heading = Documenting gender apartheid in Afghanistan
home-lead = Since August 2021 the Taliban have issued edict after edict shutting women and girls out of school, work, travel and public life. This record lists those edicts with their sources, and lets documentation teams keep evidence that a court can verify without trusting them.
home-figures = Figures
home-edicts-count = Edicts recorded
home-milestones-count = Accountability milestones
home-endorsements-count = Organisations endorsing the declaration
home-by-domain = Edicts by domain
domain = Domain
home-latest = Latest edicts
home-all-edicts = All edicts
home-verify-heading = Verify us
home-verify-text = Anyone can audit this instance's log with any transparency-log client: the verifier key and the signed checkpoint are public.

edicts-title = Edicts
edicts-intro = Decrees, orders and official statements restricting women and girls, with their sources. Dates are shown in the Gregorian and the Solar Hijri calendar.
all-domains = All domains
filter = Filter
edicts-shown = Shown
sources = Sources

declaration-title = Declaration
declaration-endorsers = Endorsing organisations
declaration-none = No organisation has endorsed the declaration yet.
declaration-endorse = Endorse on behalf of my organisation

login-title = Sign in
login-username = Username
login-password = Password
login-code = Six-digit code from your authenticator app
login-submit = Sign in
login-failed = Wrong username or password.
login-locked = Too many failed attempts: this account is locked for 15 minutes.
login-bad-code = That code is not valid. Try the current code.

incidents-title = Incidents
incident-new = Record an incident
incidents-total = Total
incident-title = Incident
incident-form-title = Incident
edit = Edit
save = Save
pager = Pages
previous = Previous
next = Next
form-has-errors = Please correct the fields below. Everything you typed has been kept.
one-per-line = one per line
confidential = confidential
version = Version
history = History
history-time = Time
history-action = Action
history-actor = By
history-log-index = Log entry

field-ref = Reference
field-title = Title
field-description = Description
field-date = Date
field-date_precision = Date precision
field-province = Province
field-violation_types = Violation types
field-perpetrators = Perpetrators
field-exact_location = Exact location
field-source = Source rating
field-source_reliability = Reliability of the source (A–F)
field-source_credibility = Credibility of the information (1–6)
field-verification_status = Verification
field-edicts = Edicts enforced
field-form = Form

precision-auto = From the date
precision-day = Day
precision-month = Month
precision-year = Year
precision-approximate = Approximate

status-unverified = Unverified
status-partially_verified = Partially verified
status-verified = Verified
status-disputed = Disputed

domain-education = Education
domain-employment = Employment
domain-movement = Movement
domain-dress = Dress
domain-health = Health
domain-justice = Justice
domain-public_space = Public space
domain-media = Media
domain-political_participation = Political participation
domain-other = Other
domain-accountability = Accountability

action-intake = Intake
action-view = Viewed
action-export = Exported
action-transfer = Transferred
action-redaction = Redacted
action-analysis = Analysis
action-disposition = Disposition
action-create = Created
action-update = Changed

error-title = Something went wrong
error-unauthenticated = Please sign in first.
error-forbidden = You are not allowed to do this, or the form expired. Go back, reload and try again.
error-not-found = Not found.
error-too-many = Too many attempts. Wait a minute and try again.
error-internal = An internal error occurred. Nothing was saved. Please try again later.
error-bad-request = The request could not be understood.
