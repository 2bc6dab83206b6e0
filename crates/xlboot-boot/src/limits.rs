//! The budgets of a boot decision that an administrator may change, by name.
//!
//! Defaults are generous enough for real guests and live with the code they bound
//! ([`PathLimits`], [`grub2::Limits`]); `xlboot --limit=NAME=VALUE` changes one.

use alloc::format;
use alloc::string::String;

use xlboot_config::grub2;
use xlboot_fs::PathLimits;

/// Every changeable budget of a decision.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Limits {
    /// Path resolution on the guest's filesystems.
    pub path: PathLimits,
    /// Evaluation of boot configs.
    pub config: grub2::Limits,
}

/// The names `--limit` takes, with what each bounds.
pub const NAMES: &[(&str, &str)] = &[
    ("symlink-hops", "symlinks followed in one path"),
    ("path-length", "longest path, symlink targets substituted"),
    ("path-depth", "deepest directory nesting of a path"),
    ("link-length", "longest symlink target"),
    ("config-size", "largest config or sourced file, bytes"),
    ("config-depth", "deepest nesting of blocks and commands"),
    (
        "config-loop-iterations",
        "loop iterations, all loops together",
    ),
    ("config-commands", "commands run, all bodies together"),
    ("config-call-depth", "deepest function call nesting"),
    ("config-source-depth", "deepest source/configfile nesting"),
    ("config-entries", "menu items in one menu"),
    ("config-work-bytes", "bytes copied while expanding words"),
];

impl Limits {
    /// Sets the budget `name` (one of [`NAMES`]) to `value`.
    pub fn set(&mut self, name: &str, value: u64) -> Result<(), String> {
        let size = || usize::try_from(value).map_err(|_| format!("{value} is too large"));
        let small = || u32::try_from(value).map_err(|_| format!("{value} is too large"));
        match name {
            "symlink-hops" => self.path.max_hops = small()?,
            "path-length" => self.path.max_path_len = size()?,
            "path-depth" => self.path.max_depth = size()?,
            "link-length" => self.path.max_link_len = size()?,
            "config-size" => self.config.max_config_size = size()?,
            "config-depth" => self.config.max_depth = size()?,
            "config-loop-iterations" => self.config.max_loop_iterations = value,
            "config-commands" => self.config.max_commands = value,
            "config-call-depth" => self.config.max_call_depth = size()?,
            "config-source-depth" => self.config.max_source_depth = size()?,
            "config-entries" => self.config.max_entries = size()?,
            "config-work-bytes" => self.config.max_work_bytes = value,
            _ => return Err(format!("unknown limit {name}")),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_can_be_set() {
        let mut l = Limits::default();
        for (name, _) in NAMES {
            l.set(name, 7).unwrap();
        }
        assert_eq!(l.path.max_hops, 7);
        assert_eq!(l.config.max_work_bytes, 7);
        assert!(l.set("nonsense", 1).is_err());
    }
}
