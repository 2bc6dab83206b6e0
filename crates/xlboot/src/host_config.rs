//! The view `--isconfig` gives a config evaluated on its own, outside any guest: no
//! devices and no files, so `search` finds nothing and `load_env` reads nothing.

use xlboot_config::{ConfigHost, Device, FilePath, HostError};

/// A host with no devices.
pub struct HostConfig;

impl ConfigHost for HostConfig {
    fn devices(&self) -> Vec<Device> {
        Vec::new()
    }

    fn canonical_device(&self, _device: &str) -> Option<String> {
        None
    }

    fn file_size(&self, _file: &FilePath) -> Result<Option<u64>, HostError> {
        Ok(None)
    }

    fn read_file(&self, _file: &FilePath, _max: usize) -> Result<Option<Vec<u8>>, HostError> {
        Ok(None)
    }
}
