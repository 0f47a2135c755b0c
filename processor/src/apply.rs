//! Applying a batch of events in one transaction, each event isolated in a savepoint.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use domain::{Contribution, EventKind, IssueEvent};
use entities::{delivery, issue, lead_time_fact, status_transition};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, SqlErr,
    TransactionTrait,
};

use crate::ProcessError;
use crate::store::{
    Aggregates, Catalog, fact_model, issue_state, stored_contribution, transitions_of,
};

/// What became of one event of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventResult {
    Applied,
    /// Its delivery id was applied before: nothing changed.
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
    pub fn applied(&self) -> usize {
        self.count(|r| matches!(r, EventResult::Applied))
    }
    pub fn duplicates(&self) -> usize {
        self.count(|r| matches!(r, EventResult::Duplicate))
    }
    pub fn failed(&self) -> impl Iterator<Item = (usize, &str)> {
        self.results
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match r {
                EventResult::Failed(why) => Some((i, why.as_str())),
                _ => None,
            })
    }
    fn count(&self, f: impl Fn(&EventResult) -> bool) -> usize {
        self.results.iter().filter(|r| f(r)).count()
    }
}

/// Applies a batch in one transaction. An event that cannot be applied is rolled back to its
/// savepoint and reported; the others land. An error of the store as a whole applies nothing.
pub async fn apply_batch(
    db: &DatabaseConnection,
    events: &[IssueEvent],
    now: DateTime<Utc>,
) -> Result<BatchReport, ProcessError> {
    let txn = db.begin().await?;
    let mut results = Vec::with_capacity(events.len());
    let mut touched = BTreeSet::new();
    for event in events {
        if let Err(why) = event.validate() {
            results.push(EventResult::Failed(why));
            continue;
        }
        let sp = txn.begin().await?;
        match apply_event(&sp, event, now.timestamp_millis()).await {
            Ok(Some(issue_id)) => {
                sp.commit().await?;
                touched.insert(issue_id);
                results.push(EventResult::Applied);
            }
            Ok(None) => {
                sp.commit().await?;
                results.push(EventResult::Duplicate);
            }
            // A deadlock, a lock timeout or a busy SQLite file is no fault of the event: the
            // whole batch fails and is tried again (InnoDB has rolled it back anyway).
            Err(e) if crate::retry::is_transient(&e) => return Err(e),
            Err(e) => {
                sp.rollback().await?;
                results.push(EventResult::Failed(format!(
                    "issue {} ({}): {e}",
                    event.issue.key, event.delivery_id
                )));
            }
        }
    }
    if !touched.is_empty() {
        let catalog = Catalog::load(&txn).await?;
        let ids: Vec<i64> = touched.into_iter().collect();
        let mut aggregates = Aggregates::default();
        refresh_facts(&txn, &catalog, &ids, &mut aggregates).await?;
        aggregates.write(&txn, now).await?;
    }
    txn.commit().await?;
    Ok(BatchReport { results })
}

/// The snapshot ordering key of an event: (event time, numeric changelog id, delivery id).
fn snapshot_key(e: &IssueEvent) -> (i64, i64, &str) {
    (
        e.at.timestamp_millis(),
        e.changes.iter().map(|c| c.seq()).max().unwrap_or(0),
        e.delivery_id.as_str(),
    )
}

fn snapshot_columns(e: &IssueEvent, row: &mut issue::ActiveModel) {
    let s = &e.issue;
    let (at, seq, delivery) = snapshot_key(e);
    row.issue_key = Set(s.key.clone());
    row.project_key = Set(s.project_key.as_ref().map(|p| p.to_ascii_uppercase()));
    row.issue_type = Set(s.issue_type.clone());
    row.status_id = Set(s.status.as_ref().and_then(|st| st.id.clone()));
    row.status_name = Set(s.status.as_ref().map(|st| st.name.clone()));
    row.status_category = Set(s.status_category.clone());
    row.created_ms = Set(s.created.map(|t| t.timestamp_millis()));
    row.resolution_ms = Set(s.resolution_date.map(|t| t.timestamp_millis()));
    row.fields = Set(serde_json::to_string(&s.fields).expect("a map of JSON values serializes"));
    row.snapshot_at_ms = Set(at);
    row.snapshot_seq = Set(seq);
    row.snapshot_delivery = Set(delivery.to_owned());
}

/// Stores one event; `None` when its delivery was applied before.
async fn apply_event(
    db: &impl ConnectionTrait,
    e: &IssueEvent,
    now_ms: i64,
) -> Result<Option<i64>, ProcessError> {
    if delivery::Entity::find_by_id(e.delivery_id.clone())
        .one(db)
        .await?
        .is_some()
    {
        return Ok(None);
    }
    let inserted = delivery::Entity::insert(delivery::ActiveModel {
        delivery_id: Set(e.delivery_id.clone()),
        received_at_ms: Set(now_ms),
    })
    .exec_without_returning(db)
    .await;
    match inserted {
        Ok(_) => {}
        // Another processor applied the same delivery and committed first.
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Ok(None);
        }
        Err(err) => return Err(err.into()),
    }

    let find = || {
        issue::Entity::find()
            .filter(issue::Column::Site.eq(&e.issue.site))
            .filter(issue::Column::JiraId.eq(&e.issue.id))
    };
    let existing = match find().one(db).await? {
        Some(row) => Some(row),
        None => {
            let mut row = issue::ActiveModel {
                id: NotSet,
                site: Set(e.issue.site.clone()),
                jira_id: Set(e.issue.id.clone()),
                creation_ms: Set(None),
                creation_status: Set(None),
                deleted_at_ms: Set(None),
                ..Default::default()
            };
            snapshot_columns(e, &mut row);
            issue::Entity::insert(row)
                .on_conflict_do_nothing_on([issue::Column::Site, issue::Column::JiraId])
                .exec_without_returning(db)
                .await?;
            None
        }
    };
    let current = match existing {
        Some(row) => row,
        None => find()
            .one(db)
            .await?
            .ok_or_else(|| ProcessError::Corrupt("inserted issue row not found".into()))?,
    };

    let mut row: issue::ActiveModel = current.clone().into();
    let mut changed = false;
    let stored_key = (
        current.snapshot_at_ms,
        current.snapshot_seq,
        current.snapshot_delivery.as_str(),
    );
    if current.deleted_at_ms.is_none() && snapshot_key(e) > stored_key {
        snapshot_columns(e, &mut row);
        changed = true;
    }
    if e.kind == EventKind::Created && current.creation_ms.is_none() {
        let at = e.issue.created.unwrap_or(e.at).timestamp_millis();
        row.creation_ms = Set(Some(at));
        row.creation_status = Set(e.issue.status.as_ref().map(|s| s.name.clone()));
        changed = true;
    }
    if e.kind == EventKind::Deleted && current.deleted_at_ms.is_none() {
        row.deleted_at_ms = Set(Some(e.at.timestamp_millis()));
        changed = true;
    }
    if changed {
        issue::Entity::update(row).exec(db).await?;
    }

    let transitions: Vec<status_transition::ActiveModel> = e
        .transitions()
        .into_iter()
        .map(|t| status_transition::ActiveModel {
            id: NotSet,
            issue_id: Set(current.id),
            history_id: Set(t.history_id),
            item_pos: Set(t.item_pos),
            at_ms: Set(t.at),
            from_status: Set(t.from),
            to_status: Set(t.to),
        })
        .collect();
    if !transitions.is_empty() {
        use status_transition::Column as T;
        status_transition::Entity::insert_many(transitions)
            .on_conflict(
                OnConflict::columns([T::IssueId, T::HistoryId, T::ItemPos])
                    .do_nothing_on([T::Id])
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(Some(current.id))
}

/// Recomputes the facts of these issues under every configuration and moves the aggregates by
/// the difference between the stored facts and the new ones.
pub(crate) async fn refresh_facts(
    db: &impl ConnectionTrait,
    catalog: &Catalog,
    issue_ids: &[i64],
    aggregates: &mut Aggregates,
) -> Result<(), ProcessError> {
    let mut transitions = transitions_of(db, issue_ids).await?;
    let mut stored: BTreeMap<i64, Vec<lead_time_fact::Model>> = BTreeMap::new();
    for chunk in issue_ids.chunks(500) {
        for f in lead_time_fact::Entity::find()
            .filter(lead_time_fact::Column::IssueId.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            stored.entry(f.issue_id).or_default().push(f);
        }
    }
    let issues = {
        let mut v = Vec::with_capacity(issue_ids.len());
        for chunk in issue_ids.chunks(500) {
            v.extend(
                issue::Entity::find()
                    .filter(issue::Column::Id.is_in(chunk.iter().copied()))
                    .all(db)
                    .await?,
            );
        }
        v
    };
    for issue in issues {
        let state = issue_state(&issue, &transitions.remove(&issue.id).unwrap_or_default())?;
        let mut new: BTreeMap<i64, domain::Fact> =
            catalog.facts_for(&issue, &state).into_iter().collect();
        for old in stored.remove(&issue.id).unwrap_or_default() {
            let before = stored_contribution(&old)?;
            match new.remove(&old.config_id) {
                Some(fact) => {
                    let after = Contribution::of(&issue.issue_key, &fact);
                    let model = fact_model(old.config_id, &issue, &fact);
                    let unchanged = before == after
                        && old.start_ms == fact.start
                        && old.end_ms == fact.end
                        && old.reopens == fact.reopens
                        && old.note == fact.note
                        && old.issue_type == issue.issue_type;
                    if unchanged {
                        continue;
                    }
                    let agg = aggregates.get(db, old.config_id).await?;
                    agg.remove(&before);
                    agg.add(&after);
                    let mut model = model;
                    model.id = Set(old.id);
                    lead_time_fact::Entity::update(model).exec(db).await?;
                }
                None => {
                    aggregates.get(db, old.config_id).await?.remove(&before);
                    lead_time_fact::Entity::delete_by_id(old.id)
                        .exec(db)
                        .await?;
                }
            }
        }
        for (config_id, fact) in new {
            aggregates
                .get(db, config_id)
                .await?
                .add(&Contribution::of(&issue.issue_key, &fact));
            lead_time_fact::Entity::insert(fact_model(config_id, &issue, &fact))
                .exec_without_returning(db)
                .await?;
        }
    }
    Ok(())
}
