use std::sync::{Arc, OnceLock};

use time::macros::datetime;

use super::*;
use crate::clock::FixedClock;

/// The seed, loaded once into a data directory of its own; each test copies the store file.
fn seeded_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        crate::seed::load_if_empty(
            &store,
            &crate::index::SearchIndex::in_memory().unwrap(),
            dir.path(),
            datetime!(2026-01-01 00:00 UTC),
            &mut |_, _| {},
        )
        .unwrap();
        dir
    })
    .path()
}

struct Fixture {
    _dir: tempfile::TempDir,
    data: PathBuf,
    store: Store,
    clock: Arc<FixedClock>,
    bulk: Bulk,
}

fn fixture(config: BulkConfig) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();
    std::fs::copy(
        seeded_dir().join(crate::store::STORE_FILE),
        data.join(crate::store::STORE_FILE),
    )
    .unwrap();
    let store = Store::open(&data).unwrap();
    let clock = Arc::new(FixedClock::new(datetime!(2026-01-02 00:00 UTC)));
    let bulk = Bulk::open(&store, &data, clock.clone(), config, false).unwrap();
    Fixture {
        _dir: dir,
        data,
        store,
        clock,
        bulk,
    }
}

fn request(level: Level, types: &[&str]) -> ExportRequest {
    ExportRequest {
        level,
        types: types.iter().map(|t| t.to_string()).collect(),
        since: None,
        type_filters: Vec::new(),
        request: "http://x/$export".into(),
        client_id: "app".into(),
    }
}

/// Every line of every file of a finished job, per file: (type, parsed resources).
fn lines(f: &Fixture, job: &Job) -> Vec<(String, Vec<serde_json::Value>)> {
    job.files
        .iter()
        .map(|file| {
            let text = std::fs::read_to_string(f.bulk.job_dir(&job.id).join(&file.name)).unwrap();
            let parsed: Vec<serde_json::Value> = text
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            assert_eq!(parsed.len() as u64, file.count, "{}", file.name);
            for r in &parsed {
                assert_eq!(r["resourceType"], file.resource_type.as_str());
            }
            (file.resource_type.clone(), parsed)
        })
        .collect()
}

fn run(f: &Fixture, req: ExportRequest) -> Job {
    let job = f.bulk.kick_off(req).unwrap();
    assert_eq!(job.state, State::Queued);
    assert_eq!(f.bulk.run_queued().unwrap(), 1);
    let job = f.bulk.job(&job.id, "app").unwrap();
    assert_eq!(job.state, State::Done, "{:?}", job.error);
    job
}

#[test]
fn a_system_export_writes_every_resource_once() {
    let f = fixture(BulkConfig::default());
    let job = run(&f, request(Level::System, EXPORT_ORDER));
    let read = f.store.read().unwrap();
    let got = lines(&f, &job);
    for ty in EXPORT_ORDER {
        let n: usize = got
            .iter()
            .filter(|(t, _)| t == ty)
            .map(|(_, r)| r.len())
            .sum();
        assert_eq!(n as u64, read.count(ty).unwrap(), "{ty}");
    }
    assert!(job.transaction_time.is_some());
    assert_eq!(job.written, job.files.iter().map(|f| f.count).sum::<u64>());
}

#[test]
fn large_types_are_split_into_numbered_files() {
    let f = fixture(BulkConfig {
        file_max_resources: 40,
        ..BulkConfig::default()
    });
    let job = run(&f, request(Level::System, &["ExplanationOfBenefit"]));
    let total = f
        .store
        .read()
        .unwrap()
        .count("ExplanationOfBenefit")
        .unwrap();
    assert!(total > 80, "the seed has enough EOBs to split");
    assert_eq!(job.files.len() as u64, total.div_ceil(40));
    assert_eq!(job.files[0].name, "ExplanationOfBenefit-1.ndjson");
    assert_eq!(job.files[1].name, "ExplanationOfBenefit-2.ndjson");
    assert!(job.files.iter().all(|file| file.count <= 40));
    lines(&f, &job);
}

#[test]
fn a_group_export_holds_only_its_members_and_what_they_reference() {
    let f = fixture(BulkConfig::default());
    let groups = groups::groups(&f.store).unwrap();
    let group = groups
        .by_id
        .values()
        .find(|g| g.members.len() >= 2)
        .unwrap()
        .clone();
    let job = run(&f, request(Level::Group(group.id.clone()), EXPORT_ORDER));
    let got = lines(&f, &job);
    let all_orgs = f.store.read().unwrap().count("Organization").unwrap();
    let mut orgs = 0;
    for (ty, resources) in &got {
        for r in resources {
            let json = serde_json::to_vec(r).unwrap();
            match ty.as_str() {
                "Organization" => orgs += 1,
                "Practitioner" => {}
                "Provenance" => assert!(crate::fhir::compartment::provenance_patients(&json)
                    .iter()
                    .any(|p| group.members.contains(p))),
                _ => {
                    let owner = crate::fhir::compartment::owner(ty, &json).unwrap();
                    assert!(group.members.contains(&owner), "{ty} of {owner}");
                }
            }
        }
    }
    let patients: usize = got
        .iter()
        .filter(|(t, _)| t == "Patient")
        .map(|(_, r)| r.len())
        .sum();
    assert_eq!(patients, group.members.len());
    assert!(orgs > 0 && orgs < all_orgs as usize, "{orgs} of {all_orgs}");
}

#[test]
fn an_unknown_group_is_refused() {
    let f = fixture(BulkConfig::default());
    let e = f
        .bulk
        .kick_off(request(Level::Group("nope".into()), EXPORT_ORDER))
        .unwrap_err();
    assert!(matches!(e, BulkError::UnknownGroup(_)), "{e}");
}

#[test]
fn since_after_the_import_exports_nothing() {
    let f = fixture(BulkConfig::default());
    let mut req = request(Level::System, EXPORT_ORDER);
    let since = "2026-01-01T00:00:01+00:00";
    req.since = Some((since.into(), instant_nanos(since).unwrap()));
    let job = run(&f, req);
    assert!(job.files.is_empty(), "{:?}", job.files);
    let mut req = request(Level::System, &["Patient"]);
    let before = "2025-12-31T23:59:59Z";
    req.since = Some((before.into(), instant_nanos(before).unwrap()));
    assert_eq!(run(&f, req).files.len(), 1);
}

#[test]
fn type_filter_keeps_matching_resources_only() {
    let f = fixture(BulkConfig::default());
    let mut req = request(Level::System, &["ExplanationOfBenefit"]);
    req.type_filters = vec!["ExplanationOfBenefit?type=pharmacy".into()];
    let job = run(&f, req);
    let got = lines(&f, &job);
    let n: usize = got.iter().map(|(_, r)| r.len()).sum();
    assert!(n > 0);
    assert!(
        (n as u64)
            < f.store
                .read()
                .unwrap()
                .count("ExplanationOfBenefit")
                .unwrap()
    );
    for (_, resources) in got {
        for r in resources {
            assert!(r["type"].to_string().contains("pharmacy"), "{}", r["type"]);
        }
    }
}

#[test]
fn a_client_has_a_bounded_number_of_active_jobs() {
    let f = fixture(BulkConfig::default());
    f.bulk
        .kick_off(request(Level::System, &["Patient"]))
        .unwrap();
    f.bulk
        .kick_off(request(Level::System, &["Patient"]))
        .unwrap();
    let e = f
        .bulk
        .kick_off(request(Level::System, &["Patient"]))
        .unwrap_err();
    assert!(matches!(e, BulkError::TooMany(2)), "{e}");
    let mut other = request(Level::System, &["Patient"]);
    other.client_id = "other".into();
    f.bulk.kick_off(other).unwrap();
    f.bulk.run_queued().unwrap();
    f.bulk
        .kick_off(request(Level::System, &["Patient"]))
        .unwrap();
}

#[test]
fn cancel_deletes_the_files_and_hides_the_job_from_other_clients() {
    let f = fixture(BulkConfig::default());
    let job = run(&f, request(Level::System, &["Patient"]));
    assert!(f.bulk.job_dir(&job.id).exists());
    assert!(matches!(
        f.bulk.cancel(&job.id, "other"),
        Err(BulkError::NotFound(_))
    ));
    assert!(matches!(
        f.bulk.file(&job.id, "other", &job.files[0].name),
        Err(BulkError::NotFound(_))
    ));
    f.bulk.file(&job.id, "app", &job.files[0].name).unwrap();
    assert!(f.bulk.file(&job.id, "app", "../carin.redb").is_err());
    let cancelled = f.bulk.cancel(&job.id, "app").unwrap();
    assert_eq!(cancelled.state, State::Cancelled);
    assert!(!f.bulk.job_dir(&job.id).exists());
    assert!(f.bulk.file(&job.id, "app", &job.files[0].name).is_err());
    assert!(f.bulk.cancel(&job.id, "app").is_err(), "cancelled once");

    // A queued job cancelled before it runs never runs.
    let queued = f
        .bulk
        .kick_off(request(Level::System, &["Patient"]))
        .unwrap();
    f.bulk.cancel(&queued.id, "app").unwrap();
    assert_eq!(f.bulk.run_queued().unwrap(), 0);
}

#[test]
fn an_interrupted_job_runs_again_after_a_restart() {
    let f = fixture(BulkConfig::default());
    let job = f
        .bulk
        .kick_off(request(Level::System, &["Patient"]))
        .unwrap();
    // The worker claimed it and wrote part of a file, then the process died.
    let claimed = f.bulk.inner.claim_next().unwrap().unwrap();
    assert_eq!(claimed.id, job.id);
    let dir = f.bulk.job_dir(&job.id);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("Patient-1.ndjson"), "{\"partial").unwrap();
    let Fixture {
        _dir,
        data,
        store,
        clock,
        bulk,
        ..
    } = f;
    drop(bulk);
    let bulk = Bulk::open(&store, &data, clock, BulkConfig::default(), false).unwrap();
    let requeued = bulk.job(&job.id, "app").unwrap();
    assert_eq!(requeued.state, State::Queued);
    assert!(!dir.exists(), "partial files are gone");
    assert_eq!(bulk.run_queued().unwrap(), 1);
    let done = bulk.job(&job.id, "app").unwrap();
    assert_eq!(done.state, State::Done);
    assert_eq!(done.attempts, 2);
    let text = std::fs::read_to_string(dir.join("Patient-1.ndjson")).unwrap();
    assert_eq!(text.lines().count() as u64, done.files[0].count);
}

#[test]
fn finished_jobs_expire_with_their_files() {
    let f = fixture(BulkConfig::default());
    let job = run(&f, request(Level::System, &["Patient"]));
    let now = f.clock.now().unix_timestamp();
    assert_eq!(f.bulk.sweep(now + 24 * 3600 - 1).unwrap(), 0);
    assert!(f.bulk.job_dir(&job.id).exists());
    assert_eq!(f.bulk.sweep(now + 24 * 3600).unwrap(), 1);
    assert!(!f.bulk.job_dir(&job.id).exists());
    assert!(matches!(
        f.bulk.job(&job.id, "app"),
        Err(BulkError::NotFound(_))
    ));
    // Opening the service sweeps too.
    let job = run(&f, request(Level::System, &["Patient"]));
    f.clock.advance(time::Duration::hours(25));
    let bulk = Bulk::open(
        &f.store,
        &f.data,
        f.clock.clone(),
        BulkConfig::default(),
        false,
    )
    .unwrap();
    assert!(bulk.job(&job.id, "app").is_err());
}

#[test]
fn groups_are_one_per_plan_with_their_beneficiaries() {
    let f = fixture(BulkConfig::default());
    let groups = groups::groups(&f.store).unwrap();
    assert!(groups.by_id.len() >= 2, "{:?}", groups.by_id.keys());
    let group = groups.by_id.values().next().unwrap();
    assert!(group.id.starts_with("plan-"));
    let json = groups::group_json(group);
    assert_eq!(json["type"], "person");
    assert_eq!(json["actual"], true);
    assert_eq!(json["quantity"], group.members.len());
    let member = json["member"][0]["entity"]["reference"].as_str().unwrap();
    assert!(member.starts_with("Patient/"));
    // Cached per generation: the same Arc until the store changes.
    assert!(Arc::ptr_eq(&groups, &groups::groups(&f.store).unwrap()));
}
