//! The case database on PostgreSQL: organisations, members, credentials, edicts,
//! endorsements and record versions. Writes run inside [`Store::commit`](crate::Store::commit)'s
//! transaction (dispatched from `append`); reads and the authentication updates that are not
//! records (sessions, failed-login counters) go through the pool. Same SQL meaning as
//! `sqlite_records.rs`; incidents are in `incidents`.

use gawah_core::edict::Edict;
use gawah_core::{IncidentId, MemberId, OrgId, Salt, Timestamp};
use postgres::{GenericClient, Row};

use super::PgStore;
use super::error::from_pg;
use crate::error::StoreError;
use crate::records::{
    ApiTokenRow, IncidentListRow, IncidentQuery, IncidentRow, MemberRow, NewMember, OrgRow,
    RecordStore, RecordVersion, SessionRow,
};
use crate::sqlite_records::{self, MemberCols, org_row, session_row, version_row};

pub(crate) fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

pub(crate) fn json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Invalid(e.to_string()))
}

/// A violated constraint (SQLSTATE class 23: unique, foreign key, check, not null) as
/// [`StoreError::Invalid`] with `message`, as SQLite's code answers a constraint violation;
/// any other error as [`from_pg`] maps it.
pub(crate) fn constraint(e: postgres::Error, message: &str) -> StoreError {
    if e.code().is_some_and(|c| c.code().starts_with("23")) {
        StoreError::Invalid(message.to_owned())
    } else {
        from_pg(e)
    }
}

/// A flag column (0 or 1) as stored.
pub(crate) fn flag(b: bool) -> i64 {
    i64::from(b)
}

/// Stores one version of a record: the salt of its commitment and its content (sealed).
pub(crate) fn insert_version(
    tx: &mut impl GenericClient,
    subject: &str,
    version: i64,
    idx: i64,
    salt: &Salt,
    content: &[u8],
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO record_versions (subject, version, log_index, salt, content)
         VALUES ($1, $2, $3, $4, $5)",
        &[&subject, &version, &idx, &&salt.0[..], &content],
    )
    .map_err(from_pg)?;
    Ok(())
}

/// `RecordWrite::Org`.
pub(crate) fn write_org(
    tx: &mut impl GenericClient,
    now: i64,
    id: &OrgId,
    name: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO orgs (id, name, created_at) VALUES ($1, $2, $3)",
        &[&id.as_str(), &name, &now],
    )
    .map_err(|e| constraint(e, &format!("an organisation named {name:?} exists")))?;
    Ok(())
}

/// `RecordWrite::Member`.
pub(crate) fn write_member(
    tx: &mut impl GenericClient,
    now: i64,
    m: &NewMember,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO members (id, org_id, username, role, password_hash, totp_secret, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            &m.id.as_str(),
            &m.org.as_str(),
            &m.username,
            &m.role.as_str(),
            &m.password_hash,
            &m.totp_secret,
            &now,
        ],
    )
    .map_err(|e| constraint(e, &format!("the username {:?} is taken", m.username)))?;
    Ok(())
}

/// `RecordWrite::ApiToken`.
pub(crate) fn write_api_token(
    tx: &mut impl GenericClient,
    now: i64,
    member: &MemberId,
    token_hash: &[u8; 32],
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO api_tokens (token_hash, member_id, created_at) VALUES ($1, $2, $3)",
        &[&&token_hash[..], &member.as_str(), &now],
    )
    .map_err(from_pg)?;
    Ok(())
}

/// `RecordWrite::RevokeApiToken`: the member's token deleted; `NotFound` if there is none.
pub(crate) fn revoke_api_token(
    tx: &mut impl GenericClient,
    member: &MemberId,
    token_hash: &[u8; 32],
) -> Result<(), StoreError> {
    let gone = tx
        .execute(
            "DELETE FROM api_tokens WHERE token_hash = $1 AND member_id = $2",
            &[&&token_hash[..], &member.as_str()],
        )
        .map_err(from_pg)?;
    if gone == 0 {
        return Err(StoreError::NotFound("no such API token".into()));
    }
    Ok(())
}

/// `RecordWrite::Edict`: a new edict, or a new text of one (its incidents keep their links).
pub(crate) fn write_edict(tx: &mut impl GenericClient, e: &Edict) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO edicts (id, date, domain, content) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE
             SET date = EXCLUDED.date, domain = EXCLUDED.domain, content = EXCLUDED.content",
        &[&e.id, &e.date, &e.domain, &json(e)?],
    )
    .map_err(from_pg)?;
    Ok(())
}

/// `RecordWrite::Endorsement`: once per organisation; a second one keeps the first time.
pub(crate) fn write_endorsement(
    tx: &mut impl GenericClient,
    now: i64,
    org: &OrgId,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO endorsements (org_id, created_at) VALUES ($1, $2)
         ON CONFLICT (org_id) DO NOTHING",
        &[&org.as_str(), &now],
    )
    .map_err(from_pg)?;
    Ok(())
}

const MEMBER_COLUMNS: &str = "m.id, m.org_id, m.username, m.role, m.password_hash, \
     m.totp_secret, m.failed_logins, m.locked_until";

/// A member row read into SQLite's [`MemberCols`] and checked by the same
/// [`sqlite_records::member_row`].
fn member_row(r: &Row) -> Result<MemberRow, StoreError> {
    let get = |e: postgres::Error| corrupt("member row", e);
    let cols: MemberCols = (
        r.try_get(0).map_err(get)?,
        r.try_get(1).map_err(get)?,
        r.try_get(2).map_err(get)?,
        r.try_get(3).map_err(get)?,
        r.try_get(4).map_err(get)?,
        r.try_get(5).map_err(get)?,
        r.try_get(6).map_err(get)?,
        r.try_get(7).map_err(get)?,
    );
    sqlite_records::member_row(cols)
}

impl PgStore {
    /// A member found by `filter` (on `members m`, with `$1` the argument).
    fn member_where<A>(&self, filter: &'static str, arg: A) -> Result<Option<MemberRow>, StoreError>
    where
        A: postgres::types::ToSql + Sync + Send + 'static,
    {
        let sql = format!("SELECT {MEMBER_COLUMNS} FROM {filter}");
        let row = self
            .pool
            .read(move |c| c.query_opt(&sql, &[&arg]).map_err(from_pg))?;
        row.as_ref().map(member_row).transpose()
    }
}

impl RecordStore for PgStore {
    fn orgs(&self) -> Result<Vec<OrgRow>, StoreError> {
        let rows = self.pool.read(|c| {
            c.query("SELECT id, name FROM orgs ORDER BY name", &[])
                .map_err(from_pg)
        })?;
        rows.iter().map(|r| org_row(r.get(0), r.get(1))).collect()
    }

    fn org_by_name(&self, name: &str) -> Result<Option<OrgRow>, StoreError> {
        let name = name.to_owned();
        let row = self.pool.read(move |c| {
            c.query_opt("SELECT id, name FROM orgs WHERE name = $1", &[&name])
                .map_err(from_pg)
        })?;
        row.map(|r| org_row(r.get(0), r.get(1))).transpose()
    }

    fn member_by_username(&self, username: &str) -> Result<Option<MemberRow>, StoreError> {
        self.member_where("members m WHERE m.username = $1", username.to_owned())
    }

    fn member(&self, id: &MemberId) -> Result<Option<MemberRow>, StoreError> {
        self.member_where("members m WHERE m.id = $1", id.as_str().to_owned())
    }

    fn login_failed(&self, id: &MemberId, lock_until: Option<Timestamp>) -> Result<(), StoreError> {
        let (id, lock) = (id.as_str().to_owned(), lock_until.map(Timestamp::millis));
        self.pool.transaction(move |c| {
            c.execute(
                "UPDATE members SET failed_logins = failed_logins + 1,
                     locked_until = coalesce($2::bigint, locked_until)
                 WHERE id = $1",
                &[&id, &lock],
            )
            .map_err(from_pg)?;
            Ok(())
        })
    }

    fn login_succeeded(&self, id: &MemberId) -> Result<(), StoreError> {
        let id = id.as_str().to_owned();
        self.pool.transaction(move |c| {
            c.execute(
                "UPDATE members SET failed_logins = 0, locked_until = NULL WHERE id = $1",
                &[&id],
            )
            .map_err(from_pg)?;
            Ok(())
        })
    }

    fn session_put(&self, token_hash: &[u8; 32], s: &SessionRow) -> Result<(), StoreError> {
        let (hash, s) = (token_hash.to_vec(), s.clone());
        self.pool.transaction(move |c| {
            c.execute(
                "INSERT INTO sessions (token_hash, member_id, csrf, mfa_pending, expires_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (token_hash) DO UPDATE
                     SET member_id = EXCLUDED.member_id, csrf = EXCLUDED.csrf,
                         mfa_pending = EXCLUDED.mfa_pending, expires_at = EXCLUDED.expires_at",
                &[
                    &hash,
                    &s.member.as_str(),
                    &s.csrf,
                    &flag(s.mfa_pending),
                    &s.expires_at.millis(),
                ],
            )
            .map_err(from_pg)?;
            Ok(())
        })
    }

    fn session(
        &self,
        token_hash: &[u8; 32],
        now: Timestamp,
    ) -> Result<Option<SessionRow>, StoreError> {
        let (hash, now) = (token_hash.to_vec(), now.millis());
        let row = self.pool.read(move |c| {
            c.query_opt(
                "SELECT member_id, csrf, mfa_pending, expires_at FROM sessions
                 WHERE token_hash = $1 AND expires_at > $2",
                &[&hash, &now],
            )
            .map_err(from_pg)
        })?;
        row.map(|r| session_row((r.get(0), r.get(1), r.get::<_, i64>(2) != 0, r.get(3))))
            .transpose()
    }

    fn session_delete(&self, token_hash: &[u8; 32]) -> Result<(), StoreError> {
        let hash = token_hash.to_vec();
        self.pool.transaction(move |c| {
            c.execute("DELETE FROM sessions WHERE token_hash = $1", &[&hash])
                .map_err(from_pg)?;
            Ok(())
        })
    }

    fn token_member(&self, token_hash: &[u8; 32]) -> Result<Option<MemberRow>, StoreError> {
        self.member_where(
            "members m JOIN api_tokens t ON t.member_id = m.id WHERE t.token_hash = $1",
            token_hash.to_vec(),
        )
    }

    fn api_tokens(&self) -> Result<Vec<ApiTokenRow>, StoreError> {
        let rows = self.pool.read(|c| {
            c.query(
                "SELECT token_hash, member_id, created_at FROM api_tokens
                 ORDER BY created_at, token_hash",
                &[],
            )
            .map_err(from_pg)
        })?;
        rows.iter()
            .map(|r| {
                let get = |e: postgres::Error| corrupt("api token row", e);
                let hash: Vec<u8> = r.try_get(0).map_err(get)?;
                let member: String = r.try_get(1).map_err(get)?;
                ApiTokenRow::from_columns(&hash, &member, r.try_get(2).map_err(get)?)
            })
            .collect()
    }

    fn edicts(&self) -> Result<Vec<Edict>, StoreError> {
        let rows = self.pool.read(|c| {
            c.query("SELECT content FROM edicts ORDER BY date, id", &[])
                .map_err(from_pg)
        })?;
        rows.iter()
            .map(|r| serde_json::from_str(r.get(0)).map_err(|e| corrupt("edict", e)))
            .collect()
    }

    fn versions(&self, subject: &str) -> Result<Vec<RecordVersion>, StoreError> {
        let s = subject.to_owned();
        let rows = self.pool.read(move |c| {
            c.query(
                "SELECT version, log_index, content, salt FROM record_versions
                 WHERE subject = $1 ORDER BY version",
                &[&s],
            )
            .map_err(from_pg)
        })?;
        rows.iter()
            .map(|r| version_row(subject, (r.get(0), r.get(1), r.get(2), r.get(3))))
            .collect()
    }

    fn endorsements(&self) -> Result<Vec<(OrgRow, Timestamp)>, StoreError> {
        // Ties in time (two endorsements in one millisecond) by organisation id, so that the
        // order never depends on the plan.
        let rows = self.pool.read(|c| {
            c.query(
                "SELECT o.id, o.name, e.created_at FROM endorsements e JOIN orgs o ON o.id = e.org_id
                 ORDER BY e.created_at, e.org_id",
                &[],
            )
            .map_err(from_pg)
        })?;
        rows.iter()
            .map(|r| {
                Ok((
                    org_row(r.get(0), r.get(1))?,
                    Timestamp::from_millis(r.get(2)),
                ))
            })
            .collect()
    }

    fn incident(&self, org: &OrgId, id: &IncidentId) -> Result<Option<IncidentRow>, StoreError> {
        self.pg_incident(org, id)
    }

    fn incidents(
        &self,
        org: &OrgId,
        q: &IncidentQuery,
    ) -> Result<(Vec<IncidentListRow>, u64), StoreError> {
        self.pg_incidents(org, q)
    }
}
