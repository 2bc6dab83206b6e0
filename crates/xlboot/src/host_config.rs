//! The view `--isconfig` gives a config evaluated on its own, outside any guest, as
//! pygrub's `--isconfig` reads it: no disk behind it, so `search` finds nothing and no
//! file can be read, while every device name the config uses is taken as written and
//! every file it names is taken to exist (empty), so that entries show their paths.

use xlboot_config::{ConfigHost, Device, FilePath, HostError};

/// A host with no devices.
pub struct HostConfig;

impl ConfigHost for HostConfig {
    fn devices(&self) -> Vec<Device> {
        Vec::new()
    }

    fn canonical_device(&self, device: &str) -> Option<String> {
        Some(device.to_string())
    }

    fn file_size(&self, _file: &FilePath) -> Result<Option<u64>, HostError> {
        Ok(Some(0))
    }

    fn dir_exists(&self, _dir: &FilePath) -> Result<bool, HostError> {
        Ok(false)
    }

    fn list_dir(
        &self,
        _dir: &FilePath,
        _max_entries: usize,
    ) -> Result<Option<Vec<String>>, HostError> {
        Ok(None)
    }

    fn read_file(&self, _file: &FilePath, _max: usize) -> Result<Option<Vec<u8>>, HostError> {
        Ok(None)
    }
}
