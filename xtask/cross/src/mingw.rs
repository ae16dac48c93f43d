//! mingw-w64, Debian's Windows compiler: the C parts of the Windows build (SQLite, aws-lc),
//! its link, and the DLL Wine lacks.

use std::process::Command;

use anyhow::{bail, Result};
use xtask::tools::process;

/// mingw-w64's compiler for x86_64 Windows.
pub const MINGW_GCC: &str = "x86_64-w64-mingw32-gcc";

pub fn check_installed() -> Result<()> {
    let found = process::output(
        Command::new(MINGW_GCC).arg("--version"),
        "running mingw-w64",
    );
    if !found.is_ok_and(|output| output.status.success()) {
        bail!(
            "building for Windows needs mingw-w64: `apt-get install gcc-mingw-w64-x86-64 \
             binutils-mingw-w64-x86-64` (as root)"
        );
    }
    Ok(())
}
