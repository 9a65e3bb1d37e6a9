//! The two multi-step operations: an evidence upload (checked against what was sent) and a
//! person's sign-in and sign-out through the HTML forms.
//!
//! The server limits login attempts per client address (`login_limiter` in
//! `gawah-web/src/state.rs`: 10 a minute) and locks an account after 5 failed logins. So a
//! login only ever uses a right password, and [`LoginBudget`] keeps every address at most
//! [`LOGINS_PER_WINDOW`] logins in any [`LOGIN_WINDOW`]: under the limit with room to spare,
//! also when the server receives a request a little later than it was sent.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::http::{Conn, get, hidden_input, post_form, post_multipart};
use crate::kinds::{Plan, Rng, exchange};
use crate::tally::{Ack, Outcome};

/// Most logins per address in any [`LOGIN_WINDOW`] (the server allows 10 a minute).
pub const LOGINS_PER_WINDOW: usize = 8;
/// The window, a second longer than the server's.
pub const LOGIN_WINDOW: Duration = Duration::from_secs(61);

/// Login attempts per client address over a sliding window.
#[derive(Default)]
pub struct LoginBudget {
    seen: Mutex<HashMap<Option<IpAddr>, VecDeque<Instant>>>,
}

impl LoginBudget {
    /// Takes one login for `ip` if the window has room.
    pub fn take(&self, ip: Option<IpAddr>) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let times = seen.entry(ip).or_default();
        let now = Instant::now();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= LOGIN_WINDOW)
        {
            times.pop_front();
        }
        if times.len() >= LOGINS_PER_WINDOW {
            return false;
        }
        times.push_back(now);
        true
    }
}

/// `POST /api/v1/evidence` with 1 to 8 KiB of random bytes, half of the uploads linked to an
/// incident, some to a case. The answer must be 201 with the item, the SHA-256 and the size
/// of what was sent, and a log index.
pub async fn upload(plan: &Plan, conn: &mut Conn, rng: &mut Rng, client: usize) -> Outcome {
    let size = 1024 + rng.below(7 * 1024 + 1) as usize;
    let mut file = Vec::with_capacity(size + 8);
    while file.len() < size {
        file.extend_from_slice(&rng.next().to_le_bytes());
    }
    file.truncate(size);
    let sha256 = hex::encode(Sha256::digest(&file));
    let mut fields = Vec::new();
    let case = format!("SOAK-{}", client % 10);
    if rng.chance(30) {
        fields.push(("case", case.as_str()));
    }
    if rng.chance(50)
        && let Some(id) = rng.pick(&plan.incidents)
    {
        fields.push(("incident", id.as_str()));
    }
    let name = format!("soak-{client}-{}.bin", &sha256[..12]);
    let request = post_multipart("/api/v1/evidence", &plan.upload_auth, &fields, &name, &file);
    let answer = match exchange(conn, &request).await {
        Ok(a) if a.status == 201 => a,
        Ok(a) => return Outcome::Status(a.status, a.snippet()),
        Err(o) => return o,
    };
    let v: serde_json::Value = match serde_json::from_slice(&answer.body) {
        Ok(v) => v,
        Err(e) => return Outcome::Bad(format!("upload answer is not JSON: {e}")),
    };
    let (Some(item), Some(log_index)) = (v["item"].as_str(), v["log_index"].as_u64()) else {
        return Outcome::Bad(format!("upload answer without item or log_index: {v}"));
    };
    if v["sha256"].as_str() != Some(sha256.as_str()) || v["bytes"].as_u64() != Some(size as u64) {
        return Outcome::Bad(format!(
            "upload answer {v} for {size} bytes with SHA-256 {sha256}"
        ));
    }
    Outcome::Ok {
        bytes: answer.body.len() as u64,
        ack: Some(Ack {
            item: item.to_owned(),
            sha256,
            bytes: size as u64,
            log_index,
        }),
    }
}

/// A person signing in and out: `GET /login` (the form's CSRF token and its cookie),
/// `POST /login` (303 to `/incidents` with a session cookie), `GET /incidents` (200; the
/// logout form's token), `POST /logout` (303 to `/`), and `GET /incidents` with the old
/// session, which must no longer be let in.
pub async fn login(plan: &Plan, conn: &mut Conn, client: usize) -> Outcome {
    let Some((username, password)) = plan.accounts.get(client % plan.accounts.len().max(1)) else {
        return Outcome::Bad("no login accounts (--login-accounts)".into());
    };
    let mut bytes = 0;
    let form = match exchange(conn, &get("/login", "")).await {
        Ok(a) if a.status == 200 => a,
        Ok(a) => return Outcome::Status(a.status, format!("GET /login: {}", a.snippet())),
        Err(o) => return o,
    };
    bytes += form.body.len() as u64;
    let (Some(cookie), Some(csrf)) = (
        form.set_cookie("gawah_login_csrf"),
        hidden_input(&form.body, "csrf"),
    ) else {
        return Outcome::Bad("the login form has no CSRF token or cookie".into());
    };
    let request = post_form(
        "/login",
        &format!("Cookie: {cookie}\r\n"),
        &[
            ("username", username),
            ("password", password),
            ("csrf", &csrf),
        ],
    );
    let session = match exchange(conn, &request).await {
        Ok(a) if a.status == 303 && a.header("location") == Some("/incidents") => {
            match a.set_cookie("gawah_session") {
                Some(s) => s,
                None => return Outcome::Bad("login redirected without a session".into()),
            }
        }
        Ok(a) => return Outcome::Status(a.status, format!("POST /login: {}", a.snippet())),
        Err(o) => return o,
    };
    let auth = format!("Cookie: {session}\r\n");
    let landing = match exchange(conn, &get("/incidents", &auth)).await {
        Ok(a) if a.status == 200 => a,
        Ok(a) => return Outcome::Status(a.status, format!("GET /incidents: {}", a.snippet())),
        Err(o) => return o,
    };
    bytes += landing.body.len() as u64;
    let Some(csrf) = hidden_input(&landing.body, "csrf") else {
        return Outcome::Bad("the landing page has no logout form".into());
    };
    match exchange(conn, &post_form("/logout", &auth, &[("csrf", &csrf)])).await {
        Ok(a) if a.status == 303 && a.header("location") == Some("/") => {}
        Ok(a) => return Outcome::Status(a.status, format!("POST /logout: {}", a.snippet())),
        Err(o) => return o,
    }
    match exchange(conn, &get("/incidents", &auth)).await {
        Ok(a) if a.status == 200 => Outcome::Bad("the session still works after logout".into()),
        Ok(a) if a.status >= 500 => Outcome::Status(a.status, a.snippet()),
        Ok(_) => Outcome::Ok { bytes, ack: None },
        Err(o) => o,
    }
}
