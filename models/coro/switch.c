/* models/coro/switch.c - the first frame of a new context for the asm
 * switch: what df__coro_switch will pop, laid out as the .S files expect. */
#include "models/coro/switch.h"

#include <stdint.h>

#if DF_CORO_HAVE_ASM
void df__coro_start(void);

void *df__coro_stack_init(void *stack_top, void (*entry)(void *), void *arg)
{
    uintptr_t top = (uintptr_t)stack_top & ~(uintptr_t)15;
#if defined(__x86_64__)
    /* Six registers and the return address; after df__coro_switch pops
     * them and returns, rsp = top - 16, aligned for df__coro_start's call. */
    uintptr_t *sp = (uintptr_t *)(top - 72);
    sp[0] = 0;                         /* r15 */
    sp[1] = 0;                         /* r14 */
    sp[2] = 0;                         /* r13 */
    sp[3] = (uintptr_t)arg;            /* r12 */
    sp[4] = (uintptr_t)entry;          /* rbx */
    sp[5] = 0;                         /* rbp: end of frame chain */
    sp[6] = (uintptr_t)df__coro_start; /* return address */
    sp[7] = 0;
    sp[8] = 0;
#else
    uintptr_t *sp = (uintptr_t *)(top - 160);
    for (int i = 0; i < 20; i++)
        sp[i] = 0;
    sp[0] = (uintptr_t)entry;           /* x19 */
    sp[1] = (uintptr_t)arg;             /* x20 */
    sp[11] = (uintptr_t)df__coro_start; /* x30 */
#endif
    return sp;
}
#endif
