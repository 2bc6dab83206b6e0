//! The PV console (hvc0 in a Linux guest, `xl console` and xenconsoled's log in dom0):
//! the ring page and event channel the HVM parameters name. Everything printed also
//! goes to Xen's debug port, so that Xen's log shows it even if the ring is not there.

use alloc::format;
use alloc::string::{String, ToString};
use core::fmt;

use crate::platform::debug_port_write;
use crate::platform::hypercall::{self, Errno};
use crate::platform::one_cpu::OneCpu;
use crate::platform::shared_page::SharedPage;

/// `HVM_PARAM_CONSOLE_PFN`.
const CONSOLE_PFN: u32 = 17;
/// `HVM_PARAM_CONSOLE_EVTCHN`.
const CONSOLE_EVTCHN: u32 = 18;
/// How often a full ring is waited for before output is dropped (xenconsoled gone).
const FULL_RING_PATIENCE: u32 = 100_000;

struct Console {
    page: SharedPage,
    port: u32,
}

static CONSOLE: OneCpu<Option<Console>> = OneCpu::new(None);

/// Finds the console ring; until this succeeds output goes to the debug port only.
pub fn init() -> Result<(), Errno> {
    let (page, port) = SharedPage::from_hvm_params(CONSOLE_PFN, CONSOLE_EVTCHN)?;
    CONSOLE.with(|c| *c = Some(Console { page, port }));
    Ok(())
}

/// Writes `bytes` to the console, waiting while the ring is full.
pub fn write(bytes: &[u8]) {
    debug_port_write(bytes);
    CONSOLE.with(|c| {
        let Some(c) = c else { return };
        let mut rest = bytes;
        let mut patience = FULL_RING_PATIENCE;
        while !rest.is_empty() && patience > 0 {
            let taken = match xlboot_xen::console::write(&c.page, rest) {
                Ok(n) => n,
                Err(_) => return, // the console daemon broke the ring: give it up
            };
            rest = rest.get(taken..).unwrap_or(&[]);
            let _ = hypercall::evtchn_send(c.port);
            if taken == 0 {
                patience -= 1;
                hypercall::yield_cpu();
            }
        }
    });
}

/// Polls before the console daemon counts as gone while output is drained.
const DRAIN_PATIENCE: u32 = 1_000_000;

/// Waits (bounded) until xenconsoled has taken everything written, so that the next
/// kernel's hvc driver starts on a ring with nothing of the loader's in flight. The
/// event channel stays open: it is the HVM parameter's, which the kernel binds too.
/// Print nothing after this.
pub fn drain() -> Result<(), String> {
    let left = CONSOLE.with(|c| {
        let Some(c) = c else {
            return Ok::<u32, String>(0);
        };
        let mut unsent = 0;
        for _ in 0..DRAIN_PATIENCE {
            unsent = xlboot_xen::console::unsent(&c.page).map_err(|e| e.to_string())?;
            if unsent == 0 {
                return Ok(0);
            }
            let _ = hypercall::evtchn_send(c.port);
            hypercall::yield_cpu();
        }
        Ok(unsent)
    });
    match left {
        None | Some(Ok(0)) => Ok(()),
        Some(Ok(n)) => Err(format!(
            "console: xenconsoled left {n} bytes of output unread after {DRAIN_PATIENCE} polls"
        )),
        Some(Err(e)) => Err(format!("console ring: {e}")),
    }
}

/// `fmt::Write` onto the console, turning `\n` into `\r\n` as a terminal wants.
pub struct Out;

impl fmt::Write for Out {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for (i, line) in s.split('\n').enumerate() {
            if i > 0 {
                write(b"\r\n");
            }
            write(line.as_bytes());
        }
        Ok(())
    }
}

/// Prints to the console.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => {{
        let _ = core::fmt::Write::write_fmt(&mut $crate::console::Out, format_args!($($arg)*));
    }};
}

/// Prints a line to the console.
#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => {{
        $crate::print!($($arg)*);
        $crate::console::write(b"\r\n");
    }};
}
