//! The case database on SQLite: record writes inside [`Store::commit`](crate::Store::commit)'s
//! transaction, and the [`RecordStore`] reads.

use gawah_core::edict::Edict;
use gawah_core::incident::Incident;
use gawah_core::{IncidentId, MemberId, OrgId, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::StoreError;
use crate::records::{
    IncidentQuery, IncidentRow, IncidentWrite, MemberRow, OrgRow, RecordStore, RecordVersion,
    SessionRow,
};
use crate::sqlite::{SqliteStore, to_i64, to_u64};
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
        RecordWrite::Edict(e) => {
            tx.execute(
                "INSERT OR REPLACE INTO edicts (id, date, domain, content) VALUES (?1, ?2, ?3, ?4)",
                params![e.id, e.date, e.domain, json(e)?],
            )?;
        }
        RecordWrite::Incident(w) => write_incident(tx, idx, now, w)?,
        RecordWrite::Evidence(e) => crate::sqlite_uploads::write_evidence(tx, idx, now, e)?,
        RecordWrite::Endorsement { org } => {
            tx.execute(
                "INSERT OR IGNORE INTO endorsements (org_id, created_at) VALUES (?1, ?2)",
                params![org.as_str(), now],
            )?;
        }
    }
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
    let content = json(i)?;
    let version = to_i64(w.version)?;
    if w.version == 1 {
        tx.execute(
            "INSERT INTO incidents (id, org_id, ref, title, date, province, verification_status, content, version, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?9)",
            params![w.id.as_str(), w.org.as_str(), i.reference, i.title, i.date, i.province, i.verification_status, content, now],
        )?;
    } else {
        let changed = tx.execute(
            "UPDATE incidents SET ref = ?3, title = ?4, date = ?5, province = ?6, verification_status = ?7,
                 content = ?8, version = ?9, updated_at = ?10
             WHERE id = ?1 AND org_id = ?2 AND version = ?9 - 1",
            params![w.id.as_str(), w.org.as_str(), i.reference, i.title, i.date, i.province, i.verification_status, content, version, now],
        )?;
        if changed != 1 {
            return Err(StoreError::Conflict(format!(
                "{} was changed by someone else; reload and try again",
                w.id
            )));
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
    tx.execute(
        "INSERT INTO record_versions (subject, version, log_index, salt, content) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![w.id.as_str(), version, idx, &w.salt.0[..], w.content],
    )?;
    Ok(())
}

type MemberCols = (
    String,
    String,
    String,
    String,
    String,
    Option<Vec<u8>>,
    i64,
    Option<i64>,
);

const MEMBER_COLUMNS: &str =
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

fn member_row(c: MemberCols) -> Result<MemberRow, StoreError> {
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

type IncidentCols = (String, String, String, i64, i64, i64);
const INCIDENT_COLUMNS: &str = "id, org_id, content, version, created_at, updated_at";

fn incident_cols(r: &rusqlite::Row<'_>) -> rusqlite::Result<IncidentCols> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

fn incident_row(c: IncidentCols) -> Result<IncidentRow, StoreError> {
    let (id, org, content, version, created, updated) = c;
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
    })
}

fn org_row(id: String, name: String) -> Result<OrgRow, StoreError> {
    Ok(OrgRow {
        id: id
            .parse()
            .map_err(|e: gawah_core::IdError| StoreError::Corrupt(e.to_string()))?,
        name,
    })
}

impl RecordStore for SqliteStore {
    fn orgs(&self) -> Result<Vec<OrgRow>, StoreError> {
        let conn = self.lock();
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
            .lock()
            .query_row("SELECT id, name FROM orgs WHERE name = ?1", [name], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        row.map(|(id, name)| org_row(id, name)).transpose()
    }

    fn member_by_username(&self, username: &str) -> Result<Option<MemberRow>, StoreError> {
        let sql = format!("SELECT {MEMBER_COLUMNS} FROM members WHERE username = ?1");
        self.lock()
            .query_row(&sql, [username], member_cols)
            .optional()?
            .map(member_row)
            .transpose()
    }

    fn member(&self, id: &MemberId) -> Result<Option<MemberRow>, StoreError> {
        let sql = format!("SELECT {MEMBER_COLUMNS} FROM members WHERE id = ?1");
        self.lock()
            .query_row(&sql, [id.as_str()], member_cols)
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
            .lock()
            .query_row(
                "SELECT member_id, csrf, mfa_pending, expires_at FROM sessions WHERE token_hash = ?1 AND expires_at > ?2",
                params![&token_hash[..], now.millis()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        row.map(|(member, csrf, mfa_pending, expires)| {
            Ok(SessionRow {
                member: member
                    .parse()
                    .map_err(|e: gawah_core::IdError| StoreError::Corrupt(e.to_string()))?,
                csrf,
                mfa_pending,
                expires_at: Timestamp::from_millis(expires),
            })
        })
        .transpose()
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
        self.lock()
            .query_row(&sql, [&token_hash[..]], member_cols)
            .optional()?
            .map(member_row)
            .transpose()
    }

    fn edicts(&self) -> Result<Vec<Edict>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare("SELECT content FROM edicts ORDER BY date, id")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|r| {
            serde_json::from_str(&r?).map_err(|e| StoreError::Corrupt(format!("edict: {e}")))
        })
        .collect()
    }

    fn incident(&self, org: &OrgId, id: &IncidentId) -> Result<Option<IncidentRow>, StoreError> {
        let sql = format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = ?1 AND org_id = ?2");
        self.lock()
            .query_row(&sql, [id.as_str(), org.as_str()], incident_cols)
            .optional()?
            .map(incident_row)
            .transpose()
    }

    fn incidents(
        &self,
        org: &OrgId,
        q: &IncidentQuery,
    ) -> Result<(Vec<IncidentRow>, u64), StoreError> {
        let conn = self.lock();
        let filter = "org_id = ?1 AND (?2 IS NULL OR province = ?2)";
        let total: i64 = conn.query_row(
            &format!("SELECT count(*) FROM incidents WHERE {filter}"),
            params![org.as_str(), q.province],
            |r| r.get(0),
        )?;
        let sql = format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents WHERE {filter} ORDER BY date DESC, id LIMIT ?3 OFFSET ?4"
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(
            params![
                org.as_str(),
                q.province,
                to_i64(q.limit)?,
                to_i64(q.offset)?
            ],
            incident_cols,
        )?;
        let rows = rows
            .map(|r| incident_row(r?))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((rows, to_u64(total)?))
    }

    fn versions(&self, subject: &str) -> Result<Vec<RecordVersion>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare("SELECT version, log_index, content FROM record_versions WHERE subject = ?1 ORDER BY version")?;
        let rows = stmt.query_map([subject], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        })?;
        rows.map(|r| {
            let (v, i, content) = r?;
            Ok(RecordVersion {
                version: to_u64(v)?,
                log_index: to_u64(i)?,
                content,
            })
        })
        .collect()
    }

    fn endorsements(&self) -> Result<Vec<(OrgRow, Timestamp)>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare("SELECT o.id, o.name, e.created_at FROM endorsements e JOIN orgs o ON o.id = e.org_id ORDER BY e.created_at")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)?)))?;
        rows.map(|r| {
            let (id, name, t) = r?;
            Ok((org_row(id, name)?, Timestamp::from_millis(t)))
        })
        .collect()
    }
}
