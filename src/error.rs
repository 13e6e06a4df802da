//! The library's error type: one variant per thing a user can fix, each with the path or key
//! it concerns. The prompt swallows them; `--json`, `doctor` and the subcommands print them.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "no chat database found (looked for {0}); is Amazon Q or Kiro CLI installed and used here?"
    )]
    NoStore(String),
    #[error("no conversation for directory {0}")]
    NoConversation(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a SQLite database ({1})", path = .0.display())]
    NotSqlite(PathBuf, &'static str),
    #[error("{path}: SQLite: {source}")]
    Sql {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("{path}: database is locked by the chat CLI (waited {waited_ms} ms)")]
    Busy { path: PathBuf, waited_ms: u64 },
    #[error("{}: no conversations or conversations_v2 table (not a Q or Kiro database?)", .0.display())]
    UnknownSchema(PathBuf),
    #[error("{path}: conversation row for {key} is {bytes} bytes, over the {max}-byte limit (max_row_mb)")]
    RowTooLarge {
        path: PathBuf,
        key: String,
        bytes: u64,
        max: u64,
    },
    #[error("{path}: conversation row for {key} is not valid conversation JSON: {source}")]
    BadRow {
        path: PathBuf,
        key: String,
        source: serde_json::Error,
    },
    #[error("{0}")]
    Template(String),
    #[error("{0}")]
    Config(String),
}

impl Error {
    pub fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub fn sql(path: &Path, source: rusqlite::Error) -> Error {
        Error::Sql {
            path: path.to_path_buf(),
            source,
        }
    }

    /// True when the database was locked past our time budget: the prompt then shows the last
    /// known value, marked stale.
    pub fn is_busy(&self) -> bool {
        match self {
            Error::Busy { .. } => true,
            Error::Sql { source, .. } => matches!(
                source.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            ),
            _ => false,
        }
    }
}
