//! Deterministic synthetic CPCDS generator (canonical dialect). See docs/cpcds.md.
//!
//! [`generate`] writes the six canonical files for `beneficiaries` synthetic members. Everything
//! is a pure function of `(seed, beneficiaries)`, and member `n`'s rows depend only on
//! `(seed, n)`: each member has its own PRNG stream, and provider pools only grow with the run
//! size (member `n` draws from the part of each pool that exists in a run of `n + 1` members).
//! Rows are streamed member by member, so memory stays flat however many members are written.
//!
//! Members `M00000` and `M00001` are demo members: each has all five claim types and, across
//! their claims, every optional claims column populated and every C4BB must-support element of
//! each claim type; member 0's first claim is a professional claim paid to the member.

mod claims;
mod codes;
mod columns;
mod day;
mod member;
mod pools;
mod rng;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

pub use pools::{is_valid_npi, npi_check_digit};

pub use claims::arrival_ids;
use claims::{arrival_of, write_claim, ClaimGen};
use codes::PAYERS;
use columns::{
    Row, CLAIM_HEADER, COVERAGE_HEADER, MEMBER_HEADER, ORGANIZATION_HEADER, PRACTITIONER_HEADER,
    RELATED_PERSON_HEADER,
};
use member::make_member;
use pools::{Pools, Sizes};
use rng::{stream, Rng};

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Number of synthetic members (`M00000` … ).
    pub beneficiaries: u64,
    /// PRNG seed; the same seed and count give byte-identical files.
    pub seed: u64,
}

/// Row counts of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GenerateReport {
    pub members: u64,
    pub coverages: u64,
    /// Rows of `Organizations.csv` (payers and providers).
    pub organizations: u64,
    pub practitioners: u64,
    pub related_persons: u64,
    /// Distinct claims.
    pub claims: u64,
    /// Rows of `CPCDS_Claims.csv`.
    pub claim_lines: u64,
    /// Claims per canonical `Claim type` value.
    pub claims_by_type: BTreeMap<String, u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write CSV {path}: {source}")]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
}

/// The member id of synthetic beneficiary n (the sandbox login BBUser{n:05} belongs to member n).
pub fn member_id(n: u64) -> String {
    format!("M{n:05}")
}

pub const MEMBERS_FILE: &str = "CPCDS_Members.csv";
pub const COVERAGES_FILE: &str = "CPCDS_Coverages.csv";
pub const ORGANIZATIONS_FILE: &str = "Organizations.csv";
pub const PRACTITIONERS_FILE: &str = "PractitionerRoles.csv";
pub const RELATED_PERSONS_FILE: &str = "RelatedPersons.csv";
pub const CLAIMS_FILE: &str = "CPCDS_Claims.csv";

type CsvOut = csv::Writer<BufWriter<File>>;

/// One output file.
struct Sink {
    path: PathBuf,
    w: CsvOut,
}

impl Sink {
    fn open(dir: &Path, name: &str, header: &[&str]) -> Result<Sink, GenerateError> {
        let path = dir.join(name);
        let file = File::create(&path).map_err(|source| GenerateError::Io {
            path: path.clone(),
            source,
        })?;
        let w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(BufWriter::with_capacity(1 << 16, file));
        let mut s = Sink { path, w };
        s.row(header)?;
        Ok(s)
    }

    fn err(&self, source: csv::Error) -> GenerateError {
        GenerateError::Csv {
            path: self.path.clone(),
            source,
        }
    }

    fn row<I, T>(&mut self, fields: I) -> Result<(), GenerateError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        match self.w.write_record(fields) {
            Ok(()) => Ok(()),
            Err(e) => Err(self.err(e)),
        }
    }

    fn finish(mut self) -> Result<(), GenerateError> {
        self.w.flush().map_err(|source| GenerateError::Io {
            path: self.path.clone(),
            source,
        })
    }
}

/// Writes CPCDS_Members.csv, CPCDS_Coverages.csv, Organizations.csv, PractitionerRoles.csv,
/// RelatedPersons.csv, CPCDS_Claims.csv into `out` (created if missing). `progress(members_done)`
/// is called every 100 members and once at the end.
pub fn generate(
    opts: &GenerateOptions,
    out: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<GenerateReport, GenerateError> {
    generate_members(opts, 0..opts.beneficiaries, true, out, progress)
}

/// Writes the same six files for the members `range` of the run `opts` describes: their rows
/// are exactly those of [`generate`] for `opts` (member `n` depends only on the seed and `n`;
/// providers come from the pools of an `opts.beneficiaries` run). With `with_providers`
/// false, `Organizations.csv` and `PractitionerRoles.csv` hold only their headers (for a
/// store that already has them). `progress(members_done)` counts from the range's start.
pub fn generate_members(
    opts: &GenerateOptions,
    range: std::ops::Range<u64>,
    with_providers: bool,
    out: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<GenerateReport, GenerateError> {
    std::fs::create_dir_all(out).map_err(|source| GenerateError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    let mut members = Sink::open(out, MEMBERS_FILE, MEMBER_HEADER)?;
    let mut coverages = Sink::open(out, COVERAGES_FILE, COVERAGE_HEADER)?;
    let mut orgs = Sink::open(out, ORGANIZATIONS_FILE, ORGANIZATION_HEADER)?;
    let mut pracs = Sink::open(out, PRACTITIONERS_FILE, PRACTITIONER_HEADER)?;
    let mut related = Sink::open(out, RELATED_PERSONS_FILE, RELATED_PERSON_HEADER)?;
    let mut claims = Sink::open(out, CLAIMS_FILE, CLAIM_HEADER)?;
    let mut report = GenerateReport::default();

    let pools = Pools::build(opts.seed, Sizes::for_count(opts.beneficiaries));
    if with_providers {
        write_providers(&pools, &mut orgs, &mut pracs, &mut report)?;
    }

    let mut row = Row::new();
    let mut built = Vec::new();
    let first = range.start;
    for n in range {
        let view = pools.view(n);
        let mut rng = Rng::derive(opts.seed, stream::MEMBER, n);
        let m = make_member(&mut rng, n, &view);
        let dod = m.death.map(|d| d.to_iso()).unwrap_or_default();
        // The member has lived at the address at least since their first coverage began.
        let address_since = m
            .coverages
            .iter()
            .map(|c| c.start)
            .min()
            .map(|d| d.to_iso())
            .unwrap_or_default();
        members.row([
            m.id.as_str(),
            &m.unique_id,
            &m.dob.to_iso(),
            &dod,
            &m.street,
            m.city,
            m.county,
            m.state,
            "US",
            m.zip,
            m.race,
            m.ethnicity,
            m.gender,
            m.birth_sex,
            &m.name(),
            &m.phone,
            &m.email,
            m.language,
            &address_since,
        ])?;
        report.members += 1;
        for c in &m.coverages {
            let end = c.end.map(|d| d.to_iso()).unwrap_or_default();
            coverages.row([
                c.id.as_str(),
                &m.id,
                &c.subscriber_id,
                c.dependent,
                c.plan.2,
                c.status,
                &c.start.to_iso(),
                &end,
                c.group.0,
                c.group.1,
                c.plan.0,
                c.plan.1,
                c.payer.id,
                c.payer.id,
                c.relationship,
            ])?;
            report.coverages += 1;
        }
        for r in &m.related {
            related.row([
                r.id.as_str(),
                &m.id,
                r.code,
                &format!("{} {}", r.given, r.family),
                &r.phone,
                &m.street,
                m.city,
                m.state,
                m.zip,
            ])?;
            report.related_persons += 1;
        }
        let mut g = ClaimGen::new(rng, &m, &view);
        for (day, plan, force) in g.plan() {
            g.build(day, plan, force, &mut built);
            for c in built.drain(..) {
                write_claim(&mut row, &c, &m.id, &mut claims.w).map_err(|e| claims.err(e))?;
                report.claims += 1;
                report.claim_lines += c.lines.len() as u64;
                *report
                    .claims_by_type
                    .entry(c.kind.claim_type().to_string())
                    .or_insert(0) += 1;
            }
        }
        if (n + 1 - first) % 100 == 0 {
            progress(n + 1 - first);
        }
    }
    for s in [members, coverages, orgs, pracs, related, claims] {
        s.finish()?;
    }
    progress(report.members);
    Ok(report)
}

/// Which form of an arriving claim (`arrivals`) to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArrivalStage {
    /// The claim as first adjudicated (active, no `related`).
    Arrived,
    /// The claim cancelled and replaced: two claims, the original with `Claim adjusted to
    /// identifier` and the corrected one with `Claim adjusted from identifier`.
    Adjusted,
}

/// One arriving claim to write: member `n`'s claim of tick `tick`, in `stage`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arrival {
    pub member: u64,
    pub tick: u64,
    pub stage: ArrivalStage,
}

/// Writes `CPCDS_Claims.csv` into `out` (created if missing) with the claims `wanted` names,
/// built by the claim families for the generated members of a `seed` run (the ids are
/// [`arrival_ids`]); returns how many claims it wrote. The same member and tick always give
/// the same claim, whatever else is written with it.
pub fn write_arrivals(seed: u64, wanted: &[Arrival], out: &Path) -> Result<u64, GenerateError> {
    std::fs::create_dir_all(out).map_err(|source| GenerateError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    let mut claims = Sink::open(out, CLAIMS_FILE, CLAIM_HEADER)?;
    let count = wanted.iter().map(|a| a.member + 1).max().unwrap_or(0);
    let pools = Pools::build(seed, Sizes::for_count(count));
    let mut row = Row::new();
    let mut written = 0;
    for a in wanted {
        let Some((first, cancelled, replacement)) = arrival_of(&pools, seed, a.member, a.tick)
        else {
            continue;
        };
        let member = member_id(a.member);
        let chosen = match a.stage {
            ArrivalStage::Arrived => vec![first],
            ArrivalStage::Adjusted => vec![cancelled, replacement],
        };
        for c in &chosen {
            write_claim(&mut row, c, &member, &mut claims.w).map_err(|e| claims.err(e))?;
            written += 1;
        }
    }
    claims.finish()?;
    Ok(written)
}

/// Payers, then providers with their staff.
fn write_providers(
    pools: &Pools,
    orgs: &mut Sink,
    pracs: &mut Sink,
    report: &mut GenerateReport,
) -> Result<(), GenerateError> {
    for (i, p) in PAYERS.iter().enumerate() {
        // Payers bill nothing, but an NPI lets the first referenced organization (the insurer)
        // carry every C4BB Organization identifier slice.
        let nine = 170_000_000 + i as u64 * 1_111;
        let npi = format!("{nine}{}", pools::npi_check_digit(nine));
        orgs.row([
            p.id,
            p.name,
            p.address,
            p.city,
            p.state,
            p.zip,
            p.phone,
            "payer",
            p.tax_id,
            p.naic,
            npi.as_str(),
        ])?;
        report.organizations += 1;
    }
    for o in pools.all_orgs() {
        let npi = o.npi.to_string();
        orgs.row([
            npi.as_str(),
            &o.name,
            &o.street,
            o.city,
            o.state,
            o.zip,
            &o.phone,
            o.kind.type_text(),
            &o.tax_id,
            "",
            "",
        ])?;
        report.organizations += 1;
        for p in &o.staff {
            pracs.row([
                p.npi.to_string().as_str(),
                &p.display_name(),
                &npi,
                "provider",
                p.specialty.text(),
                p.specialty.taxonomy(),
                &o.tax_id,
            ])?;
            report.practitioners += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    struct Table {
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    }

    impl Table {
        fn read(path: &Path) -> Table {
            let mut r = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_path(path)
                .expect("open csv");
            let mut all: Vec<Vec<String>> = r
                .records()
                .map(|rec| {
                    rec.expect("csv record")
                        .iter()
                        .map(str::to_string)
                        .collect()
                })
                .collect();
            let header = all.remove(0);
            Table { header, rows: all }
        }

        fn col(&self, name: &str) -> usize {
            self.header
                .iter()
                .position(|h| h == name)
                .unwrap_or_else(|| panic!("no column {name}"))
        }
    }

    fn run(n: u64, seed: u64) -> (tempfile::TempDir, GenerateReport) {
        let dir = tempfile::TempDir::new().expect("tempdir");
        let mut calls = Vec::new();
        let report = generate(
            &GenerateOptions {
                beneficiaries: n,
                seed,
            },
            dir.path(),
            &mut |k| calls.push(k),
        )
        .expect("generate");
        assert_eq!(calls.last(), Some(&n));
        (dir, report)
    }

    const FILES: [&str; 6] = [
        MEMBERS_FILE,
        COVERAGES_FILE,
        ORGANIZATIONS_FILE,
        PRACTITIONERS_FILE,
        RELATED_PERSONS_FILE,
        CLAIMS_FILE,
    ];

    fn cents(s: &str) -> i64 {
        if s.is_empty() {
            return 0;
        }
        let (whole, frac) = s.split_once('.').expect("two decimals");
        assert_eq!(frac.len(), 2, "{s}");
        whole.parse::<i64>().expect("amount") * 100 + frac.parse::<i64>().expect("amount")
    }

    use crate::fhir::id::is_valid_id as is_fhir_id;

    #[test]
    fn member_ids() {
        assert_eq!(member_id(0), "M00000");
        assert_eq!(member_id(29_999), "M29999");
    }

    #[test]
    fn deterministic_and_prefix_stable() {
        let (a, ra) = run(5, 77);
        let (b, rb) = run(5, 77);
        assert_eq!(ra, rb);
        for f in FILES {
            let x = std::fs::read(a.path().join(f)).expect("read");
            let y = std::fs::read(b.path().join(f)).expect("read");
            assert!(x == y, "{f} differs between identical runs");
        }
        let (c, _) = run(5, 78);
        assert_ne!(
            std::fs::read(a.path().join(CLAIMS_FILE)).expect("read"),
            std::fs::read(c.path().join(CLAIMS_FILE)).expect("read")
        );
        // Member 3 is the same in a 5- and a 20-member run.
        let (d, _) = run(20, 77);
        for (f, key) in [
            (MEMBERS_FILE, "Member id"),
            (COVERAGES_FILE, "Member id"),
            (RELATED_PERSONS_FILE, "Member id"),
            (CLAIMS_FILE, "Patient account number"),
        ] {
            let small = Table::read(&a.path().join(f));
            let large = Table::read(&d.path().join(f));
            let k = small.col(key);
            let pick = |t: &Table| -> Vec<Vec<String>> {
                t.rows
                    .iter()
                    .filter(|r| r[k] == "M00003")
                    .cloned()
                    .collect()
            };
            let (x, y) = (pick(&small), pick(&large));
            assert!(!x.is_empty() || f == RELATED_PERSONS_FILE, "{f}");
            assert_eq!(x, y, "{f}: member 3 differs");
        }
    }

    #[test]
    fn a_range_of_members_is_the_same_rows_as_in_the_whole_run() {
        let opts = GenerateOptions {
            beneficiaries: 12,
            seed: 77,
        };
        let (whole, _) = run(12, 77);
        let part = tempfile::TempDir::new().expect("tempdir");
        let report = generate_members(&opts, 5..9, false, part.path(), &mut |_| {})
            .expect("generate members");
        assert_eq!(report.members, 4);
        assert_eq!(report.organizations + report.practitioners, 0);
        for (f, key) in [
            (MEMBERS_FILE, "Member id"),
            (COVERAGES_FILE, "Member id"),
            (RELATED_PERSONS_FILE, "Member id"),
            (CLAIMS_FILE, "Patient account number"),
        ] {
            let all = Table::read(&whole.path().join(f));
            let some = Table::read(&part.path().join(f));
            let k = all.col(key);
            let wanted: Vec<Vec<String>> = all
                .rows
                .iter()
                .filter(|r| (5..9).any(|n| r[k] == member_id(n)))
                .cloned()
                .collect();
            assert!(!wanted.is_empty() || f == RELATED_PERSONS_FILE, "{f}");
            assert_eq!(some.rows, wanted, "{f}");
        }
        let providers = tempfile::TempDir::new().expect("tempdir");
        generate_members(&opts, 0..0, true, providers.path(), &mut |_| {}).expect("providers");
        for f in [ORGANIZATIONS_FILE, PRACTITIONERS_FILE] {
            let x = std::fs::read(whole.path().join(f)).expect("read");
            let y = std::fs::read(providers.path().join(f)).expect("read");
            assert!(x == y, "{f} differs");
        }
    }

    #[test]
    fn files_are_well_formed() {
        let (dir, report) = run(40, 5);
        let mut counts = BTreeMap::new();
        for f in FILES {
            let t = Table::read(&dir.path().join(f));
            for (i, r) in t.rows.iter().enumerate() {
                assert_eq!(r.len(), t.header.len(), "{f} row {i}");
            }
            counts.insert(f, t.rows.len() as u64);
        }
        assert_eq!(counts[MEMBERS_FILE], report.members);
        assert_eq!(counts[COVERAGES_FILE], report.coverages);
        assert_eq!(counts[ORGANIZATIONS_FILE], report.organizations);
        assert_eq!(counts[PRACTITIONERS_FILE], report.practitioners);
        assert_eq!(counts[RELATED_PERSONS_FILE], report.related_persons);
        assert_eq!(counts[CLAIMS_FILE], report.claim_lines);
        assert_eq!(report.claims_by_type.values().sum::<u64>(), report.claims);

        let claims = Table::read(&dir.path().join(CLAIMS_FILE));
        assert_eq!(claims.header, CLAIM_HEADER);
        // The D2 part of the header is exactly Synthea's, when the sample is available.
        let sample = Path::new(
            "/work/shared/cpcds-samples/synthea-mainline-2022-vanessuniq/reconstructed-csv/CPCDS_Claims.csv",
        );
        if sample.exists() {
            let d2 = Table::read(sample);
            assert_eq!(d2.header.len(), columns::D2_CLAIM_COLUMNS);
            assert_eq!(&claims.header[..columns::D2_CLAIM_COLUMNS], &d2.header[..]);
        }

        // Ids: valid FHIR ids, unique; rows of a claim contiguous; NPIs valid.
        let orgs = Table::read(&dir.path().join(ORGANIZATIONS_FILE));
        let pracs = Table::read(&dir.path().join(PRACTITIONERS_FILE));
        let covs = Table::read(&dir.path().join(COVERAGES_FILE));
        let rps = Table::read(&dir.path().join(RELATED_PERSONS_FILE));
        let mut provider_npis = BTreeSet::new();
        for r in &orgs.rows {
            if r[orgs.col("Type")] == "payer" {
                assert!(!r[orgs.col("NAIC code")].is_empty());
                assert!(!r[orgs.col("Tax id")].is_empty());
            } else {
                assert!(is_valid_npi(&r[0]), "{}", r[0]);
                provider_npis.insert(r[0].clone());
            }
        }
        for r in &pracs.rows {
            assert!(is_valid_npi(&r[0]), "{}", r[0]);
            assert!(provider_npis.contains(&r[2]));
            assert!(r[pracs.col("Taxonomy code")].ends_with('X'));
            provider_npis.insert(r[0].clone());
        }
        for (t, c) in [(&covs, "Coverage id"), (&rps, "Related person id")] {
            let k = t.col(c);
            let ids: BTreeSet<&str> = t.rows.iter().map(|r| r[k].as_str()).collect();
            assert_eq!(ids.len(), t.rows.len(), "{c} not unique");
            assert!(ids.iter().all(|i| is_fhir_id(i)), "{c}");
        }
        let id = claims.col("Claim unique identifier");
        let mut seen = BTreeSet::new();
        let mut prev = String::new();
        for r in &claims.rows {
            assert!(is_fhir_id(&r[id]));
            if r[id] != prev {
                assert!(seen.insert(r[id].clone()), "claim {} not contiguous", r[id]);
                prev = r[id].clone();
            }
        }
        assert_eq!(seen.len() as u64, report.claims);
        let coverage_ids: BTreeSet<&str> = covs
            .rows
            .iter()
            .map(|r| r[covs.col("Coverage id")].as_str())
            .collect();
        for r in &claims.rows {
            assert!(coverage_ids.contains(r[claims.col("Claim payer identifier")].as_str()));
            let pp = &r[claims.col("Claim primary payer identifier")];
            assert!(pp.is_empty() || coverage_ids.contains(pp.as_str()));
            for c in [
                "Claim billing provider NPI",
                "Claim attending provider NPI",
                "Claim site of service NPI",
                "Claim referring provider NPI",
                "Claim performing provider NPI",
                "Claim prescribing provider NPI",
                "Claim PCP NPI",
                "Claim supervising provider NPI",
                "Claim operating provider NPI",
                "Claim other operating provider NPI",
                "Claim purchased service provider NPI",
            ] {
                let v = &r[claims.col(c)];
                assert!(v.is_empty() || provider_npis.contains(v), "{c} {v}");
            }
            let ndc = &r[claims.col("National drug code")];
            assert!(ndc.is_empty() || (ndc.len() == 11 && ndc.bytes().all(|b| b.is_ascii_digit())));
            for c in [
                "Claim service start date",
                "Claim paid date",
                "Claim received date",
            ] {
                let d = &r[claims.col(c)];
                assert!(
                    d.as_str() >= "2021-01-01" && d.as_str() <= "2025-12-31",
                    "{c} {d}"
                );
            }
        }
        for d in codes::ALL_DRUGS {
            assert_eq!(d.ndc.len(), 11);
        }
        for p in codes::ALL_PCS {
            assert_eq!(p.0.len(), 7);
        }
    }

    #[test]
    fn demo_members_cover_every_type_and_column() {
        let (dir, _) = run(3, 2024);
        let claims = Table::read(&dir.path().join(CLAIMS_FILE));
        let member = claims.col("Patient account number");
        let kind = claims.col("Claim type");
        for m in ["M00000", "M00001"] {
            let rows: Vec<&Vec<String>> = claims.rows.iter().filter(|r| r[member] == m).collect();
            let types: BTreeSet<&str> = rows.iter().map(|r| r[kind].as_str()).collect();
            // What C4BB's must-support lists need of each type on its own: `related` (an
            // adjusted claim) everywhere; institutional header and line adjustment reasons.
            let of_type = |t: &str, col: &str| {
                rows.iter()
                    .any(|r| r[kind] == t && !r[claims.col(col)].is_empty())
            };
            for t in [
                "inpatient-facility",
                "outpatient-facility",
                "professional-nonclinician",
                "oral",
                "pharmacy",
            ] {
                assert!(types.contains(t), "{m} lacks {t}");
                assert!(of_type(t, "Claim adjusted to identifier"), "{m}: {t}");
            }
            for t in ["inpatient-facility", "outpatient-facility"] {
                assert!(of_type(t, "Claim payment denial code"), "{m}: {t}");
                assert!(of_type(t, "Line payment denial code"), "{m}: {t}");
            }
            for (i, name) in claims.header.iter().enumerate() {
                assert!(
                    rows.iter().any(|r| !r[i].is_empty()),
                    "{m}: column {name} never populated"
                );
            }
            // A professional transportation claim.
            assert!(rows.iter().any(|r| r[kind] == "professional-nonclinician"
                && !r[claims.col("Ambulance transport reason code")].is_empty()
                && r[claims.col("Procedure code")].starts_with("A04")));
            // Header-level-only institutional amounts exist for both institutional types.
            for t in ["inpatient-facility", "outpatient-facility"] {
                assert!(rows
                    .iter()
                    .any(|r| r[kind] == t && r[claims.col("Line submitted amount")].is_empty()));
                assert!(rows
                    .iter()
                    .any(|r| r[kind] == t && !r[claims.col("Line submitted amount")].is_empty()));
            }
        }
        // The first claim row: paid to the member, with billing, performing and PCP NPIs.
        let first = &claims.rows[0];
        assert_eq!(first[member], "M00000");
        assert!(matches!(
            first[claims.col("Claim payee type code")].as_str(),
            "beneficiary" | "subscriber" | "other"
        ));
        for c in [
            "Claim billing provider NPI",
            "Claim performing provider NPI",
            "Claim PCP NPI",
        ] {
            assert!(!first[claims.col(c)].is_empty(), "{c}");
        }
        // Demographics complete for everybody.
        let members = Table::read(&dir.path().join(MEMBERS_FILE));
        for r in &members.rows {
            for (i, name) in members.header.iter().enumerate() {
                if name != "Date of death" {
                    assert!(!r[i].is_empty(), "{name} empty for {}", r[0]);
                }
            }
        }
    }

    #[test]
    fn amounts_are_consistent() {
        let (dir, _) = run(60, 11);
        let t = Table::read(&dir.path().join(CLAIMS_FILE));
        let c = |name: &str| t.col(name);
        let mut by_claim: BTreeMap<&str, Vec<&Vec<String>>> = BTreeMap::new();
        for r in &t.rows {
            by_claim
                .entry(r[c("Claim unique identifier")].as_str())
                .or_default()
                .push(r);
        }
        let mut checked_lines = 0;
        for (id, rows) in &by_claim {
            let h = rows[0];
            let hv = |name: &str| cents(&h[c(name)]);
            let status = h[c("Claim payment status code")].as_str();
            assert!(matches!(status, "paid" | "denied" | "partiallypaid"));
            // Header arithmetic.
            assert!(
                hv("Claim total submitted amount") >= hv("Claim total allowed amount"),
                "{id}"
            );
            assert!(
                hv("Claim total allowed amount") >= hv("Claim payment amount"),
                "{id}"
            );
            assert_eq!(
                hv("Member liability"),
                hv("Member paid deductible")
                    + hv("Co-insurance liability amount")
                    + hv("Copay amount")
                    + hv("Claim disallowed amount"),
                "{id}"
            );
            assert_eq!(
                hv("Claim payment amount"),
                hv("Claim amount paid to provider") + hv("Member reimbursement"),
                "{id}"
            );
            assert_eq!(
                hv("Claim total submitted amount"),
                hv("Claim total allowed amount")
                    + hv("Claim disallowed amount")
                    + hv("Claim discount amount"),
                "{id}"
            );
            if status == "denied" {
                assert_eq!(hv("Claim payment amount"), 0, "{id}");
            } else {
                assert!(hv("Claim payment amount") >= 0);
            }
            if h[c("Claim primary payer identifier")].is_empty() {
                assert!(h[c("Claim primary payer paid amount")].is_empty());
            }
            if rows[0][c("Line submitted amount")].is_empty() {
                assert!(h[c("Claim type")].ends_with("-facility"), "{id}");
                continue;
            }
            // Lines, and header = Σ lines.
            let pairs = [
                ("Line submitted amount", "Claim total submitted amount"),
                ("Line allowed amount", "Claim total allowed amount"),
                ("Line payment amount", "Claim payment amount"),
                (
                    "Line amount paid to provider",
                    "Claim amount paid to provider",
                ),
                ("Line member reimbursement", "Member reimbursement"),
                ("Line amount paid by patient", "Amount paid by patient"),
                ("Line disallowed amount", "Claim disallowed amount"),
                ("Line patient deductible", "Member paid deductible"),
                ("Line coinsurance amount", "Co-insurance liability amount"),
                ("Line copay amount", "Copay amount"),
                ("Line member liability", "Member liability"),
                ("Line discount amount", "Claim discount amount"),
                (
                    "Line primary payer paid amount",
                    "Claim primary payer paid amount",
                ),
            ];
            for (line_col, head_col) in pairs {
                let sum: i64 = rows.iter().map(|r| cents(&r[c(line_col)])).sum();
                assert_eq!(sum, hv(head_col), "{id}: {head_col}");
            }
            for r in rows {
                let v = |name: &str| cents(&r[c(name)]);
                let (s, a, p) = (
                    v("Line submitted amount"),
                    v("Line allowed amount"),
                    v("Line payment amount"),
                );
                assert!(s >= a && a >= p && p >= 0, "{id}: {s} {a} {p}");
                assert_eq!(
                    v("Line member liability"),
                    v("Line patient deductible")
                        + v("Line coinsurance amount")
                        + v("Line copay amount")
                        + v("Line disallowed amount"),
                    "{id}"
                );
                assert_eq!(
                    a,
                    v("Line patient deductible")
                        + v("Line coinsurance amount")
                        + v("Line copay amount")
                        + v("Line primary payer paid amount")
                        + p,
                    "{id}"
                );
                assert!(
                    v("Line amount paid to provider")
                        + v("Line amount paid by patient")
                        + v("Line primary payer paid amount")
                        <= s - v("Line discount amount"),
                    "{id}"
                );
                if status == "denied" {
                    assert_eq!(a, 0, "{id}: denied line with an allowed amount");
                    assert!(!r[c("Line payment denial code")].is_empty(), "{id}");
                }
                checked_lines += 1;
            }
        }
        assert!(checked_lines > 100);
    }

    #[test]
    fn adjusted_claims_and_related_payees_link_up() {
        let (dir, report) = run(50, 3);
        assert!(report.claims > 300);
        let t = Table::read(&dir.path().join(CLAIMS_FILE));
        let id = t.col("Claim unique identifier");
        let from = t.col("Claim adjusted from identifier");
        let to = t.col("Claim adjusted to identifier");
        let head: BTreeMap<&str, &Vec<String>> =
            t.rows.iter().map(|r| (r[id].as_str(), r)).collect();
        let mut links = 0;
        for r in head.values() {
            if !r[to].is_empty() {
                let rep = head.get(r[to].as_str()).expect("replacement exists");
                assert_eq!(rep[from], r[id]);
                links += 1;
            }
            if !r[from].is_empty() {
                let orig = head.get(r[from].as_str()).expect("original exists");
                assert_eq!(orig[to], r[id]);
            }
        }
        assert!(links >= 2);

        let rps = Table::read(&dir.path().join(RELATED_PERSONS_FILE));
        let rp_member: BTreeMap<&str, &str> = rps
            .rows
            .iter()
            .map(|r| (r[0].as_str(), r[1].as_str()))
            .collect();
        let payee_type = t.col("Claim payee type code");
        let payee = t.col("Claim payee");
        let member = t.col("Patient account number");
        let mut others = 0;
        for r in head.values() {
            match r[payee_type].as_str() {
                "other" => {
                    assert_eq!(rp_member.get(r[payee].as_str()), Some(&r[member].as_str()));
                    others += 1;
                }
                "beneficiary" | "subscriber" => assert_eq!(r[payee], r[member]),
                "provider" => assert!(is_valid_npi(&r[payee])),
                x => panic!("payee type {x}"),
            }
        }
        assert!(others >= 3, "only {others} related-person payees");
        // Some variety in outcomes and networks.
        let statuses: BTreeSet<&str> = head
            .values()
            .map(|r| r[t.col("Claim payment status code")].as_str())
            .collect();
        assert_eq!(statuses.len(), 3);
    }

    /// Writes a sample set for eyeballing:
    /// `GENERATE_SAMPLE_DIR=/tmp/x GENERATE_SAMPLE_N=50 cargo test --lib generate::tests::write_sample -- --ignored`
    #[test]
    #[ignore]
    fn write_sample() {
        let Ok(dir) = std::env::var("GENERATE_SAMPLE_DIR") else {
            return;
        };
        let n = std::env::var("GENERATE_SAMPLE_N")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(50);
        let report = generate(
            &GenerateOptions {
                beneficiaries: n,
                seed: 1,
            },
            Path::new(&dir),
            &mut |_| {},
        )
        .expect("generate");
        println!("{report:#?}");
    }

    /// `cargo test --release --lib generate -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn scale_30000_members() {
        let dir = tempfile::TempDir::new().expect("tempdir");
        for n in [1_000u64, 30_000] {
            let start = std::time::Instant::now();
            let report = generate(
                &GenerateOptions {
                    beneficiaries: n,
                    seed: 1,
                },
                dir.path(),
                &mut |_| {},
            )
            .expect("generate");
            let secs = start.elapsed().as_secs_f64();
            let size = std::fs::metadata(dir.path().join(CLAIMS_FILE))
                .map(|m| m.len())
                .unwrap_or(0);
            println!(
                "{n} members: {secs:.2} s, {:.0} claim rows/s, claims file {:.1} MB\n{report:#?}\nper member: {:.2} claims, {:.2} rows, {:.2} coverages",
                report.claim_lines as f64 / secs,
                size as f64 / 1e6,
                report.claims as f64 / n as f64,
                report.claim_lines as f64 / n as f64,
                report.coverages as f64 / n as f64,
            );
        }
    }
}
