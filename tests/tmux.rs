//! The tmux plugin and the `init tmux` recipe in a real tmux: a private server whose client is
//! attached inside a pane of a second private server, so the rendered status bar can be read
//! back with `capture-pane`.
#![cfg(unix)]

mod common;
mod term;

use std::path::Path;

use common::*;
use term::Tmux;

const BIN: &str = env!("CARGO_BIN_EXE_q-status");

fn row(pct: u32) -> String {
    format!(
        r#"{{"conversation_id":"c","history":[{{"user":{{"content":{{"Prompt":{{"prompt":"hi"}}}}}},"assistant":{{"Response":{{"content":"yo"}}}},"request_metadata":{{"context_usage_percentage":{pct}}}}}]}}"#
    )
}

/// A world with a chat at 37% in `project` and one at 81% in `other`.
fn world() -> World {
    let w = World::new();
    create_db(&w.kiro_db(), KIRO_DDL);
    kiro_put(&w.kiro_db(), &key(&w.project()), "c", &row(37), 1);
    kiro_put(&w.kiro_db(), &key(&w.dir("other")), "c", &row(81), 1);
    w
}

/// The server under test (session `in`, one idle shell in `project`) and an outer server whose
/// only pane is a client attached to it.
struct Bar {
    inner: Tmux,
    outer: Tmux,
}

impl Bar {
    fn start(w: &World, configure: impl FnOnce(&Tmux)) -> Bar {
        let db = key(&w.kiro_db());
        let inner = Tmux::start(
            w,
            "inner",
            &[("Q_STATUS_DB", &db)],
            "in",
            &w.project(),
            &["sh"],
        );
        inner.ok(&["set", "-g", "status-interval", "1"]);
        inner.ok(&["set", "-g", "status-right-length", "100"]);
        configure(&inner);
        let sock = inner.sock().to_str().expect("utf-8").to_owned();
        let outer = Tmux::start(
            w,
            "outer",
            &[],
            "out",
            &w.project(),
            &["tmux", "-S", &sock, "attach", "-t", "in"],
        );
        outer.ok(&["set", "-g", "status", "off"]);
        Bar { inner, outer }
    }

    /// Waits until the rendered status bar of `in` satisfies `pred`.
    fn wait(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        self.outer.wait("out", what, |t| {
            let screen = t.capture("out");
            let bar = screen.last().cloned().unwrap_or_default();
            pred(&bar).then_some(bar)
        })
    }
}

fn assert_clean(bar: &str) {
    for debris in ["#[", "##", "#(", "#{", "q-status", "not found", "\x1b"] {
        assert!(
            !bar.contains(debris),
            "{debris:?} in the status bar: {bar:?}"
        );
    }
}

fn plugin() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tmux/q-status.tmux")
        .display()
        .to_string()
}

#[test]
fn plugin_follows_the_active_pane() {
    let w = world();
    let bar = Bar::start(&w, |t| {
        t.ok(&["set", "-g", "status-right", "[#{q_status}]"]);
        t.ok(&["set", "-g", "@q_status_bin", BIN]);
        t.ok(&["run-shell", &plugin()]);
        // Loading twice changes nothing: the interpolation is gone after the first run.
        let once = t.ok(&["show", "-gv", "status-right"]);
        t.ok(&["run-shell", &plugin()]);
        assert_eq!(t.ok(&["show", "-gv", "status-right"]), once);
        assert!(
            once.contains("#(") && !once.contains("#{q_status}"),
            "{once}"
        );
    });
    let gauge = |pct| {
        let o = w
            .cmd()
            .args(["--color", "never", "--no-cache", "--dir"])
            .arg(if pct == 37 {
                w.project()
            } else {
                w.dir("other")
            })
            .env("Q_STATUS_DB", w.kiro_db())
            .output()
            .unwrap();
        format!("[{}]", stdout(&o).trim_end())
    };

    let line = bar.wait("37% for the first pane", |b| b.contains("37%"));
    assert!(line.ends_with(&gauge(37)), "{line:?}");
    assert_clean(&line);

    let other = w.dir("other");
    bar.inner.ok(&[
        "split-window",
        "-t",
        "in",
        "-c",
        other.to_str().unwrap(),
        "sh",
    ]);
    let line = bar.wait("81% for the new pane", |b| b.contains("81%"));
    assert!(line.ends_with(&gauge(81)), "{line:?}");
    bar.inner.ok(&["select-pane", "-t", "in:0.0"]);
    bar.wait("37% again for the first pane", |b| b.contains("37%"));

    // Options apply at the next refresh; '#', '%' and ')' reach q-status intact.
    bar.inner
        .ok(&["set", "-g", "@q_status_format", "(<pct>%) #1"]);
    bar.inner.ok(&["set", "-g", "@q_status_color", "never"]);
    let line = bar.wait("the user's format", |b| b.ends_with("[(37%) #1]"));
    assert_clean(&line.replace("#1", ""));

    bar.inner
        .ok(&["set", "-g", "@q_status_bin", "/nonexistent/q-status"]);
    let line = bar.wait("an empty gauge", |b| b.ends_with("[]"));
    assert_clean(&line);
}

#[test]
fn init_tmux_recipe_shows_the_gauge() {
    let w = world();
    let recipe = w.root().join("recipe.conf");
    let o = w.run(&["init", "tmux"]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(&recipe, &o.stdout).unwrap();
    let bar = Bar::start(&w, |t| {
        t.ok(&["set", "-g", "status-right", "R"]);
        t.ok(&["source-file", recipe.to_str().unwrap()]);
    });
    let line = bar.wait("the gauge after R", |b| b.contains("37%"));
    assert!(line.trim_end().ends_with("R Q ▰▰▰▱▱▱▱▱ 37%"), "{line:?}");
    assert_clean(&line);
}
