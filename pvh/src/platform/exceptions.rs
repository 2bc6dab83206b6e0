//! CPU exceptions in the loader: an IDT whose 32 exception vectors all lead to one
//! handler, which names the exception, its error code, RIP and CR2 on Xen's debug
//! port and ends the domain as crashed.
//!
//! Why: Xen starts a PVH guest with no IDT, so without one any exception (a bug in
//! the loader, or a fault the platform delivers) becomes a triple fault, which Xen
//! logs with nothing of where or why. The loader enables no interrupts, so only the
//! 32 exception vectors are set; each is an interrupt gate on the loader's 64-bit
//! code segment, run on the current stack.
//!
//! Every stub pushes its vector and jumps to `exception_common`, which passes the
//! stack as it then is to [`pvh_exception`]: the vector, then the error code for the
//! vectors whose exceptions push one, then RIP, CS, RFLAGS, RSP, SS. The stubs are 16
//! bytes apart, so stub `n` is at `exception_stubs + 16 n`.

use super::debug_port_write;
use super::hypercall;

core::arch::global_asm!(
    r#"
    .section .text.pvh_exceptions, "ax"
    .code64
    .balign 16
    .global exception_stubs
exception_stubs:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .balign 16
    pushq $\n
    jmp exception_common
    .endr

exception_common:
    mov %rsp, %rdi
    and $~15, %rsp
    call pvh_exception
    ud2
"#,
    options(att_syntax)
);

extern "C" {
    static exception_stubs: u8;
}

/// Vectors of the exceptions that push an error code (Intel SDM vol. 3, table 6-1;
/// AMD APM vol. 2, 8.2): #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP, #VC, #SX.
const WITH_ERROR_CODE: [u64; 10] = [8, 10, 11, 12, 13, 14, 17, 21, 29, 30];

/// Names of the exception vectors, for the message.
fn name(vector: u64) -> &'static str {
    match vector {
        0 => "divide error",
        1 => "debug",
        2 => "NMI",
        3 => "breakpoint",
        4 => "overflow",
        5 => "bound range",
        6 => "invalid opcode",
        7 => "device not available",
        8 => "double fault",
        10 => "invalid TSS",
        11 => "segment not present",
        12 => "stack fault",
        13 => "general protection",
        14 => "page fault",
        16 => "x87 floating point",
        17 => "alignment check",
        18 => "machine check",
        19 => "SIMD floating point",
        21 => "control protection",
        29 => "VMM communication",
        30 => "security",
        _ => "reserved vector",
    }
}

/// One IDT entry (16 bytes, as two words): a present 64-bit interrupt gate, DPL 0,
/// no IST, to `handler` in code segment `selector`.
fn gate(handler: u64, selector: u16) -> [u64; 2] {
    let low = (handler & 0xffff)
        | (u64::from(selector) << 16)
        | (0x8e << 40) // present, DPL 0, type 0xe: 64-bit interrupt gate
        | ((handler >> 16) & 0xffff) << 48;
    [low, handler >> 32]
}

/// The IDT: 32 gates of 16 bytes.
#[repr(C, align(16))]
struct Idt([[u64; 2]; 32]);

static mut IDT: Idt = Idt([[0; 2]; 32]);

/// The loader's 64-bit code segment (entry.rs's GDT).
const CODE64: u16 = 0x08;

/// Fills the IDT and loads it. Call once, first thing in long mode.
pub fn install() {
    let stubs = core::ptr::addr_of!(exception_stubs) as u64;
    // SAFETY: one vCPU, interrupts off, called once before anything can fault: nothing
    // else reads or writes IDT meanwhile. `lidt` then points the CPU at it; it stays
    // in the loader's image until the hand-over loads an empty IDT.
    unsafe {
        let idt = &mut *core::ptr::addr_of_mut!(IDT);
        for (vector, entry) in idt.0.iter_mut().enumerate() {
            *entry = gate(stubs + 16 * vector as u64, CODE64);
        }
        #[repr(C, packed)]
        struct Pointer {
            limit: u16,
            base: u64,
        }
        let pointer = Pointer {
            limit: (core::mem::size_of::<Idt>() - 1) as u16,
            base: core::ptr::addr_of!(IDT) as u64,
        };
        core::arch::asm!("lidt [{}]", in(reg) &pointer, options(readonly, nostack, preserves_flags));
    }
}

/// Writes `value` as `0x` and 16 hex digits to the debug port.
fn write_hex(value: u64) {
    let mut text = *b"0x0000000000000000";
    for (i, byte) in text[2..].iter_mut().enumerate() {
        let nibble = (value >> (60 - 4 * i)) & 0xf;
        *byte = b"0123456789abcdef"[nibble as usize];
    }
    debug_port_write(&text);
}

/// Writes `value` in decimal to the debug port.
fn write_decimal(value: u64) {
    let mut text = [0u8; 20];
    let mut at = text.len();
    let mut rest = value;
    loop {
        at -= 1;
        text[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    debug_port_write(&text[at..]);
}

/// The common handler: `frame` is the stack `exception_common` found (module docs).
/// Prints on the debug port only: it allocates nothing and borrows nothing, so it
/// works whatever the loader was doing.
#[no_mangle]
extern "C" fn pvh_exception(frame: *const u64) -> ! {
    // SAFETY: `frame` is the stack pointer after the CPU pushed its frame and the stub
    // pushed the vector: at least 6 words (vector, RIP, CS, RFLAGS, RSP, SS), 7 with
    // an error code, all readable.
    let word = |i: usize| unsafe { core::ptr::read(frame.add(i)) };
    let vector = word(0);
    let (error, rip) = if WITH_ERROR_CODE.contains(&vector) {
        (Some(word(1)), word(2))
    } else {
        (None, word(1))
    };
    let cr2: u64;
    // SAFETY: reading CR2 has no side effect.
    unsafe {
        core::arch::asm!("mov {}, cr2", out(reg) cr2, options(nomem, nostack, preserves_flags))
    };
    debug_port_write(b"xlboot-pvh: CPU exception ");
    write_decimal(vector);
    debug_port_write(b" (");
    debug_port_write(name(vector).as_bytes());
    debug_port_write(b")");
    if let Some(error) = error {
        debug_port_write(b", error code ");
        write_hex(error);
    }
    debug_port_write(b", at rip ");
    write_hex(rip);
    debug_port_write(b", cr2 ");
    write_hex(cr2);
    debug_port_write(b"; the domain is ended as crashed\n");
    hypercall::shutdown(hypercall::Shutdown::Crash)
}
