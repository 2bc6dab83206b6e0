//! docs/troubleshooting.md explains every message xlboot can print: this test reads
//! the message texts out of the sources (the binary's, the boot decision's, and the
//! Display texts of the format crates' errors) and fails when the document lacks the
//! fixed words of one of them, so that a new message cannot go undocumented.

use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Rust source files under `dir`, recursively.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The string literal starting at `s` (just after its opening quote), unescaped
/// enough to compare with prose: `\"` and `\\` become their character, and a
/// `\` at the end of a line drops the line break and the next line's indentation.
fn literal(s: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => match chars.next()? {
                '\n' => {
                    while chars.peek().is_some_and(|c| c.is_whitespace()) {
                        chars.next();
                    }
                }
                'n' => out.push('\n'),
                't' => out.push('\t'),
                '0' => out.push('\0'),
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

/// The first string literal of each call of `calls` in `text` (which is cut at its
/// test module), if the literal is the call's first argument.
fn messages(text: &str, calls: &[&str]) -> Vec<String> {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    let mut found = Vec::new();
    for call in calls {
        let mut rest = text;
        while let Some(at) = rest.find(call) {
            rest = &rest[at + call.len()..];
            let mut args = rest.trim_start();
            // `write!(f, "...")`: the literal follows the formatter.
            if let Some(after) = args.strip_prefix("f,") {
                args = after.trim_start();
            }
            if let Some(lit) = args.strip_prefix('"').and_then(literal) {
                found.push(lit);
            }
        }
    }
    found
}

/// The fixed words of a message: the text between its `{...}` placeholders, trimmed
/// of punctuation, and only the pieces long enough to mean something.
fn fragments(message: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut rest = message;
    loop {
        let (piece, after) = match rest.find('{') {
            Some(open) => {
                let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
                (&rest[..open], &rest[close..])
            }
            None => (rest, ""),
        };
        let piece = piece.trim_matches(|c: char| " :,;.()'\n".contains(c));
        if piece.len() >= 4 {
            pieces.push(piece.to_string());
        }
        if after.is_empty() {
            return pieces;
        }
        rest = after;
    }
}

/// Literals the calls above find that are not messages: reply formats, names made
/// for files and devices, the version line.
const NOT_MESSAGES: &[&str] = &[
    "linux (kernel {})",
    "(ramdisk {})",
    "(args {})",
    "{parent}/loader.conf",
    "lvm/{dm}",
    "lvm/{}-{}",
    "xlboot {} (commit {})",
    "--kernel={kernel}",
    ", {n} files (backing chain)",
    // Lines of `xlboot inspect`'s report, described with the command.
    "bzImage (boot protocol {}.{:02})",
    "ELF {} machine {}, {} bytes",
    "Xen notes ({}):",
    "phys32_entry={e:#x}",
    "its ELF, decompressed: {}",
];

#[test]
fn every_message_is_explained_in_troubleshooting() {
    let doc = fs::read_to_string(root().join("docs/troubleshooting.md")).unwrap();
    // What the doc's code spans and tables say, with markdown's escaped pipes undone.
    let doc = doc.replace("\\|", "|");
    let mut files = Vec::new();
    sources(&root().join("crates/xlboot/src"), &mut files);
    sources(&root().join("crates/xlboot-boot/src"), &mut files);
    let mut all = Vec::new();
    for f in &files {
        if f.ends_with("cli_docs.rs") {
            continue; // the help text and man page, not messages
        }
        let text = fs::read_to_string(f).unwrap();
        let calls = [
            "format!(",
            "format_args!(",
            "UsageError(",
            "Message(",
            "Err(",
            "refuse(",
        ];
        all.extend(messages(&text, &calls).into_iter().map(|m| (f.clone(), m)));
    }
    // The format crates' error texts, which every lower-level failure is made of.
    let mut error_files = Vec::new();
    for krate in [
        "xlboot-disk",
        "xlboot-fs",
        "xlboot-config",
        "xlboot-compress",
    ] {
        sources(
            &root().join("crates").join(krate).join("src"),
            &mut error_files,
        );
    }
    for f in error_files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let display_file = name == "error.rs"
            || (name == "mod.rs"
                && ["lvm", "md", "qcow2", "vhd"]
                    .iter()
                    .any(|d| f.parent().unwrap().ends_with(d)))
            || name == "block.rs";
        if !display_file {
            continue;
        }
        let text = fs::read_to_string(&f).unwrap();
        let Some(display) = text.find("fmt::Display for") else {
            continue;
        };
        all.extend(
            messages(&text[display..], &["write!("])
                .into_iter()
                .map(|m| (f.clone(), m)),
        );
    }
    assert!(all.len() > 150, "only {} messages found", all.len());

    let mut missing = Vec::new();
    for (file, message) in &all {
        if NOT_MESSAGES.contains(&message.as_str()) {
            continue;
        }
        for piece in fragments(message) {
            if !doc.contains(&piece) {
                missing.push(format!("{}: {message:?} (no {piece:?})", file.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs/troubleshooting.md does not explain:\n{}",
        missing.join("\n")
    );
}
