/* tests/test_coro.c - coroutines: switch kinds, stack kinds, guard pages. */
#define _GNU_SOURCE
/* cmocka 1.1.5 wants <stdarg.h> <stddef.h> <setjmp.h> <stdint.h> first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* after the four it needs, not sorted among them */
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "models/coro/coro.h"

#include "tests/valgrind_shim.h"

static const df_coro_cfg kinds[] = {
    { DF_SWITCH_ASM, DF_STACK_DEDICATED, 0, 0 },
    { DF_SWITCH_ASM, DF_STACK_SHARED, 0, 0 },
    { DF_SWITCH_UCONTEXT, DF_STACK_DEDICATED, 0, 0 },
    { DF_SWITCH_UCONTEXT, DF_STACK_SHARED, 0, 0 },
};
#define NKINDS (int)(sizeof kinds / sizeof kinds[0])

typedef struct pingpong {
    df_coro_pool *pool;
    int id;
    int steps;
    int *log;
    int *nlog;
} pingpong;

/* Keeps a stack array across yields, so a bad shared-stack copy shows. */
static void pingpong_fn(void *arg)
{
    pingpong *pp = arg;
    volatile int local[64];

    for (int i = 0; i < 64; i++)
        local[i] = pp->id * 1000 + i;
    for (int s = 0; s < pp->steps; s++) {
        pp->log[(*pp->nlog)++] = pp->id;
        df_coro_yield(pp->pool);
        for (int i = 0; i < 64; i++)
            if (local[i] != pp->id * 1000 + i)
                pp->log[(*pp->nlog)++] = -1;
    }
}

static void test_coro_interleave_keeps_frames(void **state)
{
    (void)state;
    for (int k = 0; k < NKINDS; k++) {
        /* glibc's swapcontext spills below the saved stack pointer, which
         * valgrind reports on a copied-out shared stack; the combination is
         * checked functionally here and under ASan, not under valgrind. */
        if (RUNNING_ON_VALGRIND && kinds[k].switch_kind == DF_SWITCH_UCONTEXT &&
            kinds[k].stack_kind == DF_STACK_SHARED)
            continue;
        df_coro_pool *pool = NULL;
        df_coro *co[8];
        pingpong pp[8];
        int log[8 * 5 + 16];
        int nlog = 0;
        assert_int_equal(df_coro_pool_create(&kinds[k], &pool, NULL), 0);
        for (int i = 0; i < 8; i++) {
            pp[i] = (pingpong){ pool, i + 1, 5, log, &nlog };
            assert_int_equal(
                df_coro_create(pool, pingpong_fn, &pp[i], &co[i], NULL), 0);
        }

        int alive = 8, rounds = 0;
        while (alive > 0 && rounds++ < 10) {
            for (int i = 0; i < 8; i++) {
                if (co[i] && df_coro_resume(co[i]) == 0) {
                    co[i] = NULL;
                    alive--;
                }
            }
        }

        assert_int_equal(alive, 0);
        assert_int_equal(nlog, 8 * 5);
        for (int s = 0; s < 5; s++)
            for (int i = 0; i < 8; i++)
                assert_int_equal(log[s * 8 + i], i + 1);
        df_coro_pool_destroy(pool);
    }
}

static void count_fn(void *arg)
{
    (*(int *)arg)++;
}

static void test_coro_reuses_finished(void **state)
{
    df_coro_pool *pool = NULL;
    df_coro_pool_stats st;
    int n = 0;

    (void)state;
    assert_int_equal(df_coro_pool_create(&kinds[0], &pool, NULL), 0);
    for (int i = 0; i < 1000; i++) {
        df_coro *co;
        assert_int_equal(df_coro_create(pool, count_fn, &n, &co, NULL), 0);
        assert_int_equal(df_coro_resume(co), 0);
    }
    df_coro_pool_stats_get(pool, &st);

    assert_int_equal(n, 1000);
    assert_int_equal(st.stacks_mapped, 1);
    assert_int_equal(st.live, 0);
    df_coro_pool_destroy(pool);
}

static void test_coro_user_area(void **state)
{
    df_coro_cfg cfg = kinds[0];
    df_coro_pool *pool = NULL;
    df_coro *co;
    int n = 0;

    (void)state;
    cfg.user_bytes = 40;
    assert_int_equal(df_coro_pool_create(&cfg, &pool, NULL), 0);
    assert_int_equal(df_coro_create(pool, count_fn, &n, &co, NULL), 0);
    void *u = df_coro_user(co);

    assert_int_equal((uintptr_t)u % 16, 0);
    assert_ptr_equal(df_coro_from_user(u), co);
    memset(u, 0xab, 40);
    assert_int_equal(df_coro_resume(co), 0);
    assert_int_equal(n, 1);
    df_coro_pool_destroy(pool);
}

static void test_coro_create_einval(void **state)
{
    df_coro_cfg cfg = kinds[0];
    df_coro_pool *pool = NULL;
    df_err err = { 0 };

    (void)state;
    cfg.stack_size_bytes = 1024;
    assert_int_equal(df_coro_pool_create(&cfg, &pool, &err), -EINVAL);
    assert_null(pool);
    assert_non_null(strstr(err.msg, "minimum"));
}

/* Bounded only by a limit no stack reaches, so compilers see no
 * infinite recursion and keep the frames. */
static int recurse(int depth, int limit)
{
    volatile char pad[256];
    pad[0] = (char)depth;
    if (depth >= limit)
        return pad[0];
    return recurse(depth + 1, limit) + pad[0];
}

static void overflow_fn(void *arg)
{
    (void)arg;
    recurse(0, 1 << 30);
}

/* In a child: overflow a coroutine stack. Returns the child's status and
 * what it wrote to stderr. */
static int run_overflow_child(const df_coro_cfg *cfg, char *out, size_t n)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        df_coro_pool *pool = NULL;
        df_coro *co;
        dup2(fds[1], 2);
        close(fds[0]);
        if (df_coro_thread_init(NULL) < 0 ||
            df_coro_pool_create(cfg, &pool, NULL) < 0 ||
            df_coro_create(pool, overflow_fn, NULL, &co, NULL) < 0)
            _exit(4); /* 3 is df_runner_abort_point's own code */
        df_coro_resume(co);
        _exit(0);
    }
    close(fds[1]);
    size_t got = 0;
    ssize_t r;
    while (got + 1 < n && (r = read(fds[0], out + got, n - 1 - got)) > 0)
        got += (size_t)r;
    out[got] = 0;
    close(fds[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    return st;
}

static void test_coro_overflow_reported(void **state)
{
    (void)state;
    for (int k = 0; k < 2; k++) {
        char out[512];
        int st = run_overflow_child(&kinds[k], out, sizeof out);

        assert_false(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        assert_false(WIFEXITED(st) && WEXITSTATUS(st) == 4);
        assert_non_null(strstr(out, "stack overflow in a coroutine"));
    }
}

/* Dedicated stacks stop with a clear error before the kernel's mapping
 * limit, instead of failing somewhere obscure. Stacks are never touched,
 * so this costs address space, not memory. */
static void test_coro_vma_limit_enomem(void **state)
{
    df_coro_cfg cfg = kinds[0];
    df_coro_pool *pool = NULL;
    df_err err = { 0 };
    int rc = 0, n = 0;

    (void)state;
    if (RUNNING_ON_VALGRIND)
        skip(); /* valgrind itself cannot track 64k mappings */
    cfg.stack_size_bytes = DF_CORO_MIN_STACK_BYTES;
    assert_int_equal(df_coro_pool_create(&cfg, &pool, NULL), 0);
    long budget = df_coro_vma_budget();
    while (n < 100000) {
        df_coro *co;
        rc = df_coro_create(pool, count_fn, NULL, &co, &err);
        if (rc < 0)
            break;
        n++;
    }

    assert_int_equal(rc, -ENOMEM);
    assert_non_null(strstr(err.msg, "vm.max_map_count"));
    /* Slabs cost one mapping per ~200 stacks on top of two each. */
    assert_true(n <= budget && n >= budget - budget / 50);
    df_coro_pool_destroy(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_coro_interleave_keeps_frames),
        cmocka_unit_test(test_coro_reuses_finished),
        cmocka_unit_test(test_coro_user_area),
        cmocka_unit_test(test_coro_create_einval),
        cmocka_unit_test(test_coro_overflow_reported),
        cmocka_unit_test(test_coro_vma_limit_enomem),
    };
    return cmocka_run_group_tests_name("coro", tests, NULL, NULL);
}
