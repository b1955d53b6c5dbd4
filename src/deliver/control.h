/*
 * control.h - the control socket of a running server, for the queue commands of the CLI.
 */
#ifndef TERN_DELIVER_CONTROL_H
#define TERN_DELIVER_CONTROL_H

#include <uv.h>

#include "deliver/deliver.h"
#include "lib/log.h"

struct control;

/* Listens on DATA_DIR/control.sock (0600). NULL (logged) when it cannot: the server runs on
 * without it. */
struct control *control_open(uv_loop_t *loop, const char *data_dir, struct deliver *d,
			     struct logger *log);
void control_close(struct control *ctl); /* NULL is fine */

#endif
