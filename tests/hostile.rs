//! Hostile text in the data: model names, directory names, conversation ids and summaries that
//! hold terminal escapes, shell and tmux syntax, invisible and reordering characters, or a
//! megabyte of it. Rendered through every dialect, then through the real bash, zsh, fish and
//! tmux the way a prompt uses it: nothing runs (no marker file appears), nothing but q-status's
//! own colour codes reaches the terminal, and the width stays bounded.
#![cfg(unix)]

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// Everything a hostile row can try, each piece with a `touch` of the marker where it could
/// run a command. `{M}` is replaced by the marker path.
const PAYLOADS: &[&str] = &[
    "\u{1b}]0;title-pwned\u{7}",                  // OSC 0: window title
    "\u{1b}]52;c;cHduZWQ=\u{7}",                  // OSC 52: clipboard write
    "\u{1b}]52;c;cHduZWQ=\u{1b}\\",               // ... ended by ST
    "\u{1b}[2J\u{1b}[H",                          // clear screen, cursor home
    "\u{1b}P+q544e\u{1b}\\",                      // DCS request
    "\u{9b}31m",                                  // 8-bit CSI
    "\u{1b}[6n",                                  // cursor position report (input injection)
    "%F{red}%K{blue}%B",                          // zsh prompt colours
    "%(?.ok.%F{red}fail)",                        // zsh conditional
    "%{\u{1b}[31m%}",                             // zsh literal escape block
    "$(touch {M}.zsh)",                           // command substitution
    "`touch {M}.bt`",                             // backticks
    "${(e):-\\$(touch {M}.e)}",                   // zsh (e) flag
    "\\$(touch {M}.bash)",                        // bash PS1 decoding then expansion
    "\\[\\e]0;bash-title\\a\\]",                  // bash prompt escapes spelled as text
    "\\u@\\h \\w \\D{%s} \\!",                    // bash prompt escapes
    "#(touch {M}.tmux)",                          // tmux shell command
    "#[fg=red,bg=blue]",                          // tmux style
    "#{pane_current_command}#{?pane_active,a,b}", // tmux format
    "\u{202e}evil\u{202c}\u{2066}\u{2069}",       // bidi override, isolates
    "zero\u{200b}\u{200d}\u{2060}\u{feff}width",  // zero-width characters
    "\u{61c}\u{2028}\u{2029}\u{ad}\u{180e}",      // Arabic letter mark, separators, soft hyphen
    "\u{e0041}\u{e0042}\u{e007f}",                // tag characters (invisible "ASCII smuggling")
    "tab\there\nnew\rline\u{7f}\u{0}",            // C0 controls and DEL
    "é日本😀",                                    // ordinary non-ASCII, kept
];

/// Whether `program` can run here. The shells and tmux are expected in CI; a developer machine
/// without one skips that test with a note rather than failing.
fn installed(program: &str) -> bool {
    let flag = if program == "tmux" { "-V" } else { "--version" };
    let found = Command::new(program)
        .arg(flag)
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("skipped: {program} is not installed");
    }
    found
}

/// Characters that must never come out of q-status except inside its own colour codes.
fn forbidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{ad}' | '\u{61c}' | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{feff}'
            | '\u{e0000}'..='\u{e007f}')
}

/// The SGR codes q-status itself writes: the only escapes allowed in the output.
fn strip_own_sgr(s: &str) -> String {
    let mut out = s.to_owned();
    for code in [
        "\u{1b}[32m",
        "\u{1b}[33m",
        "\u{1b}[31m",
        "\u{1b}[32;2m",
        "\u{1b}[0m",
    ] {
        out = out.replace(code, "");
    }
    out
}

/// One payload in one place: a directory whose row's model name is `m<payload>`, and whose
/// own name is `d<n><payload>` (without `/` and NUL, which a file name cannot hold).
struct Case {
    project: PathBuf,
    model: String,
}

struct Setup {
    w: World,
    cases: Vec<Case>,
    /// Where the marker files would appear; every shell runs with this as its cwd.
    sandbox: PathBuf,
}

const FORMAT: &str = "<model>|<dir>|<pct>%";

fn setup() -> Setup {
    let w = World::new();
    let sandbox = w.dir("sandbox");
    create_db(&w.kiro_db(), KIRO_DDL);
    let mut cases = Vec::new();
    for (i, p) in PAYLOADS.iter().enumerate() {
        let marker = sandbox.join(format!("pwned-{i}"));
        let model = format!("m{}", p.replace("{M}", &marker.to_string_lossy()));
        let dir_name =
            format!("d{i}{}", p.replace("{M}", &format!("pwned-d{i}"))).replace(['/', '\u{0}'], "");
        let project = w.dir(&dir_name);
        let row = serde_json::json!({
            "conversation_id": model,
            "model_info": {"model_id": model, "context_window_tokens": 200_000},
            "latest_summary": [model, {}],
            "history": [{"user": {"content": {"Prompt": {"prompt": model}}},
                "assistant": {"Response": {"content": "ok"}},
                "request_metadata": {"context_usage_percentage": 37.0}}],
        })
        .to_string();
        kiro_put(&w.kiro_db(), &key(&project), "c", &row, 1);
        cases.push(Case { project, model });
    }
    Setup { w, cases, sandbox }
}

impl Setup {
    /// Each case's segment in `shell`'s dialect, coloured.
    fn segments(&self, shell: &str) -> Vec<String> {
        self.cases
            .iter()
            .map(|c| {
                let o = self
                    .w
                    .cmd()
                    .args(["--shell", shell, "--color", "always", "--format", FORMAT])
                    .current_dir(&c.project)
                    .output()
                    .unwrap();
                assert!(o.status.success(), "{shell}: {}", stderr(&o));
                assert!(o.stderr.is_empty(), "{shell}: {}", stderr(&o));
                let out = stdout(&o);
                assert!(!out.is_empty(), "{shell}: no output for {:?}", c.model);
                out
            })
            .collect()
    }

    /// Writes each segment to a file; returns their paths.
    fn write(&self, shell: &str) -> Vec<String> {
        self.segments(shell)
            .iter()
            .enumerate()
            .map(|(i, seg)| {
                let p = self.w.root().join(format!("seg-{shell}-{i}"));
                std::fs::write(&p, seg).unwrap();
                p.to_string_lossy().into_owned()
            })
            .collect()
    }

    fn shell(&self, program: &str, args: &[&str]) -> String {
        let o = Command::new(program)
            .args(args)
            .current_dir(&self.sandbox)
            .env("HOME", self.w.home())
            .env("LC_ALL", "C.UTF-8")
            .output()
            .unwrap_or_else(|e| panic!("{program}: {e}"));
        assert!(o.status.success(), "{program} {args:?}: {}", stderr(&o));
        stdout(&o)
    }

    /// Nothing ran: the sandbox is empty and no marker exists anywhere in the world.
    fn assert_nothing_ran(&self) {
        let left: Vec<_> = std::fs::read_dir(&self.sandbox)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(left.is_empty(), "a payload ran: {left:?}");
        for e in std::fs::read_dir(self.w.root()).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            assert!(!name.starts_with("pwned"), "a payload ran: {name}");
        }
    }
}

/// The plain segments are the reference: only q-status's colour codes, no forbidden
/// character, bounded width. Every shell must display exactly these.
fn reference(s: &Setup) -> Vec<String> {
    s.segments("plain")
        .into_iter()
        .map(|plain| {
            let plain = plain.strip_suffix('\n').unwrap().to_owned();
            let visible = strip_own_sgr(&plain);
            assert!(
                !visible.chars().any(forbidden),
                "forbidden character in {visible:?}"
            );
            assert!(plain.starts_with("\u{1b}[32m") && plain.ends_with("\u{1b}[0m"));
            // <model> and <dir> are capped at 48 characters each, the rest is "|37%".
            let width = visible.chars().count();
            assert!(width <= 48 + 1 + 48 + 4, "width {width}: {visible:?}");
            assert!(visible.ends_with("|37%"), "{visible:?}");
            // Escape sequences go whole, with what they carry.
            assert!(!visible.contains("title-pwned") && !visible.contains("cHduZWQ"));
            plain
        })
        .collect()
}

/// Runs `script` once in `program` over every segment file; the outputs, split on NUL.
fn over_all(s: &Setup, program: &str, pre: &[&str], script: &str, files: &[String]) -> Vec<String> {
    let mut args: Vec<&str> = pre.to_vec();
    args.push(script);
    args.push(program);
    args.extend(files.iter().map(String::as_str));
    let out = s.shell(program, &args);
    let mut parts: Vec<String> = out.split('\u{0}').map(str::to_owned).collect();
    assert_eq!(parts.pop().as_deref(), Some(""), "{program}: {out:?}");
    parts
}

#[test]
fn every_dialect_prints_only_its_own_styling() {
    let s = setup();
    let plain = reference(&s);
    assert_eq!(s.segments("fish"), plain);
    for shell in ["zsh", "bash", "tmux"] {
        for out in s.segments(shell) {
            let without_markup = strip_own_sgr(&out);
            assert!(
                !without_markup.chars().any(forbidden),
                "{shell}: forbidden character in {without_markup:?}"
            );
        }
    }
    // tmux: every `#` of the data is doubled, so no `#(`, `#[` or `#{` reaches tmux unescaped.
    for (tmux, plain) in s.segments("tmux").iter().zip(&plain) {
        let body = tmux
            .strip_prefix("#[fg=green]")
            .and_then(|t| t.strip_suffix("#[fg=default]"))
            .unwrap();
        assert_eq!(body.replace("##", "#"), strip_own_sgr(plain));
        assert!(!body.replace("##", "").contains('#'));
    }
}

#[test]
fn json_carries_the_data_escaped_and_nothing_raw() {
    let s = setup();
    for c in &s.cases {
        let o =
            s.w.cmd()
                .args(["--json"])
                .current_dir(&c.project)
                .output()
                .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(!o.stdout.contains(&0x1b), "raw ESC in JSON output");
        assert!(
            !o.stdout[..o.stdout.len() - 1].iter().any(|&b| b < 0x20),
            "raw control byte in JSON"
        );
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        // JSON is for programs: the value is the row's, exactly, escaped by JSON's own rules.
        assert_eq!(v["model"], c.model.as_str());
        assert_eq!(v["dir"], key(&c.project));
        assert_eq!(v["pct"], 37.0);
    }
}

#[test]
fn bash_ps1_expansion_runs_nothing_and_shows_the_reference() {
    if !installed("bash") {
        return;
    }
    let s = setup();
    let plain = reference(&s);
    let files = s.write("bash");
    // Each segment embedded in PS1 (as a PROMPT_COMMAND does), then expanded as bash draws it:
    // backslash decoding, then parameter expansion and command substitution (promptvars).
    let script = r#"for f; do PS1="$(cat "$f")"; printf '%s\0' "${PS1@P}"; done"#;
    for pre in [
        &["--norc", "--noprofile", "-c"][..],
        &["--norc", "--noprofile", "-ic"],
    ] {
        let shown = over_all(&s, "bash", pre, script, &files);
        // `\[ \]` become readline's \001 \002 markers around the colour codes.
        let shown: Vec<String> = shown
            .iter()
            .map(|o| o.replace(['\u{1}', '\u{2}'], ""))
            .collect();
        assert_eq!(shown, plain, "{pre:?}");
    }
    s.assert_nothing_ran();
}

#[test]
fn zsh_prompt_expansion_runs_nothing_and_shows_the_reference() {
    if !installed("zsh") {
        return;
    }
    let s = setup();
    // No spelling of a backtick is inert both with and without PROMPT_SUBST: zsh shows `'`.
    let plain: Vec<String> = reference(&s).iter().map(|p| p.replace('`', "'")).collect();
    let files = s.write("zsh");
    for (how, script) in [
        // Each segment embedded in PROMPT, with and without PROMPT_SUBST.
        (
            "embedded, PROMPT_SUBST",
            r#"setopt PROMPT_SUBST; for f; do PROMPT="$(<$f)"; print -rn -- "${(%%)PROMPT}"$'\0'; done"#,
        ),
        (
            "embedded, print -P",
            r#"setopt PROMPT_SUBST; for f; do PROMPT="$(<$f)"; print -rPn -- "$PROMPT"; print -rn $'\0'; done"#,
        ),
        (
            "embedded, no PROMPT_SUBST",
            r#"for f; do PROMPT="$(<$f)"; print -rn -- "${(%%)PROMPT}"$'\0'; done"#,
        ),
        // The starship way: a command substitution in PROMPT, run at each prompt.
        (
            "substituted",
            r#"setopt PROMPT_SUBST; for f; do PROMPT='$(cat $f)'; print -rn -- "${(%%)PROMPT}"$'\0'; done"#,
        ),
    ] {
        for pre in [&["-f", "-c"][..], &["-f", "-i", "-c"]] {
            let shown = over_all(&s, "zsh", pre, script, &files);
            assert_eq!(shown, plain, "{how} {pre:?}");
        }
    }
    s.assert_nothing_ran();
}

#[test]
fn fish_prompt_runs_nothing_and_shows_the_reference() {
    if !installed("fish") {
        return;
    }
    let s = setup();
    let plain = reference(&s);
    let files = s.write("fish");
    let script = "for f in $argv; function fish_prompt -V f; cat $f | string collect; end; \
                  printf '%s\\0' (fish_prompt | string collect); end";
    let mut args = vec!["--no-config", "-c", script];
    args.extend(files.iter().map(String::as_str));
    let out = s.shell("fish", &args);
    let mut shown: Vec<String> = out.split('\u{0}').map(str::to_owned).collect();
    assert_eq!(shown.pop().as_deref(), Some(""));
    assert_eq!(shown, plain);
    s.assert_nothing_ran();
}

#[test]
fn tmux_status_job_runs_nothing_and_shows_the_reference() {
    if !installed("tmux") {
        return;
    }
    let s = setup();
    let plain = reference(&s);
    let files = s.write("tmux");
    let sock = s.w.root().join("tmux.sock");
    let sock = sock.to_str().unwrap();
    // The segment as a status line gets it: the output of a `#()` job, which tmux expands as a
    // format (`##`, `#{}`; no strftime, no nested jobs) and draws (`#[]` styles). The first
    // expansion starts the jobs, the second shows their output.
    let format: String = files.iter().map(|f| format!("<#(cat '{f}')>\n")).collect();
    s.shell(
        "tmux",
        &[
            "-S",
            sock,
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            "120",
            "-y",
            "20",
        ],
    );
    let shown = s.shell(
        "tmux",
        &[
            "-S",
            sock,
            "display-message",
            "-p",
            &format,
            ";",
            "run-shell",
            "sleep 1",
            ";",
            "display-message",
            "-p",
            &format,
        ],
    );
    let _ = Command::new("tmux")
        .args(["-S", sock, "kill-server"])
        .output();
    let shown: Vec<&str> = shown.lines().rev().skip(1).take(plain.len()).collect();
    let want: Vec<String> = plain
        .iter()
        .rev()
        .map(|p| {
            // `##[` stays doubled after expansion so that drawing shows a literal `#[`.
            let visible = strip_own_sgr(p).replace("#[", "##[");
            format!("<#[fg=green]{visible}#[fg=default]>")
        })
        .collect();
    assert_eq!(shown, want);
    s.assert_nothing_ran();
}

#[test]
fn a_megabyte_model_name_is_cut_quickly() {
    let w = World::new();
    let unit = "\u{1b}[2J%F{red}$(touch pwned)#(touch pwned)\u{202e}é日\u{200b}";
    let model = unit.repeat(1024 * 1024 / unit.len() + 1);
    assert!(model.len() > 1024 * 1024);
    let row = serde_json::json!({"model_info": {"model_id": model},
        "history": [{"user": {"content": {"Prompt": {"prompt": "x"}}}, "assistant": {"Response": {"content": "y"}}, "request_metadata": null}]})
    .to_string();
    create_db(&w.kiro_db(), KIRO_DDL);
    kiro_put(&w.kiro_db(), &key(&w.project()), "c", &row, 1);
    for shell in ["plain", "zsh", "bash", "fish", "tmux"] {
        let start = Instant::now();
        let o = w.run(&[
            "--shell",
            shell,
            "--color",
            "never",
            "--format",
            "<model>",
            "--no-cache",
        ]);
        let took = start.elapsed();
        let out = stdout(&o);
        let out = out.trim_end_matches('\n');
        assert!(o.status.success());
        assert!(took < Duration::from_secs(3), "{shell}: {took:?}");
        assert!(!out.chars().any(forbidden), "{shell}: {out:?}");
        // 48 characters of which some may be escaped into two or three (`%%`, `##`, `\\$`).
        assert!(out.chars().count() <= 48 * 3, "{shell}: {out:?}");
        assert!(out.ends_with('…'), "{shell}: {out:?}");
    }
}
