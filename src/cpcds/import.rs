//! `import DIR`: every CPCDS file of a folder into the store, in one all-or-nothing transaction.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use csv::StringRecord;
use time::OffsetDateTime;

use super::columns::{ClaimCol, CoverageCol, MemberCol, OrgCol, PractitionerCol, RelatedPersonCol};
use super::directory::{Directory, ProviderInfo};
use super::error::IngestError;
use super::files::{self, FileKind, InputFile};
use super::map::eob::{self, ClaimContext, ClaimKind, MapStats};
use super::map::party::{self, ProviderKind};
use super::map::patient::{self, member_payer_key};
use super::map::Mapped;
use super::newlines::record_line;
use super::row::Row;
use crate::clock::fhir_instant;
use crate::index::{Feed, SearchIndex};
use crate::store::{PreparedResource, ReadTx, ResourceWriter, Store, Upsert};

/// Created / updated / unchanged counts of one resource type.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

impl Counts {
    pub fn total(&self) -> u64 {
        self.created + self.updated + self.unchanged
    }
}

#[derive(Debug, Default, Clone)]
pub struct ImportReport {
    pub files: Vec<(PathBuf, FileKind, u64)>,
    pub by_type: BTreeMap<&'static str, Counts>,
    pub eobs_by_profile: BTreeMap<&'static str, u64>,
    pub stats: MapStats,
    pub placeholders: u64,
    pub claim_rows: u64,
    pub elapsed: Duration,
    /// `Type/id` of every resource created or updated (for the search index).
    pub changed_keys: Vec<String>,
    /// The store generation before and after the import's commit (equal when nothing changed).
    pub store_generations: (u64, u64),
    /// Provenance records written (one per beneficiary whose data changed, one for the
    /// directory): not in `by_type`, which counts what the files held.
    pub provenances: u64,
}

impl ImportReport {
    pub fn eobs(&self) -> u64 {
        self.eobs_by_profile.values().sum()
    }

    pub fn changed(&self) -> u64 {
        self.by_type.values().map(|c| c.created + c.updated).sum()
    }

    /// What the import wrote, for [`crate::index::SearchIndex::catch_up`].
    pub fn written(&self) -> crate::index::Written<'_> {
        crate::index::Written {
            from: self.store_generations.0,
            to: self.store_generations.1,
            keys: &self.changed_keys,
        }
    }
}

/// Progress callback: `(bytes read so far, total bytes)`.
pub type Progress<'a> = &'a mut dyn FnMut(u64, u64);

/// Imports every CPCDS file in `dir`. Nothing is written unless every row of every file maps.
/// Every import (the `import` command, the seed, the background fill) is audited, whether it
/// succeeded or not.
///
/// Mapping (this thread) and writing (a second thread, which owns the redb write transaction)
/// run in parallel; the writer commits only when told the last resource has been sent, so an
/// error anywhere drops the transaction and the store stays as it was.
pub fn import_dir(
    dir: &Path,
    store: &Store,
    now: OffsetDateTime,
    progress: Progress<'_>,
) -> Result<ImportReport, IngestError> {
    import_audited(dir, store, None, now, progress)
}

/// [`import_dir`], and `index` brought up to date in the same pass: the writer hands each
/// resource it stores to the index, which commits right after the store (see
/// [`SearchIndex::write_through`]), so what was imported is searchable when this returns.
pub fn import_indexed(
    dir: &Path,
    store: &Store,
    index: &SearchIndex,
    now: OffsetDateTime,
    progress: Progress<'_>,
) -> Result<ImportReport, IngestError> {
    import_audited(dir, store, Some(index), now, progress)
}

fn import_audited(
    dir: &Path,
    store: &Store,
    index: Option<&SearchIndex>,
    now: OffsetDateTime,
    progress: Progress<'_>,
) -> Result<ImportReport, IngestError> {
    let imported = import_unaudited(dir, store, index, now, progress);
    let (outcome, detail) = match &imported {
        Ok(report) => (
            "success",
            format!(
                "{}: {} resources changed, {} provenance records",
                dir.display(),
                report.changed(),
                report.provenances
            ),
        ),
        Err(e) => ("error", format!("{}: nothing imported: {e}", dir.display())),
    };
    crate::audit::record(
        store,
        crate::audit::AuditRecord {
            at: now.unix_timestamp(),
            event: "import".into(),
            outcome: outcome.into(),
            detail: Some(detail),
            ..crate::audit::AuditRecord::default()
        },
    );
    imported
}

fn import_unaudited(
    dir: &Path,
    store: &Store,
    index: Option<&SearchIndex>,
    now: OffsetDateTime,
    progress: Progress<'_>,
) -> Result<ImportReport, IngestError> {
    let started = Instant::now();
    let inputs = files::scan(dir)?;
    let total_bytes: u64 = inputs.iter().map(|f| f.bytes).sum();
    let last_updated = fhir_instant(now);
    let snapshot = store.read()?;
    let mut report = ImportReport::default();

    let (sink, queue) = mpsc::sync_channel::<Write>(WRITE_QUEUE);
    let stamp = now.unix_timestamp_nanos() / 1_000;
    let written = std::thread::scope(|scope| -> Result<_, IngestError> {
        let writer = scope.spawn(|| match index {
            Some(index) => index.write_through(store, |feed| {
                write_all(store, queue, &last_updated, stamp, Some(feed))
            }),
            None => write_all(store, queue, &last_updated, stamp, None),
        });
        let mut job = Job {
            sink,
            batch: Vec::with_capacity(BATCH),
            snapshot: &snapshot,
            dir: Directory::new(
                inputs.iter().any(|f| f.kind == FileKind::Members),
                inputs.iter().any(|f| {
                    f.kind == FileKind::Coverages && f.layout.has(CoverageCol::CoverageId)
                }),
            ),
            report: &mut report,
            current_file: Arc::from(""),
            done_bytes: 0,
            total_bytes,
            progress,
        };
        let mapped = inputs
            .iter()
            .try_for_each(|file| job.file(file))
            .and_then(|()| job.send_batch());
        if mapped.is_ok() {
            // The writer may already have failed; its own error is then the one to report.
            let _ = job.sink.send(Write::Commit);
        }
        drop(job);
        let written = writer
            .join()
            .map_err(|_| IngestError::file(dir, "the store writer thread panicked"))?;
        mapped?;
        written
    })?;
    report.by_type = written.by_type;
    report.changed_keys = written.changed;
    report.store_generations = written.generations;
    report.provenances = written.provenances;
    report.elapsed = started.elapsed();
    Ok(report)
}

/// How many batches of mapped resources may wait for the writer (bounds memory).
const WRITE_QUEUE: usize = 32;
/// Resources per batch: one channel hand-off (and thread wake-up) per batch, not per resource.
const BATCH: usize = 128;

enum Write {
    /// Resources mapped from one file (its name).
    Put(Vec<Mapped>, Arc<str>),
    /// Everything was sent and mapped without error: commit.
    Commit,
}

/// The writer thread: upserts everything it is sent in one transaction, commits on `Commit`,
/// and aborts (drops the transaction) if the queue closes without it.
fn write_all(
    store: &Store,
    queue: mpsc::Receiver<Write>,
    last_updated: &str,
    stamp: i128,
    mut feed: Option<&mut Feed<'_>>,
) -> Result<Written, IngestError> {
    let tx = store.begin_write()?;
    let mut by_type: BTreeMap<&'static str, Counts> = BTreeMap::new();
    let mut changed = Vec::new();
    let mut commit = false;
    let mut provenance = ProvenanceGroups::default();
    let generations;
    {
        let mut writer = ResourceWriter::new(&tx)?;
        for msg in queue {
            match msg {
                Write::Put(batch, file) => {
                    for mut m in batch {
                        let counts = by_type.entry(m.resource_type).or_default();
                        let upsert = writer.upsert(&m.prepared(), last_updated)?;
                        let replaced = upsert != Upsert::Created;
                        let version = match upsert {
                            Upsert::Created => {
                                counts.created += 1;
                                1
                            }
                            Upsert::Updated { version } => {
                                counts.updated += 1;
                                version
                            }
                            Upsert::Unchanged => {
                                counts.unchanged += 1;
                                continue;
                            }
                        };
                        if let Some(feed) = feed.as_deref_mut() {
                            match m.indexed(version, last_updated) {
                                Some(v) => {
                                    // Unit tests check every one against a parse of the stored JSON.
                                    #[cfg(test)]
                                    assert_same_as_parsed(m.resource_type, writer.last_json(), &v);
                                    feed.stored_pruned(m.resource_type, &m.id, v, replaced)?;
                                }
                                None => {
                                    feed.stored(
                                        m.resource_type,
                                        &m.id,
                                        writer.last_json(),
                                        replaced,
                                    )?;
                                }
                            }
                        }
                        provenance.add(&m, version, &file);
                        changed.push(format!("{}/{}", m.resource_type, m.id));
                    }
                }
                Write::Commit => {
                    commit = true;
                    break;
                }
            }
        }
        // In the same transaction: a resource is never there without its Provenance.
        if commit {
            for (key, p) in provenance.finish(stamp) {
                let (body, meta_at) = provenance_body(&key, &p, last_updated);
                let prepared = PreparedResource {
                    resource_type: "Provenance",
                    id: &key,
                    body: &body,
                    meta_at,
                    profiles: &[crate::fhir::provenance::US_CORE_PROVENANCE],
                };
                let upsert = writer.upsert(&prepared, last_updated)?;
                if upsert != Upsert::Unchanged {
                    if let Some(feed) = feed.as_deref_mut() {
                        let replaced = upsert != Upsert::Created;
                        feed.stored("Provenance", &key, writer.last_json(), replaced)?;
                    }
                    changed.push(format!("Provenance/{key}"));
                    provenance.written += 1;
                }
            }
        }
        generations = writer.generations();
    }
    if commit {
        tx.commit().map_err(crate::store::StoreError::from)?;
        if let Some(feed) = feed {
            feed.committed(generations);
        }
    } else {
        tx.abort().map_err(crate::store::StoreError::from)?;
    }
    Ok(Written {
        by_type,
        changed,
        generations,
        provenances: provenance.written,
    })
}

/// What the import wrote, grouped for its Provenance records: per beneficiary (the owner of
/// each resource in the patient compartment) and one group for the shared directory data.
#[derive(Default)]
struct ProvenanceGroups {
    groups: HashMap<String, crate::fhir::provenance::ImportProvenance>,
    /// The first payer a Coverage of this import named.
    payer: Option<String>,
    written: u64,
}

impl ProvenanceGroups {
    fn add(&mut self, m: &Mapped, version: u32, file: &str) {
        use crate::fhir::compartment;
        let owner = compartment::owner(m.resource_type, &m.body).unwrap_or_default();
        if m.resource_type == "Coverage" && self.payer.is_none() {
            self.payer = compartment::first_reference(&m.body, "payor")
                .filter(|r| r.starts_with("Organization/"));
        }
        let group = self.groups.entry(owner).or_default();
        group
            .targets
            .push(format!("{}/{}/_history/{version}", m.resource_type, m.id));
        if !group.files.iter().any(|f| f == file) {
            group.files.push(file.to_string());
        }
    }

    /// `(id, record)` of each group, in a stable order. A beneficiary's record always names
    /// the Patient (the current version when this import did not change it), which puts it
    /// in that patient's compartment.
    fn finish(&mut self, stamp: i128) -> Vec<(String, crate::fhir::provenance::ImportProvenance)> {
        let mut out: Vec<_> = std::mem::take(&mut self.groups).into_iter().collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out.into_iter()
            .map(|(owner, mut p)| {
                p.payer = self.payer.clone();
                let name = if owner.is_empty() {
                    "directory".to_string()
                } else {
                    let patient = format!("Patient/{owner}");
                    if !p
                        .targets
                        .iter()
                        .any(|t| t.starts_with(&format!("{patient}/_history/")))
                    {
                        p.targets.insert(0, patient);
                    }
                    owner
                };
                let mut id = format!("import-{stamp}-{name}");
                if !crate::fhir::id::is_valid_id(&id) {
                    let hash = blake3::hash(name.as_bytes()).to_hex();
                    id = format!("import-{stamp}-{}", &hash[..16]);
                }
                (id, p)
            })
            .collect()
    }
}

/// The Provenance's JSON (without `meta`) and where `meta` goes.
fn provenance_body(
    id: &str,
    p: &crate::fhir::provenance::ImportProvenance,
    recorded: &str,
) -> (Vec<u8>, usize) {
    let value = crate::fhir::provenance::import_provenance(id, p, recorded);
    let body = serde_json::to_vec(&value).unwrap_or_default();
    let mut prefix = Vec::with_capacity(64);
    prefix.extend_from_slice(br#"{"resourceType":"Provenance","id":"#);
    crate::json::write_str(&mut prefix, id);
    (body, prefix.len())
}

/// What the index is handed for a mapped resource must be what it would parse from the store.
#[cfg(test)]
fn assert_same_as_parsed(resource_type: &str, stored: &[u8], handed: &serde_json::Value) {
    let parsed = crate::fhir::search::prune::parse(resource_type, stored).unwrap();
    assert_eq!(&parsed, handed, "{}", String::from_utf8_lossy(stored));
}

/// What the writer thread committed.
struct Written {
    by_type: BTreeMap<&'static str, Counts>,
    /// `Type/id` of every resource created or updated.
    changed: Vec<String>,
    /// The store generation before and after the transaction.
    generations: (u64, u64),
    provenances: u64,
}

struct Job<'a, 'r> {
    sink: mpsc::SyncSender<Write>,
    batch: Vec<Mapped>,
    snapshot: &'r ReadTx,
    dir: Directory,
    report: &'a mut ImportReport,
    /// The name of the file being mapped (the Provenance's source entity).
    current_file: Arc<str>,
    done_bytes: u64,
    total_bytes: u64,
    progress: Progress<'a>,
}

impl Job<'_, '_> {
    fn put(&mut self, m: Mapped) -> Result<(), IngestError> {
        self.batch.push(m);
        if self.batch.len() >= BATCH {
            self.send_batch()?;
        }
        Ok(())
    }

    fn send_batch(&mut self) -> Result<(), IngestError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        let file = Arc::clone(&self.current_file);
        self.sink.send(Write::Put(batch, file)).map_err(|_| {
            IngestError::Store(crate::store::StoreError::Corrupt {
                key: "import".into(),
                reason: "the store writer stopped".into(),
            })
        })
    }

    fn flush_pending(&mut self) -> Result<(), IngestError> {
        for m in std::mem::take(&mut self.dir.pending) {
            self.put(m)?;
        }
        Ok(())
    }

    fn file(&mut self, file: &InputFile) -> Result<(), IngestError> {
        // What was mapped from the previous file goes with its name.
        self.send_batch()?;
        let name = file
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
        self.current_file = Arc::from(name.unwrap_or_default().as_str());
        let mut reader = files::open(&file.path)?;
        let mut record = StringRecord::new();
        let mut rows = 0u64;
        let mut first_seen: HashMap<String, u64> = HashMap::new();
        let mut claim = ClaimGroup::default();
        let by_member_payer =
            file.kind == FileKind::Coverages && !file.layout.has(CoverageCol::CoverageId);
        let mut d1_coverages = CoverageGroups::default();
        let base = self.done_bytes;
        loop {
            let more = reader
                .read_record(&mut record)
                .map_err(|e| files::csv_error(&file.path, &e))?;
            if !more {
                break;
            }
            let line = record_line(&reader, &record);
            if record.iter().all(|f| f.trim().is_empty()) {
                continue; // a blank line, e.g. a trailing newline pair
            }
            files::check_width(file, &record, line)?;
            rows += 1;
            let row = Row {
                record: &record,
                layout: &file.layout,
                file: &file.path,
                line,
            };
            match file.kind {
                FileKind::Members => self.member(&row, &mut first_seen)?,
                FileKind::Organizations => self.organization(&row)?,
                FileKind::Practitioners => self.practitioner(&row)?,
                FileKind::RelatedPersons => self.related_person(&row, &mut first_seen)?,
                FileKind::Coverages if by_member_payer => {
                    let (member, _) = patient::coverage_member(&row)?;
                    let key = member_payer_key(member, row.required(CoverageCol::PayerId)?);
                    d1_coverages.push(key, line, &record);
                }
                FileKind::Coverages => {
                    row.required(CoverageCol::CoverageId)?;
                    self.coverage(&row, &[], &mut first_seen)?;
                }
                FileKind::Claims => {
                    let key = row.required(ClaimCol::ClaimId)?.to_string();
                    if claim.key.as_deref() != Some(key.as_str()) {
                        self.claim(file, &mut claim)?;
                        if let Some(first) = first_seen.get(&key) {
                            return Err(row.error(
                                ClaimCol::ClaimId,
                                format!("claim {key:?} appears again after other claims (first at line {first}); a claim's rows must be contiguous"),
                            ));
                        }
                        first_seen.insert(key.clone(), line);
                        claim.key = Some(key);
                    }
                    claim.rows.push((line, record.clone()));
                    if rows % 4096 == 0 {
                        (self.progress)(base + reader.position().byte(), self.total_bytes);
                    }
                }
            }
        }
        self.claim(file, &mut claim)?;
        for group in &d1_coverages.groups {
            let rows = rows_of(file, group);
            self.coverage(&rows[0], &rows[1..], &mut first_seen)?;
        }
        if file.kind == FileKind::Claims {
            self.report.claim_rows += rows;
        }
        self.done_bytes = base + file.bytes;
        (self.progress)(self.done_bytes, self.total_bytes);
        self.report.files.push((file.path.clone(), file.kind, rows));
        Ok(())
    }

    fn claim(&mut self, file: &InputFile, claim: &mut ClaimGroup) -> Result<(), IngestError> {
        if claim.rows.is_empty() {
            return Ok(());
        }
        let rows = rows_of(file, &claim.rows);
        let mut cx = ClaimContext {
            dir: &mut self.dir,
            snapshot: self.snapshot,
            stats: MapStats::default(),
        };
        let (mapped, kind): (Mapped, ClaimKind) = eob::map_claim(&rows, &mut cx)?;
        let stats = cx.stats;
        self.report.stats.add(&stats);
        self.flush_pending()?;
        self.put(mapped)?;
        *self.report.eobs_by_profile.entry(kind.label()).or_default() += 1;
        self.report.placeholders = self.dir.placeholders;
        claim.rows.clear();
        claim.key = None;
        Ok(())
    }

    fn member(
        &mut self,
        row: &Row<'_>,
        seen: &mut HashMap<String, u64>,
    ) -> Result<(), IngestError> {
        let id = row.required(MemberCol::MemberId)?;
        unique(row, MemberCol::MemberId, id, "member", seen)?;
        let m = patient::patient(row)?;
        self.dir.members.insert(id.to_string());
        self.put(m)
    }

    fn organization(&mut self, row: &Row<'_>) -> Result<(), IngestError> {
        let id = row.required(OrgCol::Id)?.to_string();
        let (m, is_payer) = party::organization(row)?;
        if is_payer {
            self.dir.payers.insert(id);
        } else {
            self.dir.providers.insert(
                id,
                ProviderInfo {
                    kind: Some(ProviderKind::Organization),
                    taxonomy: None,
                },
            );
        }
        self.put(m)
    }

    fn practitioner(&mut self, row: &Row<'_>) -> Result<(), IngestError> {
        let npi = row.required(PractitionerCol::Npi)?.to_string();
        // One row per (practitioner, organization) pair: the first describes the practitioner.
        if self.dir.providers.contains_key(&npi) {
            return Ok(());
        }
        let (m, taxonomy) = party::practitioner(row)?;
        self.dir.providers.insert(
            npi,
            ProviderInfo {
                kind: Some(ProviderKind::Practitioner),
                taxonomy,
            },
        );
        self.put(m)
    }

    fn related_person(
        &mut self,
        row: &Row<'_>,
        seen: &mut HashMap<String, u64>,
    ) -> Result<(), IngestError> {
        let id = row.required(RelatedPersonCol::Id)?;
        unique(row, RelatedPersonCol::Id, id, "related person", seen)?;
        let (m, member) = party::related_person(row)?;
        if let Err(reason) = self.dir.patient(&member, self.snapshot)? {
            return Err(row.error(RelatedPersonCol::MemberId, reason));
        }
        self.dir.related.insert(id.to_string(), member);
        self.flush_pending()?;
        self.put(m)
    }

    /// One Coverage: a row of a file with coverage ids, or a D1 (member, payer) group.
    fn coverage(
        &mut self,
        row: &Row<'_>,
        more: &[Row<'_>],
        seen: &mut HashMap<String, u64>,
    ) -> Result<(), IngestError> {
        let (m, facts) = patient::coverage(row, more)?;
        let coverage_id = row.opt(CoverageCol::CoverageId);
        if let Some(id) = coverage_id {
            unique(row, CoverageCol::CoverageId, id, "coverage", seen)?;
        }
        let (member, member_column) = patient::coverage_member(row)?;
        if let Err(reason) = self.dir.patient(member, self.snapshot)? {
            return Err(row.error(member_column, reason));
        }
        let payer = row.required(CoverageCol::PayerId)?;
        self.dir.ensure_payer(payer, self.snapshot)?;
        self.flush_pending()?;
        match coverage_id {
            Some(id) => self.dir.coverages.insert(id.to_string(), facts),
            None => self
                .dir
                .member_coverages
                .insert(member_payer_key(member, payer), facts),
        };
        self.put(m)
    }
}

/// Rows kept for a record that spans several of them (a claim, a D1 coverage), as typed rows.
fn rows_of<'a>(file: &'a InputFile, kept: &'a [(u64, StringRecord)]) -> Vec<Row<'a>> {
    kept.iter()
        .map(|(line, record)| Row {
            record,
            layout: &file.layout,
            file: &file.path,
            line: *line,
        })
        .collect()
}

/// D1 coverage rows, which have no coverage id, gathered per (member, payer) in the order the
/// pairs first appear; each group becomes one Coverage once the whole file is read.
#[derive(Default)]
struct CoverageGroups {
    groups: Vec<Vec<(u64, StringRecord)>>,
    by_key: HashMap<String, usize>,
}

impl CoverageGroups {
    fn push(&mut self, key: String, line: u64, record: &StringRecord) {
        let next = self.groups.len();
        let group = *self.by_key.entry(key).or_insert(next);
        if group == next {
            self.groups.push(Vec::new());
        }
        self.groups[group].push((line, record.clone()));
    }
}

#[derive(Default)]
struct ClaimGroup {
    key: Option<String>,
    rows: Vec<(u64, StringRecord)>,
}

fn unique<C: super::columns::Column>(
    row: &Row<'_>,
    column: C,
    key: &str,
    what: &str,
    seen: &mut HashMap<String, u64>,
) -> Result<(), IngestError> {
    if let Some(first) = seen.get(key) {
        return Err(row.error(
            column,
            format!("{what} {key:?} appears twice (first at line {first})"),
        ));
    }
    seen.insert(key.to_string(), row.line);
    Ok(())
}
