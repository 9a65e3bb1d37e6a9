//! Upserts, watermarks, schema versions and writer locks.

mod common;

use common::{ORG, ids, incident, query};
use gawah_search::{SearchError, SearchIndex};
use tantivy::{Index, IndexWriter, TantivyDocument};

#[test]
fn upsert_replaces_and_never_duplicates() {
    let index = SearchIndex::in_memory().expect("index");
    index
        .upsert(vec![incident("a", "old title", "")], 1)
        .expect("first");
    index
        .upsert(vec![incident("a", "new title", "")], 2)
        .expect("second");
    assert!(ids(&index, "old").is_empty());
    assert_eq!(ids(&index, "title"), ["a"]);
    // The same id twice in one batch: the last one wins.
    let batch = vec![
        incident("b", "first draft", ""),
        incident("b", "final draft", ""),
    ];
    index.upsert(batch, 3).expect("batch");
    assert_eq!(ids(&index, "draft"), ["b"]);
    assert_eq!(ids(&index, "final"), ["b"]);
    assert!(ids(&index, "first").is_empty());
    // Another organisation's incident with the same id is a different incident.
    let mut theirs = incident("a", "new title", "");
    theirs.org = "org-b".to_owned();
    index.upsert(vec![theirs], 4).expect("theirs");
    assert_eq!(ids(&index, "title"), ["a"]);
    assert_eq!(index.search(&query("")).expect("search").total, 2);
}

#[test]
fn watermark_persists_across_reopen_and_never_goes_back() {
    let dir = tempfile::tempdir().expect("temp dir");
    {
        let index = SearchIndex::open(dir.path()).expect("open");
        assert_eq!(index.watermark().expect("watermark"), 0);
        index
            .upsert(vec![incident("a", "kept", "")], 42)
            .expect("upsert");
        assert_eq!(index.watermark().expect("watermark"), 42);
    }
    let index = SearchIndex::open(dir.path()).expect("reopen");
    assert_eq!(index.watermark().expect("watermark"), 42);
    assert_eq!(ids(&index, "kept"), ["a"]);
    index
        .upsert(vec![incident("b", "late", "")], 10)
        .expect("upsert");
    assert_eq!(
        index.watermark().expect("watermark"),
        42,
        "an older batch keeps the mark"
    );
    let count = index
        .rebuild([incident("c", "rebuilt", "")].into_iter(), 7)
        .expect("rebuild");
    assert_eq!(count, 1);
    assert_eq!(
        index.watermark().expect("watermark"),
        7,
        "a rebuild sets the mark"
    );
    assert_eq!(ids(&index, ""), ["c"], "a rebuild replaces everything");
}

#[test]
fn another_schema_version_is_wiped_and_recreated() {
    let dir = tempfile::tempdir().expect("temp dir");
    SearchIndex::open(dir.path())
        .expect("open")
        .upsert(vec![incident("a", "old schema", "")], 9)
        .expect("upsert");
    std::fs::write(dir.path().join("gawah-search-version"), "0").expect("downgrade");
    let index = SearchIndex::open(dir.path()).expect("reopen");
    assert_eq!(index.watermark().expect("watermark"), 0);
    assert!(ids(&index, "").is_empty());
    index
        .upsert(vec![incident("b", "new", "")], 1)
        .expect("usable");
    drop(index);
    // And it stays: the next open keeps the recreated index.
    let index = SearchIndex::open(dir.path()).expect("open again");
    assert_eq!(ids(&index, ""), ["b"]);
}

#[test]
fn a_folder_of_something_else_is_refused_not_wiped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let precious = dir.path().join("thesis.txt");
    std::fs::write(&precious, "years of work").expect("write");
    let error = SearchIndex::open(dir.path()).unwrap_err();
    assert!(matches!(error, SearchError::NotAnIndex { .. }), "{error}");
    assert_eq!(
        std::fs::read_to_string(&precious).expect("kept"),
        "years of work"
    );
}

#[test]
fn a_writer_elsewhere_makes_writes_busy_but_not_searches() {
    let dir = tempfile::tempdir().expect("temp dir");
    let index = SearchIndex::open(dir.path()).expect("open");
    index
        .upsert(vec![incident("a", "school", "")], 1)
        .expect("upsert");
    // Another process's writer, as tantivy takes it (the lock is per open file, so one in
    // this process conflicts the same way).
    let other = Index::open_in_dir(dir.path()).expect("tantivy open");
    let writer: IndexWriter<TantivyDocument> = other.writer(15_000_000).expect("lock taken");
    let busy = index
        .upsert(vec![incident("b", "school", "")], 2)
        .unwrap_err();
    assert!(matches!(busy, SearchError::Busy), "{busy}");
    assert!(busy.to_string().contains("try again"), "{busy}");
    let busy = index.rebuild(std::iter::empty(), 3).unwrap_err();
    assert!(matches!(busy, SearchError::Busy), "{busy}");
    assert_eq!(ids(&index, "school"), ["a"], "searching goes on");
    // A version change cannot wipe the folder under another writer either.
    std::fs::write(dir.path().join("gawah-search-version"), "0").expect("downgrade");
    assert!(matches!(
        SearchIndex::open(dir.path()),
        Err(SearchError::Busy)
    ));
    std::fs::write(dir.path().join("gawah-search-version"), "1").expect("restore");
    drop(writer);
    index
        .upsert(vec![incident("b", "school", "")], 2)
        .expect("free again");
    assert_eq!(ids(&index, "school"), ["a", "b"]);
    assert_eq!(index.watermark().expect("watermark"), 2);
    let _ = ORG;
}

#[test]
fn the_index_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SearchIndex>();
    let index = std::sync::Arc::new(SearchIndex::in_memory().expect("index"));
    let writers: Vec<_> = (0..4)
        .map(|n| {
            let index = index.clone();
            std::thread::spawn(move || {
                let doc = incident(&format!("t{n}"), "parallel", "");
                index
                    .upsert(vec![doc], n)
                    .expect("writers of one index wait, never Busy");
            })
        })
        .collect();
    for writer in writers {
        writer.join().expect("thread");
    }
    assert_eq!(ids(&index, "parallel"), ["t0", "t1", "t2", "t3"]);
}
