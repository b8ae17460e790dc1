/* models/coro/switch.h - private to models/coro (and the bench): the bare
 * register switch of switch_x86_64.S / switch_aarch64.S.
 *
 * A suspended context is just a stack pointer: the callee-saved registers
 * and the return address sit on its own stack, pushed by df__coro_switch.
 * A new context is a stack prepared by df__coro_stack_init so that the first
 * switch to it "returns" into df__coro_start, which calls entry(arg) on a
 * 16-byte aligned stack. entry must never return (switch away instead).
 */
#ifndef DF_MODELS_CORO_SWITCH_H
#define DF_MODELS_CORO_SWITCH_H

#if defined(__x86_64__) || defined(__aarch64__)
#define DF_CORO_HAVE_ASM 1
#else
#define DF_CORO_HAVE_ASM 0
#endif

/* Saves the callee-saved registers on the current stack, stores the stack
 * pointer into *save_sp, loads to_sp and pops that context's registers. */
void df__coro_switch(void **save_sp, void *to_sp);

/* Writes the initial frame below stack_top (16-byte aligned) and returns
 * the stack pointer to pass to df__coro_switch. */
void *df__coro_stack_init(void *stack_top, void (*entry)(void *), void *arg);

#endif /* DF_MODELS_CORO_SWITCH_H */
