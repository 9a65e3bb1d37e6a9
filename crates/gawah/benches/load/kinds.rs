//! The request kinds of `--mix` and what each one sends and checks.
//!
//! Reads (`api`, `html`, `key`), searches (`search`, `search-html`) and uploads are one
//! request each; a `login` is the whole sign-in and sign-out of a person (see `flows.rs`).

use std::net::IpAddr;
use std::time::Duration;

use crate::flows::LoginBudget;
use crate::http::{Answer, Conn, form_value, get};
use crate::tally::Outcome;

/// Longest wait for one answer; slower counts as an I/O error and the connection is dropped.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `GET /api/v1/incidents?offset=..&limit=..`, bearer token.
    Api,
    /// `GET /incidents?offset=..`, session cookie.
    Html,
    /// `GET /log/key`: a trivial route.
    Key,
    /// `GET /api/v1/search?q=..`, bearer token; the JSON must carry a `total`.
    Search,
    /// `GET /search?q=..`, session cookie.
    SearchHtml,
    /// `POST /api/v1/evidence`, multipart, a documenter's token; 201 and the right JSON.
    Upload,
    /// The login form, the landing page, logout, and the old session refused.
    Login,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Api,
        Kind::Html,
        Kind::Key,
        Kind::Search,
        Kind::SearchHtml,
        Kind::Upload,
        Kind::Login,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Api => "api",
            Kind::Html => "html",
            Kind::Key => "key",
            Kind::Search => "search",
            Kind::SearchHtml => "search-html",
            Kind::Upload => "upload",
            Kind::Login => "login",
        }
    }

    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// SplitMix64: each client its own deterministic stream of choices.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        (!items.is_empty()).then(|| &items[self.below(items.len() as u64) as usize])
    }
}

/// Everything the clients of one phase share.
pub struct Plan {
    pub addr: String,
    /// `Authorization` header line of the reading member (lists, searches).
    pub api_auth: String,
    /// `Authorization` header line of the uploading member (a documenter).
    pub upload_auth: String,
    /// `Cookie` header line of a signed-in session (HTML lists and searches).
    pub html_auth: String,
    pub mix: Vec<(Kind, u32)>,
    pub pages: u64,
    pub limit: u64,
    /// At most this many operations in the phase; 0: no limit but the deadline.
    pub requests: u64,
    pub deadline: Duration,
    pub think_ms: u64,
    /// Words of the synthetic corpus, for search queries.
    pub words: Vec<String>,
    /// Province codes, for search filters.
    pub provinces: Vec<String>,
    /// Incident ids an upload may link to.
    pub incidents: Vec<String>,
    /// Username and password of the accounts logins use, in turn.
    pub accounts: Vec<(String, String)>,
    pub logins: LoginBudget,
}

impl Plan {
    /// A kind drawn by the weights of the mix.
    pub fn pick(&self, rng: &mut Rng) -> Kind {
        let sum: u64 = self.mix.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut r = rng.below(sum);
        for (kind, w) in &self.mix {
            if r < u64::from(*w) {
                return *kind;
            }
            r -= u64::from(*w);
        }
        self.mix[0].0
    }

    /// A kind for the next operation of a client at `ip`: a login only while the address is
    /// under the server's login limit (else another kind is drawn, and the deferral counted).
    pub fn choose(&self, rng: &mut Rng, ip: Option<IpAddr>, deferred: &mut u64) -> Kind {
        for _ in 0..16 {
            let kind = self.pick(rng);
            if kind != Kind::Login || self.logins.take(ip) {
                return kind;
            }
            *deferred += 1;
        }
        Kind::Key
    }

    /// Runs one operation of `kind` on `conn`.
    pub async fn run(&self, kind: Kind, conn: &mut Conn, rng: &mut Rng, client: usize) -> Outcome {
        let offset = rng.below(self.pages) * self.limit;
        match kind {
            Kind::Api => {
                let path = format!("/api/v1/incidents?offset={offset}&limit={}", self.limit);
                expect_ok(conn, &get(&path, &self.api_auth)).await
            }
            Kind::Html => {
                let path = format!("/incidents?offset={offset}");
                expect_ok(conn, &get(&path, &self.html_auth)).await
            }
            Kind::Key => expect_ok(conn, &get("/log/key", "")).await,
            Kind::Search => {
                let path = format!("/api/v1/search?{}", self.query(rng));
                match exchange(conn, &get(&path, &self.api_auth)).await {
                    Ok(a) if a.status == 200 => search_json(&a),
                    Ok(a) => Outcome::Status(a.status, a.snippet()),
                    Err(o) => o,
                }
            }
            Kind::SearchHtml => {
                let path = format!("/search?{}", self.query(rng));
                expect_ok(conn, &get(&path, &self.html_auth)).await
            }
            Kind::Upload => crate::flows::upload(self, conn, rng, client).await,
            Kind::Login => crate::flows::login(self, conn, client).await,
        }
    }

    /// One or two corpus words, sometimes with a province filter or a page offset.
    fn query(&self, rng: &mut Rng) -> String {
        let mut q = self.pick_word(rng);
        if rng.chance(30) {
            q = format!("{q} {}", self.pick_word(rng));
        }
        let mut query = format!("q={}", form_value(&q));
        if rng.chance(20)
            && let Some(p) = rng.pick(&self.provinces)
        {
            query.push_str(&format!("&province={p}"));
        }
        if rng.chance(10) {
            query.push_str("&offset=20");
        }
        query
    }

    fn pick_word(&self, rng: &mut Rng) -> String {
        rng.pick(&self.words)
            .cloned()
            .unwrap_or_else(|| "school".to_owned())
    }
}

/// Sends one request, bounded by [`REQUEST_TIMEOUT`]; an error is the operation's outcome.
pub async fn exchange(conn: &mut Conn, request: &[u8]) -> Result<Answer, Outcome> {
    match tokio::time::timeout(REQUEST_TIMEOUT, conn.send(request)).await {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(e)) => Err(Outcome::Io(e.to_string())),
        Err(_) => Err(Outcome::Io(format!("no answer in {REQUEST_TIMEOUT:?}"))),
    }
}

/// A request whose answer must be 200.
async fn expect_ok(conn: &mut Conn, request: &[u8]) -> Outcome {
    match exchange(conn, request).await {
        Ok(a) if a.status == 200 => Outcome::Ok {
            bytes: a.body.len() as u64,
            ack: None,
        },
        Ok(a) => Outcome::Status(a.status, a.snippet()),
        Err(o) => o,
    }
}

fn search_json(a: &Answer) -> Outcome {
    match serde_json::from_slice::<serde_json::Value>(&a.body) {
        Ok(v) if v["total"].is_u64() && v["items"].is_array() => Outcome::Ok {
            bytes: a.body.len() as u64,
            ack: None,
        },
        Ok(_) => Outcome::Bad(format!(
            "search JSON without total or items: {}",
            a.snippet()
        )),
        Err(e) => Outcome::Bad(format!("search answer is not JSON: {e}")),
    }
}

/// Words of at least four letters from the titles of the synthetic corpus, and its provinces.
pub fn corpus_words(seed: u64) -> (Vec<String>, Vec<String>) {
    let mut words = std::collections::BTreeSet::new();
    let mut provinces = std::collections::BTreeSet::new();
    for s in gawah_demo::synthetic::incidents(seed, 400) {
        provinces.insert(s.province.clone());
        for w in s.title.split_whitespace() {
            let w = w.trim_matches(|c: char| !c.is_alphanumeric());
            if w.chars().count() >= 4 && w.chars().all(char::is_alphabetic) {
                words.insert(w.to_owned());
            }
        }
    }
    (words.into_iter().collect(), provinces.into_iter().collect())
}
