//! `q-status list`. (Being built: issue 5.)
use std::process::ExitCode;

use crate::settings::Settings;

#[derive(Debug, clap::Args)]
pub struct ListArgs {}

pub fn run(_s: &Settings, _args: &ListArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("list is not built yet")
}
