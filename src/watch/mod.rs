//! `q-status --watch`: a live inline view of the directory's conversation.
//!
//! The same stages as the segment, read again whenever the store changes, ending in a ratatui
//! view instead of a string. One thread owns the terminal and sleeps on a channel ([`events`]):
//! a file event (notify) or the slow poll makes it ask each store whether it changed
//! ([`source`], `PRAGMA data_version`); only then is the row read, the [`model`] rebuilt, and
//! the [`view`] redrawn if what it shows differs. Keys, resizes and signals come on the same
//! channel. [`term`] restores the terminal on every way out.
//!
//! Set `Q_STATUS_WATCH_LOG=<file>` to append one line per redraw (`<unix µs> <what>`): the
//! benchmark (`scripts/bench-watch.sh`) measures commit-to-redraw latency from it.

pub mod events;
pub mod model;
pub mod source;
pub mod term;
pub mod view;

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::Context;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::error::Error;
use crate::settings::{self, ProcessEnv, Settings};
use events::{FsWatch, Msg};
use model::{Body, Look, Model, Snapshot};
use source::{Reading, Source};

/// The fallback poll, for file systems that send no events.
const POLL: Duration = Duration::from_secs(2);
/// When a store was locked past the read's wait, try again this soon.
const BUSY_RETRY: Duration = Duration::from_millis(100);

pub fn run(s: &Settings) -> anyhow::Result<ExitCode> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        anyhow::bail!("--watch needs a terminal (stdout is not one)");
    }
    let look = Look {
        warning: s.warning,
        critical: s.critical,
        glyphs: s.glyphs,
        color: settings::color_enabled(s.color_when, &ProcessEnv, true),
    };
    let mut app = App {
        source: Source::new(s),
        model: Model::new(look, String::new()),
        shown_from: None,
        dir: s.dir.clone(),
    };
    app.source.check();
    app.refresh();

    let (tx, rx) = mpsc::channel();
    events::spawn_signals(tx.clone()).context("installing signal handlers")?;
    let mut fs = FsWatch::default();
    fs.sync(app.source.stores(), &tx);
    let mut log = DrawLog::from_env();

    let mut term = term::Term::start().context("starting the terminal view")?;
    term.draw(&app.model)?;
    log.note(&app.model);
    let mut drawn = app.model.clone();
    // Only now: the terminal was asked for the cursor position, nothing else reads input.
    let resume = events::spawn_input(tx.clone());

    let mut next_poll = Instant::now() + POLL;
    let mut retry_at: Option<Instant> = None;
    loop {
        let deadline = retry_at.map_or(next_poll, |r| r.min(next_poll));
        let first = match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(m) => Some(m),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        // Coalesce: everything already queued is handled by this one wake-up.
        let mut wake = Wake::default();
        for m in first
            .into_iter()
            .chain(std::iter::from_fn(|| rx.try_recv().ok()))
        {
            wake.add(m);
        }
        if let Some(code) = wake.quit {
            drop(term);
            return Ok(ExitCode::from(code));
        }
        let now = Instant::now();
        if now >= next_poll {
            next_poll = now + POLL;
            wake.poll = true;
            wake.fs = true;
            wake.refresh |= app.source.rediscover();
        }
        if retry_at.is_some_and(|r| now >= r) {
            retry_at = None;
            wake.fs = true;
        }
        if wake.fs || wake.refresh {
            let changed = app.source.check();
            if (changed || wake.refresh) && app.refresh() {
                retry_at = Some(Instant::now() + BUSY_RETRY);
            }
            // A file that came or was replaced needs a fresh watch; the poll retries failed ones.
            if changed || wake.poll {
                fs.sync(app.source.stores(), &tx);
            }
        }
        if wake.help {
            app.model.show_help = !app.model.show_help;
        }
        if wake.resize || app.model != drawn {
            term.draw(&app.model)?;
            log.note(&app.model);
            drawn = app.model.clone();
        }
        if wake.resize {
            let _ = resume.send(());
        }
    }
    drop(term);
    Ok(ExitCode::SUCCESS)
}

/// What one wake-up has to do, from all the messages that were waiting.
#[derive(Default)]
struct Wake {
    fs: bool,
    poll: bool,
    refresh: bool,
    resize: bool,
    help: bool,
    quit: Option<u8>,
}

impl Wake {
    fn add(&mut self, m: Msg) {
        match m {
            Msg::Fs => self.fs = true,
            Msg::Resize => self.resize = true,
            Msg::Key(k) => self.key(k),
            // The shell's convention: 128 + the signal's number.
            Msg::Signal(sig) => self.quit = Some(128u8.saturating_add(sig.clamp(0, 127) as u8)),
            Msg::InputClosed => self.quit = self.quit.or(Some(0)),
        }
    }

    fn key(&mut self, k: KeyEvent) {
        match k.code {
            KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                self.quit = self.quit.or(Some(130));
            }
            KeyCode::Char('q') | KeyCode::Esc => self.quit = self.quit.or(Some(0)),
            KeyCode::Char('r') => self.refresh = true,
            KeyCode::Char('?') => self.help = !self.help,
            _ => {}
        }
    }
}

struct App {
    source: Source,
    model: Model,
    /// The store the shown usage came from: its problems are the ones worth a status line.
    shown_from: Option<PathBuf>,
    dir: String,
}

impl App {
    /// Reads the stores into the model. Returns whether a store was locked (retry soon).
    fn refresh(&mut self) -> bool {
        let reading = self.source.read();
        let busy = reading.busy;
        self.apply(reading);
        busy
    }

    fn apply(&mut self, r: Reading) {
        let m = &mut self.model;
        if let Some(why) = r.no_store {
            m.body = Body::Empty(why);
            m.problem = None;
            m.watching = "no store yet (checking every 2 s)".into();
            return;
        }
        let problem_of = |p: &Option<PathBuf>| {
            r.problems
                .iter()
                .find(|(path, _)| Some(path) == p.as_ref())
                .map(|(_, text)| text.clone())
        };
        match r.found {
            Some((c, u, path)) => {
                m.body = Body::Usage(Snapshot::new(&c, &u));
                m.problem = problem_of(&self.shown_from);
                m.watching = path.display().to_string();
                self.shown_from = Some(path);
            }
            None if r.problems.is_empty() => {
                m.body = Body::Empty(Error::NoConversation(self.dir.clone()).to_string());
                m.problem = None;
            }
            None => {
                // Keep what was last known on screen, under the problem.
                if !matches!(m.body, Body::Usage(_)) {
                    m.body = Body::Empty("nothing to show".into());
                }
                m.problem = problem_of(&self.shown_from)
                    .or_else(|| r.problems.first().map(|(_, text)| text.clone()));
            }
        }
    }
}

/// `Q_STATUS_WATCH_LOG`: one line per redraw, for the benchmark.
struct DrawLog(Option<File>);

impl DrawLog {
    fn from_env() -> DrawLog {
        let file = std::env::var_os("Q_STATUS_WATCH_LOG").and_then(|p| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .ok()
        });
        DrawLog(file)
    }

    fn note(&mut self, m: &Model) {
        let Some(f) = &mut self.0 else { return };
        let us = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros());
        let what = match &m.body {
            Body::Usage(s) => format!("{:.4}", s.pct),
            Body::Empty(_) => "empty".into(),
            Body::Starting => "starting".into(),
        };
        let _ = writeln!(f, "{us} {what}");
    }
}
