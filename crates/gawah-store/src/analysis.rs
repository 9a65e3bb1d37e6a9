//! Reads for search, analysis and public figures, and links between incidents.
//!
//! The search index is derived from the incidents table and kept in step by the change
//! sequence: every version of an incident is stored with the log index of the entry that
//! wrote it, and log indexes only grow, so "every incident changed after index `k`" is all a
//! reader needs to catch up, whichever process wrote the change.

use gawah_core::figures::FigureInput;
use gawah_core::{IncidentId, MemberId, OrgId, Timestamp};

use crate::error::StoreError;
use crate::records::IncidentRow;

/// A link between two incidents of one organisation, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkWrite {
    /// The organisation both belong to.
    pub org: OrgId,
    /// One incident.
    pub a: IncidentId,
    /// The other.
    pub b: IncidentId,
    /// Who linked them.
    pub by: MemberId,
}

/// A stored link, seen from one of its incidents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentLink {
    /// The other incident.
    pub other: IncidentId,
    /// What the link says (`duplicate`).
    pub kind: String,
    /// Who linked them (a member id).
    pub actor: String,
    /// The entry that logged it.
    pub log_index: u64,
    /// When.
    pub created_at: Timestamp,
}

/// Reads for the search index, the analysis pages and the public figures.
pub trait AnalysisStore: Send + Sync {
    /// Incidents whose latest change was logged after entry `after`, in log order, at most
    /// `limit`, each with the log index of that change.
    fn incident_changes(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(IncidentRow, u64)>, StoreError>;
    /// The log index of the latest change of any incident (0 if none).
    fn incident_seq(&self) -> Result<u64, StoreError>;
    /// Every incident of an organisation (internal fields), by date.
    fn org_incidents(&self, org: &OrgId) -> Result<Vec<IncidentRow>, StoreError>;
    /// What the public figures may count, from every organisation: incidents not disputed,
    /// whose every testimony consents to anonymised publication (or to named publication,
    /// which includes it) and none of whose testimonies was erased (a withdrawn witness takes
    /// the incident out of the figures).
    fn publishable_incidents(&self) -> Result<Vec<FigureInput>, StoreError>;
    /// The links of an incident, oldest first.
    fn incident_links(
        &self,
        org: &OrgId,
        incident: &IncidentId,
    ) -> Result<Vec<IncidentLink>, StoreError>;
    /// Other incidents of the organisation with an evidence file of the same SHA-256 as one
    /// of this incident's (files stored in the clear only: a sealed file's hash is sealed).
    fn same_file_incidents(
        &self,
        org: &OrgId,
        incident: &IncidentId,
    ) -> Result<Vec<IncidentId>, StoreError>;
}
