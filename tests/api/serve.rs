use crate::helpers::TestApp;

#[tokio::test]
async fn first_start_on_an_empty_data_dir_loads_the_seed() {
    let app = TestApp::spawn(true, true).await;
    let report = app
        .seeded
        .as_ref()
        .expect("the seed was loaded on first start");
    assert!(report.eobs() > 1000, "seed has {} EOBs", report.eobs());
    let health = app.get_json("/health").await;
    assert_eq!(health["status"], "ok");
    assert_eq!(
        health["explanationOfBenefits"].as_u64(),
        Some(report.eobs())
    );
    assert!(health["patients"].as_u64().unwrap() >= 200);
}

#[tokio::test]
async fn no_seed_starts_empty() {
    let app = TestApp::spawn(false, true).await;
    assert!(app.seeded.is_none());
    let health = app.get_json("/health").await;
    assert_eq!(health["patients"], 0);
}
