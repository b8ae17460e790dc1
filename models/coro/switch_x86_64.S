/* models/coro/switch_x86_64.S - the context switch for x86-64 (System V).
 *
 * Only what the ABI says a callee keeps is saved: rbx, rbp, r12-r15 and the
 * stack pointer itself; everything else is clobbered by any call, so the
 * compiler already spilled it. The x87 control word and MXCSR are not
 * saved: nothing in duckfeed changes rounding modes, and skipping them
 * keeps the round trip near the bare cost of a call. The frame is
 *     [sp+0] r15, r14, r13, r12, rbx, rbp, [sp+48] return address
 * and a new context is that frame with the return address pointing at
 * df__coro_start, rbx = entry and r12 = arg (see df__coro_stack_init).
 */
#if defined(__x86_64__)

    .text
    .globl  df__coro_switch
    .hidden df__coro_switch
    .type   df__coro_switch, @function
    .p2align 4
/* void df__coro_switch(void **save_sp (rdi), void *to_sp (rsi)) */
df__coro_switch:
    .cfi_startproc
#if defined(__CET__)
    endbr64
#endif
    pushq   %rbp
    pushq   %rbx
    pushq   %r12
    pushq   %r13
    pushq   %r14
    pushq   %r15
    movq    %rsp, (%rdi)
    movq    %rsi, %rsp
    popq    %r15
    popq    %r14
    popq    %r13
    popq    %r12
    popq    %rbx
    popq    %rbp
    ret
    .cfi_endproc
    .size   df__coro_switch, .-df__coro_switch

    .globl  df__coro_start
    .hidden df__coro_start
    .type   df__coro_start, @function
    .p2align 4
/* First "return" of a new context: rsp is 16-byte aligned here, so the call
 * below enters entry with rsp % 16 == 8 as the ABI requires. */
df__coro_start:
    .cfi_startproc
    .cfi_undefined rip      /* outermost frame: debuggers stop here */
#if defined(__CET__)
    endbr64
#endif
    movq    %r12, %rdi
    call    *%rbx
    ud2                     /* entry must not return */
    .cfi_endproc
    .size   df__coro_start, .-df__coro_start

#endif /* __x86_64__ */

    .section .note.GNU-stack,"",%progbits
