/* output.h: owns how replies print. An Auth reply is "key: value" lines, or with --json one
 * JSON object (json-c) on one line; a failure is one line on stderr, or a JSON object on
 * stdout. The admin commands print their own tables with cli_out_when and cli_out_json. */
#ifndef PHONEAUTH_CLI_OUTPUT_H
#define PHONEAUTH_CLI_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "cli.h"
#include "common/rpc_client.h"

/* A reply being printed: cli_out_begin (or cli_out_start), its fields, then cli_out_end (or
 * cli_out_print). */
struct cli_out {
	bool         json;
	json_object *obj; /* the JSON object so far; NULL for human output */
	bool         oom; /* a field could not be added: json-c ran out of memory */
};

/* Starts an empty JSON object when json, else nothing. */
void cli_out_start(struct cli_out *o, bool json);

/* Starts an OK reply with its user-facing message (human output leaves out an empty one). */
void cli_out_begin(struct cli_out *o, const struct cli_ctx *ctx, const struct pa_reply *r);

/* Human output leaves out empty strings (an unset optional field); JSON keeps them. */
void cli_out_str(struct cli_out *o, const char *key, const char *val);
void cli_out_uint(struct cli_out *o, const char *key, uint32_t val);
/* "yes"/"no" for people, true/false in JSON. */
void cli_out_bool(struct cli_out *o, const char *key, bool val);
/* A Unix time as ISO-8601 UTC; JSON also gets the number as key_unix. */
void cli_out_time(struct cli_out *o, const char *key, int64_t unix_s);

/* Prints the JSON object as one line, if any, and frees it. Returns 0, or 1 after saying that
 * memory ran out. */
int cli_out_print(struct cli_out *o);

/* cli_out_print, then clears r. Returns the exit status: 0, or 1 when the reply could not be
 * printed or stdout could not be written. */
int cli_out_end(struct cli_out *o, struct pa_reply *r);

/* Prints a non-OK reply ("INVALID_ARGUMENT (INVALID_PHONE): message" on stderr, or a JSON
 * object on stdout) and returns the exit status for it (1). */
int cli_out_failure(const struct cli_ctx *ctx, const struct pa_reply *r);

/* Prints o as one line of JSON and frees it (json_object_put). Returns 0, or 1 after saying
 * that memory ran out (o NULL, or no room for its text). */
int cli_out_json(json_object *o);

/* A new JSON string; NULL is "". */
json_object *cli_out_json_str(const char *s);

/* "2026-11-21 10:04:05Z" for unix ms, in out; "-" for 0 or less. */
const char *cli_out_when(int64_t ms, char out[32]);

#endif
