//! Bytes as a shared page the other end (xenconsoled, xenstored, blkback) left in any
//! state: the console and xenstore rings written and read, a block ring with
//! requests outstanding answered from the page, a grant ended. Asserts that nothing
//! is taken past what the ring holds and that the block ring never counts more
//! outstanding requests than it has slots.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xlboot_xen::blkif::{FrontRing, Segment, RING_SIZE};
use xlboot_xen::xenstore::ring;
use xlboot_xen::{console, grant_table, PlainPage, SharedMemory, PAGE_SIZE};

fuzz_target!(|data: &[u8]| {
    let (ops, page_bytes) = data.split_at(data.len().min(2));
    let requests = u32::from(ops.first().copied().unwrap_or(1)) % (RING_SIZE + 1);
    let page = PlainPage::from_bytes(page_bytes);

    if let Ok(n) = console::write(&page, &[b'x'; 3000]) {
        assert!(n <= 2048);
    }
    if let Ok(n) = ring::send(&page, &[b'r'; 1500]) {
        assert!(n <= 1024);
    }
    let mut out = [0u8; 1500];
    if let Ok(n) = ring::receive(&page, &mut out) {
        assert!(n <= 1024);
    }
    let gref = u32::from(ops.get(1).copied().unwrap_or(0));
    let _ = grant_table::end(&page, gref);

    // A block ring with requests outstanding, then the backend's page.
    let ring_page = PlainPage::default();
    let mut front = FrontRing::init(&ring_page);
    let seg = [Segment { gref: 8, first_sect: 0, last_sect: 7 }];
    for id in 0..requests {
        front.push_read(&ring_page, 0, u64::from(id), 0, &seg).unwrap();
    }
    let mut bytes = vec![0u8; PAGE_SIZE];
    page.read_bytes(0, &mut bytes);
    ring_page.write_bytes(0, &bytes);
    for _ in 0..=RING_SIZE {
        assert!(front.outstanding() <= RING_SIZE);
        match front.take_response(&ring_page) {
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
});
