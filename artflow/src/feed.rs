//! Feeding files through the event path: `import` (Jira REST search responses) and `replay`
//! (webhook bodies), with the same batches, progress and summary.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::Utc;
use domain::{IssueEvent, Webhook, import_issue, parse_webhook, search_issues};
use processor::{EventResult, apply_batch, with_retry};
use sea_orm::DatabaseConnection;
use serde::Serialize;

/// Events applied per transaction.
const BATCH: usize = 200;

/// What a run of `import` or `replay` did.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub files: usize,
    /// Issues read (import) or bodies read (replay).
    pub items: usize,
    pub events: usize,
    pub applied: usize,
    pub duplicates: usize,
    /// Input skipped with its reason: (where, why).
    pub skipped: Vec<(String, String)>,
    /// Events the store refused: (where, why).
    pub failed: Vec<(String, String)>,
    /// Issues whose history is incomplete in the input.
    pub incomplete: Vec<String>,
    /// Files (or bodies) that could not be read or parsed at all.
    pub unreadable: Vec<(String, String)>,
    /// Where the bodies were posted (`replay --to`): counts are then the server's answers.
    pub posted_to: Option<String>,
}

impl Summary {
    /// Whether every readable input was applied or skipped with a reason.
    /// Whether every readable input was applied or skipped with a reason: nothing unreadable,
    /// nothing the store refused.
    pub fn ok(&self) -> bool {
        self.unreadable.is_empty() && self.failed.is_empty()
    }

    pub fn print(&self, noun: &str) {
        if let Some(url) = &self.posted_to {
            println!(
                "{} file(s), {} {noun} posted to {url}: {} accepted (202), {} ignored (200), {} refused",
                self.files,
                self.items,
                self.applied,
                self.skipped.len(),
                self.unreadable.len()
            );
            for (what, why) in &self.skipped {
                println!("  ignored {what}: {why}");
            }
            for (what, why) in &self.unreadable {
                eprintln!("refused {what}: {why}");
            }
            return;
        }
        println!(
            "{} file(s), {} {noun}, {} events: {} applied, {} duplicates, {} skipped, {} failed, \
             {} unreadable",
            self.files,
            self.items,
            self.events,
            self.applied,
            self.duplicates,
            self.skipped.len(),
            self.failed.len(),
            self.unreadable.len()
        );
        for (what, why) in &self.skipped {
            println!("  skipped {what}: {why}");
        }
        for (what, why) in &self.failed {
            println!("  failed {what}: {why}");
        }
        for key in &self.incomplete {
            println!(
                "  history incomplete: {key} (changelog.total exceeds the histories present; \
                 its start counts as unknown if its earliest known status is past the start)"
            );
        }
        for (what, why) in &self.unreadable {
            eprintln!("error: {what}: {why}");
        }
    }
}

/// Applies events in batches, counting into the summary; each event's label names its source.
pub struct Feeder<'a> {
    db: &'a DatabaseConnection,
    pending: Vec<(String, IssueEvent)>,
    summary: Summary,
    progress: Option<Progress>,
}

struct Progress {
    done: usize,
}

impl<'a> Feeder<'a> {
    pub fn new(db: &'a DatabaseConnection, summary: Summary) -> Feeder<'a> {
        let progress = std::io::stderr()
            .is_terminal()
            .then_some(Progress { done: 0 });
        Feeder {
            db,
            pending: Vec::new(),
            summary,
            progress,
        }
    }

    /// Without the running count on stderr (for a caller that draws its own progress).
    pub fn quiet(mut self) -> Feeder<'a> {
        self.progress = None;
        self
    }

    /// What was fed so far.
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Queues an event for the next batch; an event that can never be applied (from another
    /// schema version, or without a key) is skipped with its reason.
    pub async fn push(&mut self, label: String, event: IssueEvent) -> anyhow::Result<()> {
        if let Err(why) = event.validate() {
            self.summary.skipped.push((label, why));
            return Ok(());
        }
        self.summary.events += 1;
        self.pending.push((label, event));
        if self.pending.len() >= BATCH {
            self.flush().await?;
        }
        Ok(())
    }

    pub async fn flush(&mut self) -> anyhow::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.pending);
        let events: Vec<IssueEvent> = batch.iter().map(|(_, e)| e.clone()).collect();
        let report = with_retry("apply batch", 5, || {
            apply_batch(self.db, &events, Utc::now())
        })
        .await
        .context("the store refused a batch; nothing of it was applied")?;
        for ((label, _), result) in batch.iter().zip(report.results) {
            match result {
                EventResult::Applied => self.summary.applied += 1,
                EventResult::Duplicate => self.summary.duplicates += 1,
                EventResult::Failed(why) => self.summary.failed.push((label.clone(), why)),
            }
        }
        if let Some(p) = &mut self.progress {
            p.done += batch.len();
            eprint!("\r  {} events applied", p.done);
            let _ = std::io::stderr().flush();
        }
        Ok(())
    }

    pub async fn finish(mut self) -> anyhow::Result<Summary> {
        self.flush().await?;
        if self.progress.as_ref().is_some_and(|p| p.done > 0) {
            eprintln!();
        }
        Ok(self.summary)
    }
}

/// Reads a file, naming it in the error.
fn read(path: &Path) -> Result<Vec<u8>, String> {
    if path.is_dir() {
        return Err("is a folder, not a file".into());
    }
    let mut bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    // Files saved by Windows tools often start with a UTF-8 byte-order mark.
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    Ok(bytes)
}

/// The events of one search response document, with skipped issues recorded.
pub fn search_events(
    name: &str,
    doc: &serde_json::Value,
    summary: &mut Summary,
) -> Result<Vec<(String, IssueEvent)>, String> {
    let issues = search_issues(doc).map_err(|e| e.0)?;
    let mut out = Vec::new();
    for (i, issue) in issues.into_iter().enumerate() {
        summary.items += 1;
        let label = issue
            .get("key")
            .and_then(|k| k.as_str())
            .map(|k| format!("{k} ({name})"))
            .unwrap_or_else(|| format!("issue #{} of {name}", i + 1));
        match import_issue(issue) {
            Ok(imported) => {
                if imported.truncated {
                    summary.incomplete.push(label.clone());
                }
                out.extend(imported.events.into_iter().map(|e| (label.clone(), e)));
            }
            Err(why) => summary.skipped.push((label, why.0)),
        }
    }
    Ok(out)
}

/// `artflow import FILE...`: file by file, so memory follows the largest file, not all of them.
pub async fn import(db: &DatabaseConnection, files: &[PathBuf]) -> anyhow::Result<Summary> {
    let mut feeder = Feeder::new(db, Summary::default());
    for path in files {
        let name = path.display().to_string();
        feeder.summary.files += 1;
        let doc = read(path).and_then(|bytes| {
            serde_json::from_slice::<serde_json::Value>(&bytes)
                .map_err(|e| format!("not valid JSON: {e}"))
        });
        match doc.and_then(|doc| search_events(&name, &doc, &mut feeder.summary)) {
            Ok(events) => {
                for (label, e) in events {
                    feeder.push(label, e).await?;
                }
            }
            Err(why) => feeder.summary.unreadable.push((name, why)),
        }
    }
    feeder.finish().await
}

/// Applies listed events into a summary started by the caller.
pub async fn feed(
    db: &DatabaseConnection,
    summary: Summary,
    events: Vec<(String, IssueEvent)>,
) -> anyhow::Result<Summary> {
    let mut feeder = Feeder::new(db, summary);
    for (label, e) in events {
        feeder.push(label, e).await?;
    }
    feeder.finish().await
}

/// The webhook bodies under the paths: files, folders of them (`.json`, `.jsonl`, `.ndjson`,
/// `.txt`, sorted by name, recursively) and JSON lines files (one body a line).
fn bodies(paths: &[PathBuf], summary: &mut Summary) -> Vec<(String, Vec<u8>)> {
    fn walk(path: &Path, out: &mut Vec<PathBuf>, summary: &mut Summary) {
        match std::fs::read_dir(path) {
            Ok(entries) => {
                let mut list: Vec<PathBuf> =
                    entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
                list.sort();
                for p in list {
                    if p.is_dir() {
                        walk(&p, out, summary);
                    } else if p
                        .extension()
                        .and_then(|e| e.to_str())
                        .is_some_and(|e| matches!(e, "json" | "jsonl" | "ndjson" | "txt"))
                    {
                        out.push(p);
                    }
                }
            }
            Err(e) => summary
                .unreadable
                .push((path.display().to_string(), format!("cannot list: {e}"))),
        }
    }
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut files, summary);
        } else {
            files.push(p.clone());
        }
    }
    let mut out = Vec::new();
    for f in files {
        summary.files += 1;
        let name = f.display().to_string();
        let bytes = match read(&f) {
            Ok(b) => b,
            Err(why) => {
                summary.unreadable.push((name, why));
                continue;
            }
        };
        let lines = f
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "jsonl" | "ndjson"));
        if lines {
            for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                out.push((format!("{name}:{}", i + 1), line.to_vec()));
            }
        } else {
            out.push((name, bytes));
        }
    }
    out
}

/// `artflow replay PATH...`: webhook bodies through the same path as ingest.
pub async fn replay(db: &DatabaseConnection, paths: &[PathBuf]) -> anyhow::Result<Summary> {
    let mut summary = Summary::default();
    let mut events = Vec::new();
    for (name, body) in bodies(paths, &mut summary) {
        events.extend(webhook_event(name, &body, &mut summary));
    }
    feed(db, summary, events).await
}

/// The event of one webhook body, as ingest would make it; ignored and refused bodies are
/// recorded in the summary.
pub fn webhook_event(
    name: String,
    body: &[u8],
    summary: &mut Summary,
) -> Option<(String, IssueEvent)> {
    summary.items += 1;
    match parse_webhook(body, None) {
        Ok(Webhook::Event(e)) => Some((format!("{} ({name})", e.issue.key), *e)),
        Ok(Webhook::Ignored(why)) => {
            summary.skipped.push((name, why));
            None
        }
        Err(why) => {
            summary.unreadable.push((name, why.0));
            None
        }
    }
}

/// `artflow replay --to URL`: posts the bodies to a running server and counts its answers.
/// Bodies it refuses (4xx) are listed as unreadable input; a server error stops the run.
pub async fn replay_to(poster: &crate::post::Poster, paths: &[PathBuf]) -> anyhow::Result<Summary> {
    let mut summary = Summary {
        posted_to: Some(poster.url()),
        ..Summary::default()
    };
    for (name, body) in bodies(paths, &mut summary) {
        summary.items += 1;
        let answer = poster.post(&body).await?;
        let message = || {
            serde_json::from_str::<serde_json::Value>(&answer.body)
                .ok()
                .and_then(|v| {
                    v.pointer("/error/message")
                        .or_else(|| v.pointer("/reason"))
                        .and_then(|m| m.as_str().map(str::to_owned))
                })
                .unwrap_or_else(|| answer.body.clone())
        };
        match answer.status {
            202 => {
                summary.events += 1;
                summary.applied += 1;
            }
            200 => summary.skipped.push((name, message())),
            400..=499 => summary
                .unreadable
                .push((name, format!("{} {}", answer.status, message()))),
            status => anyhow::bail!(
                "{} answered {status} for {name}: {}; stopping (what was accepted before stays accepted)",
                poster.url(),
                message()
            ),
        }
    }
    Ok(summary)
}
