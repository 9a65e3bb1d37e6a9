//! What a receipt code and a copy of the database give away about a witness's submission.
//!
//! Someone holding a witness's receipt code (a seized phone, a note) sees the submission's
//! status and number of parts, never its text; the code only ever travels in POST bodies, so it
//! is in no URL, history, referrer or proxy log. Someone holding the database sees ciphertexts
//! whose length tells the text's only to the nearest KiB.

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use gawah_core::vocab::Role;
use gawah_web::intake::PAD;

use crate::harness::{App, enc};

const TOKEN: &str = "privacy-form-token-0123456789abcdefghij";
const TEXT: &str = "privacy-canary-text-Kd71";
const WHEN: &str = "privacy-canary-when-Kd72";
const CONTACT: &str = "privacy-canary-contact-Kd73";
const ADDED: &str = "privacy-canary-added-Kd74";

/// A request from an anonymous browser that holds the intake form's token cookie.
async fn anonymous(
    app: &App,
    method: Method,
    uri: &str,
    form: Option<String>,
) -> (StatusCode, HeaderMap, String) {
    let b = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::COOKIE, format!("gawah_submit_csrf={TOKEN}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    let body = form.map(Body::from).unwrap_or_else(Body::empty);
    let (status, headers, bytes) = app.send(b.body(body).unwrap()).await;
    (
        status,
        headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

/// Every `<form ...>` opening tag of a page, with what it encloses.
fn forms(page: &str) -> Vec<&str> {
    page.split("<form")
        .skip(1)
        .map(|rest| &rest[..rest.find("</form>").unwrap_or(rest.len())])
        .collect()
}

/// Every URL-valued attribute of a page (`href`, `action`, `src`).
fn urls(page: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "action=\"", "src=\""] {
        for (at, _) in page.match_indices(attr) {
            let rest = &page[at + attr.len()..];
            out.push(rest[..rest.find('"').unwrap_or(rest.len())].to_owned());
        }
    }
    out
}

/// The code is in no URL of the page and in no header of the answer, every form posts, and
/// where the page holds the code it is the value of the hidden `code` field of such a form.
#[track_caller]
fn assert_code_only_in_post_bodies(headers: &HeaderMap, page: &str, code: &str, what: &str) {
    let forms_of_code = [code.to_owned(), code.replace('-', "")];
    for h in headers.values() {
        let h = h.to_str().unwrap_or_default();
        assert!(
            !forms_of_code.iter().any(|c| h.contains(c.as_str())),
            "{what}: code in header {h}"
        );
    }
    for url in urls(page) {
        assert!(
            !forms_of_code.iter().any(|c| url.contains(c.as_str())),
            "{what}: code in URL {url}"
        );
    }
    for form in forms(page) {
        let tag = &form[..form.find('>').unwrap()];
        assert!(tag.contains("method=\"post\""), "{what}: <form{tag}>");
    }
    let hidden = format!(
        "<input type=\"hidden\" name=\"code\" value=\"{}\">",
        forms_of_code[1]
    );
    let held = page.matches(forms_of_code[1].as_str()).count();
    assert_eq!(
        held,
        page.matches(hidden.as_str()).count(),
        "{what}: {page}"
    );
}

#[track_caller]
fn assert_no_submitted_text(page: &str, what: &str) {
    for text in [TEXT, WHEN, CONTACT, ADDED, "AF-HER"] {
        assert!(!page.contains(text), "{what}: {text} is on the page");
    }
}

#[tokio::test]
async fn the_status_page_shows_status_and_parts_but_no_text_and_the_code_only_in_post_bodies() {
    let app = App::new();
    // The empty status page: the code is asked for in a form that posts to /submit/status.
    let (status, _, empty) = anonymous(&app, Method::GET, "/submit/status", None).await;
    assert_eq!(status, StatusCode::OK);
    let code_form = forms(&empty)
        .into_iter()
        .find(|f| f.contains("name=\"code\""))
        .expect("a form asking for the code");
    assert!(
        code_form.starts_with(" method=\"post\" action=\"/submit/status\""),
        "<form{code_form}"
    );

    let submit = format!(
        "csrf={TOKEN}&org={}&text={}&when={}&province=AF-HER&contact={}&consent=internal",
        app.orgs[0],
        enc(TEXT),
        enc(WHEN),
        enc(CONTACT)
    );
    let (status, headers, receipt) = anonymous(&app, Method::POST, "/submit", Some(submit)).await;
    assert_eq!(status, StatusCode::OK, "{receipt}");
    let at = receipt.find("id=\"receipt-code\"").expect("a receipt code");
    let code = &receipt[at..];
    let code = code[code.find('>').unwrap() + 1..code.find('<').unwrap()].to_owned();
    assert_code_only_in_post_bodies(&headers, &receipt, &code, "receipt");
    assert_no_submitted_text(&receipt, "receipt");

    // The code in a URL opens nothing: the page is the empty one, byte for byte.
    for query in [
        format!("?code={}", enc(&code)),
        format!("?csrf={TOKEN}&code={}", enc(&code)),
    ] {
        let uri = format!("/submit/status{query}");
        let (status, _, page) = anonymous(&app, Method::GET, &uri, None).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert_eq!(page, empty, "{uri}");
    }

    // Posted, it shows the status and the number of parts, and none of the text.
    let check = format!("csrf={TOKEN}&code={}", enc(&code));
    let (status, headers, page) =
        anonymous(&app, Method::POST, "/submit/status", Some(check.clone())).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("<dd id=\"submission-status\">received</dd>"),
        "{page}"
    );
    assert!(
        page.contains("<dd id=\"submission-parts\">1</dd>"),
        "{page}"
    );
    assert_no_submitted_text(&page, "status");
    assert_code_only_in_post_bodies(&headers, &page, &code, "status");

    // Adding a part: the count grows, the added text is not shown back either.
    let add = format!("{check}&text={}", enc(ADDED));
    let (status, headers, page) =
        anonymous(&app, Method::POST, "/submit/status/add", Some(add)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("<dd id=\"submission-parts\">2</dd>"),
        "{page}"
    );
    assert_no_submitted_text(&page, "after adding");
    assert_code_only_in_post_bodies(&headers, &page, &code, "after adding");

    // Not vacuous: the texts were received, and a member who may read them sees them.
    let t = app.member(0, Role::Analyst).token.clone();
    let (_, list) = app
        .api(Method::GET, "/api/v1/submissions", Some(&t), None)
        .await;
    let id = list["submissions"][0]["id"].as_str().unwrap().to_owned();
    let (status, v) = app
        .api(
            Method::GET,
            &format!("/api/v1/submissions/{id}"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["content"][0]["text"], TEXT);
    assert_eq!(v["content"][0]["contact"], CONTACT);
    assert_eq!(v["content"][1]["text"], ADDED);
}

/// The age payload of part 1 of the submission `id` as stored: what follows the header's
/// closing `--- MAC` line. The header itself varies in length at random (age adds a random
/// "grease" stanza to every header), independently of the text, so it is left aside.
fn stored_payload_length(app: &App, id: &str) -> usize {
    let db = rusqlite::Connection::open(app.data_dir().join("gawah.db")).unwrap();
    let sealed: Vec<u8> = db
        .query_row(
            "SELECT sealed FROM submission_parts WHERE submission_id = ?1 AND part = 1",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        sealed.starts_with(b"age-encryption.org/v1\n"),
        "an age file"
    );
    let mac = sealed
        .windows(5)
        .position(|w| w == b"\n--- ")
        .expect("the header's MAC line");
    let end = mac + 1 + sealed[mac + 1..].iter().position(|&b| b == b'\n').unwrap();
    sealed.len() - end - 1
}

/// age's payload: a 16-byte nonce, then the text in 64 KiB chunks with a 16-byte tag each.
const NONCE_AND_TAG: usize = 16 + 16;

#[test]
fn stored_submissions_are_padded_to_whole_kibibytes() {
    assert_eq!(PAD, 1024);
    let app = App::new();
    let length_of = |text: &str| {
        let (id, _) = app.submission(0, text);
        let payload = stored_payload_length(&app, &id);
        assert_eq!((payload - NONCE_AND_TAG) % PAD, 0, "{payload} bytes");
        payload
    };
    // Texts of 1 to 700 bytes, Latin or Dari, all fit the first KiB with their envelope.
    let dari = "گواهی".repeat(60);
    assert_eq!(dari.len(), 600);
    let one_block = length_of("a");
    assert_eq!(one_block, NONCE_AND_TAG + PAD);
    for text in ["b".repeat(300), "c".repeat(700), dari] {
        assert_eq!(length_of(&text), one_block, "{} bytes", text.len());
    }
    // Longer texts grow by whole KiB, not by the byte.
    assert_eq!(length_of(&"d".repeat(1500)), one_block + PAD);
    assert_eq!(length_of(&"e".repeat(1600)), one_block + PAD);
    assert_eq!(length_of(&"f".repeat(2600)), one_block + 2 * PAD);
}
