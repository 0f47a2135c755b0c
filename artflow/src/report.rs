//! `artflow report`: the stored figures per ART and pipeline configuration, as a table, JSON or
//! CSV. Reads only what the processor stored; the counted issue keys come from the facts.

use std::fmt::Write as _;

use anyhow::bail;
use api::read::{self, Finding, PipelineFigures};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Report {
    pub as_of: String,
    /// The completion window of the figures (`--since`, `--until`; both null: all time).
    pub window: read::Window,
    pub arts: Vec<ArtReport>,
}

#[derive(Debug, Serialize)]
pub struct ArtReport {
    pub abbreviation: String,
    pub name: String,
    pub pipelines: Vec<PipelineReport>,
}

/// The API's figures of a configuration, with the counted issues and the findings.
#[derive(Debug, Serialize)]
pub struct PipelineReport {
    #[serde(flatten)]
    pub figures: PipelineFigures,
    pub issues: Vec<String>,
    /// Data-quality findings: issues done without a known start, with end before start, or with
    /// a value that could not be read; by issue key.
    pub findings: Vec<Finding>,
}

/// Reads the report; `art` narrows it to one ART (an unknown abbreviation is an error);
/// `window` limits the figures of completed issues, and the counted issues listed, to those
/// completed in it. Ages are measured as the API measures them: at the start of the current UTC
/// hour before `now` ([`read::aging_as_of`]), which is also the report's `as_of`.
pub async fn build(
    db: &DatabaseConnection,
    art: Option<&str>,
    now: DateTime<Utc>,
    window: read::Window,
) -> anyhow::Result<Report> {
    if let (Some(f), Some(t)) = (window.from, window.to)
        && f > t
    {
        bail!("--since {f} is after --until {t}");
    }
    window.check()?;
    let as_of_ms = read::aging_as_of(now);
    let mut arts = read::arts(db).await?;
    if let Some(a) = art {
        arts.retain(|x| x.abbreviation.eq_ignore_ascii_case(a));
        if arts.is_empty() {
            bail!("no ART has the abbreviation {a:?} (see `artflow report` for the list)");
        }
    }
    let mut configs = read::configs_by_art(db).await?;
    let mut out = Vec::with_capacity(arts.len());
    for a in arts {
        let mut pipelines = Vec::new();
        for c in configs.remove(&a.id).unwrap_or_default() {
            let mut figures = read::pipeline_figures(db, &c, as_of_ms).await?;
            let issues = if window.is_open() {
                read::counted_keys(db, c.id).await?
            } else {
                figures = read::window_figures(db, &c, figures, window).await?;
                counted_keys_in(db, c.id, window).await?
            };
            pipelines.push(PipelineReport {
                figures,
                issues,
                findings: read::findings(db, c.id).await?,
            });
        }
        out.push(ArtReport {
            abbreviation: a.abbreviation,
            name: a.name,
            pipelines,
        });
    }
    Ok(Report {
        as_of: read::time(as_of_ms).unwrap_or_default(),
        window,
        arts: out,
    })
}

/// The counted issues of a configuration completed in a window (UTC days, inclusive), sorted.
async fn counted_keys_in(
    db: &DatabaseConnection,
    config_id: i64,
    window: read::Window,
) -> anyhow::Result<Vec<String>> {
    use entities::lead_time_fact::{Column as F, Entity};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    let mut q = Entity::find()
        .select_only()
        .column(F::IssueKey)
        .filter(F::ConfigId.eq(config_id))
        .filter(F::Outcome.eq(domain::Outcome::Counted.as_str()))
        .filter(F::EndMs.is_not_null());
    if let Some(from) = window.from {
        q = q.filter(F::EndMs.gte(read::day_start_ms(from)));
    }
    if let Some(to) = window.to {
        q = q.filter(F::EndMs.lt(read::day_start_ms(to) + domain::time::MS_PER_DAY));
    }
    let mut keys: Vec<String> = q.into_tuple().all(db).await?;
    keys.sort();
    Ok(keys)
}

/// `artflow report --quality`: the data-quality findings of every (or one) ART.
pub async fn quality(
    db: &DatabaseConnection,
    art: Option<&str>,
) -> anyhow::Result<Vec<read::DataQuality>> {
    let mut arts = read::arts(db).await?;
    if let Some(a) = art {
        arts.retain(|x| x.abbreviation.eq_ignore_ascii_case(a));
        if arts.is_empty() {
            bail!("no ART has the abbreviation {a:?} (see `artflow report` for the list)");
        }
    }
    let mut out = Vec::with_capacity(arts.len());
    for a in &arts {
        out.push(read::data_quality(db, a).await?);
    }
    Ok(out)
}

/// The data-quality findings as text.
pub fn quality_table(q: &[read::DataQuality]) -> String {
    const SHOWN: usize = 10;
    let mut out = String::new();
    let list = |out: &mut String, what: &str, items: Vec<String>| {
        if items.is_empty() {
            return;
        }
        let _ = writeln!(out, "  {what} ({}):", items.len());
        for i in items.iter().take(SHOWN) {
            let _ = writeln!(out, "    {i}");
        }
        if items.len() > SHOWN {
            let _ = writeln!(
                out,
                "    ... and {} more (all of them in --format json)",
                items.len() - SHOWN
            );
        }
    };
    for a in q {
        for c in &a.configs {
            let _ = writeln!(out, "{} {} ({} rule):", a.art, c.code, c.rule);
            let before = out.len();
            let findings = |v: &[read::Finding]| {
                v.iter()
                    .map(|f| format!("{}: {}", f.issue, f.note))
                    .collect::<Vec<_>>()
            };
            list(
                &mut out,
                "statuses its stages do not map",
                c.unmapped_statuses
                    .iter()
                    .map(|s| match &s.id {
                        Some(id) => format!("{} (id {id}): {}", s.status, issues(s.issues)),
                        None => format!("{}: {}", s.status, issues(s.issues)),
                    })
                    .collect(),
            );
            list(
                &mut out,
                "done without a known start",
                findings(&c.unknown_start),
            );
            list(&mut out, "end before start", findings(&c.end_before_start));
            list(
                &mut out,
                "values that could not be read",
                findings(&c.unreadable_values),
            );
            list(
                &mut out,
                "straight to done (never active)",
                c.never_active.clone(),
            );
            if out.len() == before {
                out.push_str("  no findings\n");
            }
        }
    }
    if let Some(a) = q.first()
        && !a.unowned_projects.is_empty()
    {
        let _ = writeln!(out, "projects no ART owns (their issues count nowhere):");
        for p in &a.unowned_projects {
            let _ = writeln!(out, "  {}: {}", p.project, issues(p.issues));
        }
    }
    out
}

fn num(v: Option<f64>, digits: usize) -> String {
    v.map(|x| format!("{x:.digits$}"))
        .unwrap_or_else(|| "-".into())
}

/// A human-readable table, one line per pipeline configuration.
pub fn table(r: &Report) -> String {
    let header = [
        "ART",
        "PIPELINE",
        "RULE",
        "COUNT",
        "WIP",
        "MIN d",
        "MIN ISSUE",
        "MEAN d",
        "P85 d",
        "MAX d",
        "MAX ISSUE",
        "FLOW EFF",
        "NOT COUNTED",
    ];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    for a in &r.arts {
        if a.pipelines.is_empty() {
            rows.push(vec![a.abbreviation.clone(), "(no pipeline)".into()]);
        }
        for p in &a.pipelines {
            let n = &p.figures.not_counted;
            let mut why = Vec::new();
            for (k, v) in [
                ("never active", n.never_active),
                ("unknown start", n.unknown_start),
                ("invalid", n.invalid),
                ("below threshold", n.below_threshold),
                ("cancelled", n.cancelled),
            ] {
                if v > 0 {
                    why.push(format!("{v} {k}"));
                }
            }
            rows.push(vec![
                a.abbreviation.clone(),
                p.figures.code.clone(),
                p.figures.rule.clone(),
                p.figures.count.to_string(),
                p.figures.wip.to_string(),
                num(p.figures.min_days, 2),
                p.figures.min_issue.clone().unwrap_or_else(|| "-".into()),
                num(p.figures.mean_days, 2),
                num(p.figures.p85_days, 2),
                num(p.figures.max_days, 2),
                p.figures.max_issue.clone().unwrap_or_else(|| "-".into()),
                p.figures
                    .flow_efficiency
                    .map(|f| format!("{:.0}%", f * 100.0))
                    .unwrap_or_else(|| "-".into()),
                if why.is_empty() {
                    "-".into()
                } else {
                    why.join(", ")
                },
            ]);
        }
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = format!("as of {}", r.as_of);
    match (r.window.from, r.window.to) {
        (None, None) => {}
        (Some(f), Some(t)) => {
            let _ = write!(out, "; issues completed {f} to {t} (WIP current)");
        }
        (Some(f), None) => {
            let _ = write!(out, "; issues completed on or after {f} (WIP current)");
        }
        (None, Some(t)) => {
            let _ = write!(out, "; issues completed on or before {t} (WIP current)");
        }
    }
    out.push('\n');
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    const SHOWN: usize = 10;
    for a in &r.arts {
        for p in a.pipelines.iter().filter(|p| !p.findings.is_empty()) {
            let _ = writeln!(
                out,
                "\nfindings in {} ({}):",
                p.figures.code,
                p.findings.len()
            );
            for f in p.findings.iter().take(SHOWN) {
                let _ = writeln!(out, "  {} ({}): {}", f.issue, f.outcome, f.note);
            }
            if p.findings.len() > SHOWN {
                let _ = writeln!(
                    out,
                    "  ... and {} more (all of them in --format json)",
                    p.findings.len() - SHOWN
                );
            }
        }
    }
    out
}

/// CSV, one row per pipeline configuration; the counted keys joined with `|` (in a window, those
/// completed in it). The columns are the JSON's figures, flattened (the weeks of the throughput,
/// the distribution by type and the aging issues only in JSON).
pub fn csv(r: &Report) -> String {
    let mut out = String::from(
        "as_of,since,until,art,art_name,code,name,rule,count,wip,min_days,min_issue,max_days,\
         max_issue,mean_days,p50_days,p70_days,p85_days,p95_days,stddev_days,flow_efficiency,\
         not_started,never_active,unknown_start,invalid,below_threshold,cancelled,\
         throughput_total,reopens,backward_moves,reworked,mean_rework_days,over_sle,issues\n",
    );
    let f = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    let day = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    for a in &r.arts {
        for p in &a.pipelines {
            let g = &p.figures;
            let n = &g.not_counted;
            let cells = [
                r.as_of.clone(),
                day(r.window.from),
                day(r.window.to),
                a.abbreviation.clone(),
                a.name.clone(),
                g.code.clone(),
                g.name.clone(),
                g.rule.clone(),
                g.count.to_string(),
                g.wip.to_string(),
                f(g.min_days),
                g.min_issue.clone().unwrap_or_default(),
                f(g.max_days),
                g.max_issue.clone().unwrap_or_default(),
                f(g.mean_days),
                f(g.p50_days),
                f(g.p70_days),
                f(g.p85_days),
                f(g.p95_days),
                f(g.stddev_days),
                f(g.flow_efficiency),
                n.not_started.to_string(),
                n.never_active.to_string(),
                n.unknown_start.to_string(),
                n.invalid.to_string(),
                n.below_threshold.to_string(),
                n.cancelled.to_string(),
                g.throughput.total.to_string(),
                g.rework.reopens.to_string(),
                g.rework.backward_moves.to_string(),
                g.rework.reworked.to_string(),
                f(g.rework.mean_rework_days),
                g.aging.over_sle.to_string(),
                p.issues.join("|"),
            ];
            api::csv::line(&mut out, &cells);
        }
    }
    out
}

/// "1 issue", "2 issues".
fn issues(n: i64) -> String {
    format!("{n} issue{}", if n == 1 { "" } else { "s" })
}
