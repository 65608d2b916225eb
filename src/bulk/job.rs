//! The job record (table `bulk_jobs`) and what a request asks for.

use serde::{Deserialize, Serialize};

/// Which data an export covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "level", content = "group", rename_all = "lowercase")]
pub enum Level {
    /// `[base]/$export`: everything the client's scopes cover.
    System,
    /// `[base]/Patient/$export`: every patient's compartment.
    Patient,
    /// `[base]/Group/[id]/$export`: the group's members' compartments.
    Group(String),
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Queued,
    Running,
    Done,
    Failed,
    Cancelled,
}

impl State {
    /// Queued or running: counts against the client's limit, survives a restart.
    pub fn is_active(self) -> bool {
        matches!(self, State::Queued | State::Running)
    }
}

/// One NDJSON file of a finished export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputFile {
    #[serde(rename = "type")]
    pub resource_type: String,
    /// The file name inside the job's folder: `<Type>-<n>.ndjson`.
    pub name: String,
    pub count: u64,
}

/// What a kick-off asks for, checked (`api::bulk` turns the HTTP parameters into this).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRequest {
    pub level: Level,
    /// The types to export, in export order (see `bulk::EXPORT_ORDER`).
    pub types: Vec<String>,
    /// `_since`, as sent (a FHIR instant), and as unix nanoseconds.
    pub since: Option<(String, i128)>,
    /// `_typeFilter` searches (`Type?query`), checked.
    pub type_filters: Vec<String>,
    /// The kick-off URL, for the manifest's `request`.
    pub request: String,
    /// The client that asked: only it may poll, download or cancel.
    pub client_id: String,
}

/// A stored export job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub id: String,
    pub level: Level,
    pub types: Vec<String>,
    #[serde(default)]
    pub since: Option<String>,
    #[serde(default)]
    pub since_nanos: Option<i128>,
    #[serde(default)]
    pub type_filters: Vec<String>,
    pub request: String,
    pub client_id: String,
    pub state: State,
    /// Resources written so far, and how many the export may hold at most (for `X-Progress`).
    #[serde(default)]
    pub written: u64,
    #[serde(default)]
    pub estimate: u64,
    #[serde(default)]
    pub files: Vec<OutputFile>,
    #[serde(default)]
    pub error: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    #[serde(default)]
    pub started_at: Option<i64>,
    #[serde(default)]
    pub finished_at: Option<i64>,
    /// The FHIR instant of the snapshot the export reads (set when it starts).
    #[serde(default)]
    pub transaction_time: Option<String>,
    /// How many times it was started (a restart re-runs an interrupted job from scratch).
    #[serde(default)]
    pub attempts: u32,
}

impl Job {
    pub fn new(id: String, request: ExportRequest, now: i64) -> Self {
        let (since, since_nanos) = match request.since {
            Some((text, nanos)) => (Some(text), Some(nanos)),
            None => (None, None),
        };
        Self {
            id,
            level: request.level,
            types: request.types,
            since,
            since_nanos,
            type_filters: request.type_filters,
            request: request.request,
            client_id: request.client_id,
            state: State::Queued,
            written: 0,
            estimate: 0,
            files: Vec::new(),
            error: None,
            created_at: now,
            started_at: None,
            finished_at: None,
            transaction_time: None,
            attempts: 0,
        }
    }

    /// `X-Progress` text (under 100 characters, as the specification asks).
    pub fn progress(&self) -> String {
        match self.state {
            State::Queued => "queued".into(),
            _ if self.estimate == 0 => format!("{} resources written", self.written),
            _ => {
                let percent = (self.written.saturating_mul(100) / self.estimate).min(99);
                format!("{percent}% complete, {} resources written", self.written)
            }
        }
    }
}
