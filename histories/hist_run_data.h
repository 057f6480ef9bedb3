/* SPDX-License-Identifier: MIT */
/* hist_run_data.h - the nodes' folders of a run directory (<run>/nodes/<name>.data), for the
 * checkers that read the nodes' evidence. */
#ifndef HIST_RUN_DATA_H
#define HIST_RUN_DATA_H

#include <stdint.h>

struct errbuf;

enum { HIST_RUN_DATA_NAME_BYTES_MAX = 64 };     /* "n12.data" and its NUL, with room */

/* hist_run_data_dirs() - the names of the <name>.data folders under @nodes (a run's nodes
 * folder), sorted; *@count is 0 when @nodes is absent. Return: 0; -E2BIG past @max
 * folders or a longer name; -errno (@eb names the folder). */
int hist_run_data_dirs(const char *nodes, char (*names)[HIST_RUN_DATA_NAME_BYTES_MAX],
		       uint32_t max, uint32_t *count, struct errbuf *eb);

#endif /* HIST_RUN_DATA_H */
