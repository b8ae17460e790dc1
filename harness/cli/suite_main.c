/* harness/cli/suite_main.c - `duckfeed suite` bound to the real `duckfeed run`.
 *
 * Apart from suite_cli.c so that test_suite links it with a fake run and
 * without the runner and every model behind df_run_main.
 */
#include "harness/suite/suite.h"

#include "harness/cli/run.h"

int df_suite_main(int argc, char **argv)
{
    return df_suite_main_with(argc, argv, df_run_main);
}
