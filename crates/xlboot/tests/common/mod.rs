//! What several of the binary's tests share.
#![allow(dead_code)]

use std::path::PathBuf;

/// The fixture images (`XLBOOT_FIXTURES`, else the shared cache), which must have
/// been built.
pub fn fixtures() -> PathBuf {
    let dir = PathBuf::from(
        std::env::var("XLBOOT_FIXTURES").unwrap_or_else(|_| "/var/cache/xlboot/fixtures".into()),
    );
    assert!(
        dir.join("MANIFEST").is_file(),
        "no fixture images in {}: run scripts/fixtures/build (or scripts/test)",
        dir.display()
    );
    dir
}

/// Whether `tool` can be run; a missing one skips the test (with a line naming its
/// package), unless XLBOOT_REQUIRE_TOOLS is set. Only whether the program starts
/// counts, not how it answers `--version`.
pub fn have(tool: &str, package: &str) -> bool {
    let ok = std::process::Command::new(tool)
        .arg("--version")
        .output()
        .is_ok();
    if !ok {
        if std::env::var_os("XLBOOT_REQUIRE_TOOLS").is_some() {
            panic!("{tool} is required (XLBOOT_REQUIRE_TOOLS is set)");
        }
        eprintln!("skipping: {tool} not installed (package {package})");
    }
    ok
}

/// The sha256 of a file, in hexadecimal.
pub fn sha256_file(path: &std::path::Path) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(std::fs::read(path).unwrap()))
}
