//! The case database on SQLite: record writes inside [`Store::commit`](crate::Store::commit)'s
//! transaction, and the [`RecordStore`] reads.

use std::collections::HashMap;
use std::sync::Arc;

use gawah_core::edict::Edict;
use gawah_core::incident::Incident;
use gawah_core::{IncidentId, MemberId, OrgId, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::StoreError;
use crate::records::{
    ApiTokenRow, IncidentListRow, IncidentQuery, IncidentRow, IncidentWrite, MemberRow, OrgRow,
    RecordStore, RecordVersion, SessionRow,
};
use crate::sqlite::{SqliteStore, to_i64, to_u64};
use crate::sqlite_keys;
use crate::store::RecordWrite;

fn corrupt(what: &str) -> impl Fn(String) -> StoreError + '_ {
    move |e| StoreError::Corrupt(format!("{what}: {e}"))
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Invalid(e.to_string()))
}

/// Writes one record inside the caller's transaction, as entry `idx` at `time`.
pub(crate) fn write_record(
    tx: &Connection,
    idx: i64,
    time: Timestamp,
    record: &RecordWrite,
) -> Result<(), StoreError> {
    let now = time.millis();
    match record {
        RecordWrite::None | RecordWrite::Item(_) => {}
        RecordWrite::Org { id, name } => {
            tx.execute(
                "INSERT INTO orgs (id, name, created_at) VALUES (?1, ?2, ?3)",
                params![id.as_str(), name, now],
            )
            .map_err(|e| unique(e, &format!("an organisation named {name:?} exists")))?;
        }
        RecordWrite::Member(m) => {
            tx.execute(
                "INSERT INTO members (id, org_id, username, role, password_hash, totp_secret, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![m.id.as_str(), m.org.as_str(), m.username, m.role.as_str(), m.password_hash, m.totp_secret, now],
            )
            .map_err(|e| unique(e, &format!("the username {:?} is taken", m.username)))?;
        }
        RecordWrite::ApiToken { member, token_hash } => {
            tx.execute(
                "INSERT INTO api_tokens (token_hash, member_id, created_at) VALUES (?1, ?2, ?3)",
                params![&token_hash[..], member.as_str(), now],
            )?;
        }
        RecordWrite::RevokeApiToken { member, token_hash } => {
            let gone = tx.execute(
                "DELETE FROM api_tokens WHERE token_hash = ?1 AND member_id = ?2",
                params![&token_hash[..], member.as_str()],
            )?;
            if gone == 0 {
                return Err(StoreError::NotFound("no such API token".into()));
            }
        }
        RecordWrite::Edict(e) => {
            tx.execute(
                "INSERT OR REPLACE INTO edicts (id, date, domain, content) VALUES (?1, ?2, ?3, ?4)",
                params![e.id, e.date, e.domain, json(e)?],
            )?;
        }
        RecordWrite::Incident(w) => write_incident(tx, idx, now, w)?,
        RecordWrite::Evidence(e) => crate::sqlite_uploads::write_evidence(tx, idx, now, e)?,
        RecordWrite::OrgKey(k) => sqlite_keys::write_org_key(tx, k, now)?,
        RecordWrite::RotateKey(r) => sqlite_keys::write_rotation(tx, r, now)?,
        RecordWrite::Rekey { ring, keys } => sqlite_keys::write_rekey(tx, ring, keys)?,
        RecordWrite::Person(p) => crate::sqlite_people::write_person(tx, idx, now, p)?,
        RecordWrite::Testimony(t) => crate::sqlite_people::write_testimony(tx, idx, now, t)?,
        RecordWrite::Act(a) => crate::sqlite_people::write_act(tx, idx, a)?,
        RecordWrite::ErasureRequest(r) => crate::sqlite_people::write_erasure_request(tx, idx, r)?,
        RecordWrite::ErasureApprove(a) => crate::sqlite_people::write_erasure_approve(tx, idx, a)?,
        RecordWrite::Derivative(d) => crate::sqlite_derivatives::write_derivative(tx, idx, now, d)?,
        RecordWrite::IntakeKey(k) => crate::sqlite_intake::write_intake_key(tx, now, k)?,
        RecordWrite::Submission(s) => crate::sqlite_intake::write_submission(tx, idx, s)?,
        RecordWrite::SubmissionPart(p) => crate::sqlite_intake::write_part(tx, idx, p)?,
        RecordWrite::SubmissionStatus(s) => crate::sqlite_intake::write_status(tx, s)?,
        RecordWrite::IncidentLink(l) => crate::sqlite_analysis::write_link(tx, idx, now, l)?,
        RecordWrite::Vocab(v) => crate::sqlite_vocab::write_term(tx, idx, now, v)?,
        RecordWrite::Witness(w) => crate::sqlite_witness::write_witness(tx, idx, now, w)?,
        RecordWrite::Endorsement { org } => {
            tx.execute(
                "INSERT OR IGNORE INTO endorsements (org_id, created_at) VALUES (?1, ?2)",
                params![org.as_str(), now],
            )?;
        }
    }
    Ok(())
}

/// Stores one version of a record: the salt of its commitment and its content (sealed).
pub(crate) fn insert_version(
    tx: &Connection,
    subject: &str,
    version: i64,
    idx: i64,
    salt: &gawah_core::Salt,
    content: &[u8],
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "INSERT INTO record_versions (subject, version, log_index, salt, content) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![subject, version, idx, &salt.0[..], content])?;
    Ok(())
}

fn unique(e: rusqlite::Error, message: &str) -> StoreError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => StoreError::Invalid(message.to_owned()),
        _ => e.into(),
    }
}

fn write_incident(
    tx: &Connection,
    idx: i64,
    now: i64,
    w: &IncidentWrite,
) -> Result<(), StoreError> {
    let i = &w.incident;
    let (content, version) = incident_values(w)?;
    if w.version == 1 {
        sqlite_keys::write_data_key(tx, new_incident_key(w)?)?;
        tx.execute(
            "INSERT INTO incidents (id, org_id, ref, title, date, province, verification_status, content, version, created_at, updated_at, sealed)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?9, ?10)",
            params![w.id.as_str(), w.org.as_str(), i.reference, i.title, i.date, i.province, i.verification_status, content, now, w.sealed],
        )?;
    } else {
        let changed = tx.execute(
            "UPDATE incidents SET ref = ?3, title = ?4, date = ?5, province = ?6, verification_status = ?7,
                 content = ?8, version = ?9, updated_at = ?10, sealed = ?11
             WHERE id = ?1 AND org_id = ?2 AND version = ?9 - 1",
            params![w.id.as_str(), w.org.as_str(), i.reference, i.title, i.date, i.province, i.verification_status, content, version, now, w.sealed],
        )?;
        if changed != 1 {
            return Err(incident_conflict(w));
        }
        tx.execute(
            "DELETE FROM incident_edicts WHERE incident_id = ?1",
            [w.id.as_str()],
        )?;
    }
    for edict in &i.edicts {
        tx.execute(
            "INSERT OR IGNORE INTO incident_edicts (incident_id, edict_id) VALUES (?1, ?2)",
            [w.id.as_str(), edict],
        )
        .map_err(|e| unique(e, &format!("no edict {edict:?}")))?;
    }
    insert_version(tx, w.id.as_str(), version, idx, &w.salt, &w.content)
}

/// Checks an incident write before any SQL runs (both backends call it first): the exact
/// location is confidential and must come sealed. Returns the incident's stored JSON and the
/// version as stored.
pub(crate) fn incident_values(w: &IncidentWrite) -> Result<(String, i64), StoreError> {
    if w.incident.exact_location.is_some() {
        return Err(StoreError::Invalid(
            "the exact location is confidential and must be sealed".into(),
        ));
    }
    Ok((json(&w.incident)?, to_i64(w.version)?))
}

/// The data key a new incident (version 1) must carry.
pub(crate) fn new_incident_key(w: &IncidentWrite) -> Result<&crate::keys::DataKeyRow, StoreError> {
    w.data_key
        .as_ref()
        .ok_or_else(|| StoreError::Invalid("a new incident needs its data key".into()))
}

/// The refusal of an incident update that found another version than the one before it.
pub(crate) fn incident_conflict(w: &IncidentWrite) -> StoreError {
    StoreError::Conflict(format!(
        "{} was changed by someone else; reload and try again",
        w.id
    ))
}

/// A member row as plain values, in [`MEMBER_COLUMNS`]' order (both backends read theirs
/// into this and check it with [`member_row`]).
pub(crate) type MemberCols = (
    String,
    String,
    String,
    String,
    String,
    Option<Vec<u8>>,
    i64,
    Option<i64>,
);

pub(crate) const MEMBER_COLUMNS: &str =
    "id, org_id, username, role, password_hash, totp_secret, failed_logins, locked_until";

fn member_cols(r: &rusqlite::Row<'_>) -> rusqlite::Result<MemberCols> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

/// A member checked and typed: an id, organisation or role that does not parse is corrupt.
pub(crate) fn member_row(c: MemberCols) -> Result<MemberRow, StoreError> {
    let (id, org, username, role, password_hash, totp_secret, failed, locked) = c;
    Ok(MemberRow {
        id: id
            .parse()
            .map_err(|e: gawah_core::IdError| StoreError::Corrupt(e.to_string()))?,
        org: org
            .parse()
            .map_err(|e: gawah_core::IdError| StoreError::Corrupt(e.to_string()))?,
        username,
        role: role.parse().map_err(corrupt("member role"))?,
        password_hash,
        totp_secret,
        failed_logins: u32::try_from(failed).unwrap_or(u32::MAX),
        locked_until: locked.map(Timestamp::from_millis),
    })
}

/// An incident row as plain values, in [`INCIDENT_COLUMNS`]' order (both backends read
/// theirs into this and check it with [`incident_row`]).
pub(crate) type IncidentCols = (String, String, String, i64, i64, i64, Option<Vec<u8>>);
pub(crate) const INCIDENT_COLUMNS: &str =
    "id, org_id, content, version, created_at, updated_at, sealed";

pub(crate) fn incident_cols(r: &rusqlite::Row<'_>) -> rusqlite::Result<IncidentCols> {
    r.try_into()
}

pub(crate) fn incident_row(c: IncidentCols) -> Result<IncidentRow, StoreError> {
    let (id, org, content, version, created, updated, sealed) = c;
    let incident: Incident = serde_json::from_str(&content)
        .map_err(|e| StoreError::Corrupt(format!("incident {id}: {e}")))?;
    Ok(IncidentRow {
        id: id
            .parse()
            .map_err(|e: gawah_core::IdError| StoreError::Corrupt(e.to_string()))?,
        org: org
            .parse()
            .map_err(|e: gawah_core::IdError| StoreError::Corrupt(e.to_string()))?,
        incident,
        version: to_u64(version)?,
        created_at: Timestamp::from_millis(created),
        updated_at: Timestamp::from_millis(updated),
        sealed,
    })
}

/// A list row as plain values, in [`list_columns`]' order (both backends read theirs into
/// this and check it with [`list_row`]).
pub(crate) type ListCols = (
    String,
    Option<String>,
    String,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    Option<String>,
);

/// The list's columns but the content: all in the index `incidents_org_date` (migration
/// 0011), so that a list without content reads no table row.
macro_rules! list_columns {
    () => {
        "id, ref, title, date, province, verification_status, version, created_at, updated_at"
    };
}

/// The columns a list reads for `q`: `list_columns!()`, then the content or, when `q` does
/// not ask for it, a NULL in its place (the same row shape either way; valid SQL for SQLite
/// and PostgreSQL).
pub(crate) fn list_columns(q: &IncidentQuery) -> &'static str {
    if q.content {
        concat!(list_columns!(), ", content")
    } else {
        concat!(list_columns!(), ", CAST(NULL AS TEXT)")
    }
}

/// The index and the filter of a list, with or without a province.
fn list_filter(province: Option<&str>) -> (&'static str, &'static str) {
    match province {
        Some(_) => (
            "incidents_org_province_date",
            "org_id = :org AND province = :province",
        ),
        None => ("incidents_org_date", "org_id = :org"),
    }
}

/// The page query of a list: the rows of `q`'s filter in list order, from a known position
/// if `anchored` (see [`ListAnchors`]). The index is named: without it, SQLite would serve a
/// province's page from `incidents_org_date`, which holds the province since migration 0011
/// and covers the columns, scanning the whole organisation's list to filter it.
pub(crate) fn page_sql(q: &IncidentQuery, anchored: bool) -> String {
    let (index, filter) = list_filter(q.province.as_deref());
    let start = if anchored {
        "AND date <= :date AND (date < :date OR id >= :id)"
    } else {
        ""
    };
    let columns = list_columns(q);
    format!(
        "SELECT {columns} FROM incidents INDEXED BY {index} WHERE {filter} {start}
         ORDER BY date DESC, id LIMIT :limit OFFSET :skip"
    )
}

pub(crate) fn list_row(c: ListCols) -> Result<IncidentListRow, StoreError> {
    let (
        id,
        reference,
        title,
        date,
        province,
        verification_status,
        version,
        created,
        updated,
        content,
    ) = c;
    Ok(IncidentListRow {
        id: id
            .parse()
            .map_err(|e: gawah_core::IdError| StoreError::Corrupt(e.to_string()))?,
        version: to_u64(version)?,
        created_at: Timestamp::from_millis(created),
        updated_at: Timestamp::from_millis(updated),
        reference,
        title,
        date,
        province,
        verification_status,
        content,
    })
}

/// An organisation checked and typed.
pub(crate) fn org_row(id: String, name: String) -> Result<OrgRow, StoreError> {
    Ok(OrgRow {
        id: id
            .parse()
            .map_err(|e: gawah_core::IdError| StoreError::Corrupt(e.to_string()))?,
        name,
    })
}

/// A session row as plain values: member, CSRF token, MFA pending, expiry.
pub(crate) type SessionCols = (String, String, bool, i64);

/// A session checked and typed.
pub(crate) fn session_row(c: SessionCols) -> Result<SessionRow, StoreError> {
    let (member, csrf, mfa_pending, expires) = c;
    Ok(SessionRow {
        member: member
            .parse()
            .map_err(|e: gawah_core::IdError| StoreError::Corrupt(e.to_string()))?,
        csrf,
        mfa_pending,
        expires_at: Timestamp::from_millis(expires),
    })
}

/// A stored version of `subject` as plain values: version, log index, content, salt.
pub(crate) type VersionCols = (i64, i64, Vec<u8>, Vec<u8>);

/// A stored version checked and typed: a salt that is not 32 bytes is corrupt.
pub(crate) fn version_row(subject: &str, c: VersionCols) -> Result<RecordVersion, StoreError> {
    let (v, i, content, salt) = c;
    let salt = <[u8; 32]>::try_from(salt.as_slice())
        .map_err(|_| StoreError::Corrupt(format!("salt of {subject}@{v} is not 32 bytes")))?;
    Ok(RecordVersion {
        version: to_u64(v)?,
        log_index: to_u64(i)?,
        content,
        salt: gawah_core::Salt(salt),
    })
}

/// Positions in incident lists, so that a deep page does not step over every row before it:
/// for each organisation (and province filter), the `(date, id)` key of every `stride`-th
/// incident in list order, as of a list version (`incident_list_versions`, which triggers bump
/// on every insert, delete and change of date or province). A page at offset `k` seeks to
/// the key at `k / stride * stride` and skips `k % stride` index entries.
///
/// Built with one scan of the index (a few milliseconds for 100,000 incidents) when a deep
/// page is asked for and the version has moved; one build at a time, others wait for it.
#[derive(Debug)]
pub(crate) struct ListAnchors {
    pub(crate) stride: u64,
    cache: std::sync::Mutex<HashMap<ListKey, (i64, Anchors)>>,
}

/// An organisation and a province filter.
type ListKey = (String, Option<String>);
/// The `(date, id)` keys of positions `stride`, `2 * stride`, ... of a list.
type Anchors = Arc<Vec<(String, String)>>;

/// At most this many lists are kept; past it the cache starts over.
const MAX_ANCHORED_LISTS: usize = 512;

impl ListAnchors {
    pub(crate) fn new(stride: u64) -> Self {
        Self {
            stride: stride.max(1),
            cache: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The anchors of a list at `version`, from the cache or built in the caller's read
    /// transaction (whose snapshot `version` was read from).
    fn get(
        &self,
        tx: &Connection,
        org: &OrgId,
        province: Option<&str>,
        version: i64,
        filter: &str,
    ) -> Result<Anchors, StoreError> {
        let key = (org.as_str().to_owned(), province.map(str::to_owned));
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let cached = cache.get(&key).map(|(v, a)| (*v, a.clone()));
        match cached {
            Some((v, anchors)) if v == version => return Ok(anchors),
            // A reader on an older snapshot than the cache: built for it alone.
            Some((v, _)) if v > version => {
                drop(cache);
                return self.build(tx, org, province, filter).map(Arc::new);
            }
            _ => {}
        }
        let anchors = Arc::new(self.build(tx, org, province, filter)?);
        if cache.len() >= MAX_ANCHORED_LISTS {
            cache.clear();
        }
        cache.insert(key, (version, anchors.clone()));
        Ok(anchors)
    }

    fn build(
        &self,
        tx: &Connection,
        org: &OrgId,
        province: Option<&str>,
        filter: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let sql = format!("SELECT date, id FROM incidents WHERE {filter} ORDER BY date DESC, id");
        let mut stmt = tx.prepare_cached(&sql)?;
        let org = org.as_str();
        let mut args: Vec<(&str, &dyn rusqlite::ToSql)> = vec![(":org", &org)];
        if let Some(p) = &province {
            args.push((":province", p));
        }
        let mut rows = stmt.query(args.as_slice())?;
        let mut anchors = Vec::new();
        let mut position = 0u64;
        while let Some(row) = rows.next()? {
            if position > 0 && position.is_multiple_of(self.stride) {
                anchors.push((row.get(0)?, row.get(1)?));
            }
            position += 1;
        }
        Ok(anchors)
    }
}

impl RecordStore for SqliteStore {
    fn orgs(&self) -> Result<Vec<OrgRow>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare("SELECT id, name FROM orgs ORDER BY name")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.map(|r| {
            let (id, name) = r?;
            org_row(id, name)
        })
        .collect()
    }

    fn org_by_name(&self, name: &str) -> Result<Option<OrgRow>, StoreError> {
        let row: Option<(String, String)> = self
            .read()?
            .query_row("SELECT id, name FROM orgs WHERE name = ?1", [name], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        row.map(|(id, name)| org_row(id, name)).transpose()
    }

    fn member_by_username(&self, username: &str) -> Result<Option<MemberRow>, StoreError> {
        let sql = format!("SELECT {MEMBER_COLUMNS} FROM members WHERE username = ?1");
        self.read()?
            .prepare_cached(&sql)?
            .query_row([username], member_cols)
            .optional()?
            .map(member_row)
            .transpose()
    }

    fn member(&self, id: &MemberId) -> Result<Option<MemberRow>, StoreError> {
        let sql = format!("SELECT {MEMBER_COLUMNS} FROM members WHERE id = ?1");
        self.read()?
            .prepare_cached(&sql)?
            .query_row([id.as_str()], member_cols)
            .optional()?
            .map(member_row)
            .transpose()
    }

    fn login_failed(&self, id: &MemberId, lock_until: Option<Timestamp>) -> Result<(), StoreError> {
        self.lock().execute(
            "UPDATE members SET failed_logins = failed_logins + 1, locked_until = coalesce(?2, locked_until) WHERE id = ?1",
            params![id.as_str(), lock_until.map(Timestamp::millis)],
        )?;
        Ok(())
    }

    fn login_succeeded(&self, id: &MemberId) -> Result<(), StoreError> {
        self.lock().execute(
            "UPDATE members SET failed_logins = 0, locked_until = NULL WHERE id = ?1",
            [id.as_str()],
        )?;
        Ok(())
    }

    fn session_put(&self, token_hash: &[u8; 32], s: &SessionRow) -> Result<(), StoreError> {
        self.lock().execute(
            "INSERT OR REPLACE INTO sessions (token_hash, member_id, csrf, mfa_pending, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![&token_hash[..], s.member.as_str(), s.csrf, s.mfa_pending, s.expires_at.millis()],
        )?;
        Ok(())
    }

    fn session(
        &self,
        token_hash: &[u8; 32],
        now: Timestamp,
    ) -> Result<Option<SessionRow>, StoreError> {
        let row: Option<(String, String, bool, i64)> = self
            .read()?
            .prepare_cached(
                "SELECT member_id, csrf, mfa_pending, expires_at FROM sessions WHERE token_hash = ?1 AND expires_at > ?2",
            )?
            .query_row(params![&token_hash[..], now.millis()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        row.map(session_row).transpose()
    }

    fn session_delete(&self, token_hash: &[u8; 32]) -> Result<(), StoreError> {
        self.lock().execute(
            "DELETE FROM sessions WHERE token_hash = ?1",
            [&token_hash[..]],
        )?;
        Ok(())
    }

    fn token_member(&self, token_hash: &[u8; 32]) -> Result<Option<MemberRow>, StoreError> {
        let sql = format!(
            "SELECT {} FROM members m JOIN api_tokens t ON t.member_id = m.id WHERE t.token_hash = ?1",
            MEMBER_COLUMNS
                .split(", ")
                .map(|c| format!("m.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        self.read()?
            .prepare_cached(&sql)?
            .query_row([&token_hash[..]], member_cols)
            .optional()?
            .map(member_row)
            .transpose()
    }

    fn api_tokens(&self) -> Result<Vec<ApiTokenRow>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare(
            "SELECT token_hash, member_id, created_at FROM api_tokens ORDER BY created_at, token_hash",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        rows.map(|row| {
            let (hash, member, created) = row?;
            ApiTokenRow::from_columns(&hash, &member, created)
        })
        .collect()
    }

    fn edicts(&self) -> Result<Vec<Edict>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare("SELECT content FROM edicts ORDER BY date, id")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|r| {
            serde_json::from_str(&r?).map_err(|e| StoreError::Corrupt(format!("edict: {e}")))
        })
        .collect()
    }

    fn incident(&self, org: &OrgId, id: &IncidentId) -> Result<Option<IncidentRow>, StoreError> {
        let sql = format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = ?1 AND org_id = ?2");
        self.read()?
            .prepare_cached(&sql)?
            .query_row([id.as_str(), org.as_str()], incident_cols)
            .optional()?
            .map(incident_row)
            .transpose()
    }

    fn incidents(
        &self,
        org: &OrgId,
        q: &IncidentQuery,
    ) -> Result<(Vec<IncidentListRow>, u64), StoreError> {
        let mut conn = self.read()?;
        // The total, the list version and the page come from one snapshot. The total is read
        // from `incident_counts` (kept by triggers, migration 0006), never counted per request.
        let tx = conn.transaction()?;
        let province = q.province.as_deref();
        let total: i64 = match province {
            None => tx
                .prepare_cached(
                    "SELECT coalesce(sum(n), 0) FROM incident_counts WHERE org_id = ?1",
                )?
                .query_row([org.as_str()], |r| r.get(0))?,
            Some(p) => tx
                .prepare_cached(
                    "SELECT coalesce(sum(n), 0) FROM incident_counts WHERE org_id = ?1 AND province = ?2",
                )?
                .query_row([org.as_str(), p], |r| r.get(0))?,
        };
        let total = to_u64(total)?;
        if q.offset >= total || q.limit == 0 {
            return Ok((Vec::new(), total));
        }
        // An index serves the order and the filter (`incidents_org_date`, or
        // `incidents_org_province_date` with a province). A deep page starts from the key of
        // a known position at or before it (see [`ListAnchors`]), so it skips fewer than
        // `stride` index entries instead of `offset`.
        let (_, filter) = list_filter(province);
        let stride = self.anchors.stride;
        let anchor = if q.offset >= stride {
            let version: i64 = tx
                .prepare_cached(
                    "SELECT coalesce(max(v), 0) FROM incident_list_versions WHERE org_id = ?1",
                )?
                .query_row([org.as_str()], |r| r.get(0))?;
            let anchors = self.anchors.get(&tx, org, province, version, filter)?;
            usize::try_from(q.offset / stride - 1)
                .ok()
                .and_then(|j| anchors.get(j).cloned())
        } else {
            None
        };
        let skip = match &anchor {
            Some(_) => q.offset % stride,
            None => q.offset,
        };
        let sql = page_sql(q, anchor.is_some());
        let mut stmt = tx.prepare_cached(&sql)?;
        let (limit, skip) = (to_i64(q.limit)?, to_i64(skip)?);
        let org = org.as_str();
        let mut args: Vec<(&str, &dyn rusqlite::ToSql)> =
            vec![(":org", &org), (":limit", &limit), (":skip", &skip)];
        if let Some(p) = &province {
            args.push((":province", p));
        }
        if let Some((date, id)) = &anchor {
            args.push((":date", date));
            args.push((":id", id));
        }
        let rows = stmt.query_map(args.as_slice(), |r| ListCols::try_from(r))?;
        let rows = rows.map(|r| list_row(r?)).collect::<Result<Vec<_>, _>>()?;
        Ok((rows, total))
    }

    fn versions(&self, subject: &str) -> Result<Vec<RecordVersion>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare("SELECT version, log_index, content, salt FROM record_versions WHERE subject = ?1 ORDER BY version")?;
        let rows = stmt.query_map([subject], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, Vec<u8>>(3)?,
            ))
        })?;
        rows.map(|r| version_row(subject, r?)).collect()
    }

    fn endorsements(&self) -> Result<Vec<(OrgRow, Timestamp)>, StoreError> {
        let conn = self.read()?;
        let mut stmt = conn.prepare("SELECT o.id, o.name, e.created_at FROM endorsements e JOIN orgs o ON o.id = e.org_id ORDER BY e.created_at")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)?)))?;
        rows.map(|r| {
            let (id, name, t) = r?;
            Ok((org_row(id, name)?, Timestamp::from_millis(t)))
        })
        .collect()
    }
}

#[cfg(test)]
mod list_tests {
    use gawah_core::incident::IncidentInput;

    use super::*;
    use crate::sqlite::OpenMode;

    const PROVINCES: [&str; 3] = ["AF-KAB", "AF-HER", "AF-BAL"];

    /// Inserts `n` incidents of `org` straight into the table (the list reads only the
    /// table; the ledger path is tested elsewhere), with repeated dates so that ties are
    /// broken by id.
    fn insert(store: &SqliteStore, org: &OrgId, n: usize) -> Vec<IncidentId> {
        let conn = store.lock();
        conn.execute(
            "INSERT OR IGNORE INTO orgs (id, name, created_at) VALUES (?1, ?1, 0)",
            [org.as_str()],
        )
        .unwrap();
        (0..n)
            .map(|i| {
                let id = IncidentId::random().unwrap();
                let province = PROVINCES[i % PROVINCES.len()];
                let date = format!("2023-{:02}-{:02}", 1 + i % 12, 1 + i % 5);
                let incident = IncidentInput {
                    title: format!("incident {i}"),
                    date: date.clone(),
                    province: province.into(),
                    ..Default::default()
                }
                .validate()
                .unwrap();
                conn.execute(
                    "INSERT INTO incidents (id, org_id, title, date, province, verification_status, content, version, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, 'unverified', ?6, 1, 0, 0)",
                    params![id.as_str(), org.as_str(), incident.title, date, province, json(&incident).unwrap()],
                )
                .unwrap();
                id
            })
            .collect()
    }

    /// The page as a plain `count(*)` and `OFFSET` query gives it.
    fn expected(store: &SqliteStore, org: &OrgId, q: &IncidentQuery) -> (Vec<String>, u64) {
        let conn = store.lock();
        let filter = "org_id = ?1 AND (?2 IS NULL OR province = ?2)";
        let total: i64 = conn
            .query_row(
                &format!("SELECT count(*) FROM incidents WHERE {filter}"),
                params![org.as_str(), q.province],
                |r| r.get(0),
            )
            .unwrap();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT id FROM incidents WHERE {filter} ORDER BY date DESC, id LIMIT ?3 OFFSET ?4"
            ))
            .unwrap();
        let ids = stmt
            .query_map(
                params![org.as_str(), q.province, q.limit as i64, q.offset as i64],
                |r| r.get(0),
            )
            .unwrap()
            .collect::<Result<Vec<String>, _>>()
            .unwrap();
        (ids, total as u64)
    }

    fn listed(store: &SqliteStore, org: &OrgId, q: &IncidentQuery) -> (Vec<String>, u64) {
        let (rows, total) = store.incidents(org, q).unwrap();
        (rows.iter().map(|r| r.id.to_string()).collect(), total)
    }

    /// A store whose list positions are 4 apart, so that small lists exercise them.
    fn small_stride(mut store: SqliteStore) -> SqliteStore {
        store.anchors = ListAnchors::new(4);
        store
    }

    fn check_every_page(store: &SqliteStore, org: &OrgId) {
        for province in [None, Some("AF-HER".to_owned()), Some("AF-NIM".to_owned())] {
            for (limit, content) in [(1, true), (7, false), (50, true)] {
                for offset in 0..45 {
                    let q = IncidentQuery {
                        province: province.clone(),
                        offset,
                        limit,
                        content,
                    };
                    assert_eq!(listed(store, org, &q), expected(store, org, &q), "{q:?}");
                }
            }
        }
    }

    /// Pages and totals equal those of a plain count and offset query, from either end of
    /// the index, after inserts, moves and deletes.
    #[test]
    fn pages_and_totals_match_a_plain_query() {
        let dir = tempfile::tempdir().unwrap();
        let store = small_stride(SqliteStore::create(&dir.path().join("db")).unwrap());
        let (a, b) = (OrgId::random().unwrap(), OrgId::random().unwrap());
        let ids = insert(&store, &a, 40);
        insert(&store, &b, 5);
        check_every_page(&store, &a);
        check_every_page(&store, &b);
        {
            let conn = store.lock();
            conn.execute(
                "UPDATE incidents SET province = 'AF-NIM' WHERE id = ?1",
                [ids[0].as_str()],
            )
            .unwrap();
            conn.execute("DELETE FROM incidents WHERE id = ?1", [ids[1].as_str()])
                .unwrap();
            conn.execute(
                "UPDATE incidents SET title = 'renamed' WHERE id = ?1",
                [ids[2].as_str()],
            )
            .unwrap();
        }
        check_every_page(&store, &a);
        assert_eq!(listed(&store, &a, &IncidentQuery::default()).1, 39);
        // A new date moves an incident in the list; cached positions must not survive it.
        for (i, id) in ids.iter().enumerate().skip(3).step_by(5) {
            store
                .lock()
                .execute(
                    "UPDATE incidents SET date = ?2 WHERE id = ?1",
                    params![id.as_str(), format!("2024-02-{:02}", 1 + i % 3)],
                )
                .unwrap();
            check_every_page(&store, &a);
        }
        insert(&store, &a, 3);
        check_every_page(&store, &a);
    }

    /// A database from before migration 0006 gets its counts from the rows it holds.
    #[test]
    fn the_migration_backfills_the_counts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let org = OrgId::random().unwrap();
        {
            let store = SqliteStore::create(&path).unwrap();
            insert(&store, &org, 10);
            store
                .lock()
                .execute_batch(
                    "DROP TRIGGER incident_counts_insert; DROP TRIGGER incident_counts_delete;
                     DROP TRIGGER incident_counts_move; DROP INDEX incidents_org_province_date;
                     DROP TABLE incident_counts; DROP TABLE incident_list_versions;
                     PRAGMA user_version = 5;",
                )
                .unwrap();
        }
        let store = small_stride(SqliteStore::open(&path, OpenMode::Checked).unwrap());
        check_every_page(&store, &org);
        assert_eq!(listed(&store, &org, &IncidentQuery::default()).1, 10);
    }

    /// Both shapes of the page query walk an index in order: no table scan, no sort; a page
    /// of the whole list without content reads the index alone.
    #[test]
    fn the_page_query_uses_the_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::create(&dir.path().join("db")).unwrap();
        let conn = store.lock();
        for (province, index) in [
            (None, "incidents_org_date"),
            (Some("AF-HER".to_owned()), "incidents_org_province_date"),
        ] {
            for (anchored, seek) in [(false, "=?)"), (true, "date<?)")] {
                for content in [false, true] {
                    let q = IncidentQuery {
                        province: province.clone(),
                        content,
                        ..Default::default()
                    };
                    let sql = format!("EXPLAIN QUERY PLAN {}", page_sql(&q, anchored));
                    let mut stmt = conn.prepare(&sql).unwrap();
                    let nulls = vec![rusqlite::types::Null; stmt.parameter_count()];
                    let plan = stmt
                        .query_map(rusqlite::params_from_iter(nulls), |r| r.get::<_, String>(3))
                        .unwrap()
                        .collect::<Result<Vec<_>, _>>()
                        .unwrap()
                        .join("; ");
                    let using = if !content && province.is_none() {
                        format!("USING COVERING INDEX {index}")
                    } else {
                        format!("USING INDEX {index}")
                    };
                    assert!(plan.contains(&using), "{plan}");
                    // The anchored page starts inside the index: `date<?` in the seek.
                    assert!(plan.contains(seek), "{plan}");
                    assert!(!plan.contains("TEMP B-TREE"), "{plan}");
                }
            }
        }
    }

    /// Reads do not wait for the writer: a list is served while a write transaction is
    /// open, and does not see its uncommitted rows.
    #[test]
    fn reads_run_beside_an_open_write() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::create(&dir.path().join("db")).unwrap();
        let org = OrgId::random().unwrap();
        insert(&store, &org, 3);
        let mut conn = store.lock();
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .unwrap();
        tx.execute(
            "UPDATE incidents SET province = 'AF-NIM' WHERE org_id = ?1",
            [org.as_str()],
        )
        .unwrap();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    let q = IncidentQuery {
                        province: Some("AF-NIM".into()),
                        offset: 0,
                        limit: 10,
                        content: true,
                    };
                    assert_eq!(store.incidents(&org, &q).unwrap().1, 0);
                    let all = store.incidents(&org, &IncidentQuery::default()).unwrap();
                    assert_eq!(all.1, 3);
                });
            }
        });
        tx.commit().unwrap();
        drop(conn);
        let q = IncidentQuery {
            province: Some("AF-NIM".into()),
            offset: 0,
            limit: 10,
            content: false,
        };
        assert_eq!(store.incidents(&org, &q).unwrap().0.len(), 3);
    }
}
