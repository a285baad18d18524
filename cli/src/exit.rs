//! The command's exit codes, the same for every subcommand (README, "The
//! CLI"): 0 all is well, 1 the command ran and found problems, 2 it could
//! not run (bad arguments, an unusable file, an unreachable source).

use std::process::ExitCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Clean,
    Problems,
    Unusable,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(match exit {
            Exit::Clean => 0,
            Exit::Problems => 1,
            Exit::Unusable => 2,
        })
    }
}
