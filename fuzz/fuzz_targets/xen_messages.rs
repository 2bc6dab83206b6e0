//! Bytes as what Xen and xenstored hand the in-guest loader: a xenstore reply (header,
//! then payload) to a read and to a directory request, a PVH start info with its
//! memory map and command line. Asserts that a reply's payload is what its header
//! announced and that the heap region chosen is RAM inside the bounds asked for.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlboot_xen::cmdline::{split_device, LoaderOptions};
use xlboot_xen::start_info::{self, StartInfo};
use xlboot_xen::xenstore::wire::{self, Header, Kind};

fuzz_target!(|data: &[u8]| {
    if let Some(head) = data.get(..wire::HEADER_LEN) {
        let head: &[u8; wire::HEADER_LEN] = head.try_into().unwrap();
        if let Ok(h) = Header::parse(head) {
            assert!(h.len <= wire::PAYLOAD_MAX);
            let payload = data[wire::HEADER_LEN..].to_vec();
            for kind in [Kind::Read, Kind::Directory, Kind::Write] {
                if let Ok(Some(p)) = wire::answer(&h, payload.clone(), kind, 1) {
                    let _ = wire::directory(&p);
                    let _ = wire::text(&p);
                }
            }
        }
    }

    if let Some(raw) = data.get(..start_info::LEN) {
        let raw: &[u8; start_info::LEN] = raw.try_into().unwrap();
        if let Ok(info) = StartInfo::parse(raw) {
            assert!(info.memmap_len() <= 128 * start_info::MEMMAP_ENTRY_LEN);
        }
    }
    let map = data.get(start_info::LEN..).unwrap_or(&[]);
    if let Some((lo, hi)) = start_info::largest_ram(start_info::regions(map), 0x20_0000, 1 << 32) {
        assert!(lo < hi && lo >= 0x20_0000 && hi <= 1 << 32 && lo % 4096 == 0 && hi % 4096 == 0);
        assert!(start_info::regions(map).any(|r| r.kind == start_info::MEMORY_RAM
            && r.addr <= lo
            && r.addr.saturating_add(r.size) >= hi));
    }
    let line = start_info::cmdline(data);
    assert!(line.len() <= start_info::MAX_CMDLINE && line.bytes().all(|b| (0x20..0x7f).contains(&b)));
    if let Ok(opts) = LoaderOptions::parse(&line) {
        if let Some(config) = &opts.config {
            let _ = split_device(config);
        }
    }
});
