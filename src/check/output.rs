//! The report for people: a terminal summary and a self-contained HTML page
//! (`templates/check/report.html`); `--json` is the report serialized as it is.

use std::fmt::Write as _;

use askama::Template;

use super::report::{Check, Outcome, Report};

/// The terminal summary: counts per group, then every failed and warned check with its
/// requests and messages, validation and must-support totals, the verdict.
pub fn summary(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "CARIN Blue Button 2.0.0 conformance check of {}\nauth: {}; patients: {}\n",
        report.base,
        report.auth,
        if report.patients.is_empty() {
            "none".to_string()
        } else {
            report.patients.join(", ")
        }
    );
    let _ = writeln!(
        out,
        "{:<52} {:>5} {:>5} {:>5} {:>5}",
        "group", "pass", "fail", "warn", "skip"
    );
    for g in &report.groups {
        let _ = writeln!(
            out,
            "{:<52} {:>5} {:>5} {:>5} {:>5}",
            g.title, g.counts.pass, g.counts.fail, g.counts.warn, g.counts.skip
        );
    }
    let s = report.summary;
    let _ = writeln!(
        out,
        "{:<52} {:>5} {:>5} {:>5} {:>5}",
        "total", s.pass, s.fail, s.warn, s.skip
    );
    for (heading, wanted) in [("Failures", Outcome::Fail), ("Warnings", Outcome::Warn)] {
        let checks: Vec<&Check> = report.checks().filter(|c| c.outcome == wanted).collect();
        if checks.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{heading}:");
        for c in checks {
            let _ = writeln!(
                out,
                "  {} {}: {}",
                c.outcome.as_str().to_uppercase(),
                c.id,
                c.title
            );
            for r in &c.requests {
                let status = r.status.map_or_else(|| "-".to_string(), |s| s.to_string());
                let _ = writeln!(out, "       {} {} -> {status}", r.method, r.url);
            }
            for m in &c.messages {
                let _ = writeln!(out, "       {m}");
            }
        }
    }
    let errors = report
        .findings
        .iter()
        .filter(|f| f.severity == "error")
        .count();
    let _ = writeln!(
        out,
        "\nvalidated {} resources: {errors} errors, {} warnings",
        report.validated,
        report.findings.len() - errors
    );
    let examined = report
        .must_support
        .iter()
        .filter(|m| m.resources > 0)
        .count();
    let incomplete: Vec<String> = report
        .must_support
        .iter()
        .filter(|m| !m.missing.is_empty())
        .map(|m| {
            format!(
                "{} ({} missing)",
                m.profile.rsplit('/').next().unwrap_or(""),
                m.missing.len()
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "must-support: {examined} of {} profiles examined; {}",
        report.must_support.len(),
        if incomplete.is_empty() {
            "nothing missing".to_string()
        } else {
            format!("incomplete: {}", incomplete.join(", "))
        }
    );
    let failed = report.checks().filter(|c| c.failed()).count();
    let _ = writeln!(
        out,
        "\n{}",
        if report.passed {
            "PASSED: every required check passed".to_string()
        } else {
            format!("FAILED: {failed} required checks failed")
        }
    );
    out
}

#[derive(Template)]
#[template(path = "check/report.html")]
struct Page<'a> {
    r: &'a Report,
    errors: usize,
    warnings: usize,
}

/// The HTML report: one page, styles inline, no scripts.
pub fn html(report: &Report) -> Result<String, askama::Error> {
    let errors = report
        .findings
        .iter()
        .filter(|f| f.severity == "error")
        .count();
    Page {
        r: report,
        errors,
        warnings: report.findings.len() - errors,
    }
    .render()
}
