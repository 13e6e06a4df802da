//! Where `--watch` wakes up from: keys and resizes (a thread blocked in crossterm's reader),
//! file events (notify, filtered to the stores' own files), and SIGINT / SIGTERM / SIGHUP
//! (signal-hook). All of them arrive as [`Msg`] on one channel; the main loop sleeps on it.

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};

use crossterm::event::{self, Event, KeyEvent, KeyEventKind};
use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};

use super::source;
use crate::discover::Store;

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    /// The terminal changed size. The input thread waits for a resume before it reads again,
    /// so the redraw may ask the terminal for the cursor position (see [`spawn_input`]).
    Resize,
    /// A store's file changed (maybe: confirmed with `data_version`).
    Fs,
    Signal(i32),
    /// The terminal's input is gone (closed, or an error reading it).
    InputClosed,
}

/// Reads keys and resizes on a thread of its own and returns the resume handle.
///
/// crossterm's reader is one locked queue: while this thread waits in `read`, nobody else can
/// read the terminal's reply to a cursor-position query, which ratatui's inline viewport sends
/// when it re-lays itself after a resize. So after a resize this thread stops until the main
/// loop has redrawn and sent `()`; the rest of the time it blocks without waking.
pub fn spawn_input(tx: Sender<Msg>) -> SyncSender<()> {
    let (resume_tx, resume_rx): (SyncSender<()>, Receiver<()>) = mpsc::sync_channel(1);
    std::thread::spawn(move || loop {
        let msg = match event::read() {
            Ok(Event::Key(k)) if k.kind != KeyEventKind::Release => Msg::Key(k),
            Ok(Event::Resize(..)) => Msg::Resize,
            Ok(_) => continue,
            Err(_) => {
                let _ = tx.send(Msg::InputClosed);
                return;
            }
        };
        let resized = matches!(msg, Msg::Resize);
        if tx.send(msg).is_err() || (resized && resume_rx.recv().is_err()) {
            return;
        }
    });
    resume_tx
}

/// Turns SIGINT, SIGTERM and SIGHUP into messages so the terminal is restored before exit.
#[cfg(unix)]
pub fn spawn_signals(tx: Sender<Msg>) -> std::io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])?;
    std::thread::spawn(move || {
        for sig in signals.forever() {
            if tx.send(Msg::Signal(sig)).is_err() {
                return;
            }
        }
    });
    Ok(())
}

#[cfg(not(unix))]
pub fn spawn_signals(_tx: Sender<Msg>) -> std::io::Result<()> {
    Ok(())
}

/// The file watcher, rebuilt whenever the set of things to watch changes (a store appears, a
/// database file is replaced). Without one (no inotify, a network file system) the main
/// loop's slow poll still sees every change.
#[derive(Default)]
pub struct FsWatch {
    watcher: Option<RecommendedWatcher>,
    targets: Vec<(PathBuf, Option<u64>)>,
}

impl FsWatch {
    /// Brings the watcher in line with `stores`; returns whether it was rebuilt.
    pub fn sync<'a>(&mut self, stores: impl Iterator<Item = &'a Store>, tx: &Sender<Msg>) -> bool {
        let stores: Vec<Store> = stores.cloned().collect();
        let mut targets: Vec<(PathBuf, Option<u64>)> =
            stores.iter().flat_map(source::watch_targets).collect();
        targets.sort();
        targets.dedup();
        if targets == self.targets && (self.watcher.is_some() || targets.is_empty()) {
            return false;
        }
        self.watcher = None;
        self.targets = targets;
        let tx = tx.clone();
        let handler = move |res: notify::Result<notify::Event>| {
            let relevant = match res {
                Ok(ev) => match ev.kind {
                    // Opens and reads (ours included) change nothing.
                    EventKind::Access(a) if a != AccessKind::Close(AccessMode::Write) => false,
                    _ => {
                        ev.need_rescan()
                            || ev.paths.is_empty()
                            || ev
                                .paths
                                .iter()
                                .any(|p| stores.iter().any(|s| source::concerns(s, p)))
                    }
                },
                Err(_) => true,
            };
            if relevant {
                let _ = tx.send(Msg::Fs);
            }
        };
        let Ok(mut w) = notify::recommended_watcher(handler) else {
            return true;
        };
        let mut any = false;
        for (path, _) in &self.targets {
            any |= w.watch(path, RecursiveMode::NonRecursive).is_ok();
        }
        if any {
            self.watcher = Some(w);
        }
        true
    }
}
