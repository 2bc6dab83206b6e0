//! Records the commit xlboot is built from, for `--version`.
//!
//! From a git checkout of xlboot the commit comes from `git`; from a source tarball
//! (no `.git`, or git missing) it comes from `XLBOOT_COMMIT` if the packager sets it,
//! else it is "unknown". A checkout of some other project that happens to contain
//! this source tree does not count: its commit would say nothing about xlboot's.

use std::path::{Path, PathBuf};
use std::process::Command;

fn git(root: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

fn main() {
    println!("cargo:rerun-if-env-changed=XLBOOT_COMMIT");
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    // crates/xlboot -> the workspace root.
    let root = manifest.join("../..");
    let ours = match (
        git(&root, &["rev-parse", "--show-toplevel"]),
        root.canonicalize(),
    ) {
        (Some(top), Ok(root)) => Path::new(&top).canonicalize().ok() == Some(root),
        _ => false,
    };
    let commit = if ours {
        // Rebuild when HEAD moves: HEAD itself, the branch it names, packed refs.
        for name in ["HEAD", "packed-refs"] {
            watch(&root, name);
        }
        if let Some(branch) = git(&root, &["symbolic-ref", "-q", "HEAD"]) {
            watch(&root, &branch);
        }
        let hash = git(&root, &["rev-parse", "--short=12", "HEAD"]);
        let date = git(&root, &["log", "-1", "--format=%cs", "HEAD"]);
        match (hash, date) {
            (Some(h), Some(d)) => Some(format!("{h}, {d}")),
            (h, _) => h,
        }
    } else {
        None
    };
    let commit = commit
        .or_else(|| {
            std::env::var("XLBOOT_COMMIT")
                .ok()
                .filter(|c| !c.is_empty())
        })
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=XLBOOT_COMMIT={commit}");
}

/// Asks cargo to rerun this script when git's file `name` changes, if it exists (a
/// missing file would make cargo rerun it on every build).
fn watch(root: &Path, name: &str) {
    if let Some(path) = git(
        root,
        &["rev-parse", "--path-format=absolute", "--git-path", name],
    ) {
        if Path::new(&path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}
