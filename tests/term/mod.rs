//! A private tmux server for the shell and tmux tests: its own socket in the test's temp dir, no
//! config file, a fixed size, the world's environment; polled with deadlines, killed on drop.
#![allow(dead_code)]

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::common::World;

/// How long a prompt or a status bar may take to show what a test waits for.
pub const DEADLINE: Duration = Duration::from_secs(15);

pub struct Tmux {
    sock: PathBuf,
    env: Vec<(OsString, OsString)>,
}

/// Fails the test with a hint when a program the tests drive is not installed.
pub fn require(program: &str) {
    let found = Command::new(program).arg("--version").output().is_ok()
        || Command::new(program).arg("-V").output().is_ok();
    assert!(
        found,
        "{program} is not installed (apt-get install {program})"
    );
}

impl Tmux {
    /// Starts a server whose first session `name` runs `argv` in `dir`, 120x30.
    pub fn start(
        w: &World,
        sock_name: &str,
        env: &[(&str, &str)],
        name: &str,
        dir: &Path,
        argv: &[&str],
    ) -> Tmux {
        require("tmux");
        let mut all: Vec<(OsString, OsString)> = w
            .cmd()
            .get_envs()
            .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned())))
            .collect();
        all.push(("TMUX_TMPDIR".into(), w.root().into()));
        all.push(("TERM".into(), "xterm-256color".into()));
        for (k, v) in env {
            all.push((k.into(), v.into()));
        }
        let t = Tmux {
            sock: w.root().join(sock_name),
            env: all,
        };
        let mut args = vec![
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            "120",
            "-y",
            "30",
            "-c",
        ];
        let dir = dir.to_str().expect("utf-8 dir");
        args.push(dir);
        args.extend_from_slice(argv);
        t.ok(&args);
        t
    }

    pub fn sock(&self) -> &Path {
        &self.sock
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .arg("-S")
            .arg(&self.sock)
            .arg("-f")
            .arg("/dev/null")
            .args(args)
            .output()
            .expect("run tmux")
    }

    /// Runs a tmux command that must succeed; returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(
            o.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// The visible text of a pane, one string per line.
    pub fn capture(&self, target: &str) -> Vec<String> {
        self.ok(&["capture-pane", "-p", "-t", target])
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The cursor's column and row in a pane.
    pub fn cursor(&self, target: &str) -> (usize, usize) {
        let out = self.ok(&["display", "-p", "-t", target, "#{cursor_x} #{cursor_y}"]);
        let mut it = out.split_whitespace().map(|n| n.parse().expect("number"));
        (it.next().expect("x"), it.next().expect("y"))
    }

    /// The line the cursor is on.
    pub fn cursor_line(&self, target: &str) -> String {
        let (_, y) = self.cursor(target);
        self.capture(target).get(y).cloned().unwrap_or_default()
    }

    /// Polls `probe` until it returns `Some`, or fails the test with the last screen.
    pub fn wait<T>(
        &self,
        target: &str,
        what: &str,
        mut probe: impl FnMut(&Tmux) -> Option<T>,
    ) -> T {
        let start = Instant::now();
        loop {
            if let Some(v) = probe(self) {
                return v;
            }
            if start.elapsed() > DEADLINE {
                panic!(
                    "timed out waiting for {what}; screen:\n{}",
                    self.capture(target).join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the cursor's line satisfies `pred`; returns that line.
    pub fn wait_line(&self, target: &str, what: &str, pred: impl Fn(&str) -> bool) -> String {
        self.wait(target, what, |t| {
            let line = t.cursor_line(target);
            pred(&line).then_some(line)
        })
    }

    /// Types `text` literally.
    pub fn type_text(&self, target: &str, text: &str) {
        self.ok(&["send-keys", "-t", target, "-l", text]);
    }

    /// Sends named keys (`Enter`, `C-a`).
    pub fn keys(&self, target: &str, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", target];
        args.extend_from_slice(keys);
        self.ok(&args);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}
