//! The terminal side of `--watch`: raw mode, an inline ratatui viewport (no alternate screen),
//! and putting everything back on every way out — normal exit, signal, or panic (the hook
//! runs before the release profile's abort).

use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use crossterm::cursor::{MoveTo, Show};
use crossterm::terminal::{self, Clear, ClearType};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

use super::model::Model;
use super::view;

/// Whether raw mode is on and the view drawn: what [`restore`] has to undo.
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// The screen row the view starts on, for [`restore`] to clear from; `u32::MAX` if unknown.
static VIEW_TOP: AtomicU32 = AtomicU32::new(u32::MAX);

/// The inline view on stdout. Dropping it restores the terminal.
pub struct Term {
    terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl Term {
    /// Raw mode on, and room for the view below the cursor. Asks the terminal for the cursor
    /// position, so it must run before anything else reads the terminal's input.
    pub fn start() -> io::Result<Term> {
        install_panic_hook();
        terminal::enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        let opts = TerminalOptions {
            viewport: Viewport::Inline(view::HEIGHT),
        };
        match Terminal::with_options(CrosstermBackend::new(io::stdout()), opts) {
            Ok(terminal) => Ok(Term { terminal }),
            Err(e) => {
                restore();
                Err(e)
            }
        }
    }

    /// Draws the model; re-lays the view first if the terminal was resized.
    pub fn draw(&mut self, m: &Model) -> io::Result<Rect> {
        // The frame's area is the viewport (`CompletedFrame::area` is the whole screen).
        let mut area = Rect::default();
        self.terminal.draw(|f| {
            area = f.area();
            view::render(m, area, f.buffer_mut());
        })?;
        VIEW_TOP.store(u32::from(area.y), Ordering::SeqCst);
        Ok(area)
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        restore();
    }
}

/// Clears the view (the shell prompt comes back where it began), shows the cursor and turns
/// raw mode off. Safe to call twice and from the panic hook; errors are ignored, the terminal
/// may be gone (SIGHUP).
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = io::stdout();
    if let Ok(top) = u16::try_from(VIEW_TOP.load(Ordering::SeqCst)) {
        let _ = crossterm::queue!(out, MoveTo(0, top), Clear(ClearType::FromCursorDown));
    }
    let _ = crossterm::queue!(out, Show);
    let _ = out.flush();
    let _ = terminal::disable_raw_mode();
}

fn install_panic_hook() {
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}
