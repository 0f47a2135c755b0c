//! `artflow report`: the stored figures per ART and pipeline configuration, as a table, JSON or
//! CSV. Reads only what the processor stored; the counted issue keys come from the facts.

use std::fmt::Write as _;

use anyhow::bail;
use chrono::{DateTime, SecondsFormat, Utc};
use domain::aggregate::nearest_rank;
use domain::time::days;
use domain::{Outcome, PipelineSpec};
use entities::{art, lead_time_fact, pipeline_aggregate, pipeline_config};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Report {
    pub as_of: String,
    pub arts: Vec<ArtReport>,
}

#[derive(Debug, Serialize)]
pub struct ArtReport {
    pub abbreviation: String,
    pub name: String,
    pub pipelines: Vec<PipelineReport>,
}

#[derive(Debug, Serialize)]
pub struct PipelineReport {
    pub code: String,
    pub name: String,
    pub rule: String,
    pub count: i64,
    pub wip: i64,
    pub min_days: Option<f64>,
    pub min_issue: Option<String>,
    pub max_days: Option<f64>,
    pub max_issue: Option<String>,
    pub mean_days: Option<f64>,
    pub flow_efficiency: Option<f64>,
    /// Nearest-rank percentiles of the counted lead times, exact.
    pub p50_days: Option<f64>,
    pub p85_days: Option<f64>,
    pub p95_days: Option<f64>,
    /// Covered issues not counted, by reason (data quality).
    pub not_counted: NotCounted,
    pub issues: Vec<String>,
    /// Data-quality findings: issues done without a known start, with end before start, or with
    /// a value that could not be read; by issue key.
    pub findings: Vec<Finding>,
}

#[derive(Debug, Serialize)]
pub struct Finding {
    pub issue: String,
    pub outcome: String,
    pub note: String,
}

#[derive(Debug, Serialize)]
pub struct NotCounted {
    pub not_started: i64,
    pub never_active: i64,
    pub unknown_start: i64,
    pub invalid: i64,
    pub below_threshold: i64,
}

/// Reads the report; `art` narrows it to one ART (an unknown abbreviation is an error).
pub async fn build(
    db: &DatabaseConnection,
    art: Option<&str>,
    as_of: DateTime<Utc>,
) -> anyhow::Result<Report> {
    let mut arts = art::Entity::find()
        .order_by_asc(art::Column::Abbreviation)
        .all(db)
        .await?;
    if let Some(a) = art {
        arts.retain(|x| x.abbreviation.eq_ignore_ascii_case(a));
        if arts.is_empty() {
            bail!("no ART has the abbreviation {a:?} (see `artflow report` for the list)");
        }
    }
    let mut out = Vec::with_capacity(arts.len());
    for a in arts {
        let configs = pipeline_config::Entity::find()
            .filter(pipeline_config::Column::ArtId.eq(a.id))
            .order_by_asc(pipeline_config::Column::Code)
            .all(db)
            .await?;
        let mut pipelines = Vec::with_capacity(configs.len());
        for c in configs {
            pipelines.push(pipeline(db, &c).await?);
        }
        out.push(ArtReport {
            abbreviation: a.abbreviation,
            name: a.name,
            pipelines,
        });
    }
    Ok(Report {
        as_of: as_of.to_rfc3339_opts(SecondsFormat::Secs, true),
        arts: out,
    })
}

async fn pipeline(
    db: &DatabaseConnection,
    c: &pipeline_config::Model,
) -> anyhow::Result<PipelineReport> {
    let spec: PipelineSpec = serde_json::from_str(&c.spec)?;
    let agg = pipeline_aggregate::Entity::find_by_id(c.id)
        .one(db)
        .await?
        .unwrap_or(pipeline_aggregate::Model {
            config_id: c.id,
            count: 0,
            sum_lead_ms: 0,
            sum_active_ms: 0,
            min_lead_ms: None,
            min_issue: None,
            max_lead_ms: None,
            max_issue: None,
            wip: 0,
            never_active: 0,
            unknown_start: 0,
            not_started: 0,
            invalid: 0,
            below_threshold: 0,
            updated_at_ms: 0,
        });
    let counted: Vec<(String, Option<i64>)> = lead_time_fact::Entity::find()
        .select_only()
        .column(lead_time_fact::Column::IssueKey)
        .column(lead_time_fact::Column::LeadMs)
        .filter(lead_time_fact::Column::ConfigId.eq(c.id))
        .filter(lead_time_fact::Column::Outcome.eq(Outcome::Counted.as_str()))
        .into_tuple()
        .all(db)
        .await?;
    let mut issues: Vec<String> = counted.iter().map(|(k, _)| k.clone()).collect();
    issues.sort();
    let mut leads: Vec<i64> = counted.iter().filter_map(|(_, l)| *l).collect();
    leads.sort_unstable();
    let pct = |p: f64| nearest_rank(&leads, p).map(days);
    let mut findings: Vec<Finding> = lead_time_fact::Entity::find()
        .filter(lead_time_fact::Column::ConfigId.eq(c.id))
        .filter(lead_time_fact::Column::Note.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .map(|f| Finding {
            issue: f.issue_key,
            outcome: f.outcome,
            note: f.note.unwrap_or_default(),
        })
        .collect();
    findings.sort_by(|a, b| a.issue.cmp(&b.issue));
    // The arithmetic of the figures is the domain's, over the stored aggregate.
    let figures = processor::store::to_domain(&agg);
    let mean = figures.mean_days();
    let flow = figures.flow_efficiency(spec.has_active_stages());
    Ok(PipelineReport {
        code: c.code.clone(),
        name: c.name.clone(),
        rule: c.rule.clone(),
        count: agg.count,
        wip: agg.wip,
        min_days: agg.min_lead_ms.map(days),
        min_issue: agg.min_issue,
        max_days: agg.max_lead_ms.map(days),
        max_issue: agg.max_issue,
        mean_days: mean,
        flow_efficiency: flow,
        p50_days: pct(50.0),
        p85_days: pct(85.0),
        p95_days: pct(95.0),
        not_counted: NotCounted {
            not_started: agg.not_started,
            never_active: agg.never_active,
            unknown_start: agg.unknown_start,
            invalid: agg.invalid,
            below_threshold: agg.below_threshold,
        },
        issues,
        findings,
    })
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
            let n = &p.not_counted;
            let mut why = Vec::new();
            for (k, v) in [
                ("never active", n.never_active),
                ("unknown start", n.unknown_start),
                ("invalid", n.invalid),
                ("below threshold", n.below_threshold),
            ] {
                if v > 0 {
                    why.push(format!("{v} {k}"));
                }
            }
            rows.push(vec![
                a.abbreviation.clone(),
                p.code.clone(),
                p.rule.clone(),
                p.count.to_string(),
                p.wip.to_string(),
                num(p.min_days, 2),
                p.min_issue.clone().unwrap_or_else(|| "-".into()),
                num(p.mean_days, 2),
                num(p.p85_days, 2),
                num(p.max_days, 2),
                p.max_issue.clone().unwrap_or_else(|| "-".into()),
                p.flow_efficiency
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
    let mut out = format!("as of {}\n", r.as_of);
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
            let _ = writeln!(out, "\nfindings in {} ({}):", p.code, p.findings.len());
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

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// CSV, one row per pipeline configuration; the counted keys joined with `|`.
pub fn csv(r: &Report) -> String {
    let mut out = String::from(
        "as_of,art,art_name,code,name,rule,count,wip,min_days,min_issue,max_days,max_issue,\
         mean_days,p50_days,p85_days,p95_days,flow_efficiency,not_started,never_active,\
         unknown_start,invalid,below_threshold,issues\n",
    );
    let f = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    for a in &r.arts {
        for p in &a.pipelines {
            let n = &p.not_counted;
            let cells = [
                r.as_of.clone(),
                a.abbreviation.clone(),
                a.name.clone(),
                p.code.clone(),
                p.name.clone(),
                p.rule.clone(),
                p.count.to_string(),
                p.wip.to_string(),
                f(p.min_days),
                p.min_issue.clone().unwrap_or_default(),
                f(p.max_days),
                p.max_issue.clone().unwrap_or_default(),
                f(p.mean_days),
                f(p.p50_days),
                f(p.p85_days),
                f(p.p95_days),
                f(p.flow_efficiency),
                n.not_started.to_string(),
                n.never_active.to_string(),
                n.unknown_start.to_string(),
                n.invalid.to_string(),
                n.below_threshold.to_string(),
                p.issues.join("|"),
            ];
            let line: Vec<String> = cells.iter().map(|c| csv_field(c)).collect();
            let _ = writeln!(out, "{}", line.join(","));
        }
    }
    out
}
