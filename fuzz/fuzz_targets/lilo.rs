//! Bytes as `/etc/lilo.conf`: tokens, items, keyword tables, labels, the default and
//! the command line, with a root namespace where `/boot/...` is on one volume, names
//! containing `missing` do not exist and relative names cannot be resolved; then
//! everything a caller does with the menu.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlboot_config::lilo::{evaluate, Located};
use xlboot_config::FilePath;
use xlboot_fuzz::exercise_menu;

fn locate(path: &str) -> Located {
    if !path.starts_with('/') {
        return Err(format!("{path}: not absolute"));
    }
    if path.contains("missing") {
        return Ok(None);
    }
    Ok(Some(match path.strip_prefix("/boot") {
        Some(rest) => FilePath::new("hd0,msdos1".to_string(), rest.to_string()),
        None => FilePath::new("hd0,msdos2".to_string(), path.to_string()),
    }))
}

fuzz_target!(|data: &[u8]| {
    let file = FilePath::new("hd0,msdos2".to_string(), "/etc/lilo.conf".to_string());
    if let Ok(evaluated) = evaluate(data, &file, 1 << 20, &locate) {
        exercise_menu(&evaluated.menu);
    }
});
