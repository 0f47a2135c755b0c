//! The command line: parsing (clap) and running each command.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use chrono::Utc;
use clap::{Parser, Subcommand, ValueEnum};

use crate::{db, demo, feed, report};

#[derive(Parser)]
#[command(
    name = "artflow",
    version,
    about = "Lead time, WIP and flow efficiency per Agile Release Train, from Jira"
)]
pub struct Cli {
    /// Database URL: sqlite://FILE?mode=rwc or mysql://user:password@host:3306/db.
    /// Migrations run automatically.
    #[arg(
        long,
        env = "DATABASE_URL",
        hide_env_values = true,
        default_value = db::DEFAULT_DATABASE_URL,
        global = true
    )]
    database_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Brings the database schema up to date (every other command does so too).
    Migrate,
    /// The pipeline configuration (ARTs and how each measures lead time).
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Recomputes one configuration (or all) from the stored issues.
    Rebuild {
        /// The configuration's code; all configurations when absent.
        #[arg(long = "config")]
        code: Option<String>,
    },
    /// Imports Jira REST search responses (search with expand=changelog).
    Import {
        /// Search response files (`{"issues": [...]}`); a bare array of issues or a single issue
        /// also works.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Reads issue histories from Jira's search API (expand=changelog, every page, whole
    /// changelogs) and applies them as `import` does, or with --queue-url queues them for the
    /// processor. Credentials: JIRA_EMAIL and JIRA_API_TOKEN (Cloud), JIRA_PAT (Data Center),
    /// or JIRA_AUTH_SECRET_ARN (a Secrets Manager secret {"email","api_token"} or {"pat"}).
    Backfill {
        /// The Jira site, e.g. https://acme.atlassian.net or https://jira.example.com/jira.
        #[arg(long, env = "JIRA_URL", hide_env_values = true)]
        jira_url: String,
        /// Which issues, e.g. "project in (PAY, PAYT)".
        #[arg(long)]
        jql: String,
        /// Only issues updated on or after this day (YYYY-MM-DD).
        #[arg(long, value_parser = crate::backfill::parse_day)]
        since: Option<chrono::NaiveDate>,
        /// The site's REST API; auto: *.atlassian.net is Cloud, any other host Data Center.
        #[arg(long, value_enum, default_value_t = crate::backfill::FlavorArg::Auto)]
        flavor: crate::backfill::FlavorArg,
        /// Issues per search page.
        #[arg(long, default_value_t = ::backfill::DEFAULT_PAGE_SIZE,
              value_parser = clap::value_parser!(u32).range(1..=1000))]
        page_size: u32,
        /// Put the events on this SQS queue for the processor instead of applying them here.
        #[arg(long)]
        queue_url: Option<String>,
    },
    /// Replays webhook bodies: JSON files, folders of them, or JSON lines files. Applied to the
    /// database, or with --to posted to a running server (artflow serve, or a deployment).
    Replay {
        /// Webhook body files, folders (every .json, .jsonl, .ndjson and .txt file in them and
        /// their subfolders, by name), or JSON lines files (.jsonl, .ndjson: one body a line).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Post the bodies to this server (e.g. http://127.0.0.1:3000) instead.
        #[arg(long)]
        to: Option<String>,
        /// Sign each body with this webhook secret (X-Hub-Signature: sha256=...).
        #[arg(
            long,
            env = "ARTFLOW_WEBHOOK_SECRET",
            hide_env_values = true,
            requires = "to"
        )]
        secret: Option<String>,
        /// Send this token in X-Artflow-Token.
        #[arg(
            long,
            env = "ARTFLOW_WEBHOOK_TOKEN",
            hide_env_values = true,
            requires = "to"
        )]
        token: Option<String>,
    },
    /// Serves POST /webhooks/jira, the read API and the dashboard (http://ADDRESS/) on the
    /// database: each accepted webhook is applied before it is answered.
    Serve {
        #[arg(long, default_value = "127.0.0.1:3000")]
        bind: std::net::SocketAddr,
        /// The secret Jira signs webhooks with (X-Hub-Signature).
        #[arg(long, env = "ARTFLOW_WEBHOOK_SECRET", hide_env_values = true,
              value_parser = non_empty)]
        webhook_secret: Option<String>,
        /// A shared token for senders that cannot sign (Jira Automation): X-Artflow-Token
        /// header or ?token= parameter.
        #[arg(long, env = "ARTFLOW_WEBHOOK_TOKEN", hide_env_values = true,
              value_parser = non_empty)]
        webhook_token: Option<String>,
        /// Accept unauthenticated webhooks (local demos only).
        #[arg(long)]
        insecure_no_auth: bool,
        /// Largest body accepted, in bytes.
        #[arg(long, default_value_t = ingest::DEFAULT_BODY_LIMIT)]
        body_limit: usize,
        /// Put accepted webhooks on this SQS queue and process it in the same process, as on
        /// AWS (AWS_ENDPOINT_URL_SQS points at an emulator such as moto).
        #[arg(long, env = "QUEUE_URL", hide_env_values = true)]
        queue_url: Option<String>,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Consumes an SQS queue of IssueEvents (what the processor Lambda does), deleting only
    /// what was applied.
    Process {
        #[arg(long, env = "QUEUE_URL", hide_env_values = true)]
        queue_url: String,
        /// Messages applied per transaction.
        #[arg(long, default_value_t = 100)]
        batch_size: usize,
        /// Stop when the queue is empty instead of waiting for more.
        #[arg(long)]
        until_empty: bool,
    },
    /// Forgets processed delivery ids older than the retention (re-applying one later is
    /// harmless: every change is idempotent on its own).
    Prune {
        /// Retention of processed delivery ids, in days.
        #[arg(long, default_value_t = 30)]
        deliveries_older_than_days: u32,
    },
    /// Prints the figures per ART and pipeline configuration.
    Report {
        /// Only this ART (by abbreviation).
        #[arg(long)]
        art: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Only issues completed on or after this UTC day (YYYY-MM-DD).
        #[arg(long, value_name = "DAY")]
        since: Option<String>,
        /// Only issues completed on or before this UTC day (YYYY-MM-DD), inclusive.
        #[arg(long, value_name = "DAY")]
        until: Option<String>,
        /// The data-quality findings instead of the figures: unmapped statuses, unknown
        /// starts, end before start, unreadable values, never-active completions, projects no
        /// ART owns (table or JSON). Not for a window: the findings are those of every issue.
        #[arg(long, conflicts_with_all = ["since", "until"])]
        quality: bool,
    },
    /// Runs the whole flow on a generated dataset in a temporary database and prints the report.
    Demo {
        /// Keep the temporary database and print its path.
        #[arg(long)]
        keep: bool,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

/// The read API's settings (`artflow serve`).
#[derive(clap::Args)]
struct ApiArgs {
    /// Require `Authorization: Bearer TOKEN` on every data read.
    #[arg(long, env = "ARTFLOW_READ_TOKEN", hide_env_values = true, value_parser = non_empty)]
    read_token: Option<String>,
    /// Enable PUT /admin/config with `Authorization: Bearer TOKEN` (disabled without it).
    #[arg(long, env = "ARTFLOW_ADMIN_TOKEN", hide_env_values = true, value_parser = non_empty)]
    admin_token: Option<String>,
    /// An origin allowed to read the API from a browser (CORS): scheme://host[:port] as the
    /// browser sends it, e.g. https://dash.example.com; repeat for several. None by default,
    /// never `*`.
    #[arg(long = "cors-origin", value_name = "ORIGIN", value_parser = api::http::cors_origin)]
    cors_origins: Vec<String>,
    /// How long, in milliseconds, a read trusts the data version it read from the database.
    #[arg(long, default_value_t = 1000)]
    freshness_ms: u64,
}

/// A token or secret given as an option or an environment variable: empty is a mistake (it would
/// match an empty header, or silently mean "none").
fn non_empty(value: &str) -> Result<String, String> {
    if value.trim().is_empty() {
        Err(
            "it is empty: give a value, or leave the option (and its environment variable) \
             unset"
                .into(),
        )
    } else {
        Ok(value.to_owned())
    }
}

impl ApiArgs {
    fn settings(self) -> api::ApiSettings {
        api::ApiSettings {
            read_token: self.read_token,
            admin_token: self.admin_token,
            cors_origins: self.cors_origins,
            freshness: std::time::Duration::from_millis(self.freshness_ms),
        }
    }
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Applies a TOML configuration: adds and changes what it lists, leaves the rest alone,
    /// recomputes configurations whose rule changed.
    Apply {
        /// The TOML configuration (see docs/example-artflow.toml).
        file: PathBuf,
        /// Also remove the ARTs and pipeline configurations the file does not list, with their
        /// figures (to rename or drop one). Stored issues are kept.
        #[arg(long)]
        prune: bool,
        /// Apply it to a running artflow (a deployment's API URL, or artflow serve) through
        /// PUT /admin/config instead of the database.
        #[arg(long)]
        api: Option<String>,
        /// The admin token of that API (read only with --api: the variable may stay set in a
        /// shell that also runs `artflow serve`).
        #[arg(long, env = "ARTFLOW_ADMIN_TOKEN", hide_env_values = true)]
        admin_token: Option<String>,
        /// Change nothing: print what applying the file would add, change and remove (and
        /// which configurations it would recompute), locally or through --api.
        #[arg(long)]
        dry_run: bool,
    },
    /// Checks a TOML configuration without touching the database.
    Check {
        /// The TOML configuration (see docs/example-artflow.toml).
        file: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
    Csv,
}

fn read_config(file: &PathBuf) -> anyhow::Result<domain::Config> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read the configuration {}", file.display()))?;
    Ok(domain::parse_config(&file.display().to_string(), &text)?)
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Command::Config {
        command: ConfigCommand::Check { file },
    } = &cli.command
    {
        let config = read_config(file)?;
        let pipelines: usize = config.arts.iter().map(|a| a.pipelines.len()).sum();
        println!(
            "{}: {} ART(s), {pipelines} pipeline configuration(s), valid",
            file.display(),
            config.arts.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    if let Command::Config {
        command:
            ConfigCommand::Apply {
                file,
                prune,
                api: Some(url),
                admin_token,
                dry_run,
            },
    } = &cli.command
    {
        let config = read_config(file)?;
        let text = std::fs::read(file)
            .with_context(|| format!("cannot read the configuration {}", file.display()))?;
        let token = admin_token
            .as_deref()
            .context("--api needs the admin token: --admin-token or ARTFLOW_ADMIN_TOKEN")?;
        let applied = crate::post::put_config(url, token, text, *prune, *dry_run).await?;
        if *dry_run {
            print_dry_run(&applied, file, *prune, url);
            return Ok(ExitCode::SUCCESS);
        }
        let pipelines: usize = config.arts.iter().map(|a| a.pipelines.len()).sum();
        for c in &applied.changes {
            match &c.detail {
                Some(d) => println!("{}: {} ({d})", c.what, c.change),
                None => println!("{}: {}", c.what, c.change),
            }
        }
        if !applied.recomputed.is_empty() {
            println!("recomputed {}", applied.recomputed.join(", "));
        }
        println!(
            "applied {} ({} ART(s), {pipelines} pipeline configuration(s)) to {url}",
            file.display(),
            config.arts.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    if let Command::Demo { keep, seed, format } = cli.command {
        return run_demo(keep, seed, format).await;
    }
    if let Command::Backfill {
        jira_url,
        jql,
        since,
        flavor,
        page_size,
        queue_url,
    } = cli.command
    {
        let opts = crate::backfill::Options {
            jira_url,
            jql,
            since,
            flavor: flavor.into(),
            page_size,
            queue_url,
        };
        return crate::backfill::run(&cli.database_url, opts).await;
    }
    if let Command::Replay {
        paths,
        to: Some(url),
        secret,
        token,
    } = &cli.command
    {
        let poster = crate::post::Poster::new(url, secret.clone(), token.clone())?;
        let summary = feed::replay_to(&poster, paths).await?;
        summary.print("bodies");
        return Ok(if summary.ok() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    if let Command::Migrate = cli.command {
        let db = db::open(&cli.database_url).await?;
        let applied = db::migrate(&cli.database_url, &db).await?;
        let shown = db::redact(&cli.database_url);
        if applied.is_empty() {
            println!("database {shown} is already up to date");
        } else {
            println!(
                "database {shown}: applied {} migration(s): {}",
                applied.len(),
                applied.join(", ")
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let db = db::connect(&cli.database_url).await?;
    match cli.command {
        Command::Config {
            command:
                ConfigCommand::Apply {
                    file,
                    prune,
                    dry_run,
                    ..
                },
        } => {
            let config = read_config(&file)?;
            if dry_run {
                let report = processor::preview_config(&db, &config, prune, Utc::now())
                    .await
                    .with_context(|| format!("cannot apply {}", file.display()))?;
                print_dry_run(
                    &api::AppliedConfig::of(&report),
                    &file,
                    prune,
                    &db::redact(&cli.database_url),
                );
            } else {
                let report = processor::apply_config(&db, &config, prune, Utc::now())
                    .await
                    .with_context(|| format!("cannot apply {}", file.display()))?;
                print_config_report(&report);
            }
        }
        Command::Config {
            command: ConfigCommand::Check { .. },
        }
        | Command::Migrate
        | Command::Demo { .. }
        | Command::Backfill { .. } => unreachable!("handled above"),
        Command::Rebuild { code } => {
            let done = processor::rebuild(&db, code.as_deref(), Utc::now()).await?;
            if done.is_empty() {
                println!(
                    "nothing to recompute: no pipeline configuration is stored (artflow config apply FILE)"
                );
            } else {
                println!("recomputed {}", done.join(", "));
            }
        }
        Command::Prune {
            deliveries_older_than_days,
        } => {
            let cutoff = Utc::now() - chrono::Duration::days(deliveries_older_than_days.into());
            let n = processor::prune_deliveries(&db, cutoff).await?;
            println!(
                "forgot {n} delivery ids applied before {}",
                cutoff.to_rfc3339()
            );
        }
        Command::Import { files } => {
            let summary = feed::import(&db, &files).await?;
            summary.print("issues");
            if !summary.ok() {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Serve {
            bind,
            webhook_secret,
            webhook_token,
            insecure_no_auth,
            body_limit,
            queue_url,
            api,
        } => {
            let settings = api.settings();
            let settings_shown = settings.clone();
            let api_state = api::ApiState::new(db.clone(), settings);
            let auth = if insecure_no_auth {
                tracing::warn!(
                    "--insecure-no-auth: accepting unauthenticated webhooks (local demos only)"
                );
                ingest::Auth::insecure()
            } else {
                ingest::Auth::new(webhook_secret, webhook_token)?
            };
            let queue: std::sync::Arc<dyn ingest::Queue> = match &queue_url {
                None => std::sync::Arc::new(crate::serve::local_queue(&api_state)),
                Some(url) => {
                    let client = crate::worker::Worker::client_from_env().await;
                    let worker = crate::worker::Worker {
                        client: client.clone(),
                        queue_url: url.clone(),
                        db: db.clone(),
                        batch_size: 100,
                        wait: std::time::Duration::from_secs(20),
                    };
                    tokio::spawn(async move {
                        if let Err(e) = worker.run(false, std::future::pending()).await {
                            tracing::error!(error = %format!("{e:#}"), "queue worker stopped");
                        }
                    });
                    let queue = ingest::SqsQueue::new(client, url.clone());
                    queue.check().await?;
                    std::sync::Arc::new(queue)
                }
            };
            let mut state = ingest::IngestState::new(queue, auth);
            state.body_limit = body_limit;
            let listener = tokio::net::TcpListener::bind(bind)
                .await
                .with_context(|| format!("cannot listen on {bind}"))?;
            eprintln!(
                "artflow serving on http://{addr}: the dashboard at http://{addr}/, \
                 POST /webhooks/jira, the API described at GET /openapi.json",
                addr = listener.local_addr()?
            );
            eprintln!("{}", startup_settings(&settings_shown));
            axum::serve(listener, crate::serve::router(state, api_state))
                .with_graceful_shutdown(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await?;
        }
        Command::Process {
            queue_url,
            batch_size,
            until_empty,
        } => {
            let worker = crate::worker::Worker {
                client: crate::worker::Worker::client_from_env().await,
                queue_url,
                db,
                batch_size,
                wait: std::time::Duration::from_secs(if until_empty { 1 } else { 20 }),
            };
            let t = worker
                .run(until_empty, async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await?;
            println!(
                "{} messages: {} applied, {} duplicates, {} failed (left on the queue), {} batches \
                 left on the queue while the database was unavailable",
                t.received, t.applied, t.duplicates, t.failed, t.store_errors
            );
        }
        Command::Replay { paths, .. } => {
            let summary = feed::replay(&db, &paths).await?;
            summary.print("bodies");
            if !summary.ok() {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Report {
            art,
            format,
            since,
            until,
            quality,
        } => {
            if quality {
                let q = report::quality(&db, art.as_deref()).await?;
                match format {
                    Format::Json => println!(
                        "{}",
                        serde_json::to_string_pretty(&q).expect("findings serialize")
                    ),
                    Format::Table => print!("{}", report::quality_table(&q)),
                    Format::Csv => anyhow::bail!(
                        "--quality is printed as a table or as JSON (--format json), not as CSV"
                    ),
                }
                return Ok(ExitCode::SUCCESS);
            }
            let window = api::read::Window {
                from: since
                    .as_deref()
                    .map(|d| api::read::parse_day("--since", d))
                    .transpose()?,
                to: until
                    .as_deref()
                    .map(|d| api::read::parse_day("--until", d))
                    .transpose()?,
            };
            let r = report::build(&db, art.as_deref(), Utc::now(), window).await?;
            if r.arts.is_empty() {
                eprintln!(
                    "no ART is configured in {}: run `artflow config apply FILE` first",
                    db::redact(&cli.database_url)
                );
            }
            print!("{}", format_report(format)(&r));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn format_report(format: Format) -> fn(&report::Report) -> String {
    match format {
        Format::Table => report::table,
        Format::Json => |r| serde_json::to_string_pretty(r).expect("a report serializes") + "\n",
        Format::Csv => report::csv,
    }
}

/// What `artflow serve` says at startup about its read API's settings.
fn startup_settings(s: &api::ApiSettings) -> String {
    format!(
        "admin route PUT /admin/config: {}; reads: {}; CORS origins: {}",
        if s.admin_token.is_some() {
            "enabled (--admin-token)"
        } else {
            "disabled (no --admin-token)"
        },
        if s.read_token.is_some() {
            "need the read token"
        } else {
            "open (no --read-token)"
        },
        if s.cors_origins.is_empty() {
            "none".to_owned()
        } else {
            s.cors_origins.join(", ")
        }
    )
}

/// `config apply --dry-run`: what applying would do, the same lines locally and through --api.
fn print_dry_run(applied: &api::AppliedConfig, file: &std::path::Path, prune: bool, to: &str) {
    println!(
        "dry run: nothing was changed; applying {}{} to {to} would:",
        file.display(),
        if prune { " with --prune" } else { "" }
    );
    let mut unchanged = 0;
    for c in &applied.changes {
        match (c.change.as_str(), &c.detail) {
            ("unchanged", _) => unchanged += 1,
            ("added", _) => println!("  add     {}", c.what),
            ("removed", _) => println!("  remove  {}", c.what),
            (_, Some(d)) => println!("  change  {}: {d}", c.what),
            (other, None) => println!("  {other:<7} {}", c.what),
        }
    }
    if !applied.recomputed.is_empty() {
        println!(
            "  recompute from stored issues: {}",
            applied.recomputed.join(", ")
        );
    }
    if unchanged > 0 || applied.changes.is_empty() {
        println!("  leave {unchanged} unchanged");
    }
}

fn print_config_report(report: &processor::ApplyConfigReport) {
    for (what, change) in &report.entries {
        match change {
            processor::Change::Added => println!("added     {what}"),
            processor::Change::Changed(how) => println!("changed   {what}: {how}"),
            processor::Change::Unchanged => println!("unchanged {what}"),
            processor::Change::Removed => println!("removed   {what}"),
        }
    }
    if !report.recomputed.is_empty() {
        println!(
            "recomputed from stored issues: {}",
            report.recomputed.join(", ")
        );
    }
}

/// `artflow demo`: a generated dataset through the whole flow, on a fresh temporary database.
async fn run_demo(keep: bool, seed: u64, format: Format) -> anyhow::Result<ExitCode> {
    let data = demo::generate(seed);
    let path = std::env::temp_dir().join(format!(
        "artflow-demo-{}-{}.db",
        std::process::id(),
        Utc::now().timestamp_millis()
    ));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let result = async {
        let db = db::connect(&url).await?;
        let config = domain::parse_config("demo configuration", &data.config_toml)?;
        let applied = processor::apply_config(&db, &config, false, Utc::now()).await?;
        let mut summary = feed::Summary::default();
        let mut events = Vec::new();
        for (name, doc) in &data.search_responses {
            summary.files += 1;
            events.extend(
                feed::search_events(name, doc, &mut summary).map_err(|e| anyhow::anyhow!(e))?,
            );
        }
        for (i, body) in data.webhooks.iter().enumerate() {
            let bytes = serde_json::to_vec(body)?;
            events.extend(feed::webhook_event(
                format!("webhook #{}", i + 1),
                &bytes,
                &mut summary,
            ));
        }
        let summary = feed::feed(&db, summary, events).await?;
        eprintln!(
            "demo: {} ARTs and {} pipeline configurations; {} issues imported from {} \
             search responses, then {} webhooks: {} events applied, {} skipped",
            config.arts.len(),
            applied.recomputed.len(),
            summary.items - data.webhooks.len(),
            data.search_responses.len(),
            data.webhooks.len(),
            summary.applied,
            summary.skipped.len(),
        );
        let r = report::build(&db, None, Utc::now(), api::read::Window::default()).await?;
        print!("{}", format_report(format)(&r));
        db.close().await?;
        anyhow::Ok(())
    }
    .await;
    if keep {
        eprintln!("demo database kept: {url}");
    } else {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
    result.map(|()| ExitCode::SUCCESS)
}
