//! `q-status --watch`. (Being built: issue 4.)
use std::process::ExitCode;

use crate::settings::Settings;

pub fn run(_s: &Settings) -> anyhow::Result<ExitCode> {
    anyhow::bail!("--watch is not built yet")
}
