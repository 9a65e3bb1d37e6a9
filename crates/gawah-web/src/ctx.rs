//! Who is asking, in which language, with which form token.
//!
//! Pages authenticate with a session cookie (HttpOnly, SameSite=Strict, Secure behind TLS)
//! and every form carries the session's CSRF token; the API authenticates with bearer tokens
//! only, so a browser's ambient cookie never authorises an API call.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use gawah_core::vocab::Role;
use gawah_core::{MemberId, OrgId};
use gawah_store::records::MemberRow;

use crate::auth::{constant_time_eq, secret_hash};
use crate::error::AppError;
use crate::i18n::Tr;
use crate::lang::{Lang, negotiate};
use crate::state::{AppState, reading};

/// Session cookie name.
pub const SESSION_COOKIE: &str = "gawah_session";
/// Language cookie name.
pub const LANG_COOKIE: &str = "gawah_lang";
/// Pre-login CSRF cookie name.
pub const LOGIN_CSRF_COOKIE: &str = "gawah_login_csrf";

/// A signed-in member.
#[derive(Debug, Clone)]
pub struct Member {
    /// Id.
    pub id: MemberId,
    /// Organisation.
    pub org: OrgId,
    /// Login name.
    pub username: String,
    /// Role.
    pub role: Role,
}

impl From<MemberRow> for Member {
    fn from(m: MemberRow) -> Self {
        Self {
            id: m.id,
            org: m.org,
            username: m.username,
            role: m.role,
        }
    }
}

/// The request's context for pages.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Translations in the negotiated language.
    pub tr: Tr,
    /// The member, when signed in (second factor done).
    pub member: Option<Member>,
    /// The session's form token ("" without a session).
    pub csrf: String,
    /// The session token's hash, when there is a session.
    pub session: Option<[u8; 32]>,
    /// Whether the session still awaits its second factor.
    pub mfa_pending: bool,
}

/// Reads one cookie.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The query string's `lang`, if any.
pub fn query_lang(parts: &Parts) -> Option<String> {
    parts
        .uri
        .query()?
        .split('&')
        .find_map(|kv| kv.strip_prefix("lang="))
        .map(str::to_owned)
}

/// The negotiated language of a request.
pub fn request_lang(parts: &Parts) -> Lang {
    let accept = parts
        .headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    negotiate(
        query_lang(parts).as_deref(),
        cookie(&parts.headers, LANG_COOKIE),
        accept,
    )
}

impl FromRequestParts<Arc<AppState>> for Ctx {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, AppError> {
        let req = PageRequest::from_request_parts(parts, state).await?;
        if req.session.is_none() {
            return Ok(Ctx::anonymous(req.tr));
        }
        reading(state, move |s| req.ctx(s)).await
    }
}

/// A page request before its session is looked up: its language and the session token's
/// hash. A hot read page looks the session up in the same store turn as its own read
/// ([`PageRequest::ctx`] first, always), saving a hand-off per request; any other page
/// takes [`Ctx`].
#[derive(Debug, Clone)]
pub struct PageRequest {
    tr: Tr,
    session: Option<[u8; 32]>,
}

impl FromRequestParts<Arc<AppState>> for PageRequest {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &Arc<AppState>,
    ) -> Result<Self, AppError> {
        Ok(Self {
            tr: Tr::new(request_lang(parts)),
            session: cookie(&parts.headers, SESSION_COOKIE).map(secret_hash),
        })
    }
}

impl PageRequest {
    /// The context without a member, for an error page when the look-up itself failed.
    pub fn anonymous(&self) -> Ctx {
        Ctx::anonymous(self.tr)
    }

    /// The page's context, its session looked up. Blocking: call it in a store turn.
    pub fn ctx(&self, s: &AppState) -> Result<Ctx, AppError> {
        let Some(hash) = self.session else {
            return Ok(Ctx::anonymous(self.tr));
        };
        let now = s.ledger.clock().now();
        let found = match s.ledger.store.session(&hash, now)? {
            Some(session) => s
                .ledger
                .store
                .member(&session.member)?
                .map(|m| (session, m)),
            None => None,
        };
        Ok(match found {
            Some((session, m)) => Ctx {
                tr: self.tr,
                member: (!session.mfa_pending).then(|| m.into()),
                csrf: session.csrf,
                session: Some(hash),
                mfa_pending: session.mfa_pending,
            },
            None => Ctx::anonymous(self.tr),
        })
    }
}

impl Ctx {
    /// No session: not signed in, no form token.
    fn anonymous(tr: Tr) -> Self {
        Self {
            tr,
            member: None,
            csrf: String::new(),
            session: None,
            mfa_pending: false,
        }
    }

    /// The member, or 401.
    pub fn member(&self) -> Result<&Member, AppError> {
        self.member.as_ref().ok_or(AppError::Unauthenticated)
    }

    /// Checks a submitted form token against the session's.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), AppError> {
        if self.csrf.is_empty() || !constant_time_eq(self.csrf.as_bytes(), submitted.as_bytes()) {
            return Err(AppError::Forbidden);
        }
        Ok(())
    }
}

/// A member authenticated by a bearer token, for the API.
#[derive(Debug, Clone)]
pub struct ApiMember(pub Member);

impl FromRequestParts<Arc<AppState>> for ApiMember {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, AppError> {
        let BearerToken(hash) = BearerToken::from_request_parts(parts, state).await?;
        reading(state, move |s| hash.member(s).map(ApiMember)).await
    }
}

/// A bearer token's hash, not yet looked up: for a hot read route that looks the token up in
/// the same store turn as its own read ([`TokenHash::member`] first, always), saving a
/// hand-off per request. Any other API route takes [`ApiMember`].
#[derive(Debug, Clone)]
pub struct BearerToken(pub TokenHash);

/// The SHA-256 of a bearer token, as stored.
#[derive(Debug, Clone)]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    /// The member the token belongs to, or 401. Blocking: call it in a store turn.
    pub fn member(&self, s: &AppState) -> Result<Member, AppError> {
        s.ledger
            .store
            .token_member(&self.0)?
            .map(Member::from)
            .ok_or(AppError::Unauthenticated)
    }
}

impl FromRequestParts<Arc<AppState>> for BearerToken {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &Arc<AppState>,
    ) -> Result<Self, AppError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AppError::Unauthenticated)?;
        // Only the SHA-256 is stored; the lookup is by hash, so no comparison of secrets here.
        Ok(BearerToken(TokenHash(secret_hash(token))))
    }
}

/// A fixed-window rate limiter per client address.
#[derive(Debug)]
pub struct RateLimiter {
    max: u32,
    window: Duration,
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl RateLimiter {
    /// At most `max` attempts per `window` per address.
    pub fn new(max: u32, window: Duration) -> Self {
        Self {
            max,
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an attempt; false when over the limit.
    pub fn allow(&self, ip: IpAddr) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if seen.len() > 100_000 {
            seen.retain(|_, (t, _)| now.duration_since(*t) < self.window);
        }
        let entry = seen.entry(ip).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
        entry.1 <= self.max
    }
}
