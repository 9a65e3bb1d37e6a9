//! Erasure requests and the access report on PostgreSQL: the [`DispositionStore`] reads
//! (the erasure writes are in `people`, beside the records they erase).

use gawah_core::{OrgId, Timestamp};

use super::PgStore;
use super::error::from_pg;
use super::records::corrupt;
use crate::error::StoreError;
use crate::records::{DispositionStore, ErasureRow};
use crate::sqlite::{to_i64, to_u64};
use crate::store::CustodyEvent;

impl DispositionStore for PgStore {
    fn erasures(&self, org: &OrgId) -> Result<Vec<ErasureRow>, StoreError> {
        let org = org.as_str().to_owned();
        let rows = self.pool.read(move |c| {
            c.query(
                "SELECT id, record, requested_by, request_index, approved_by, approve_index
                 FROM erasure_requests WHERE org_id = $1 ORDER BY request_index DESC",
                &[&org],
            )
            .map_err(from_pg)
        })?;
        rows.iter()
            .map(|r| {
                let (id, by, approved): (String, String, Option<String>) =
                    (r.get(0), r.get(2), r.get(4));
                let approve_index: Option<i64> = r.get(5);
                Ok(ErasureRow {
                    id: id.parse().map_err(|e| corrupt("erasure id", e))?,
                    record: r.get(1),
                    requested_by: by.parse().map_err(|e| corrupt("erasure requester", e))?,
                    request_index: to_u64(r.get(3))?,
                    approved_by: approved
                        .map(|a| a.parse())
                        .transpose()
                        .map_err(|e| corrupt("erasure approver", e))?,
                    approve_index: approve_index.map(to_u64).transpose()?,
                })
            })
            .collect()
    }

    fn custody_by_actor(&self, actor: &str, limit: u64) -> Result<Vec<CustodyEvent>, StoreError> {
        let (actor, limit) = (actor.to_owned(), to_i64(limit)?);
        let rows = self.pool.read(move |c| {
            c.query(
                "SELECT log_index, subject, action, actor, time FROM custody_events
                 WHERE actor = $1 ORDER BY log_index DESC LIMIT $2",
                &[&actor, &limit],
            )
            .map_err(from_pg)
        })?;
        rows.iter()
            .map(|r| {
                Ok(CustodyEvent {
                    log_index: to_u64(r.get(0))?,
                    subject: r.get(1),
                    action: r.get(2),
                    actor: r.get(3),
                    time: Timestamp::from_millis(r.get(4)),
                })
            })
            .collect()
    }
}
