/* models/coro/switch_aarch64.S - the context switch for AArch64 (AAPCS64).
 *
 * Callee-saved: x19-x28, the frame pointer x29, the link register x30 (our
 * return address) and the low 64 bits of v8-v15 (d8-d15). 160 bytes, a
 * multiple of 16 as sp must stay. The frame is
 *     [sp+0] x19 x20 x21 x22 x23 x24 x25 x26 x27 x28 x29 x30 d8 ... d15
 * A new context has x30 = df__coro_start, x19 = entry, x20 = arg, x29 = 0.
 */
#if defined(__aarch64__)

    .text
    .globl  df__coro_switch
    .hidden df__coro_switch
    .type   df__coro_switch, %function
    .p2align 4
/* void df__coro_switch(void **save_sp (x0), void *to_sp (x1)) */
df__coro_switch:
    .cfi_startproc
    sub     sp, sp, #160
    stp     x19, x20, [sp, #0]
    stp     x21, x22, [sp, #16]
    stp     x23, x24, [sp, #32]
    stp     x25, x26, [sp, #48]
    stp     x27, x28, [sp, #64]
    stp     x29, x30, [sp, #80]
    stp     d8, d9, [sp, #96]
    stp     d10, d11, [sp, #112]
    stp     d12, d13, [sp, #128]
    stp     d14, d15, [sp, #144]
    mov     x2, sp
    str     x2, [x0]
    mov     sp, x1
    ldp     x19, x20, [sp, #0]
    ldp     x21, x22, [sp, #16]
    ldp     x23, x24, [sp, #32]
    ldp     x25, x26, [sp, #48]
    ldp     x27, x28, [sp, #64]
    ldp     x29, x30, [sp, #80]
    ldp     d8, d9, [sp, #96]
    ldp     d10, d11, [sp, #112]
    ldp     d12, d13, [sp, #128]
    ldp     d14, d15, [sp, #144]
    add     sp, sp, #160
    ret
    .cfi_endproc
    .size   df__coro_switch, .-df__coro_switch

    .globl  df__coro_start
    .hidden df__coro_start
    .type   df__coro_start, %function
    .p2align 4
df__coro_start:
    .cfi_startproc
    .cfi_undefined x30      /* outermost frame: debuggers stop here */
    mov     x0, x20
    blr     x19
    brk     #0              /* entry must not return */
    .cfi_endproc
    .size   df__coro_start, .-df__coro_start

#endif /* __aarch64__ */

    .section .note.GNU-stack,"",%progbits
