//! `q-status export`. (Being built: issue 5.)
use std::process::ExitCode;

use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub struct ExportArgs {}

pub fn run(_s: &Settings, _args: &ExportArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("export is not built yet")
}
