//! Nothing outside `IncidentDoc` reaches the index folder.
//!
//! Two scans: the raw bytes of every file, and everything the index holds read back through
//! tantivy (every term, every stored value of live and deleted documents, every column
//! dictionary), because compression and the term dictionary's structure can split a string's
//! bytes on disk. Each scan must find the control canary in the title, or it proves nothing.

mod common;

use std::path::Path;

use common::{ORG, ids, synthetic_doc};
use gawah_search::SearchIndex;
use tantivy::schema::Type;
use tantivy::{Document, Index, TantivyDocument};

/// Unique strings, written where they must not (and, for the control, must) end up.
const LOCATION_CANARY: &str = "qv7LOCATIONzk3canary";
const WITNESS_CANARY: &str = "jx9WITNESSpw2canary";
const TITLE_CANARY: &str = "mf4TITLEqh8canary";

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).expect("read dir") {
                pending.push(entry.expect("entry").path());
            }
        } else {
            let bytes = std::fs::read(&path).expect("read file");
            if bytes.windows(needle.len()).any(|w| w == needle) {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

/// Every string the index in `dir` holds, read through tantivy.
fn index_contents(dir: &Path) -> Vec<String> {
    let index = Index::open_in_dir(dir).expect("tantivy open");
    let schema = index.schema();
    let searcher = index.reader().expect("reader").searcher();
    let mut contents = Vec::new();
    for segment in searcher.segment_readers() {
        for (field, entry) in schema.fields() {
            if entry.is_indexed() {
                let inverted = segment.inverted_index(field).expect("inverted index");
                let mut terms = inverted.terms().stream().expect("terms");
                while terms.advance() {
                    contents.push(String::from_utf8_lossy(terms.key()).into_owned());
                }
            }
            if entry.is_fast() && entry.field_type().value_type() == Type::Str {
                let fast = segment.fast_fields().str(entry.name()).expect("column");
                for column in fast.iter() {
                    for ord in 0..column.num_terms() as u64 {
                        let mut value = String::new();
                        column.ord_to_str(ord, &mut value).expect("ord");
                        contents.push(value);
                    }
                }
            }
        }
        let store = segment.get_store_reader(0).expect("store");
        for doc in store.iter::<TantivyDocument>(None) {
            contents.push(doc.expect("doc").to_json(&schema));
        }
    }
    contents
}

#[test]
fn confidential_fields_never_reach_the_index_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let index = SearchIndex::open(dir.path()).expect("open");
    let mut docs = Vec::new();
    for (n, mut incident) in gawah_demo::synthetic::incidents(3, 200).enumerate() {
        // What the caller holds besides the document: confidential, and sealed in the store.
        incident.exact_location = format!("{} {LOCATION_CANARY}", incident.exact_location);
        incident.witness_pseudonym = format!("{WITNESS_CANARY} {n}");
        if n == 17 {
            // The unique tail keeps the canary's bytes literal in the compressed store.
            incident.title = format!("{TITLE_CANARY}x7w {}", incident.title);
        }
        docs.push(synthetic_doc(ORG, &incident, n as u64));
    }
    index.upsert(docs[..100].to_vec(), 100).expect("upsert");
    index
        .rebuild(docs.clone().into_iter(), 200)
        .expect("rebuild");
    index
        .upsert(docs[150..].to_vec(), 201)
        .expect("upsert again");
    drop(index);

    let reopened = SearchIndex::open(dir.path()).expect("reopen");
    assert_eq!(
        ids(&reopened, &format!("{TITLE_CANARY}x7w")),
        [docs[17].id.clone()]
    );
    let contents = index_contents(dir.path());
    let held = |needle: &str| contents.iter().any(|c| c.contains(needle));
    // The controls: both scans see the title.
    assert!(!files_containing(dir.path(), TITLE_CANARY.as_bytes()).is_empty());
    assert!(held(TITLE_CANARY) && held(&TITLE_CANARY.to_lowercase()));
    for canary in [LOCATION_CANARY, WITNESS_CANARY] {
        for needle in [canary.to_owned(), canary.to_lowercase()] {
            let leaked = files_containing(dir.path(), needle.as_bytes());
            assert!(leaked.is_empty(), "{needle} leaked into {leaked:?}");
            assert!(!held(&needle), "{needle} is held by the index");
        }
        assert!(ids(&reopened, canary).is_empty());
    }
}
