/* db.h: one PostgreSQL connection owned by one thread. It connects lazily, reconnects with
 * backoff after a loss, answers PA_EUNAVAILABLE meanwhile, and prepares each statement once per
 * connection. SQL text is always constant; data goes only through parameters. */
#ifndef PHONEAUTH_COMMON_DB_H
#define PHONEAUTH_COMMON_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "common/err.h"

struct pa_db;

/* A statement: declare them `static const struct pa_stmt` next to the code that runs them (the
 * store module that owns its table). */
struct pa_stmt {
	const char *sql;
	int         nparams;
};

/* Parameter lengths (pa_db_exec_len, struct pa_db_step): an entry of 0 or more sends that
 * parameter as that many raw bytes in libpq's binary format (for bytea: no hex encoding on our
 * side); PA_DB_TEXT sends it as text, as a NULL lengths array does for every parameter. */
#define PA_DB_TEXT (-1)

/* Prepares a handle for url (libpq URI or conninfo) without connecting yet. */
pa_err pa_db_new(struct pa_db **out, const char *url) PA_MUSTCHECK;
void   pa_db_free(struct pa_db *db);

/* Connects if needed. PA_EUNAVAILABLE while the database cannot be reached; attempts are
 * spaced by a backoff from 50 ms up to 1 s so a down database costs little. */
pa_err pa_db_ready(struct pa_db *db) PA_MUSTCHECK;

/* Runs st with params (NULL entries are SQL NULL). On PA_OK *out holds the result, which the
 * caller PQclear()s (out may be NULL to discard it). PA_EUNAVAILABLE when the connection is
 * lost (it is dropped and re-established by a later call); PA_EDB for an SQL error, whose
 * SQLSTATE pa_db_sqlstate() then returns. */
pa_err pa_db_exec(struct pa_db *db, const struct pa_stmt *st, const char *const *params,
    PGresult **out) PA_MUSTCHECK;

/* pa_db_exec with parameter lengths (see PA_DB_TEXT); lengths NULL: all text. */
pa_err pa_db_exec_len(struct pa_db *db, const struct pa_stmt *st, const char *const *params,
    const int *lengths, PGresult **out) PA_MUSTCHECK;

/* Copies the bytea value at (row, col) of a text-format result into out, decoded by libpq
 * (PQunescapeBytea). PA_EINVAL when it is NULL, does not decode, or is not exactly outsz bytes
 * long. */
pa_err pa_db_bytea(
    const PGresult *res, int row, int col, unsigned char *out, size_t outsz) PA_MUSTCHECK;

/* One statement of a batch; out, when not NULL, receives its result as pa_db_exec's would. */
struct pa_db_step {
	const struct pa_stmt *st;
	const char *const    *params;
	PGresult            **out;
	const int            *lengths; /* as pa_db_exec_len's; NULL: every parameter is text */
};

/* COMMIT as a batch step, to end a transaction in the same round trip as its last statements. */
extern const struct pa_stmt pa_db_commit_step;

/* Runs steps[0..n) in order in one round trip (libpq's pipeline mode): for statements whose
 * results do not decide what is sent next. Errors as pa_db_exec's, from the first step that
 * failed; PostgreSQL skips the steps after it. On PA_OK each out holds its result, for the
 * caller to PQclear; on an error every out is NULL. */
pa_err pa_db_exec_batch(struct pa_db *db, const struct pa_db_step *steps, size_t n) PA_MUSTCHECK;

/* Runs constant SQL without parameters (BEGIN, COMMIT, migration files). */
pa_err pa_db_exec_simple(struct pa_db *db, const char *sql) PA_MUSTCHECK;

/* Starts a transaction. The BEGIN itself waits for the next statement (or batch) and goes in
 * the same round trip: a call returns PA_OK without one, and errors surface there. */
pa_err pa_db_begin(struct pa_db *db) PA_MUSTCHECK;
pa_err pa_db_commit(struct pa_db *db) PA_MUSTCHECK;
/* Rolls back if a transaction is open; safe to call on any path. */
void pa_db_rollback(struct pa_db *db);

/* SQLSTATE of the last PA_EDB ("23505"), or "" when none. */
const char *pa_db_sqlstate(const struct pa_db *db);
/* Primary message of the last error, for logs (never contains parameters). */
const char *pa_db_errmsg(const struct pa_db *db);

/* True when the connection is up right now (no round trip). */
bool pa_db_connected(const struct pa_db *db);

#endif
