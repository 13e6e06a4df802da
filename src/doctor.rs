//! `q-status doctor`. (Being built: issue 5.)
use std::process::ExitCode;

use crate::settings::Settings;

pub fn run(_s: &Settings) -> anyhow::Result<ExitCode> {
    anyhow::bail!("doctor is not built yet")
}
