//! xlboot: boots Xen PV and PVH guests from the kernel on their own disks, as a drop-in
//! for pygrub (`bootloader = "xlboot"` in xl.cfg).
//!
//! The binary holds everything that needs std: the command line, the disk image, the
//! output files and the reply. Parsing of guest data lives in the `no_std` crates
//! `xlboot-disk`, `xlboot-fs`, `xlboot-config` and `xlboot-kernel`.

mod boot;
mod cli;
mod cli_docs;
mod copy;
mod diag;
mod grubenv_write;
mod host_config;
mod image;
mod inspect;
mod inspect_json;
mod inspect_text;
mod json;
mod kernel_check;
mod listing;
mod menu;
mod outcome;
mod output;
mod passwd;
mod reply;
mod sandbox;

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os();
    let argv0 = args
        .next()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_else(|| "xlboot".into());
    match cli::parse(args.collect()) {
        Ok(cli::Command::Help) => {
            println!("{}", cli_docs::help(&argv0));
            ExitCode::SUCCESS
        }
        Ok(cli::Command::Version) => {
            println!("{}", version());
            ExitCode::SUCCESS
        }
        Ok(cli::Command::Generate(what)) => {
            print!("{}", cli_docs::generate(what, env!("CARGO_PKG_VERSION")));
            ExitCode::SUCCESS
        }
        Ok(cli::Command::Run(opts)) => match boot::run(&opts) {
            Ok(()) => ExitCode::SUCCESS,
            Err(boot::Failure::Reported) => ExitCode::FAILURE,
            Err(boot::Failure::Message(msg)) => {
                eprintln!("xlboot: {}", diag::sanitize(&msg));
                ExitCode::FAILURE
            }
        },
        Ok(cli::Command::Inspect(opts)) => match inspect::run(&opts) {
            Ok(()) => ExitCode::SUCCESS,
            Err(boot::Failure::Reported) => ExitCode::FAILURE,
            Err(boot::Failure::Message(msg)) => {
                eprintln!("xlboot: {}", diag::sanitize(&msg));
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            // One line, like every failure: it is what libxl's log keeps.
            eprintln!(
                "xlboot: {}; Usage: {argv0} [OPTION]... IMAGE ({argv0} --help lists the options)",
                diag::sanitize(&e.0)
            );
            ExitCode::FAILURE
        }
    }
}

/// `--version`: the semantic version and the commit built from (see build.rs).
fn version() -> String {
    format!(
        "xlboot {} (commit {})",
        env!("CARGO_PKG_VERSION"),
        env!("XLBOOT_COMMIT")
    )
}
