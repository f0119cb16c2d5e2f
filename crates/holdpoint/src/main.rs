//! The `holdpoint` binary.

fn main() -> std::process::ExitCode {
    holdpoint::run()
}
