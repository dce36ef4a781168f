//! `mien sessions ...`: the session store from the command line (list, show, export, delete, purge, policy, audit),
//! and the options `mien analyze --save` uses to create a session.

use std::{io::Write, path::PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use mien_core::Jurisdiction;
use mien_store::{ConsentInput, ConsentMethod, NewSession, SessionExport, SessionKind, SourceKind, Store};

/// Where the database is: `--db`, else `MIEN_DB`, else `$XDG_DATA_HOME/mien/mien.db` (`~/.local/share/mien/mien.db`).
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    #[arg(long, global = true, env = "MIEN_DB", value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// Who is acting, for the audit log (default: $USER).
    #[arg(long, global = true, env = "MIEN_ACTOR")]
    pub actor: Option<String>,
}

impl DbArgs {
    pub fn path(&self) -> Result<PathBuf> {
        if let Some(p) = &self.db {
            return Ok(p.clone());
        }
        mien_store::default_db_path().context("cannot find a data folder: set --db or MIEN_DB")
    }

    pub fn open(&self) -> Result<Store> {
        let path = self.path()?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        Store::open(&path).with_context(|| format!("opening the session store {}", path.display()))
    }

    pub fn actor(&self) -> String {
        self.actor.clone().or_else(|| std::env::var("USER").ok()).unwrap_or_else(|| "unknown".into())
    }
}

/// Session details for `mien analyze --save`.
#[derive(Debug, Clone, Args)]
pub struct SessionArgs {
    /// Store a practice session (analysing yourself; no candidate, no consent needed).
    #[arg(long)]
    pub practice: bool,
    /// Candidate reference (an id or a name; erased with the session).
    #[arg(long)]
    pub candidate: Option<String>,
    #[arg(long)]
    pub role: Option<String>,
    #[arg(long)]
    pub interviewer: Option<String>,
    /// How the candidate consented: written, electronic or verbal. Required for interviews.
    #[arg(long)]
    pub consent_method: Option<String>,
    /// Version of the notice text the candidate was shown. Required for interviews.
    #[arg(long)]
    pub notice_version: Option<String>,
    /// Who recorded the consent (default: the interviewer).
    #[arg(long)]
    pub consent_recorded_by: Option<String>,
}

impl SessionArgs {
    pub fn new_session(
        &self,
        source: SourceKind,
        source_name: &str,
        model: &str,
        provider: &str,
    ) -> Result<NewSession> {
        let consent = match (&self.consent_method, &self.notice_version) {
            (Some(method), Some(version)) => Some(ConsentInput {
                notice_version: version.clone(),
                method: method.parse::<ConsentMethod>()?,
                recorded_by: self
                    .consent_recorded_by
                    .clone()
                    .or_else(|| self.interviewer.clone())
                    .context("--consent-recorded-by or --interviewer is needed to record consent")?,
                candidate_agreed: true,
            }),
            (None, None) => None,
            _ => bail!("consent needs both --consent-method and --notice-version"),
        };
        Ok(NewSession {
            kind: if self.practice { SessionKind::Practice } else { SessionKind::Interview },
            candidate_ref: self.candidate.clone(),
            role: self.role.clone(),
            interviewer: self.interviewer.clone(),
            source,
            source_name: Some(source_name.to_string()),
            model: model.to_string(),
            provider: provider.to_string(),
            consent,
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// List sessions, newest first.
    List {
        /// Only sessions whose candidate, role, interviewer or source contains this text.
        #[arg(long)]
        search: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show a session's report summary (recorded in the audit log).
    Show { id: i64 },
    /// Export a whole session: JSON (session, samples, markers, notes, summary), CSV (one row per sample) or PDF (a
    /// readable report: summary, timeline chart, segments, data quality, notes, limits).
    Export {
        id: i64,
        /// json, csv or pdf
        #[arg(long, default_value = "json")]
        format: mien_report::ExportFormat,
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Erase a session (from the database file and its WAL).
    Delete { id: i64 },
    /// Erase every session older than the retention period.
    Purge,
    /// Show or set the jurisdiction policy and the retention period.
    Policy {
        /// unset, eu_eea, uk, us_illinois, us_maryland, us_nyc, us_other, other
        #[arg(long)]
        jurisdiction: Option<Jurisdiction>,
        #[arg(long)]
        retention_days: Option<u32>,
    },
    /// Print the access log; --verify checks its hash chain.
    Audit {
        #[arg(long)]
        verify: bool,
    },
}

fn pct(v: f64) -> String {
    format!("{:>5.1} %", v * 100.0)
}

fn print_report(r: &SessionExport) {
    let s = &r.session;
    let sum = &r.summary;
    println!(
        "Session {} ({}, {}), {}",
        s.id,
        s.kind.name(),
        s.status.name(),
        s.started_at.format("%Y-%m-%d %H:%M UTC")
    );
    if let Some(c) = &s.candidate_ref {
        println!("  candidate     {c}{}", s.role.as_deref().map(|r| format!(" — {r}")).unwrap_or_default());
    }
    println!("  source        {} {}", s.source.name(), s.source_name.as_deref().unwrap_or(""));
    println!("  model         {} on {}", s.model, s.provider);
    if let Some(c) = &s.consent {
        println!("  consent       {} (notice {}), recorded by {}", c.method.name(), c.notice_version, c.recorded_by);
    }
    println!(
        "  duration      {:.1} s, {} samples ({} with a face)",
        sum.duration_ms as f64 / 1000.0,
        sum.samples,
        sum.face_samples
    );
    println!("  face visible  {}", pct(sum.face_visible_share));
    let sh = &sum.overall.shares;
    println!(
        "  attitude      negative {}  neutral {}  positive {}   (share of face-visible time)",
        pct(sh.negative),
        pct(sh.neutral),
        pct(sh.positive)
    );
    if let Some(c) = sum.mean_confidence {
        println!("  confidence    mean {c:.2}, low-confidence time {}", pct(sum.low_confidence_share));
    }
    for (name, st) in [("positive", &sum.longest_positive), ("negative", &sum.longest_negative)] {
        if let Some(st) = st {
            println!(
                "  longest {name:<8} {:.1} s from {:.1} s",
                st.duration_ms() as f64 / 1000.0,
                st.start_ms as f64 / 1000.0
            );
        }
    }
    let t = &sum.trend.change;
    println!(
        "  trend         last vs first third: positive {:+.1} pts, negative {:+.1} pts",
        t.positive * 100.0,
        t.negative * 100.0
    );
    if let Some(b) = &sum.baseline {
        println!(
            "  baseline      first {:.0} s: negative {} neutral {} positive {}; shift positive {:+.1} pts",
            b.window.end_ms as f64 / 1000.0,
            pct(b.window.shares.negative),
            pct(b.window.shares.neutral),
            pct(b.window.shares.positive),
            b.shift.positive * 100.0
        );
    }
    if sum.segments.len() > 1 {
        println!("  segments");
        for seg in &sum.segments {
            let st = &seg.stats;
            println!(
                "    {:>7.1}-{:<7.1} s {:<24} neg {} neu {} pos {}",
                st.start_ms as f64 / 1000.0,
                st.end_ms as f64 / 1000.0,
                seg.marker.as_deref().unwrap_or("(start)"),
                pct(st.shares.negative),
                pct(st.shares.neutral),
                pct(st.shares.positive)
            );
        }
    }
    for n in &r.notes {
        println!("  note          {}", n.text);
    }
    println!("\n{}", r.limits);
}

pub fn run(db: &DbArgs, cmd: &SessionsCommand) -> Result<u8> {
    let mut store = db.open()?;
    let actor = db.actor();
    match cmd {
        SessionsCommand::List { search, json } => {
            let list = store.list_sessions(search.as_deref())?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                println!(
                    "{:>5}  {:<17}  {:<10}  {:<11}  {:>7}  candidate / source",
                    "id", "started (UTC)", "kind", "status", "samples"
                );
                for s in list {
                    println!(
                        "{:>5}  {:<17}  {:<10}  {:<11}  {:>7}  {}",
                        s.id,
                        s.started_at.format("%Y-%m-%d %H:%M"),
                        s.kind.name(),
                        s.status.name(),
                        s.sample_count,
                        s.candidate_ref.or(s.source_name).unwrap_or_default()
                    );
                }
            }
        }
        SessionsCommand::Show { id } => print_report(&store.report(*id, &actor)?),
        SessionsCommand::Export { id, format, output } => {
            let export = store.export(*id, &actor, format.name())?;
            let bytes = mien_report::render(&export, *format);
            match output {
                Some(p) => std::fs::write(p, bytes).with_context(|| format!("writing {}", p.display()))?,
                None => {
                    let mut out = std::io::stdout().lock();
                    out.write_all(&bytes)?;
                    out.flush()?;
                }
            }
        }
        SessionsCommand::Delete { id } => {
            let e = store.delete_session(*id, &actor)?;
            eprintln!(
                "session {id} erased ({} samples){}",
                e.samples,
                if e.wal_truncated { "" } else { "; the WAL will be cleared when the other reader closes" }
            );
        }
        SessionsCommand::Purge => {
            let ids = store.purge_expired(&actor)?;
            eprintln!("{} session(s) older than {} days erased: {ids:?}", ids.len(), store.settings()?.retention_days);
        }
        SessionsCommand::Policy { jurisdiction, retention_days } => {
            let current = store.settings()?;
            let settings = if jurisdiction.is_some() || retention_days.is_some() {
                store.set_policy(
                    jurisdiction.unwrap_or(current.jurisdiction),
                    retention_days.unwrap_or(current.retention_days),
                    &actor,
                )?
            } else {
                current
            };
            println!("jurisdiction  {}", settings.jurisdiction.name());
            println!("policy        {}", settings.policy.name());
            println!("retention     {} days", settings.retention_days);
            println!("{}", settings.jurisdiction.explanation());
        }
        SessionsCommand::Audit { verify } => {
            for a in store.audit_log()? {
                println!(
                    "{:>5}  {}  {:<12}  {:<11}  {:>7}  {}",
                    a.id,
                    a.at.format("%Y-%m-%d %H:%M:%S"),
                    a.actor,
                    a.action.name(),
                    a.session_id.map(|i| i.to_string()).unwrap_or_default(),
                    a.detail
                );
            }
            if *verify {
                let n = store.verify_audit_chain()?;
                eprintln!("audit chain intact ({n} rows)");
            }
        }
    }
    Ok(0)
}
