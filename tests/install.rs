//! install.sh against a fake release served on loopback: the asset for the detected OS and CPU
//! is the one fetched, a checksum mismatch installs nothing, and no run leaves files behind.
//! `uname` and `sysctl` are shims on PATH, so every platform's choice is tested on any host.
#![cfg(unix)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

const TARGETS: &[&str] = &[
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
];

/// A static file server on 127.0.0.1 for one directory; records every path asked for.
struct Server {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(root: PathBuf) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        // Serves until the test process ends; only this test's own curl connects to it.
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut line = String::new();
                if BufReader::new(&stream).read_line(&mut line).is_err() {
                    continue;
                }
                let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
                log.lock().unwrap().push(path.clone());
                let file = root.join(path.trim_start_matches('/'));
                let reply = match std::fs::read(&file) {
                    Ok(body) if !path.contains("..") => {
                        let mut r = format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        )
                        .into_bytes();
                        r.extend(body);
                        r
                    }
                    _ => {
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            .to_vec()
                    }
                };
                let _ = stream.write_all(&reply);
            }
        });
        Server { url, requests }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

fn write_exe(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .or_else(|_| {
            Command::new("shasum")
                .args(["-a", "256"])
                .arg(path)
                .output()
        })
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()[..64].to_owned()
}

/// A fake release: one archive per target holding a `q-status` that prints its target, and
/// SHA256SUMS. `corrupt` gives that asset a wrong checksum.
fn fake_release(dir: &Path, corrupt: Option<&str>) {
    let mut sums = String::new();
    for target in TARGETS {
        let stage = dir.join("stage").join(format!("q-status-{target}"));
        std::fs::create_dir_all(&stage).unwrap();
        write_exe(
            &stage.join("q-status"),
            &format!("#!/bin/sh\necho fake-{target}\n"),
        );
        let asset = format!("q-status-{target}.tar.gz");
        let status = Command::new("tar")
            .arg("-czf")
            .arg(dir.join(&asset))
            .arg("-C")
            .arg(dir.join("stage"))
            .arg(format!("q-status-{target}"))
            .status()
            .unwrap();
        assert!(status.success());
        let mut hash = sha256(&dir.join(&asset));
        if corrupt == Some(*target) {
            hash = hash.replace(|c: char| c != '0', "0");
        }
        sums.push_str(&format!("{hash}  {asset}\n"));
    }
    std::fs::remove_dir_all(dir.join("stage")).unwrap();
    std::fs::write(dir.join("SHA256SUMS"), sums).unwrap();
}

struct Sandbox {
    tmp: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        let s = Sandbox {
            tmp: tempfile::tempdir().unwrap(),
        };
        for d in ["home", "shims", "tmp", "release"] {
            std::fs::create_dir_all(s.path(d)).unwrap();
        }
        s
    }

    fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    fn install_dir(&self) -> PathBuf {
        self.path("home/.local/bin")
    }

    /// Runs install.sh as if on `os`/`arch`, with a private HOME and TMPDIR.
    fn install(&self, server: &Server, os: &str, arch: &str, extra: &[(&str, &str)]) -> Output {
        let shims = self.path("shims");
        write_exe(
            &shims.join("uname"),
            &format!("#!/bin/sh\ncase \"$1\" in -s) echo {os} ;; -m) echo {arch} ;; *) echo {os} ;; esac\n"),
        );
        write_exe(&shims.join("sysctl"), "#!/bin/sh\necho 0\n");
        let path = format!(
            "{}:{}",
            shims.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut cmd = Command::new("bash");
        cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("install.sh"))
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.path("home"))
            .env("TMPDIR", self.path("tmp"))
            .env("Q_STATUS_RELEASE_URL", &server.url);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }

    fn leftovers(&self, dir: &str) -> Vec<String> {
        match std::fs::read_dir(self.path(dir)) {
            Ok(rd) => rd
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => Vec::new(),
        }
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn run_installed(bin: &Path) -> String {
    let out = Command::new(bin).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn installs_the_asset_for_each_os_and_cpu() {
    let sb = Sandbox::new();
    fake_release(&sb.path("release"), None);
    let server = Server::start(sb.path("release"));
    let cases = [
        ("Linux", "x86_64", "x86_64-unknown-linux-musl"),
        ("Linux", "amd64", "x86_64-unknown-linux-musl"),
        ("Linux", "aarch64", "aarch64-unknown-linux-musl"),
        ("Linux", "arm64", "aarch64-unknown-linux-musl"),
        ("Darwin", "x86_64", "x86_64-apple-darwin"),
        ("Darwin", "arm64", "aarch64-apple-darwin"),
    ];
    for (os, arch, target) in cases {
        let before = server.requests().len();
        let out = sb.install(&server, os, arch, &[]);
        assert!(out.status.success(), "{os} {arch}: {}", stderr(&out));
        let installed = sb.install_dir().join("q-status");
        assert_eq!(run_installed(&installed), format!("fake-{target}"));
        let mode = std::fs::metadata(&installed).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o755);
        let asked = server.requests()[before..].to_vec();
        assert_eq!(
            asked,
            [
                format!("/q-status-{target}.tar.gz"),
                "/SHA256SUMS".to_owned()
            ]
        );
        assert_eq!(sb.leftovers("home/.local/bin"), ["q-status"]);
        assert!(sb.leftovers("tmp").is_empty(), "{:?}", sb.leftovers("tmp"));
    }
}

#[test]
fn tells_how_to_add_it_to_the_prompt() {
    let sb = Sandbox::new();
    fake_release(&sb.path("release"), None);
    let server = Server::start(sb.path("release"));
    let out = sb.install(&server, "Linux", "x86_64", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let msg = stderr(&out);
    for line in [
        "eval \"$(q-status init zsh)\"",
        "eval \"$(q-status init bash)\"",
        "q-status init fish | source",
        "q-status --shell tmux",
        "is not on your PATH",
    ] {
        assert!(msg.contains(line), "missing {line:?} in:\n{msg}");
    }
}

#[test]
fn install_dir_from_the_environment() {
    let sb = Sandbox::new();
    fake_release(&sb.path("release"), None);
    let server = Server::start(sb.path("release"));
    let dir = sb.path("elsewhere/bin");
    let out = sb.install(
        &server,
        "Linux",
        "x86_64",
        &[("Q_STATUS_INSTALL_DIR", dir.to_str().unwrap())],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        run_installed(&dir.join("q-status")),
        "fake-x86_64-unknown-linux-musl"
    );
    assert!(!sb.install_dir().exists());
}

#[test]
fn checksum_mismatch_installs_nothing() {
    let sb = Sandbox::new();
    fake_release(&sb.path("release"), Some("x86_64-unknown-linux-musl"));
    let server = Server::start(sb.path("release"));
    let out = sb.install(&server, "Linux", "x86_64", &[]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("checksum mismatch for q-status-x86_64-unknown-linux-musl.tar.gz"),
        "{}",
        stderr(&out)
    );
    assert!(!sb.install_dir().exists(), "the install dir was created");
    assert!(sb.leftovers("tmp").is_empty(), "{:?}", sb.leftovers("tmp"));

    // The other assets of the same release still verify: the check is per asset.
    let out = sb.install(&server, "Linux", "aarch64", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_failed_upgrade_keeps_the_installed_binary() {
    let sb = Sandbox::new();
    fake_release(&sb.path("release"), Some("x86_64-unknown-linux-musl"));
    let server = Server::start(sb.path("release"));
    std::fs::create_dir_all(sb.install_dir()).unwrap();
    write_exe(&sb.install_dir().join("q-status"), "#!/bin/sh\necho old\n");
    let out = sb.install(&server, "Linux", "x86_64", &[]);
    assert!(!out.status.success());
    assert_eq!(run_installed(&sb.install_dir().join("q-status")), "old");
    assert_eq!(sb.leftovers("home/.local/bin"), ["q-status"]);
}

#[test]
fn missing_asset_or_unknown_platform_fails_cleanly() {
    let sb = Sandbox::new();
    fake_release(&sb.path("release"), None);
    std::fs::remove_file(sb.path("release/q-status-aarch64-apple-darwin.tar.gz")).unwrap();
    let server = Server::start(sb.path("release"));

    let out = sb.install(&server, "Darwin", "arm64", &[]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("could not download"),
        "{}",
        stderr(&out)
    );

    let out = sb.install(&server, "Linux", "riscv64", &[]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no release build for CPU 'riscv64'"));

    let out = sb.install(&server, "FreeBSD", "x86_64", &[]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no release build for OS 'FreeBSD'"));

    assert!(!sb.install_dir().exists());
    assert!(sb.leftovers("tmp").is_empty(), "{:?}", sb.leftovers("tmp"));
}
