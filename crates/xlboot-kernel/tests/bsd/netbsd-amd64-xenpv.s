# The Xen notes of a NetBSD amd64 XEN3_DOMU or XEN3_DOM0 kernel, as
# sys/arch/amd64/amd64/locore.S declares them under XENPV (both kernels build
# from it), with its ELFNOTE macro: .note.Xen pushed without flags, so the
# section is not allocated and no PT_NOTE segment covers it. Values at NetBSD's
# link addresses (KERNBASE 0xffffffff80000000, text at KERNBASE + 2 MiB,
# HYPERVISOR_VIRT_START 0xffff800000000000); the code is a stub.
.include "elfnote.inc"

.section __xen_guest
	ELFNOTE 6,  .asciz, "NetBSD"			# GUEST_OS
	ELFNOTE 7,  .asciz, "4.99"			# GUEST_VERSION
	ELFNOTE 5,  .asciz, "xen-3.0"			# XEN_VERSION
	ELFNOTE 3,  .quad,  0xffffffff80000000		# VIRT_BASE
	ELFNOTE 4,  .quad,  0xffffffff80000000		# PADDR_OFFSET
	ELFNOTE 1,  .quad,  start			# ENTRY
	ELFNOTE 2,  .quad,  hypercall_page		# HYPERCALL_PAGE
	ELFNOTE 12, .quad,  0xffff800000000000		# HV_START_LOW
	ELFNOTE 10, .asciz, ""				# FEATURES
	ELFNOTE 9,  .asciz, "yes"			# PAE_MODE
	ELFNOTE 13, .long,  1, 1			# L1_MFN_VALID
	ELFNOTE 8,  .asciz, "generic"			# LOADER
	ELFNOTE 14, .long,  0				# SUSPEND_CANCEL
	ELFNOTE 11, .asciz, "yes"			# BSD_SYMTAB

	.text
	.globl start
start:
	hlt
	jmp start
	.align 0x1000
hypercall_page:
	.skip 0x1000, 0x90
