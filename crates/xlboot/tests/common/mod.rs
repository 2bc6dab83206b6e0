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
