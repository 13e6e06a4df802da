//! `q-status list`: one row per conversation across every store (or `--db`), newest activity
//! first, as a table fitted to the terminal, `--json` or `--csv`.
//!
//! Rows are streamed from the stores ([`history::scan`]); only the small summary of each is
//! kept for sorting. A row that cannot be read is listed with its reason.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context as _;
use serde::Serialize;

use crate::history::{self, Item};
use crate::sanitize::sanitize;
use crate::settings::{ProcessEnv, Settings};
use crate::table::{Align, Column, Fit, Table};
use crate::usage::human;

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Show only the N most recently active conversations
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Print one JSON document (`{"version": 1, "conversations": [...]}`)
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV (RFC 4180) with a header row
    #[arg(long)]
    pub csv: bool,
}

/// One listed conversation. Field names are part of the interface (see the README).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub dir: String,
    pub store: &'static str,
    pub db: String,
    pub conversation_id: Option<String>,
    pub model: Option<String>,
    pub pct: Option<f64>,
    /// `backend` (the service's figure) or `estimate`.
    pub source: Option<&'static str>,
    pub tokens: Option<u64>,
    pub window: Option<u64>,
    pub turns: Option<usize>,
    pub requests: Option<u64>,
    /// RFC 3339 (UTC) of the newest activity.
    pub last_activity: Option<String>,
    pub last_activity_ms: Option<i64>,
    pub credits: Option<f64>,
    /// Why the row could not be read; the other figures are then empty.
    pub error: Option<String>,
}

impl Row {
    fn from_item(item: &Item) -> Row {
        match item {
            Item::Conversation(r) => Row {
                dir: r.dir.clone(),
                store: r.store,
                db: r.db.to_string_lossy().into_owned(),
                conversation_id: r.usage.conversation_id.clone(),
                model: r.usage.model.clone(),
                pct: Some(r.usage.pct),
                source: Some(r.usage.source.as_str()),
                tokens: Some(r.usage.tokens),
                window: Some(r.usage.window),
                turns: Some(r.usage.turns),
                requests: Some(r.requests()),
                last_activity: r.usage.updated_ms.map(crate::time::iso_string),
                last_activity_ms: r.usage.updated_ms,
                credits: r.credits(),
                error: None,
            },
            Item::Refused(r) => Row {
                dir: r.dir.clone(),
                store: r.store,
                db: r.db.to_string_lossy().into_owned(),
                conversation_id: r.conversation_id.clone(),
                model: None,
                pct: None,
                source: None,
                tokens: None,
                window: None,
                turns: None,
                requests: None,
                last_activity: r.updated_ms.map(crate::time::iso_string),
                last_activity_ms: r.updated_ms,
                credits: None,
                error: Some(r.reason.clone()),
            },
        }
    }
}

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    conversations: &'a [Row],
    store_errors: Vec<StoreError>,
}

/// A store that could not be read, in `--json`.
#[derive(Debug, Clone, Serialize)]
pub struct StoreError {
    pub db: String,
    pub error: String,
}

pub fn run(s: &Settings, args: &ListArgs) -> anyhow::Result<ExitCode> {
    let now = crate::time::now_ms();
    let stores = history::stores(s)?;
    let mut rows = Vec::new();
    let mut quota = crate::quota::Counter::new(now);
    let failures = history::scan(&stores, s.max_row_bytes, history::BUSY, |item| {
        if let Item::Conversation(r) = &item {
            quota.add(r);
        }
        rows.push(Row::from_item(&item));
    });
    if failures.len() < stores.len() {
        quota.save(s, now);
    }
    // Newest first; rows without a time last.
    rows.sort_by_key(|r| std::cmp::Reverse(r.last_activity_ms));
    if let Some(n) = args.limit {
        rows.truncate(n);
    }
    let store_errors: Vec<StoreError> = failures
        .iter()
        .map(|f| StoreError {
            db: f.store.path.to_string_lossy().into_owned(),
            error: f.error.clone(),
        })
        .collect();
    let mut out = std::io::stdout().lock();
    if args.json {
        let doc = Document {
            version: 1,
            conversations: &rows,
            store_errors: store_errors.clone(),
        };
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    } else if args.csv {
        write_csv(&mut out, &rows)?;
    } else {
        let color = s.table_color(&ProcessEnv);
        let text = table(&rows, now).render(crate::table::terminal_width(), color);
        out.write_all(text.as_bytes())?;
    }
    out.flush()?;
    for e in &store_errors {
        eprintln!("q-status: {}", sanitize(&e.error, 400));
    }
    if failures.len() == stores.len() {
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

const COLUMNS: [Column; 9] = [
    Column::new("DIR", Align::Left, Fit::KeepEnd),
    Column::new("STORE", Align::Left, Fit::Fixed),
    Column::new("MODEL", Align::Left, Fit::KeepStart),
    Column::new("PCT", Align::Right, Fit::Fixed),
    Column::new("SOURCE", Align::Left, Fit::Fixed),
    Column::new("TOKENS", Align::Right, Fit::Fixed),
    Column::new("TURNS", Align::Right, Fit::Fixed),
    Column::new("LAST", Align::Right, Fit::Fixed),
    Column::new("CREDITS", Align::Right, Fit::Fixed),
];

/// The terminal table. Data text is sanitised; an unreadable row shows `! reason` as its model.
pub fn table(rows: &[Row], now_ms: i64) -> Table {
    let opt = |v: Option<String>| v.unwrap_or_default();
    let cells = rows
        .iter()
        .map(|r| {
            let model = match &r.error {
                Some(e) => format!("! {}", sanitize(e, 200)),
                None => sanitize(r.model.as_deref().unwrap_or("unknown"), 64),
            };
            vec![
                sanitize(&r.dir, 400),
                r.store.to_owned(),
                model,
                opt(r.pct.map(|p| format!("{p:.1}%"))),
                opt(r.source.map(str::to_owned)),
                opt(r
                    .tokens
                    .zip(r.window)
                    .map(|(t, w)| format!("{}/{}", human(t), human(w)))),
                opt(r.turns.map(|t| t.to_string())),
                opt(r.last_activity_ms.map(|t| crate::time::relative(t, now_ms))),
                opt(r.credits.map(|c| format!("{c:.2}"))),
            ]
        })
        .collect();
    Table {
        columns: COLUMNS.to_vec(),
        rows: cells,
        totals: None,
    }
}

fn write_csv(out: &mut impl Write, rows: &[Row]) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    for r in rows {
        w.serialize(r).context("writing CSV")?;
    }
    if rows.is_empty() {
        w.write_record(CSV_HEADER)?;
    }
    w.flush()?;
    Ok(())
}

/// The CSV header (also written when there are no rows).
pub const CSV_HEADER: [&str; 15] = [
    "dir",
    "store",
    "db",
    "conversation_id",
    "model",
    "pct",
    "source",
    "tokens",
    "window",
    "turns",
    "requests",
    "last_activity",
    "last_activity_ms",
    "credits",
    "error",
];
