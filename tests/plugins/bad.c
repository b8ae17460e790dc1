/* tests/plugins/bad.c - one broken plugin per BAD_<case>, for test_registry.
 *
 * Built once per case by tests/registry.cmake; each defines what its name
 * says is wrong and is otherwise a valid plugin.
 */
#include <duckfeed/workload.h>

#if !defined(BAD_nohandle)
static int bad_handle(df_ctx *ctx)
{
    (void)ctx;
    return 0;
}
#endif

#if defined(BAD_badparam)
static const df_param_decl decls[] = {
    { "us", DF_PARAM_DURATION, "abc", "us", "a default that does not parse" },
    { NULL, 0, NULL, NULL, NULL },
};
#elif defined(BAD_badunit)
static const df_param_decl decls[] = {
    { "t", DF_PARAM_DURATION, "5", "fortnight", "an unknown unit" },
    { NULL, 0, NULL, NULL, NULL },
};
#elif defined(BAD_nodefault)
static const df_param_decl decls[] = {
    { "n", DF_PARAM_INT, NULL, NULL, "no default" },
    { NULL, 0, NULL, NULL, NULL },
};
#elif defined(BAD_badtype)
static const df_param_decl decls[] = {
    { "n", (df_param_type)9, "1", NULL, "a type from the future" },
    { NULL, 0, NULL, NULL, NULL },
};
#elif defined(BAD_dupparam)
static const df_param_decl decls[] = {
    { "n", DF_PARAM_INT, "1", NULL, "once" },
    { "n", DF_PARAM_INT, "2", NULL, "twice" },
    { NULL, 0, NULL, NULL, NULL },
};
#else
#define decls NULL
#endif

static const df_workload table = {
#if defined(BAD_abi)
    .abi_version = DF_WORKLOAD_ABI_VERSION + 1,
#else
    .abi_version = DF_WORKLOAD_ABI_VERSION,
#endif
#if defined(BAD_noname)
    .name = NULL,
#elif defined(BAD_badname)
    .name = "Bad Name",
#elif defined(BAD_dupname)
    .name = "cpu",
#else
    .name = "bad_" BAD_NAME,
#endif
    .summary = "a plugin broken on purpose",
    .kind = DF_KIND_CPU,
    .params = decls,
#if !defined(BAD_nohandle)
    .handle = bad_handle,
#endif
};

#if defined(BAD_nosymbol)
const df_workload *duckfeed_workload_typo(void)
#else
const df_workload *duckfeed_workload(void)
#endif
{
#if defined(BAD_nullentry)
    (void)table;
    return NULL;
#else
    return &table;
#endif
}
