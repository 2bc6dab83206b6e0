//! `memcpy`, `memmove`, `memset`, `memcmp` and `bcmp`: the compiler emits calls to them
//! and, without a C library, nothing else defines them. Written in assembly so the
//! compiler cannot turn their loops back into calls to themselves.
//!
//! Also `_Unwind_Resume`: the prebuilt `alloc` was compiled for unwinding and its
//! cleanup paths name it, but with `panic = "abort"` no unwind ever starts, so it is
//! never reached (it traps if it were).

core::arch::global_asm!(
    r#"
    .section .text.memcpy, "ax"
    .global memcpy
memcpy:
    mov rax, rdi
    mov rcx, rdx
    rep movsb
    ret

    .section .text.memmove, "ax"
    .global memmove
memmove:
    mov rax, rdi
    mov rcx, rdx
    cmp rdi, rsi
    jbe 2f
    lea rsi, [rsi + rdx - 1]
    lea rdi, [rdi + rdx - 1]
    std
    rep movsb
    cld
    ret
2:
    rep movsb
    ret

    .section .text.memset, "ax"
    .global memset
memset:
    mov r9, rdi
    mov eax, esi
    mov rcx, rdx
    rep stosb
    mov rax, r9
    ret

    .section .text.memcmp, "ax"
    .global memcmp
    .global bcmp
memcmp:
bcmp:
    xor eax, eax
    test rdx, rdx
    jz 4f
3:
    movzx eax, byte ptr [rdi]
    movzx ecx, byte ptr [rsi]
    sub eax, ecx
    jnz 4f
    inc rdi
    inc rsi
    dec rdx
    jnz 3b
4:
    ret

    .section .text._Unwind_Resume, "ax"
    .global _Unwind_Resume
_Unwind_Resume:
    ud2
"#
);
