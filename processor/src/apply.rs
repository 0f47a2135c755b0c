//! Applying a batch of events in one transaction with set-based statements: the batch's
//! deliveries, issues, transitions and facts are each read and written with a handful of
//! multi-row statements, and each touched aggregate row is written once. Should one event make a
//! statement fail, the batch is applied again event by event, each in a savepoint, so that only
//! that event is reported failed and the rest land.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use domain::{Contribution, EventKind, Fact, IssueEvent};
use entities::{delivery, issue, lead_time_fact, status_transition};
use sea_orm::sea_query::{Condition, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};

use crate::ProcessError;
use crate::retry::is_transient;
use crate::store::{
    Aggregates, Catalog, fact_model, issue_state, stored_contribution, transitions_of,
};

/// Rows per multi-row statement: far below every backend's placeholder limit.
const CHUNK: usize = 500;

/// What became of one event of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventResult {
    Applied,
    /// Its delivery id was applied before (or earlier in the batch): nothing changed.
    Duplicate,
    /// It could not be applied; the reason names the problem. The rest of the batch landed.
    Failed(String),
}

/// The result of each event, in the order of the batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchReport {
    pub results: Vec<EventResult>,
}

impl BatchReport {
    pub fn failed(&self) -> impl Iterator<Item = (usize, &str)> {
        self.results
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match r {
                EventResult::Failed(why) => Some((i, why.as_str())),
                _ => None,
            })
    }
}

/// Applies a batch in one transaction. An event that cannot be applied is reported and the
/// others land; a transient error of the store (deadlock, lock timeout, busy file) or an
/// unavailable store applies nothing and is returned, so that the whole batch is tried again.
pub async fn apply_batch(
    db: &DatabaseConnection,
    events: &[IssueEvent],
    now: DateTime<Utc>,
) -> Result<BatchReport, ProcessError> {
    let mut results: Vec<Option<EventResult>> = vec![None; events.len()];
    let mut seen = BTreeSet::new();
    let mut todo = Vec::with_capacity(events.len());
    for (i, e) in events.iter().enumerate() {
        if let Err(why) = e.validate() {
            results[i] = Some(EventResult::Failed(why));
        } else if !seen.insert(e.delivery_id.as_str()) {
            results[i] = Some(EventResult::Duplicate);
        } else {
            todo.push(i);
        }
    }
    match apply_set(db, events, &todo, now).await {
        Ok(outcome) => {
            for (i, r) in todo.iter().zip(outcome) {
                results[*i] = Some(r);
            }
        }
        Err(e) if is_transient(&e) => return Err(e),
        Err(e) => {
            tracing::warn!(error = %e, "a batch statement failed; applying event by event");
            let outcome = apply_isolated(db, events, &todo, now).await?;
            for (i, r) in todo.iter().zip(outcome) {
                results[*i] = Some(r);
            }
        }
    }
    Ok(BatchReport {
        results: results
            .into_iter()
            .map(|r| r.expect("every event has a result"))
            .collect(),
    })
}

/// The whole batch with multi-row statements, in one transaction.
async fn apply_set(
    db: &DatabaseConnection,
    events: &[IssueEvent],
    todo: &[usize],
    now: DateTime<Utc>,
) -> Result<Vec<EventResult>, ProcessError> {
    let txn = crate::store::begin_write(db).await?;
    let ids: Vec<String> = todo
        .iter()
        .map(|&i| events[i].delivery_id.clone())
        .collect();
    let mut known = BTreeSet::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<String> = delivery::Entity::find()
            .select_only()
            .column(delivery::Column::DeliveryId)
            .filter(delivery::Column::DeliveryId.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(&txn)
            .await?;
        known.extend(rows);
    }
    let fresh: Vec<&IssueEvent> = todo
        .iter()
        .map(|&i| &events[i])
        .filter(|e| !known.contains(&e.delivery_id))
        .collect();
    let outcome = todo
        .iter()
        .map(|&i| {
            if known.contains(&events[i].delivery_id) {
                EventResult::Duplicate
            } else {
                EventResult::Applied
            }
        })
        .collect();
    if fresh.is_empty() {
        txn.commit().await?;
        return Ok(outcome);
    }

    // Deliveries. A concurrent processor may record the same one first: that is harmless, since
    // applying an event twice changes nothing.
    record_deliveries(&txn, &fresh, now.timestamp_millis()).await?;

    // Issues: locked in id order, created where new, folded in memory, written back once.
    let mut by_issue: BTreeMap<(&str, &str), Vec<&IssueEvent>> = BTreeMap::new();
    for e in &fresh {
        by_issue
            .entry((e.issue.site.as_str(), e.issue.id.as_str()))
            .or_default()
            .push(e);
    }
    let mut rows = lock_issues(&txn, by_issue.keys().copied()).await?;
    let missing: Vec<issue::ActiveModel> = by_issue
        .iter()
        .filter(|(k, _)| !rows.contains_key(&(k.0.to_owned(), k.1.to_owned())))
        .map(|(_, list)| new_issue(list[0]))
        .collect();
    if !missing.is_empty() {
        insert_new_issues(&txn, missing).await?;
        rows = lock_issues(&txn, by_issue.keys().copied()).await?;
    }
    let mut changed = Vec::new();
    let mut transitions = Vec::new();
    let mut touched = Vec::with_capacity(by_issue.len());
    for ((site, id), list) in &by_issue {
        let row = rows
            .get_mut(&((*site).to_owned(), (*id).to_owned()))
            .ok_or_else(|| ProcessError::Corrupt(format!("issue {site} {id} was not stored")))?;
        let mut dirty = false;
        for e in list {
            dirty |= fold_event(row, e);
            transitions.extend(transition_models(row.id, e));
        }
        if dirty {
            changed.push(row.clone().into_active_model().reset_all());
        }
        touched.push(row.id);
    }
    for chunk in changed.chunks(CHUNK) {
        use issue::Column as I;
        issue::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::column(I::Id)
                    .update_columns([
                        I::IssueKey,
                        I::ProjectKey,
                        I::IssueType,
                        I::StatusId,
                        I::StatusName,
                        I::StatusCategory,
                        I::CreatedMs,
                        I::ResolutionMs,
                        I::Fields,
                        I::SnapshotAtMs,
                        I::SnapshotSeq,
                        I::SnapshotDelivery,
                        I::CreationMs,
                        I::CreationStatus,
                        I::CreationStatusId,
                        I::Resolution,
                        I::DeletedAtMs,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    insert_transitions(&txn, transitions).await?;

    let issues: Vec<issue::Model> = rows.into_values().collect();
    refresh_facts(&txn, &issues, now).await?;
    txn.commit().await?;
    Ok(outcome)
}

/// Records delivery ids as applied (a concurrent processor may have recorded one first).
async fn record_deliveries(
    db: &impl ConnectionTrait,
    events: &[&IssueEvent],
    now_ms: i64,
) -> Result<(), ProcessError> {
    for chunk in events.chunks(CHUNK) {
        delivery::Entity::insert_many(chunk.iter().map(|e| delivery::ActiveModel {
            delivery_id: Set(e.delivery_id.clone()),
            received_at_ms: Set(now_ms),
        }))
        .on_conflict(
            OnConflict::column(delivery::Column::DeliveryId)
                .do_nothing_on([delivery::Column::DeliveryId])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// Inserts new issue rows; one another processor inserted first is left as it is.
async fn insert_new_issues(
    db: &impl ConnectionTrait,
    rows: Vec<issue::ActiveModel>,
) -> Result<(), ProcessError> {
    for chunk in rows.chunks(CHUNK) {
        issue::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([issue::Column::Site, issue::Column::JiraId])
                    .do_nothing_on([issue::Column::Id])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// The issues of these (site, id) keys, locked for this transaction, in id order.
async fn lock_issues<'a>(
    db: &impl ConnectionTrait,
    keys: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<HashMap<(String, String), issue::Model>, ProcessError> {
    let mut by_site: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (site, id) in keys {
        by_site.entry(site).or_default().push(id);
    }
    let mut out = HashMap::new();
    for (site, ids) in by_site {
        for chunk in ids.chunks(CHUNK) {
            let found = issue::Entity::find()
                .filter(
                    Condition::all()
                        .add(issue::Column::Site.eq(site))
                        .add(issue::Column::JiraId.is_in(chunk.iter().copied())),
                )
                .order_by_asc(issue::Column::Id)
                .lock_exclusive()
                .all(db)
                .await?;
            for row in found {
                out.insert((row.site.clone(), row.jira_id.clone()), row);
            }
        }
    }
    Ok(out)
}

/// The snapshot ordering key of an event: (event time, numeric changelog id, delivery id).
fn snapshot_key(e: &IssueEvent) -> (i64, i64, &str) {
    (
        e.at.timestamp_millis(),
        e.changes.iter().map(|c| c.seq()).max().unwrap_or(0),
        e.delivery_id.as_str(),
    )
}

fn take_snapshot(row: &mut issue::Model, e: &IssueEvent) {
    let s = &e.issue;
    let (at, seq, delivery) = snapshot_key(e);
    row.issue_key = s.key.clone();
    row.project_key = s.project_key.as_ref().map(|p| p.to_ascii_uppercase());
    row.issue_type = s.issue_type.clone();
    row.status_id = s.status.as_ref().and_then(|st| st.id.clone());
    row.status_name = s.status.as_ref().map(|st| st.name.clone());
    row.status_category = s.status_category.clone();
    row.created_ms = s.created.map(|t| t.timestamp_millis());
    row.resolution_ms = s.resolution_date.map(|t| t.timestamp_millis());
    row.resolution = s.resolution.clone();
    row.fields = serde_json::to_string(&s.fields).expect("a map of JSON values serializes");
    row.snapshot_at_ms = at;
    row.snapshot_seq = seq;
    row.snapshot_delivery = delivery.to_owned();
}

/// A new issue row from its first event (then folded like any other).
fn new_issue(e: &IssueEvent) -> issue::ActiveModel {
    let mut row = issue::Model {
        id: 0,
        site: e.issue.site.clone(),
        jira_id: e.issue.id.clone(),
        issue_key: String::new(),
        project_key: None,
        issue_type: None,
        status_id: None,
        status_name: None,
        status_category: None,
        created_ms: None,
        resolution_ms: None,
        fields: String::new(),
        snapshot_at_ms: 0,
        snapshot_seq: 0,
        snapshot_delivery: String::new(),
        creation_ms: None,
        creation_status: None,
        creation_status_id: None,
        resolution: None,
        deleted_at_ms: None,
    };
    take_snapshot(&mut row, e);
    let mut am = row.into_active_model().reset_all();
    am.id = NotSet;
    am
}

/// Applies one event to an issue row: the newer snapshot wins, the creation is recorded once,
/// a deletion is permanent. Returns whether the row changed.
fn fold_event(row: &mut issue::Model, e: &IssueEvent) -> bool {
    let mut changed = false;
    let stored = (
        row.snapshot_at_ms,
        row.snapshot_seq,
        row.snapshot_delivery.as_str(),
    );
    if row.deleted_at_ms.is_none() && snapshot_key(e) > stored {
        take_snapshot(row, e);
        changed = true;
    }
    if e.kind == EventKind::Created && row.creation_ms.is_none() {
        row.creation_ms = Some(e.issue.created.unwrap_or(e.at).timestamp_millis());
        row.creation_status = e.issue.status.as_ref().map(|s| s.name.clone());
        row.creation_status_id = e.issue.status.as_ref().and_then(|s| s.id.clone());
        changed = true;
    }
    if e.kind == EventKind::Deleted && row.deleted_at_ms.is_none() {
        row.deleted_at_ms = Some(e.at.timestamp_millis());
        changed = true;
    }
    changed
}

fn transition_models(issue_id: i64, e: &IssueEvent) -> Vec<status_transition::ActiveModel> {
    e.transitions()
        .into_iter()
        .map(|t| status_transition::ActiveModel {
            id: NotSet,
            issue_id: Set(issue_id),
            history_id: Set(t.history_id),
            item_pos: Set(t.item_pos),
            at_ms: Set(t.at),
            from_status: Set(t.from),
            to_status: Set(t.to),
            from_status_id: Set(t.from_id),
            to_status_id: Set(t.to_id),
        })
        .collect()
}

async fn insert_transitions(
    db: &impl ConnectionTrait,
    transitions: Vec<status_transition::ActiveModel>,
) -> Result<(), ProcessError> {
    use status_transition::Column as T;
    for chunk in transitions.chunks(CHUNK) {
        status_transition::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([T::IssueId, T::HistoryId, T::ItemPos])
                    .do_nothing_on([T::Id])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// The batch event by event, each in a savepoint: the slow path that isolates a bad event.
async fn apply_isolated(
    db: &DatabaseConnection,
    events: &[IssueEvent],
    todo: &[usize],
    now: DateTime<Utc>,
) -> Result<Vec<EventResult>, ProcessError> {
    let txn = crate::store::begin_write(db).await?;
    let mut results = Vec::with_capacity(todo.len());
    let mut touched: BTreeMap<i64, issue::Model> = BTreeMap::new();
    for &i in todo {
        let event = &events[i];
        let sp = txn.begin().await?;
        match apply_one(&sp, event, now.timestamp_millis()).await {
            Ok(Some(row)) => {
                sp.commit().await?;
                touched.insert(row.id, row);
                results.push(EventResult::Applied);
            }
            Ok(None) => {
                sp.commit().await?;
                results.push(EventResult::Duplicate);
            }
            Err(e) if is_transient(&e) => return Err(e),
            Err(e) => {
                sp.rollback().await?;
                results.push(EventResult::Failed(format!(
                    "issue {} ({}): {e}",
                    event.issue.key, event.delivery_id
                )));
            }
        }
    }
    let issues: Vec<issue::Model> = touched.into_values().collect();
    refresh_facts(&txn, &issues, now).await?;
    txn.commit().await?;
    Ok(results)
}

/// Stores one event; `None` when its delivery was applied before.
async fn apply_one(
    db: &impl ConnectionTrait,
    e: &IssueEvent,
    now_ms: i64,
) -> Result<Option<issue::Model>, ProcessError> {
    if delivery::Entity::find_by_id(e.delivery_id.clone())
        .one(db)
        .await?
        .is_some()
    {
        return Ok(None);
    }
    record_deliveries(db, &[e], now_ms).await?;
    let key = (e.issue.site.as_str(), e.issue.id.as_str());
    let mut rows = lock_issues(db, std::iter::once(key)).await?;
    if rows.is_empty() {
        insert_new_issues(db, vec![new_issue(e)]).await?;
        rows = lock_issues(db, std::iter::once(key)).await?;
    }
    let mut row = rows
        .into_values()
        .next()
        .ok_or_else(|| ProcessError::Corrupt("inserted issue row not found".into()))?;
    if fold_event(&mut row, e) {
        row.clone()
            .into_active_model()
            .reset_all()
            .update(db)
            .await?;
    }
    insert_transitions(db, transition_models(row.id, e)).await?;
    Ok(Some(row))
}

/// Recomputes the facts of these issues under every configuration, moves the aggregates by the
/// difference between the stored facts and the new ones (aggregate rows locked in id order),
/// and writes facts, aggregates and today's history rows with multi-row statements.
pub(crate) async fn refresh_facts(
    db: &impl ConnectionTrait,
    issues: &[issue::Model],
    now: DateTime<Utc>,
) -> Result<(), ProcessError> {
    if issues.is_empty() {
        return Ok(());
    }
    let catalog = Catalog::load(db).await?;
    let ids: Vec<i64> = issues.iter().map(|i| i.id).collect();
    let mut transitions = transitions_of(db, &ids).await?;
    let mut stored: BTreeMap<i64, Vec<lead_time_fact::Model>> = BTreeMap::new();
    for chunk in ids.chunks(CHUNK) {
        for f in lead_time_fact::Entity::find()
            .filter(lead_time_fact::Column::IssueId.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            stored.entry(f.issue_id).or_default().push(f);
        }
    }

    // (config, before, after) for every fact that changes.
    let mut deltas: Vec<(i64, Option<Contribution>, Option<Contribution>)> = Vec::new();
    let mut upserts = Vec::new();
    let mut deletes = Vec::new();
    for issue in issues {
        let state = issue_state(issue, &transitions.remove(&issue.id).unwrap_or_default())?;
        let mut new: BTreeMap<i64, Fact> = catalog.facts_for(issue, &state).into_iter().collect();
        for old in stored.remove(&issue.id).unwrap_or_default() {
            let before = stored_contribution(&old)?;
            match new.remove(&old.config_id) {
                Some(fact) => {
                    let after =
                        Contribution::of(&issue.issue_key, issue.issue_type.as_deref(), &fact);
                    let unchanged =
                        before == after && old.start_ms == fact.start && old.note == fact.note;
                    if !unchanged {
                        deltas.push((old.config_id, Some(before), Some(after)));
                        upserts.push(fact_model(old.config_id, issue, &fact));
                    }
                }
                None => {
                    deltas.push((old.config_id, Some(before), None));
                    deletes.push(old.id);
                }
            }
        }
        for (config_id, fact) in new {
            deltas.push((
                config_id,
                None,
                Some(Contribution::of(
                    &issue.issue_key,
                    issue.issue_type.as_deref(),
                    &fact,
                )),
            ));
            upserts.push(fact_model(config_id, issue, &fact));
        }
    }
    if deltas.is_empty() {
        return Ok(());
    }

    let config_ids: BTreeSet<i64> = deltas.iter().map(|d| d.0).collect();
    let mut aggregates = Aggregates::lock(db, &config_ids).await?;
    for (config_id, before, after) in deltas {
        let agg = aggregates.get(config_id);
        if let Some(b) = &before {
            agg.remove(b);
        }
        if let Some(a) = &after {
            agg.add(a);
        }
    }
    for chunk in deletes.chunks(CHUNK) {
        lead_time_fact::Entity::delete_many()
            .filter(lead_time_fact::Column::Id.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
    }
    for chunk in upserts.chunks(CHUNK) {
        use lead_time_fact::Column as F;
        lead_time_fact::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([F::ConfigId, F::IssueId])
                    .update_columns([
                        F::IssueKey,
                        F::IssueType,
                        F::Outcome,
                        F::StartMs,
                        F::EndMs,
                        F::LeadMs,
                        F::ActiveMs,
                        F::Reopens,
                        F::BackwardMoves,
                        F::FirstEndMs,
                        F::Note,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    aggregates.write(db, now).await?;
    Ok(())
}
