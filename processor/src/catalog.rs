//! Writing the configuration (ARTs and pipeline configurations) and recomputing a
//! configuration's facts from the stored issues when its rule changes.

use chrono::{DateTime, Utc};
use domain::rules;
use domain::{Aggregate, Config, Contribution};
use entities::{art, issue, lead_time_fact, pipeline_config};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::ProcessError;
use crate::store::{
    Aggregates, Catalog, CatalogArt, CatalogConfig, fact_model, issue_state, stored_contribution,
    transitions_of,
};

/// What `apply_config` did to one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Added,
    Changed(String),
    Unchanged,
    /// Not in the file, and removed with its figures (`prune`).
    Removed,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyConfigReport {
    /// ("ART PAY" or "pipeline PAY-FLOW", what happened), in file order.
    pub entries: Vec<(String, Change)>,
    /// Codes of the configurations recomputed from the stored issues.
    pub recomputed: Vec<String>,
}

/// Writes a configuration: adds what is new, changes what differs, leaves what the file does not
/// mention alone (or, with `prune`, removes it with its figures), and recomputes every
/// configuration whose rule (or whose ART's projects) changed. Idempotent: applying the same file
/// twice changes nothing the second time.
pub async fn apply_config(
    db: &DatabaseConnection,
    config: &Config,
    prune: bool,
    now: DateTime<Utc>,
) -> Result<ApplyConfigReport, ProcessError> {
    apply_or_preview(db, config, prune, now, false).await
}

/// What [`apply_config`] would do, without changing anything: the same entries, and in
/// `recomputed` the configurations it would recompute (the writes are made in a transaction
/// that is rolled back; nothing is recomputed).
pub async fn preview_config(
    db: &DatabaseConnection,
    config: &Config,
    prune: bool,
    now: DateTime<Utc>,
) -> Result<ApplyConfigReport, ProcessError> {
    apply_or_preview(db, config, prune, now, true).await
}

async fn apply_or_preview(
    db: &DatabaseConnection,
    config: &Config,
    prune: bool,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<ApplyConfigReport, ProcessError> {
    let now_ms = now.timestamp_millis();
    let txn = crate::store::begin_write(db).await?;
    let mut report = ApplyConfigReport::default();
    if prune {
        prune_unlisted(&txn, config, &mut report).await?;
    }
    let stored_arts = art::Entity::find().all(&txn).await?;
    // A project may belong to one ART only, including ARTs the file does not mention.
    for a in &config.arts {
        for other in stored_arts
            .iter()
            .filter(|s| !s.abbreviation.eq_ignore_ascii_case(&a.abbreviation))
        {
            for key in std::iter::once(&other.program_key).chain(other.team_key.as_ref()) {
                if a.owns_project(key) {
                    return Err(ProcessError::Invalid(format!(
                        "ART {}: Jira project {key:?} already belongs to stored ART {} (to rename \
                         or remove an ART, apply the file with --prune)",
                        a.abbreviation, other.abbreviation
                    )));
                }
            }
        }
    }

    let mut recompute: Vec<i64> = Vec::new();
    for a in &config.arts {
        let stored = stored_arts
            .iter()
            .find(|s| s.abbreviation.eq_ignore_ascii_case(&a.abbreviation));
        let mut keys_changed = false;
        let art_id = match stored {
            None => {
                let res = art::Entity::insert(art::ActiveModel {
                    id: NotSet,
                    abbreviation: Set(a.abbreviation.clone()),
                    name: Set(a.name.clone()),
                    program_key: Set(a.program_key.clone()),
                    team_key: Set(a.team_key.clone()),
                    updated_at_ms: Set(now_ms),
                })
                .exec(&txn)
                .await?;
                report
                    .entries
                    .push((format!("ART {}", a.abbreviation), Change::Added));
                res.last_insert_id
            }
            Some(s) => {
                let mut what = Vec::new();
                if s.name != a.name {
                    what.push(format!("name {:?} → {:?}", s.name, a.name));
                }
                if s.program_key != a.program_key || s.team_key != a.team_key {
                    what.push(format!(
                        "projects {}{} → {}{}",
                        s.program_key,
                        s.team_key
                            .as_deref()
                            .map(|t| format!("+{t}"))
                            .unwrap_or_default(),
                        a.program_key,
                        a.team_key
                            .as_deref()
                            .map(|t| format!("+{t}"))
                            .unwrap_or_default()
                    ));
                    keys_changed = true;
                }
                if what.is_empty() {
                    report
                        .entries
                        .push((format!("ART {}", a.abbreviation), Change::Unchanged));
                } else {
                    let mut row: art::ActiveModel = s.clone().into();
                    row.name = Set(a.name.clone());
                    row.program_key = Set(a.program_key.clone());
                    row.team_key = Set(a.team_key.clone());
                    row.updated_at_ms = Set(now_ms);
                    art::Entity::update(row).exec(&txn).await?;
                    report.entries.push((
                        format!("ART {}", a.abbreviation),
                        Change::Changed(what.join(", ")),
                    ));
                }
                s.id
            }
        };

        for p in &a.pipelines {
            let spec_json = serde_json::to_string(&p.spec).expect("a spec serializes");
            let (start_field, end_field) = match &p.spec.rule {
                domain::Rule::Field {
                    start_field,
                    end_field,
                } => (Some(start_field.clone()), Some(end_field.clone())),
                domain::Rule::Status(_) => (None, None),
            };
            let stored = pipeline_config::Entity::find()
                .filter(pipeline_config::Column::Code.eq(&p.code))
                .one(&txn)
                .await?;
            let label = format!("pipeline {}", p.code);
            match stored {
                None => {
                    let res = pipeline_config::Entity::insert(pipeline_config::ActiveModel {
                        id: NotSet,
                        art_id: Set(art_id),
                        code: Set(p.code.clone()),
                        name: Set(p.name.clone()),
                        rule: Set(p.spec.rule.name().to_owned()),
                        spec: Set(spec_json),
                        start_field: Set(start_field),
                        end_field: Set(end_field),
                        updated_at_ms: Set(now_ms),
                    })
                    .exec(&txn)
                    .await?;
                    recompute.push(res.last_insert_id);
                    report.entries.push((label, Change::Added));
                }
                Some(s) => {
                    let stored_spec: Option<domain::PipelineSpec> =
                        serde_json::from_str(&s.spec).ok();
                    let mut what = Vec::new();
                    let rule_changed = stored_spec.as_ref() != Some(&p.spec);
                    if s.art_id != art_id {
                        what.push("moved to another ART".to_owned());
                    }
                    if rule_changed {
                        what.push("rule".to_owned());
                    }
                    if s.name != p.name {
                        what.push(format!("name {:?} → {:?}", s.name, p.name));
                    }
                    if what.is_empty() {
                        if keys_changed {
                            recompute.push(s.id);
                        }
                        report.entries.push((label, Change::Unchanged));
                        continue;
                    }
                    let mut row: pipeline_config::ActiveModel = s.clone().into();
                    row.art_id = Set(art_id);
                    row.name = Set(p.name.clone());
                    row.rule = Set(p.spec.rule.name().to_owned());
                    row.spec = Set(spec_json);
                    row.start_field = Set(start_field);
                    row.end_field = Set(end_field);
                    row.updated_at_ms = Set(now_ms);
                    pipeline_config::Entity::update(row).exec(&txn).await?;
                    if rule_changed || s.art_id != art_id || keys_changed {
                        recompute.push(s.id);
                    }
                    report
                        .entries
                        .push((label, Change::Changed(what.join(", "))));
                }
            }
        }
    }

    let catalog = Catalog::load(&txn).await?;
    for id in recompute {
        if let Some((art, config)) = find_config(&catalog, |c| c.model.id == id) {
            if !dry_run {
                rebuild_config(&txn, art, config, now).await?;
            }
            report.recomputed.push(config.model.code.clone());
        }
    }
    if dry_run {
        txn.rollback().await?;
    } else {
        txn.commit().await?;
    }
    Ok(report)
}

/// Removes the ARTs and configurations the file does not list, with their facts and figures.
async fn prune_unlisted(
    db: &impl ConnectionTrait,
    config: &Config,
    report: &mut ApplyConfigReport,
) -> Result<(), ProcessError> {
    let listed_codes: Vec<String> = config
        .arts
        .iter()
        .flat_map(|a| a.pipelines.iter().map(|p| p.code.to_ascii_uppercase()))
        .collect();
    for c in pipeline_config::Entity::find()
        .order_by_asc(pipeline_config::Column::Code)
        .all(db)
        .await?
    {
        if listed_codes.contains(&c.code.to_ascii_uppercase()) {
            continue;
        }
        lead_time_fact::Entity::delete_many()
            .filter(lead_time_fact::Column::ConfigId.eq(c.id))
            .exec(db)
            .await?;
        entities::pipeline_aggregate::Entity::delete_by_id(c.id)
            .exec(db)
            .await?;
        entities::pipeline_daily::Entity::delete_many()
            .filter(entities::pipeline_daily::Column::ConfigId.eq(c.id))
            .exec(db)
            .await?;
        pipeline_config::Entity::delete_by_id(c.id).exec(db).await?;
        report
            .entries
            .push((format!("pipeline {}", c.code), Change::Removed));
    }
    for a in art::Entity::find()
        .order_by_asc(art::Column::Abbreviation)
        .all(db)
        .await?
    {
        if config
            .arts
            .iter()
            .any(|x| x.abbreviation.eq_ignore_ascii_case(&a.abbreviation))
        {
            continue;
        }
        pipeline_config::Entity::delete_many()
            .filter(pipeline_config::Column::ArtId.eq(a.id))
            .exec(db)
            .await?;
        art::Entity::delete_by_id(a.id).exec(db).await?;
        report
            .entries
            .push((format!("ART {}", a.abbreviation), Change::Removed));
    }
    Ok(())
}

fn find_config(
    catalog: &Catalog,
    pred: impl Fn(&CatalogConfig) -> bool,
) -> Option<(&CatalogArt, &CatalogConfig)> {
    catalog
        .arts
        .iter()
        .find_map(|a| a.configs.iter().find(|c| pred(c)).map(|c| (a, c)))
}

/// Recomputes one configuration (by code) or all of them from the stored issues; returns the
/// codes recomputed. An unknown code is an error that names it.
pub async fn rebuild(
    db: &DatabaseConnection,
    code: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<String>, ProcessError> {
    let txn = crate::store::begin_write(db).await?;
    let catalog = Catalog::load(&txn).await?;
    let mut done = Vec::new();
    for art in &catalog.arts {
        for config in &art.configs {
            if code.is_none_or(|c| c.eq_ignore_ascii_case(&config.model.code)) {
                rebuild_config(&txn, art, config, now).await?;
                done.push(config.model.code.clone());
            }
        }
    }
    if let (Some(code), true) = (code, done.is_empty()) {
        return Err(ProcessError::Invalid(format!(
            "no pipeline configuration has the code {code:?}"
        )));
    }
    txn.commit().await?;
    Ok(done)
}

/// Replaces a configuration's facts and aggregate with a from-scratch computation over the
/// stored issues of its ART.
async fn rebuild_config(
    db: &impl ConnectionTrait,
    art: &CatalogArt,
    config: &CatalogConfig,
    now: DateTime<Utc>,
) -> Result<(), ProcessError> {
    let config_id = config.model.id;
    // Serialized with processors, which lock an issue's row before reading its facts and lock
    // aggregate rows after: the ART's issue rows are locked first (id order), the aggregate row
    // last, and the aggregate is counted from every stored fact, so that an issue a processor
    // added meanwhile is counted too.
    let issues = issue::Entity::find()
        .filter(issue::Column::ProjectKey.is_in(art.project_keys()))
        .filter(issue::Column::DeletedAtMs.is_null())
        .order_by_asc(issue::Column::Id)
        .lock_exclusive()
        .all(db)
        .await?;
    lead_time_fact::Entity::delete_many()
        .filter(lead_time_fact::Column::ConfigId.eq(config_id))
        .exec(db)
        .await?;
    let ids: Vec<i64> = issues.iter().map(|i| i.id).collect();
    let mut transitions = transitions_of(db, &ids).await?;
    let mut rows = Vec::new();
    for issue in &issues {
        let state = issue_state(issue, &transitions.remove(&issue.id).unwrap_or_default())?;
        if !rules::covers(&config.spec, &state) {
            continue;
        }
        let fact = rules::evaluate(&config.spec, &state);
        rows.push(fact_model(config_id, issue, &fact));
    }
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(200).collect();
        lead_time_fact::Entity::insert_many(chunk)
            .exec_without_returning(db)
            .await?;
    }
    let mut aggregates =
        Aggregates::lock(db, &std::collections::BTreeSet::from([config_id])).await?;
    let contributions = lead_time_fact::Entity::find()
        .filter(lead_time_fact::Column::ConfigId.eq(config_id))
        .all(db)
        .await?
        .iter()
        .map(stored_contribution)
        .collect::<Result<Vec<Contribution>, _>>()?;
    aggregates.set(config_id, Aggregate::of(&contributions));
    aggregates.write(db, now).await?;
    Ok(())
}

/// Forgets the delivery ids applied before `cutoff` (the retention of processed deliveries).
/// A delivery arriving again after that is applied again, which changes nothing: transitions,
/// snapshots and deletions are idempotent on their own.
pub async fn prune_deliveries(
    db: &DatabaseConnection,
    cutoff: DateTime<Utc>,
) -> Result<u64, ProcessError> {
    let res = entities::delivery::Entity::delete_many()
        .filter(entities::delivery::Column::ReceivedAtMs.lt(cutoff.timestamp_millis()))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}
