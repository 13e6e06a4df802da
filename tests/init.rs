//! `q-status init`, `completions` and `man` without a terminal: the starship block run the way
//! starship runs it, the scripts under shellcheck and each shell's parser, an awkward binary
//! path through each shell's quoting, and the packagers' artefacts.
#![cfg(unix)]

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use q_status::init::{script, Placement, Target};

fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(path)
        .display()
        .to_string()
}

fn check(program: &str, args: &[&str]) {
    let o = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e} (is it installed?)"));
    assert!(
        o.status.success(),
        "{program} {args:?}:\n{}{}",
        stdout(&o),
        stderr(&o)
    );
}

#[test]
fn scripts_pass_shellcheck_and_parse() {
    check("shellcheck", &["-s", "bash", &repo("shell/q-status.bash")]);
    check(
        "shellcheck",
        &[&repo("tmux/q-status.tmux"), &repo("q-status.tmux")],
    );
    check("zsh", &["-n", &repo("shell/q-status.zsh")]);
    check("fish", &["--no-execute", &repo("shell/q-status.fish")]);
    for plugin in ["tmux/q-status.tmux", "q-status.tmux"] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(repo(plugin))
            .unwrap()
            .permissions()
            .mode();
        assert!(mode & 0o111 != 0, "{plugin} must be executable for TPM");
    }
}

/// Runs `program args... <script + suffix>` and returns its stdout.
fn shell_out(program: &str, args: &[&str], text: &str) -> String {
    let o = Command::new(program).args(args).arg(text).output().unwrap();
    assert!(o.status.success(), "{program}: {}", stderr(&o));
    stdout(&o)
}

#[test]
fn an_awkward_binary_path_survives_each_shells_quoting() {
    let odd = r#"/opt/it's "odd"/a\b $HOME `x` (y)/q-status"#;
    let zsh = script(Target::Zsh, Placement::Right, odd);
    let got = shell_out(
        "zsh",
        &["-f", "-c"],
        &(zsh + "\nprint -r -- $_q_status_bin"),
    );
    assert_eq!(got, format!("{odd}\n"));
    let bash = script(Target::Bash, Placement::Left, odd);
    let got = shell_out(
        "bash",
        &["--norc", "-c"],
        &(bash + "\nprintf '%s\\n' \"$_q_status_bin\""),
    );
    assert_eq!(got, format!("{odd}\n"));
    let fish = script(Target::Fish, Placement::Right, odd);
    let got = shell_out(
        "fish",
        &["--no-config", "-c"],
        &(fish + "\nprintf '%s\\n' $_q_status_bin"),
    );
    assert_eq!(got, format!("{odd}\n"));
}

/// A world whose project directory has a chat at 37%.
fn world37() -> World {
    let w = World::new();
    create_db(&w.kiro_db(), KIRO_DDL);
    let row = r#"{"conversation_id":"c","history":[{"user":{"content":{"Prompt":{"prompt":"hi"}}},"assistant":{"Response":{"content":"yo"}},"request_metadata":{"context_usage_percentage":37}}]}"#;
    kiro_put(&w.kiro_db(), &key(&w.project()), "c", row, 1);
    w
}

/// `program` in the world's project directory with only the world's environment.
fn in_world(w: &World, program: &str) -> Command {
    let mut c = Command::new(program);
    c.current_dir(w.project())
        .env_clear()
        .envs(w.cmd().get_envs().filter_map(|(k, v)| Some((k, v?))))
        .env("Q_STATUS_DB", w.kiro_db());
    c
}

#[test]
fn starship_block_runs_as_starship_would() {
    let w = world37();

    let o = w.run(&["init", "starship"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: toml::Table = toml::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("{e}"));
    let m = doc["custom"]["q_status"]
        .as_table()
        .expect("[custom.q_status]");
    assert_eq!(
        m["when"].as_bool(),
        Some(true),
        "a `when` that runs nothing"
    );
    assert_eq!(m["use_stdin"].as_bool(), Some(false));
    assert!(m["format"].as_str().unwrap().contains("$output"));
    let shell: Vec<&str> = m["shell"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        shell[0],
        env!("CARGO_BIN_EXE_q-status"),
        "q-status itself, no shell"
    );

    // starship: the first `shell` element is the program, the rest its arguments, and with
    // use_stdin = false `command` is the last argument; run in the prompt's directory.
    let o = in_world(&w, shell[0])
        .args(&shell[1..])
        .arg(m["command"].as_str().unwrap())
        .stdin(std::process::Stdio::piped())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), "Q ▰▰▰▱▱▱▱▱ 37%");
    assert!(
        !stdout(&o).contains('\x1b'),
        "starship styles it: no colour of our own"
    );
}

#[test]
fn placement_errors_exit_2() {
    let w = World::new();
    for args in [
        ["init", "bash", "--placement", "right"],
        ["init", "starship", "--placement", "left"],
    ] {
        let o = w.run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(o.stdout.is_empty());
        assert!(stderr(&o).contains("--placement"), "{}", stderr(&o));
    }
}

#[test]
fn completions_for_every_shell_and_a_man_page() {
    let w = World::new();
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef q-status"),
        ("fish", "complete -c q-status"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer"),
    ] {
        let o = w.run(&["completions", shell]);
        assert!(o.status.success(), "{shell}: {}", stderr(&o));
        let text = stdout(&o);
        assert!(text.contains(marker), "{shell}: no {marker:?}");
        assert!(
            text.contains("placement"),
            "{shell}: init's options missing"
        );
    }
    let o = w.run(&["man"]);
    assert!(o.status.success());
    let roff = stdout(&o);
    assert!(
        roff.contains("\n.TH q\\-status 1") || roff.contains(".TH q-status"),
        "{roff}"
    );
    assert!(roff.contains(".SH NAME") && roff.contains(".SH SYNOPSIS"));
}

#[test]
fn placement_none_only_sets_the_variable() {
    let w = world37();
    let bin = env!("CARGO_BIN_EXE_q-status");
    for (program, args, hook, show) in [
        (
            "zsh",
            ["-f", "-c"],
            "_q_status_precmd",
            r#"print -r -- "[$PROMPT|$RPROMPT|$Q_STATUS_SEGMENT]""#,
        ),
        (
            "bash",
            ["--norc", "-c"],
            "_q_status_hook",
            r#"printf '%s\n' "[$PS1||$Q_STATUS_SEGMENT]""#,
        ),
    ] {
        let target = if program == "zsh" {
            Target::Zsh
        } else {
            Target::Bash
        };
        let text = format!(
            "PROMPT='p> ' RPROMPT='r' PS1='p> '\n{}\n{hook}\n{show}",
            script(target, Placement::None, bin)
        );
        let o = in_world(&w, program)
            .args(args)
            .arg(&text)
            .env("Q_STATUS_COLOR", "never")
            .output()
            .unwrap();
        let out = stdout(&o);
        let expected = if program == "zsh" {
            "[p> |r|Q ▰▰▰▱▱▱▱▱ 37%%]\n"
        } else {
            "[p> ||Q ▰▰▰▱▱▱▱▱ 37%]\n"
        };
        assert_eq!(out, expected, "{program}");
    }
}
