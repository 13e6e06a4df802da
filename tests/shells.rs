//! `q-status init` in the real shells: zsh, bash and fish started interactively in a private
//! tmux server with the init line in their rc file, read back from the screen. Plus starship's
//! block run the way starship runs it, the scripts under shellcheck, completions and the man page.
#![cfg(unix)]

mod common;
mod term;

use std::path::{Path, PathBuf};

use common::*;
use q_status::init::{script, Target};
use term::Tmux;

const BIN: &str = env!("CARGO_BIN_EXE_q-status");
const PANE: &str = "t";

#[derive(Debug, Clone, Copy)]
enum Sh {
    Zsh,
    Bash,
    Fish,
}

/// Where the gauge shows, and for right prompts the last column the shell fills.
#[derive(Debug, Clone, Copy)]
enum Side {
    Left,
    Right { width: usize },
}

impl Sh {
    fn name(self) -> &'static str {
        match self {
            Sh::Zsh => "zsh",
            Sh::Bash => "bash",
            Sh::Fish => "fish",
        }
    }

    fn target(self) -> Target {
        match self {
            Sh::Zsh => Target::Zsh,
            Sh::Bash => Target::Bash,
            Sh::Fish => Target::Fish,
        }
    }

    /// The user's own prompt, set in the rc file before the init line.
    fn prompt(self) -> &'static str {
        match self {
            Sh::Zsh => "zsh> ",
            Sh::Bash => "bash> ",
            Sh::Fish => "fish> ",
        }
    }

    /// The line a user adds to the rc file.
    fn init_line(self, args: &str) -> String {
        match self {
            Sh::Fish => format!("'{BIN}' init fish {args} | source"),
            _ => format!("eval \"$('{BIN}' init {} {args})\"", self.name()),
        }
    }

    fn source_line(self, file: &Path) -> String {
        format!("source '{}'", file.display())
    }

    /// Writes the rc file (the user's prompt, then `body`) and returns the command line.
    fn setup(self, w: &World, body: &str) -> Vec<String> {
        let home = w.home();
        let (rc, text, argv): (PathBuf, String, Vec<String>) = match self {
            Sh::Zsh => (
                home.join(".zshrc"),
                format!("PROMPT='zsh> '\n{body}\n"),
                vec!["zsh".into(), "-d".into(), "-i".into()],
            ),
            Sh::Bash => {
                let rc = home.join(".bashrc");
                let argv = vec![
                    "bash".into(),
                    "--noprofile".into(),
                    "--rcfile".into(),
                    rc.display().to_string(),
                    "-i".into(),
                ];
                (rc, format!("PS1='bash> '\n{body}\n"), argv)
            }
            Sh::Fish => (
                w.root().join("config/fish/config.fish"),
                format!(
                    "set -g fish_greeting\nfunction fish_prompt; printf 'fish> '; end\n{body}\n"
                ),
                vec!["fish".into(), "-i".into()],
            ),
        };
        std::fs::create_dir_all(rc.parent().unwrap()).unwrap();
        std::fs::write(rc, text).unwrap();
        argv
    }

    /// Starts the shell in the project directory, `Q_STATUS_DB` set to the world's database.
    fn start(self, w: &World, body: &str, env: &[(&str, &str)]) -> Tmux {
        term::require(self.name());
        let argv = self.setup(w, body);
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let db = key(&w.kiro_db());
        let mut all = vec![("Q_STATUS_DB", db.as_str())];
        all.extend_from_slice(env);
        Tmux::start(w, "sock", &all, PANE, &w.project(), &argv)
    }
}

fn row(pct: u32, model: &str) -> String {
    serde_json::json!({
        "conversation_id": "c1",
        "model_info": {"model_id": model, "context_window_tokens": 200000},
        "history": [{
            "user": {"content": {"Prompt": {"prompt": "hi"}}},
            "assistant": {"Response": {"content": "yo"}},
            "request_metadata": {"context_usage_percentage": pct}
        }]
    })
    .to_string()
}

/// A world whose project directory has a chat at `pct`%.
fn world(pct: u32, model: &str) -> World {
    let w = World::new();
    create_db(&w.kiro_db(), KIRO_DDL);
    put(&w, pct, model, 1);
    w
}

fn put(w: &World, pct: u32, model: &str, at: i64) {
    kiro_put(&w.kiro_db(), &key(&w.project()), "c1", &row(pct, model), at);
}

/// The gauge as it should read on screen: the binary's own plain text.
fn gauge(w: &World, format: Option<&str>) -> String {
    let mut c = w.cmd();
    c.args(["--color", "never", "--no-cache"])
        .env("Q_STATUS_DB", w.kiro_db());
    if let Some(f) = format {
        c.args(["--format", f]);
    }
    let text = stdout(&c.output().unwrap()).trim_end().to_owned();
    assert!(!text.is_empty(), "no gauge for the test row");
    text
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// Checks where the prompt and gauge sit on the cursor line, and the cursor column.
fn assert_layout(t: &Tmux, sh: Sh, side: Side, gauge: &str) {
    let line = t.cursor_line(PANE);
    let (x, _) = t.cursor(PANE);
    let prompt = sh.prompt();
    match side {
        Side::Left => {
            let expected = format!("{gauge} {prompt}");
            assert_eq!(line.trim_end(), expected.trim_end(), "{sh:?}");
            assert_eq!(x, width(&expected), "{sh:?} cursor column");
        }
        Side::Right { width: edge } => {
            assert!(line.starts_with(prompt), "{sh:?}: {line:?}");
            assert!(line.ends_with(gauge), "{sh:?}: {line:?}");
            assert_eq!(
                width(&line),
                edge,
                "{sh:?} right prompt's last column: {line:?}"
            );
            assert_eq!(x, width(prompt), "{sh:?} cursor column");
        }
    }
}

/// No prompt escapes shown as text, no raw escape bytes, no error output.
fn assert_clean(t: &Tmux) {
    let screen = t.capture(PANE).join("\n");
    for debris in [
        "%{",
        "%}",
        "\\[",
        "\\]",
        "%%",
        "\x1b",
        "[0m",
        "[32m",
        "q-status:",
        "not found",
        "No such file",
        "boom",
        "partial",
        "rror",
    ] {
        assert!(!screen.contains(debris), "{debris:?} on screen:\n{screen}");
    }
}

/// Waits for the cursor line to be the bare prompt, with nothing of the gauge in it.
fn wait_bare_prompt(t: &Tmux, sh: Sh) {
    t.wait_line(PANE, "the bare prompt", |l| l == sh.prompt().trim_end());
    assert_eq!(t.cursor(PANE).0, width(sh.prompt()));
}

/// Runs `cmd` at the prompt and waits for the next prompt after its output line `out`.
fn run_line(t: &Tmux, sh: Sh, cmd: &str, out: &str) {
    t.type_text(PANE, cmd);
    t.keys(PANE, &["Enter"]);
    t.wait(PANE, &format!("{out:?} and a new prompt"), |t| {
        let screen = t.capture(PANE);
        let line = t.cursor_line(PANE);
        let done = screen.iter().any(|l| l == out)
            && line.contains(sh.prompt().trim_end())
            && !line.contains(cmd);
        done.then_some(())
    });
}

/// The gauge shows at 37%, the width accounting puts the cursor where the prompt ends (also
/// after Ctrl-A over a typed command), and after the row changes one Enter shows 52%. The init
/// line is in the rc file twice: loading twice must not show the gauge twice.
fn follows_the_row(sh: Sh, args: &str, side: Side) {
    let w = world(37, "claude-sonnet-4.6");
    let line = sh.init_line(args);
    let t = sh.start(&w, &format!("{line}\n{line}"), &[]);
    let g37 = gauge(&w, None);
    t.wait_line(PANE, "the gauge at 37%", |l| l.contains("37%"));
    assert_layout(&t, sh, side, &g37);
    assert_eq!(t.cursor_line(PANE).matches("37%").count(), 1);

    t.type_text(PANE, "echo hi");
    t.wait_line(PANE, "the typed command", |l| l.contains("echo hi"));
    t.keys(PANE, &["C-a"]);
    let home = match side {
        Side::Left => width(&g37) + 1 + width(sh.prompt()),
        Side::Right { .. } => width(sh.prompt()),
    };
    t.wait(PANE, "the cursor at the start of the command", |t| {
        (t.cursor(PANE).0 == home).then_some(())
    });

    put(&w, 52, "claude-sonnet-4.6", 2);
    let g52 = gauge(&w, None);
    t.keys(PANE, &["Enter"]);
    t.wait_line(PANE, "the gauge at 52%", |l| l.contains("52%"));
    assert_layout(&t, sh, side, &g52);
    assert!(t.capture(PANE).iter().any(|l| l == "hi"));
    assert_clean(&t);
}

#[test]
fn zsh_right_prompt_follows_the_row() {
    follows_the_row(Sh::Zsh, "", Side::Right { width: 119 });
}

#[test]
fn bash_prompt_follows_the_row() {
    follows_the_row(Sh::Bash, "", Side::Left);
}

#[test]
fn fish_right_prompt_follows_the_row() {
    follows_the_row(Sh::Fish, "", Side::Right { width: 120 });
}

#[test]
fn fish_left_prompt_follows_the_row() {
    follows_the_row(Sh::Fish, "--placement left", Side::Left);
}

/// Text from the chat database (here a model name) that each shell would run or decode if it
/// reached the prompt unescaped.
const HOSTILE_MODEL: &str = r#"$(touch MARK) `touch MARK` \w $HOME %d"#;

/// The model name shows exactly as the binary's plain text, and nothing runs. (zsh shows a
/// backtick from the data as `'`: no spelling of it is inert both with and without
/// `prompt_subst`, see `dialect.rs`.)
fn shows_chat_text_literally(sh: Sh, rc_before: &str, args: &str, side: Side) {
    let w = world(37, HOSTILE_MODEL);
    let format = "<model> <pct>%";
    let mut expected = gauge(&w, Some(format));
    assert!(expected.starts_with(HOSTILE_MODEL), "{expected}");
    if matches!(sh, Sh::Zsh) {
        expected = expected.replace('`', "'");
    }
    let body = format!("{rc_before}\n{}", sh.init_line(args));
    let t = sh.start(&w, &body, &[("Q_STATUS_FORMAT", format)]);
    t.wait_line(PANE, "the model name", |l| l.contains("37%"));
    assert_layout(&t, sh, side, &expected);
    run_line(&t, sh, "echo again", "again");
    t.wait_line(PANE, "the model name again", |l| l.contains("37%"));
    assert_layout(&t, sh, side, &expected);
    assert_clean(&t);
    assert!(
        !w.project().join("MARK").exists(),
        "{sh:?} ran text from the chat"
    );
}

#[test]
fn zsh_prompt_subst_never_runs_chat_text() {
    shows_chat_text_literally(
        Sh::Zsh,
        "setopt prompt_subst",
        "",
        Side::Right { width: 119 },
    );
}

#[test]
fn zsh_left_prompt_subst_never_runs_chat_text() {
    shows_chat_text_literally(
        Sh::Zsh,
        "setopt prompt_subst",
        "--placement left",
        Side::Left,
    );
}

#[test]
fn bash_prompt_shows_chat_text_literally() {
    shows_chat_text_literally(Sh::Bash, "", "", Side::Left);
}

#[test]
fn fish_prompt_shows_chat_text_literally() {
    shows_chat_text_literally(Sh::Fish, "", "--placement left", Side::Left);
}

/// A binary removed after init, a binary that fails loudly, and a database that is not one:
/// every prompt is the user's own, commands run, and no error text shows.
fn survives_a_broken_binary(sh: Sh) {
    let w = world(37, "m");
    let placement = q_status::init::placement(sh.target(), None).unwrap();
    let write_init = |name: &str, bin: &str| {
        let p = w.root().join(name);
        std::fs::write(&p, script(sh.target(), placement, bin)).unwrap();
        p
    };
    let missing = write_init("missing.init", "/nonexistent/q-status");
    let failing_bin = w.root().join("failing");
    std::fs::write(
        &failing_bin,
        "#!/bin/sh\necho partial\necho boom >&2\nexit 3\n",
    )
    .unwrap();
    make_executable(&failing_bin);
    let failing = write_init("failing.init", failing_bin.to_str().unwrap());
    let real = write_init("real.init", BIN);

    let t = sh.start(&w, &sh.source_line(&missing), &[]);
    wait_bare_prompt(&t, sh);
    run_line(&t, sh, "echo ok1", "ok1");
    wait_bare_prompt(&t, sh);

    t.type_text(PANE, &sh.source_line(&failing));
    t.keys(PANE, &["Enter"]);
    run_line(&t, sh, "echo ok2", "ok2");
    wait_bare_prompt(&t, sh);

    std::fs::write(
        w.kiro_db(),
        b"this is not a database, not even close to one",
    )
    .unwrap();
    t.type_text(PANE, &sh.source_line(&real));
    t.keys(PANE, &["Enter"]);
    run_line(&t, sh, "echo ok3", "ok3");
    wait_bare_prompt(&t, sh);
    assert_clean(&t);
}

fn make_executable(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn zsh_survives_a_broken_binary() {
    survives_a_broken_binary(Sh::Zsh);
}

#[test]
fn bash_survives_a_broken_binary() {
    survives_a_broken_binary(Sh::Bash);
}

#[test]
fn fish_survives_a_broken_binary() {
    survives_a_broken_binary(Sh::Fish);
}
