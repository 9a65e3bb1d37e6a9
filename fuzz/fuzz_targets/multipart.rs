//! Arbitrary multipart bodies and `Content-Type` headers through the evidence form reader.
//!
//! `POST /api/v1/evidence` and the incident page's form read their body with axum's
//! `Multipart`, which is `multer::parse_boundary` on the `Content-Type` and
//! `multer::Multipart::new` on the body stream, nothing more. This target does exactly that
//! (multer at the version axum uses here) and runs the body through `read_form` below, which
//! follows gawah-web's `read_form` (`src/upload/form.rs`) step for step, with the same functions from
//! `gawah_core::upload` for the field names, the file name, the case, `confidential` and the
//! text limit. What it leaves out needs the server: sealing the file into the blob store
//! (here the file's bytes are counted), the CSRF token check and the incident look-up.
//! gawah-web itself is not linked: it would bring the store, the search index and the web
//! stack into the fuzz build.
//!
//! Input: the `Content-Type` value up to the first `\n`, one byte that sets the size of the
//! body's chunks (and whether the URL fixes the incident), then the body. Asserts: a read
//! form's values are clean; the file's size is at most the body's; and a form that read,
//! written again as a canonical multipart body, reads to the same fields.
#![no_main]

use std::cell::RefCell;

use bytes::Bytes;
use gawah_core::upload::{
    FormField, MAX_TEXT, TextField, UploadError, clean_case, clean_name, truthy,
};
use libfuzzer_sys::fuzz_target;

/// One field as read: its name, its file name, its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Part {
    name: Option<String>,
    file_name: Option<String>,
    data: Vec<u8>,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Form {
    file: Option<(Option<String>, usize)>,
    case_ref: Option<String>,
    incident: Option<String>,
    confidential: bool,
    parts: Vec<Part>,
}

#[derive(Debug)]
enum Refused {
    Multipart(#[allow(dead_code)] multer::Error),
    Field(#[allow(dead_code)] UploadError),
    SecondFile,
}

impl From<multer::Error> for Refused {
    fn from(e: multer::Error) -> Self {
        Refused::Multipart(e)
    }
}

impl From<UploadError> for Refused {
    fn from(e: UploadError) -> Self {
        Refused::Field(e)
    }
}

async fn text(
    field: &mut multer::Field<'_>,
    name: &str,
    part: &mut Part,
) -> Result<String, Refused> {
    let mut text = TextField::default();
    while let Some(chunk) = field.chunk().await? {
        part.data.extend_from_slice(&chunk);
        text.push(name, &chunk)?;
    }
    Ok(text.finish(name)?)
}

/// gawah-web's `read_form`, without the store.
async fn read_form(mut form: multer::Multipart<'_>, fixed: bool) -> Result<Form, Refused> {
    let mut out = Form::default();
    while let Some(mut field) = form.next_field().await? {
        let name = field.name().unwrap_or_default().to_owned();
        let mut part = Part {
            name: field.name().map(str::to_owned),
            file_name: field.file_name().map(str::to_owned),
            data: Vec::new(),
        };
        match FormField::of(&name, fixed) {
            FormField::File => {
                if out.file.is_some() {
                    return Err(Refused::SecondFile);
                }
                let file_name = field.file_name().and_then(clean_name);
                while let Some(chunk) = field.chunk().await? {
                    part.data.extend_from_slice(&chunk);
                }
                if file_name.is_none() && part.data.is_empty() {
                    out.parts.push(part);
                    continue;
                }
                out.file = Some((file_name, part.data.len()));
            }
            FormField::Case => {
                out.case_ref = clean_case(&text(&mut field, "case", &mut part).await?)?
            }
            FormField::Incident => {
                let id = text(&mut field, "incident", &mut part).await?;
                if !id.trim().is_empty() {
                    out.incident = Some(id);
                }
            }
            FormField::Confidential => {
                out.confidential = truthy(&text(&mut field, &name, &mut part).await?)
            }
            FormField::Csrf => {
                text(&mut field, "csrf", &mut part).await?;
            }
            FormField::Other => {
                text(&mut field, &name, &mut part).await?;
            }
        }
        out.parts.push(part);
    }
    Ok(out)
}

thread_local! {
    static RUNTIME: RefCell<tokio::runtime::Runtime> = RefCell::new(
        tokio::runtime::Builder::new_current_thread().build().expect("a runtime"),
    );
}

fn read(body: &[u8], boundary: &str, chunk: usize, fixed: bool) -> Result<Form, Refused> {
    let chunks: Vec<Result<Bytes, std::io::Error>> = body
        .chunks(chunk.max(1))
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let stream = futures_util::stream::iter(chunks);
    let form = multer::Multipart::new(stream, boundary.to_owned());
    RUNTIME.with(|rt| rt.borrow().block_on(read_form(form, fixed)))
}

/// A quoted header parameter, if the value can be written as one that reads back alone.
/// multer finds `name="` and `filename="` by searching the header line, so a value holding
/// `name=` or `;` is ambiguous to it (found by this target: a name holding ` filename=` read
/// back with another file name); the form reader treats such a part like any other.
fn param(v: &str) -> Option<&str> {
    let ambiguous = v.to_ascii_lowercase().contains("name=") || v.contains(';');
    (!ambiguous && !v.contains(['"', '\r', '\n', '\\'])).then_some(v)
}

/// The parts written again as a canonical body, if they can be (a boundary of RFC 2046's
/// characters, names that can be quoted, no delimiter inside a part).
fn rewrite(parts: &[Part], boundary: &str) -> Option<Vec<u8>> {
    let bchar = |c: char| c.is_ascii_alphanumeric() || "'()+_,-./:=?".contains(c);
    if boundary.is_empty() || boundary.len() > 70 || !boundary.chars().all(bchar) {
        return None;
    }
    let delimiter = format!("\r\n--{boundary}");
    let mut body = Vec::new();
    for p in parts {
        let name = param(p.name.as_deref()?)?;
        if p.data
            .windows(delimiter.len())
            .any(|w| w == delimiter.as_bytes())
        {
            return None;
        }
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        body.extend_from_slice(
            format!("Content-Disposition: form-data; name=\"{name}\"").as_bytes(),
        );
        if let Some(f) = &p.file_name {
            body.extend_from_slice(format!("; filename=\"{}\"", param(f)?).as_bytes());
        }
        body.extend_from_slice(b"\r\n\r\n");
        body.extend_from_slice(&p.data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Some(body)
}

fuzz_target!(|data: &[u8]| {
    let Some(nl) = data.iter().position(|&b| b == b'\n') else {
        return;
    };
    let (Ok(content_type), Some((&knob, body))) = (
        std::str::from_utf8(&data[..nl]),
        data[nl + 1..].split_first(),
    ) else {
        return;
    };
    let Ok(boundary) = multer::parse_boundary(content_type) else {
        return;
    };
    let (chunk, fixed) = (usize::from(knob >> 1) + 1, knob & 1 == 1);
    let Ok(form) = read(body, &boundary, chunk, fixed) else {
        return;
    };
    if let Some((name, size)) = &form.file {
        assert!(*size <= body.len());
        if let Some(name) = name {
            assert_eq!(clean_name(name).as_ref(), Some(name));
        }
    }
    if let Some(case) = &form.case_ref {
        assert_eq!(clean_case(case).as_ref(), Ok(&Some(case.clone())));
    }
    for p in &form.parts {
        let file = FormField::of(p.name.as_deref().unwrap_or_default(), fixed) == FormField::File;
        assert!(file || p.data.len() <= MAX_TEXT);
    }
    if let Some(again) = rewrite(&form.parts, &boundary) {
        let reread = read(&again, &boundary, 7, fixed).expect("a canonical body reads");
        assert_eq!(reread, form, "the canonical body reads differently");
    }
});
