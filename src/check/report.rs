//! The report: groups of checks, each with what it requested and what it found; validation
//! findings per resource; must-support coverage per profile. Serialized as the `--json` output
//! (schema [`SCHEMA`]; fields are only ever added).

use serde::Serialize;

use super::must_support::Coverage;

/// The JSON report's schema name and version.
pub const SCHEMA: &str = "carin-sandbox-check/1";

/// How a check ended. `Warn` is a failed optional check (or a remark on a passed one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Skip,
    Pass,
    Warn,
    Fail,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Skip => "skip",
            Outcome::Pass => "pass",
            Outcome::Warn => "warn",
            Outcome::Fail => "fail",
        }
    }
}

/// One HTTP request a check made.
#[derive(Debug, Clone, Serialize)]
pub struct Request {
    pub method: &'static str,
    pub url: String,
    /// None when no status was seen (the server could not be reached, or the step ran inside
    /// the client module: the sign-in forms and the token exchange).
    pub status: Option<u16>,
}

/// One check.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// Stable id, e.g. `eob.search.service-date` (per patient: `…@<patient id>`).
    pub id: String,
    pub title: String,
    /// A failed required check fails the run (exit code 1); a failed optional one is a warning.
    pub required: bool,
    pub outcome: Outcome,
    pub requests: Vec<Request>,
    pub messages: Vec<String>,
}

impl Check {
    pub fn new(id: impl Into<String>, title: impl Into<String>, required: bool) -> Check {
        Check {
            id: id.into(),
            title: title.into(),
            required,
            outcome: Outcome::Pass,
            requests: Vec::new(),
            messages: Vec::new(),
        }
    }

    pub fn request(&mut self, method: &'static str, url: &str, status: Option<u16>) {
        self.requests.push(Request {
            method,
            url: url.to_string(),
            status,
        });
    }

    fn raise(&mut self, to: Outcome, message: String) {
        if self.outcome == Outcome::Skip || self.outcome < to {
            self.outcome = to;
        }
        self.messages.push(message);
    }

    /// The check failed: `Fail` when required, else `Warn`.
    pub fn fail(&mut self, message: impl Into<String>) {
        let to = if self.required {
            Outcome::Fail
        } else {
            Outcome::Warn
        };
        self.raise(to, message.into());
    }

    /// A remark that does not fail the check.
    pub fn warn(&mut self, message: impl Into<String>) {
        self.raise(Outcome::Warn, message.into());
    }

    /// Nothing to check (only when nothing failed yet).
    pub fn skip(&mut self, message: impl Into<String>) {
        if self.outcome == Outcome::Pass {
            self.outcome = Outcome::Skip;
        }
        self.messages.push(message.into());
    }

    pub fn note(&mut self, message: impl Into<String>) {
        self.messages.push(message.into());
    }

    pub fn failed(&self) -> bool {
        self.outcome == Outcome::Fail
    }
}

/// A group of checks, modelled on a group of the CARIN test kit.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub id: &'static str,
    pub title: &'static str,
    pub checks: Vec<Check>,
    pub counts: Counts,
}

impl Group {
    pub fn new(id: &'static str, title: &'static str) -> Group {
        Group {
            id,
            title,
            checks: Vec::new(),
            counts: Counts::default(),
        }
    }
}

/// Checks per outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub warn: usize,
    pub skip: usize,
}

impl Counts {
    fn add(&mut self, o: Outcome) {
        match o {
            Outcome::Pass => self.pass += 1,
            Outcome::Fail => self.fail += 1,
            Outcome::Warn => self.warn += 1,
            Outcome::Skip => self.skip += 1,
        }
    }
}

/// One validation issue of one returned resource.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// `Type/id` (with `/_history/v` when the server gave a version).
    pub resource: String,
    /// The C4BB profile it was checked against (its first claimed one).
    pub profile: Option<String>,
    pub severity: &'static str,
    pub path: String,
    pub rule: &'static str,
    pub message: String,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub base: String,
    /// When the check ran (RFC 3339, from the clock it was given).
    pub started_at: String,
    /// How requests were authorized: `none`, `bearer`, `standalone-launch`, `backend-services`.
    pub auth: &'static str,
    /// The patients the API checks ran for.
    pub patients: Vec<String>,
    pub summary: Counts,
    /// True when no required check failed.
    pub passed: bool,
    pub groups: Vec<Group>,
    /// Resources validated with the C4BB checker (distinct `Type/id/version`).
    pub validated: usize,
    pub findings: Vec<Finding>,
    pub must_support: Vec<Coverage>,
}

impl Report {
    /// Every check, group by group.
    pub fn checks(&self) -> impl Iterator<Item = &Check> {
        self.groups.iter().flat_map(|g| &g.checks)
    }

    /// The ids of the checks that ended with `outcome`.
    pub fn ids_with(&self, outcome: Outcome) -> Vec<&str> {
        self.checks()
            .filter(|c| c.outcome == outcome)
            .map(|c| c.id.as_str())
            .collect()
    }

    /// Fills in the counts and the verdict.
    pub fn finish(&mut self) {
        let mut total = Counts::default();
        for g in &mut self.groups {
            let mut counts = Counts::default();
            for c in &g.checks {
                counts.add(c.outcome);
                total.add(c.outcome);
            }
            g.counts = counts;
        }
        self.summary = total;
        let passed = !self.checks().any(Check::failed);
        self.passed = passed;
    }

    /// The process exit code: 0 when every required check passed.
    pub fn exit_code(&self) -> i32 {
        i32::from(!self.passed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_failures_are_warnings_and_skips_do_not_hide_failures() {
        let mut c = Check::new("a", "A", false);
        c.fail("no");
        assert_eq!(c.outcome, Outcome::Warn);
        let mut c = Check::new("b", "B", true);
        c.skip("nothing");
        assert_eq!(c.outcome, Outcome::Skip);
        c.fail("but this");
        assert_eq!(c.outcome, Outcome::Fail);
        c.skip("later");
        c.warn("and a remark");
        assert_eq!(c.outcome, Outcome::Fail);
    }
}
