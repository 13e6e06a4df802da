//! Finding the stores: which chat databases (and session folders) exist for this user.
//!
//! Order matters only for ties: Kiro's SQLite, then Amazon Q's, then Kiro's session files.
//! `--db`, `Q_STATUS_DB` or the config's `db` replace discovery with one explicit path.

use std::path::{Path, PathBuf};

/// How a store keeps its conversations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// A SQLite file (`conversations_v2` or `conversations`).
    Sqlite,
    /// A folder of Kiro session files (`<uuid>.json`).
    Sessions,
}

/// One place conversations may live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    pub kind: StoreKind,
    pub path: PathBuf,
    /// Short name for output: `kiro`, `amazon-q`, `kiro-sessions` or `db`.
    pub label: &'static str,
}

impl Store {
    pub fn sqlite(path: PathBuf, label: &'static str) -> Store {
        Store {
            kind: StoreKind::Sqlite,
            path,
            label,
        }
    }

    pub fn sessions(path: PathBuf) -> Store {
        Store {
            kind: StoreKind::Sessions,
            path,
            label: "kiro-sessions",
        }
    }
}

/// Where each store would be for this user, existing or not.
#[derive(Debug, Clone)]
pub struct Locations {
    pub data_local_dir: Option<PathBuf>,
    pub home_dir: Option<PathBuf>,
}

impl Locations {
    /// The platform's directories (`directories::BaseDirs`).
    pub fn from_env() -> Locations {
        match base_dirs() {
            Some(b) => Locations {
                data_local_dir: Some(b.data_local_dir().to_path_buf()),
                home_dir: Some(b.home_dir().to_path_buf()),
            },
            None => Locations {
                data_local_dir: None,
                home_dir: None,
            },
        }
    }

    /// Every default store location, in preference order, whether or not it exists.
    pub fn default_stores(&self) -> Vec<Store> {
        let mut out = Vec::with_capacity(3);
        if let Some(d) = &self.data_local_dir {
            out.push(Store::sqlite(
                d.join("kiro-cli").join("data.sqlite3"),
                "kiro",
            ));
            out.push(Store::sqlite(
                d.join("amazon-q").join("data.sqlite3"),
                "amazon-q",
            ));
        }
        if let Some(h) = &self.home_dir {
            out.push(Store::sessions(
                h.join(".kiro").join("sessions").join("cli"),
            ));
        }
        out
    }
}

/// The platform's base directories, computed once per process: `BaseDirs::new` reads a dozen
/// environment variables, and the prompt path needs it for the config, the stores and the cache.
pub fn base_dirs() -> Option<&'static directories::BaseDirs> {
    static DIRS: std::sync::OnceLock<Option<directories::BaseDirs>> = std::sync::OnceLock::new();
    DIRS.get_or_init(directories::BaseDirs::new).as_ref()
}

/// The stores to read: the explicit one if given, else the defaults that exist.
pub fn stores(
    explicit: Option<&Path>,
    sessions_dir: Option<&Path>,
    locations: &Locations,
) -> Vec<Store> {
    if let Some(p) = explicit {
        return vec![explicit_store(p)];
    }
    let mut all = locations.default_stores();
    if let Some(s) = sessions_dir {
        all.retain(|s| s.kind != StoreKind::Sessions);
        all.push(Store::sessions(s.to_path_buf()));
    }
    all.retain(|s| s.path.exists());
    all
}

/// [`stores`] for this user, or the "no store" error naming every place looked at.
pub fn find(
    explicit: Option<&Path>,
    sessions_dir: Option<&Path>,
) -> Result<Vec<Store>, crate::error::Error> {
    let locations = Locations::from_env();
    let found = stores(explicit, sessions_dir, &locations);
    if !found.is_empty() {
        return Ok(found);
    }
    let looked: Vec<String> = match explicit {
        Some(p) => vec![p.display().to_string()],
        None => locations
            .default_stores()
            .iter()
            .map(|st| st.path.display().to_string())
            .collect(),
    };
    Err(crate::error::Error::NoStore(looked.join(", ")))
}

/// An explicit `--db`: a folder is a session folder, anything else a SQLite file.
pub fn explicit_store(p: &Path) -> Store {
    if p.is_dir() {
        Store::sessions(p.to_path_buf())
    } else {
        Store::sqlite(p.to_path_buf(), "db")
    }
}
