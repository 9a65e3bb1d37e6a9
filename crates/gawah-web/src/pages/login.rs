//! Signing in and out: password, then TOTP where enrolled (always for admins).
//!
//! Defences: a per-address rate limit, a per-member lockout after repeated failures, the
//! same Argon2 work for unknown usernames, a fresh session id at every sign-in (no fixation),
//! and a pre-login CSRF token (double submit) on the login form itself.

use std::net::SocketAddr;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{ConnectInfo, Form, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use gawah_core::Timestamp;
use gawah_store::records::SessionRow;
use serde::Deserialize;

use super::{Page, error_page, render};
use crate::auth::{
    LOCK_MILLIS, MAX_FAILED_LOGINS, constant_time_eq, dummy_hash, hashing_turn, new_secret,
    secret_hash, verify_password, verify_totp,
};
use crate::ctx::{Ctx, LOGIN_CSRF_COOKIE, SESSION_COOKIE, cookie};
use crate::error::AppError;
use crate::state::{AppState, blocking};

/// How long a session lasts.
const SESSION_MILLIS: i64 = 12 * 3600 * 1000;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    page: Page,
    login_csrf: String,
    username: String,
    error: Option<String>,
    totp_step: bool,
}

fn set_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> Option<HeaderValue> {
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
    ))
    .ok()
}

fn login_page(
    ctx: &Ctx,
    state: &AppState,
    username: String,
    error: Option<String>,
    totp_step: bool,
) -> Response {
    let Ok(token) = new_secret() else {
        return error_page(ctx, &AppError::Internal("no randomness".into()));
    };
    let page = LoginPage {
        page: Page::new(ctx, "login-title", "/login"),
        login_csrf: token.clone(),
        username,
        error,
        totp_step,
    };
    let mut resp = render(&page).unwrap_or_else(|e| error_page(ctx, &e));
    if let Some(c) = set_cookie(state, LOGIN_CSRF_COOKIE, &token, 3600) {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    resp
}

async fn show(ctx: Ctx, State(state): State<Arc<AppState>>) -> Response {
    if ctx.mfa_pending {
        return login_page(&ctx, &state, String::new(), None, true);
    }
    login_page(&ctx, &state, String::new(), None, false)
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    csrf: String,
}

enum Outcome {
    Failed,
    Locked,
    Session { token: String, mfa: bool },
}

async fn submit(
    ctx: Ctx,
    State(state): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), form.csrf.as_bytes()) {
        return error_page(&ctx, &AppError::Forbidden);
    }
    if !state.login_limiter.allow(addr.ip()) {
        return error_page(&ctx, &AppError::TooMany);
    }
    let username = form.username.trim().to_owned();
    let name = username.clone();
    let turn = hashing_turn().await;
    let outcome = blocking(&state, move |s| check_password(s, &name, &form.password)).await;
    drop(turn);
    match outcome {
        Ok(Outcome::Session { token, mfa }) => {
            let mut resp = Redirect::to(if mfa { "/login" } else { "/incidents" }).into_response();
            if let Some(c) = set_cookie(&state, SESSION_COOKIE, &token, SESSION_MILLIS / 1000) {
                resp.headers_mut().append(header::SET_COOKIE, c);
            }
            resp
        }
        Ok(Outcome::Locked) => login_page(
            &ctx,
            &state,
            username,
            Some(ctx.tr.t("login-locked")),
            false,
        ),
        Ok(Outcome::Failed) => login_page(
            &ctx,
            &state,
            username,
            Some(ctx.tr.t("login-failed")),
            false,
        ),
        Err(e) => error_page(&ctx, &e),
    }
}

fn check_password(s: &AppState, username: &str, password: &str) -> Result<Outcome, AppError> {
    let now = s.ledger.clock().now();
    let Some(m) = s.ledger.store.member_by_username(username)? else {
        let _ = verify_password(password, dummy_hash());
        return Ok(Outcome::Failed);
    };
    if m.locked_until.is_some_and(|t| t > now) {
        return Ok(Outcome::Locked);
    }
    if !verify_password(password, &m.password_hash) {
        let lock = (m.failed_logins + 1 >= MAX_FAILED_LOGINS)
            .then(|| Timestamp::from_millis(now.millis() + LOCK_MILLIS));
        s.ledger.store.login_failed(&m.id, lock)?;
        return Ok(if lock.is_some() {
            Outcome::Locked
        } else {
            Outcome::Failed
        });
    }
    let mfa = m.totp_secret.is_some();
    // With a second factor, failures are forgotten only once it is given too: a right
    // password must not reset the count of wrong codes (see `totp`).
    if !mfa {
        s.ledger.store.login_succeeded(&m.id)?;
    }
    let token = new_secret().map_err(|e| AppError::Internal(e.to_string()))?;
    let csrf = new_secret().map_err(|e| AppError::Internal(e.to_string()))?;
    let session = SessionRow {
        member: m.id,
        csrf,
        mfa_pending: mfa,
        expires_at: Timestamp::from_millis(now.millis() + SESSION_MILLIS),
    };
    s.ledger.store.session_put(&secret_hash(&token), &session)?;
    Ok(Outcome::Session { token, mfa })
}

#[derive(Deserialize)]
struct TotpForm {
    code: String,
    csrf: String,
}

async fn totp(
    ctx: Ctx,
    State(state): State<Arc<AppState>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<TotpForm>,
) -> Response {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    let Some(hash) = ctx.session.filter(|_| ctx.mfa_pending) else {
        return Redirect::to("/login").into_response();
    };
    if expected.is_empty() || !constant_time_eq(expected.as_bytes(), form.csrf.as_bytes()) {
        return error_page(&ctx, &AppError::Forbidden);
    }
    if !state.login_limiter.allow(addr.ip()) {
        return error_page(&ctx, &AppError::TooMany);
    }
    let result = blocking(&state, move |s| {
        let now = s.ledger.clock().now();
        let Some(session) = s.ledger.store.session(&hash, now)? else {
            return Ok(TotpOutcome::Gone);
        };
        let Some(m) = s.ledger.store.member(&session.member)? else {
            return Ok(TotpOutcome::Gone);
        };
        // A lock set by wrong passwords or wrong codes holds here too: otherwise the codes
        // could be guessed on, only slowed by the per-address limit.
        if m.locked_until.is_some_and(|t| t > now) {
            return Ok(TotpOutcome::Locked);
        }
        let secret = m.totp_secret.unwrap_or_default();
        if !verify_totp(&secret, &form.code, now) {
            let lock = (m.failed_logins + 1 >= MAX_FAILED_LOGINS)
                .then(|| Timestamp::from_millis(now.millis() + LOCK_MILLIS));
            s.ledger.store.login_failed(&m.id, lock)?;
            return Ok(if lock.is_some() {
                TotpOutcome::Locked
            } else {
                TotpOutcome::Failed
            });
        }
        s.ledger.store.login_succeeded(&m.id)?;
        // A new session id once fully signed in: the pre-MFA one is discarded.
        s.ledger.store.session_delete(&hash)?;
        let token = new_secret().map_err(|e| AppError::Internal(e.to_string()))?;
        let fresh = SessionRow {
            mfa_pending: false,
            ..session
        };
        s.ledger.store.session_put(&secret_hash(&token), &fresh)?;
        Ok(TotpOutcome::Session(token))
    })
    .await;
    match result {
        Ok(TotpOutcome::Session(token)) => {
            let mut resp = Redirect::to("/incidents").into_response();
            if let Some(c) = set_cookie(&state, SESSION_COOKIE, &token, SESSION_MILLIS / 1000) {
                resp.headers_mut().append(header::SET_COOKIE, c);
            }
            resp
        }
        Ok(TotpOutcome::Failed) => login_page(
            &ctx,
            &state,
            String::new(),
            Some(ctx.tr.t("login-bad-code")),
            true,
        ),
        Ok(TotpOutcome::Locked) => login_page(
            &ctx,
            &state,
            String::new(),
            Some(ctx.tr.t("login-locked")),
            true,
        ),
        Ok(TotpOutcome::Gone) => Redirect::to("/login").into_response(),
        Err(e) => error_page(&ctx, &e),
    }
}

/// What a second-factor attempt came to.
enum TotpOutcome {
    /// No such pending session (expired, or already used).
    Gone,
    /// A wrong code.
    Failed,
    /// The member is locked (now, or by this attempt).
    Locked,
    /// Signed in: the new session's token.
    Session(String),
}

#[derive(Deserialize)]
struct LogoutForm {
    csrf: String,
}

async fn logout(
    ctx: Ctx,
    State(state): State<Arc<AppState>>,
    Form(form): Form<LogoutForm>,
) -> Response {
    if let Err(e) = ctx.check_csrf(&form.csrf) {
        return error_page(&ctx, &e);
    }
    if let Some(hash) = ctx.session
        && let Err(e) = blocking(&state, move |s| Ok(s.ledger.store.session_delete(&hash)?)).await
    {
        return error_page(&ctx, &e);
    }
    let mut resp = Redirect::to("/").into_response();
    if let Some(c) = set_cookie(&state, SESSION_COOKIE, "", 0) {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    resp
}

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/login", get(show).post(submit))
        .route("/login/totp", post(totp))
        .route("/logout", post(logout))
}
