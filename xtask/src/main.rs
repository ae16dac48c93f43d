//! `cargo xtask`: everything is in the library (`cli` wires the commands), so its modules can
//! stay private to it.

fn main() -> std::process::ExitCode {
    xtask::cli::main()
}
