//! `q-status export`: every conversation with its per-request rows, as one JSON document
//! (with a `version`), CSV (RFC 4180, one line per turn) or a Markdown table.
//!
//! Conversations are written as the scan streams them, so memory stays at one conversation.
//! `--output FILE` writes to a temporary file beside FILE and moves it into place only when
//! complete; an existing FILE is replaced only with `--force` (the no-replace move is a hard
//! link, which fails if FILE appeared meanwhile).

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use serde::Serialize;

use crate::history::{self, Item, TurnRow};
use crate::sanitize::sanitize;
use crate::settings::Settings;

/// The JSON document's format version.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Csv,
    Md,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Output format
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Format,
    /// Write to FILE (atomically) instead of stdout
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace FILE if it exists
    #[arg(long)]
    pub force: bool,
}

/// One turn in the export. Field names are part of the interface (see the README).
#[derive(Debug, Serialize)]
pub struct TurnOut<'a> {
    pub index: usize,
    pub time: Option<String>,
    pub time_ms: Option<i64>,
    pub model: Option<&'a str>,
    pub requests: u64,
    pub context_tokens: u64,
    pub source: &'static str,
    pub output_tokens: u64,
    pub output_bytes: Option<u64>,
    pub credits: Option<f64>,
}

impl<'a> TurnOut<'a> {
    fn new(index: usize, t: &'a TurnRow) -> TurnOut<'a> {
        TurnOut {
            index,
            time: t.start_ms.map(crate::time::iso_string),
            time_ms: t.start_ms,
            model: t.model.as_deref(),
            requests: t.requests,
            context_tokens: t.context_tokens,
            source: t.source.as_str(),
            output_tokens: t.output_tokens,
            output_bytes: t.output_bytes,
            credits: t.credits,
        }
    }
}

/// One conversation in the JSON export.
#[derive(Debug, Serialize)]
pub struct ConversationOut<'a> {
    pub store: &'static str,
    pub db: String,
    pub dir: &'a str,
    pub conversation_id: Option<&'a str>,
    pub model: Option<&'a str>,
    pub pct: Option<f64>,
    pub source: Option<&'static str>,
    pub tokens: Option<u64>,
    pub window: Option<u64>,
    pub last_activity: Option<String>,
    pub credits: Option<f64>,
    pub error: Option<&'a str>,
    pub turns: Vec<TurnOut<'a>>,
}

impl<'a> ConversationOut<'a> {
    fn new(item: &'a Item) -> ConversationOut<'a> {
        match item {
            Item::Conversation(r) => ConversationOut {
                store: r.store,
                db: r.db.to_string_lossy().into_owned(),
                dir: &r.dir,
                conversation_id: r.usage.conversation_id.as_deref(),
                model: r.usage.model.as_deref(),
                pct: Some(r.usage.pct),
                source: Some(r.usage.source.as_str()),
                tokens: Some(r.usage.tokens),
                window: Some(r.usage.window),
                last_activity: r.usage.updated_ms.map(crate::time::iso_string),
                credits: r.credits(),
                error: None,
                turns: r
                    .turns
                    .iter()
                    .enumerate()
                    .map(|(i, t)| TurnOut::new(i + 1, t))
                    .collect(),
            },
            Item::Refused(r) => ConversationOut {
                store: r.store,
                db: r.db.to_string_lossy().into_owned(),
                dir: &r.dir,
                conversation_id: r.conversation_id.as_deref(),
                model: None,
                pct: None,
                source: None,
                tokens: None,
                window: None,
                last_activity: r.updated_ms.map(crate::time::iso_string),
                credits: None,
                error: Some(&r.reason),
                turns: Vec::new(),
            },
        }
    }
}

/// One CSV line: the conversation's columns repeated on each of its turns.
#[derive(Debug, Serialize)]
struct CsvLine<'a> {
    store: &'static str,
    dir: &'a str,
    conversation_id: Option<&'a str>,
    turn: Option<usize>,
    time: Option<String>,
    model: Option<&'a str>,
    requests: Option<u64>,
    context_tokens: Option<u64>,
    source: Option<&'static str>,
    output_tokens: Option<u64>,
    output_bytes: Option<u64>,
    credits: Option<f64>,
    error: Option<&'a str>,
}

/// Streams the export to `w`.
trait Sink {
    fn begin(&mut self) -> anyhow::Result<()>;
    fn conversation(&mut self, c: &ConversationOut<'_>) -> anyhow::Result<()>;
    fn end(&mut self) -> anyhow::Result<()>;
}

struct JsonSink<W: Write> {
    w: W,
    first: bool,
}

impl<W: Write> Sink for JsonSink<W> {
    fn begin(&mut self) -> anyhow::Result<()> {
        write!(
            self.w,
            "{{\"version\":{VERSION},\"generated_at\":\"{}\",\"conversations\":[",
            crate::time::iso_string(crate::time::now_ms())
        )?;
        Ok(())
    }
    fn conversation(&mut self, c: &ConversationOut<'_>) -> anyhow::Result<()> {
        if !std::mem::take(&mut self.first) {
            self.w.write_all(b",")?;
        }
        self.w.write_all(b"\n")?;
        serde_json::to_writer(&mut self.w, c)?;
        Ok(())
    }
    fn end(&mut self) -> anyhow::Result<()> {
        self.w.write_all(b"\n]}\n")?;
        self.w.flush()?;
        Ok(())
    }
}

struct CsvSink<W: Write> {
    w: csv::Writer<W>,
}

impl<W: Write> Sink for CsvSink<W> {
    fn begin(&mut self) -> anyhow::Result<()> {
        self.w.write_record(CSV_HEADER)?;
        Ok(())
    }
    fn conversation(&mut self, c: &ConversationOut<'_>) -> anyhow::Result<()> {
        if c.turns.is_empty() {
            self.w.serialize(csv_line(c, None))?;
        }
        for t in &c.turns {
            self.w.serialize(csv_line(c, Some(t)))?;
        }
        Ok(())
    }
    fn end(&mut self) -> anyhow::Result<()> {
        self.w.flush()?;
        Ok(())
    }
}

fn csv_line<'a>(c: &'a ConversationOut<'a>, t: Option<&'a TurnOut<'a>>) -> CsvLine<'a> {
    CsvLine {
        store: c.store,
        dir: c.dir,
        conversation_id: c.conversation_id,
        turn: t.map(|t| t.index),
        time: t.and_then(|t| t.time.clone()),
        model: t.and_then(|t| t.model).or(c.model),
        requests: t.map(|t| t.requests),
        context_tokens: t.map(|t| t.context_tokens),
        source: t.map(|t| t.source),
        output_tokens: t.map(|t| t.output_tokens),
        output_bytes: t.and_then(|t| t.output_bytes),
        credits: t.and_then(|t| t.credits),
        error: c.error,
    }
}

/// The CSV header, in the order of [`CsvLine`]'s fields.
pub const CSV_HEADER: [&str; 13] = [
    "store",
    "dir",
    "conversation_id",
    "turn",
    "time",
    "model",
    "requests",
    "context_tokens",
    "source",
    "output_tokens",
    "output_bytes",
    "credits",
    "error",
];

struct MdSink<W: Write> {
    w: W,
}

/// Markdown cell text: sanitised, `|` escaped, never empty-looking.
fn md(s: &str) -> String {
    sanitize(s, 200).replace('\\', "\\\\").replace('|', "\\|")
}

impl<W: Write> Sink for MdSink<W> {
    fn begin(&mut self) -> anyhow::Result<()> {
        writeln!(self.w, "# q-status export\n")?;
        writeln!(
            self.w,
            "| dir | store | conversation | turn | time (UTC) | model | context tokens | source | output tokens | credits |"
        )?;
        writeln!(self.w, "|---|---|---|---:|---|---|---:|---|---:|---:|")?;
        Ok(())
    }
    fn conversation(&mut self, c: &ConversationOut<'_>) -> anyhow::Result<()> {
        let dir = md(c.dir);
        let id = md(c.conversation_id.unwrap_or(""));
        if let Some(e) = c.error {
            writeln!(
                self.w,
                "| {dir} | {} | {id} |  |  | unreadable: {} |  |  |  |  |",
                c.store,
                md(e)
            )?;
        }
        for t in &c.turns {
            writeln!(
                self.w,
                "| {dir} | {} | {id} | {} | {} | {} | {} | {} | {} | {} |",
                c.store,
                t.index,
                t.time.as_deref().unwrap_or(""),
                md(t.model.unwrap_or("")),
                t.context_tokens,
                t.source,
                t.output_tokens,
                t.credits.map_or_else(String::new, |v| format!("{v:.4}")),
            )?;
        }
        Ok(())
    }
    fn end(&mut self) -> anyhow::Result<()> {
        self.w.flush()?;
        Ok(())
    }
}

pub fn run(s: &Settings, args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let stores = history::stores(s)?;
    if let Some(dest) = &args.output {
        if !args.force && fs::symlink_metadata(dest).is_ok() {
            bail!("{} exists; use --force to replace it", dest.display());
        }
        let tmp = temp_path(dest)?;
        let file = File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        let written = export(s, &stores, args.format, BufWriter::new(&file))
            .and_then(|code| {
                file.sync_all().context("syncing the export")?;
                Ok(code)
            })
            .and_then(|code| place(&tmp, dest, args.force).map(|()| code));
        if written.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        return written;
    }
    export(s, &stores, args.format, std::io::stdout().lock())
}

fn export(
    s: &Settings,
    stores: &[crate::discover::Store],
    format: Format,
    w: impl Write,
) -> anyhow::Result<ExitCode> {
    let mut sink: Box<dyn Sink> = match format {
        Format::Json => Box::new(JsonSink { w, first: true }),
        // The header is written by `begin`, so it is there even when nothing is exported.
        Format::Csv => Box::new(CsvSink {
            w: csv::WriterBuilder::new().has_headers(false).from_writer(w),
        }),
        Format::Md => Box::new(MdSink { w }),
    };
    let now = crate::time::now_ms();
    let mut quota = crate::quota::Counter::new(now);
    sink.begin()?;
    let mut err: Option<anyhow::Error> = None;
    let failures = history::scan(stores, s.max_row_bytes, history::BUSY, |item| {
        if err.is_some() {
            return;
        }
        if let Item::Conversation(r) = &item {
            quota.add(r);
        }
        if let Err(e) = sink.conversation(&ConversationOut::new(&item)) {
            err = Some(e);
        }
    });
    if let Some(e) = err {
        return Err(e.context("writing the export"));
    }
    sink.end()?;
    for f in &failures {
        eprintln!("q-status: {}", sanitize(&f.error, 400));
    }
    if failures.len() == stores.len() {
        bail!("no store could be read");
    }
    quota.save(s, now);
    Ok(ExitCode::SUCCESS)
}

/// `.<name>.tmp.<pid>` beside `dest`.
fn temp_path(dest: &Path) -> anyhow::Result<PathBuf> {
    let name = dest
        .file_name()
        .with_context(|| format!("{}: not a file name", dest.display()))?;
    let mut tmp = std::ffi::OsString::from(".");
    tmp.push(name);
    tmp.push(format!(".tmp.{}", std::process::id()));
    Ok(dest.with_file_name(tmp))
}

/// Moves the finished file into place: rename with `force`, else a hard link that fails if
/// `dest` exists (then the temporary file goes).
fn place(tmp: &Path, dest: &Path, force: bool) -> anyhow::Result<()> {
    if force {
        fs::rename(tmp, dest).with_context(|| format!("writing {}", dest.display()))?;
        return Ok(());
    }
    match fs::hard_link(tmp, dest) {
        Ok(()) => {
            let _ = fs::remove_file(tmp);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            bail!("{} exists; use --force to replace it", dest.display())
        }
        // File systems without hard links: check, then rename.
        Err(_) if fs::symlink_metadata(dest).is_err() => {
            fs::rename(tmp, dest).with_context(|| format!("writing {}", dest.display()))
        }
        Err(e) => Err(e).with_context(|| format!("writing {}", dest.display())),
    }
}
