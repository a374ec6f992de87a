/* db.c: a thread-owned PostgreSQL connection with lazy connect, reconnect backoff, per-connection
 * prepared statements, and batches of statements sent in one round trip (pipeline mode). */
#include "common/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/metrics.h"

#define DB_MAX_PREPARED 128
#define DB_MAX_BATCH 16
#define DB_MAX_PARAMS 32
#define DB_BACKOFF_MIN_MS 50
#define DB_BACKOFF_MAX_MS 1000

struct pa_db {
	char                 *url;
	PGconn               *conn;
	uint64_t              next_attempt_ns;
	unsigned              backoff_ms;
	unsigned              nprepared;
	const struct pa_stmt *prepared[DB_MAX_PREPARED];
	bool                  begin_pending; /* BEGIN goes out with the next statement */
	char                  sqlstate[6];
	char                  errmsg[256];
};

pa_err
pa_db_new(struct pa_db **out, const char *url)
{
	struct pa_db *db;

	if ((db = calloc(1, sizeof *db)) == NULL)
		return PA_ENOMEM;
	if ((db->url = strdup(url)) == NULL) {
		free(db);
		return PA_ENOMEM;
	}
	*out = db;
	return PA_OK;
}

static void
db_drop(struct pa_db *db)
{
	PQfinish(db->conn);
	db->conn          = NULL;
	db->nprepared     = 0;
	db->begin_pending = false;
}

void
pa_db_free(struct pa_db *db)
{
	if (db == NULL)
		return;
	db_drop(db);
	free(db->url);
	free(db);
}

static void
db_set_error(struct pa_db *db, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg   = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	(void) snprintf(db->sqlstate, sizeof db->sqlstate, "%s", state ? state : "");
	if (msg == NULL && db->conn != NULL)
		msg = PQerrorMessage(db->conn);
	(void) snprintf(db->errmsg, sizeof db->errmsg, "%s", msg ? msg : "");
	/* libpq messages end in a newline; logs want one line. */
	for (char *p = db->errmsg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

static void
db_ignore_notice(void *arg, const char *message)
{
}

pa_err
pa_db_ready(struct pa_db *db)
{
	/* Defaults first: values in the URL come later and win. */
	const char *const keys[]
	    = { "connect_timeout", "application_name", "keepalives_idle", "dbname", NULL };
	const char *const vals[] = { "3", "phoneauth", "30", db->url, NULL };
	uint64_t          now;

	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
		return PA_OK;
	if (db->conn != NULL)
		db_drop(db);
	now = pa_now_ns();
	if (now < db->next_attempt_ns)
		return PA_EUNAVAILABLE;
	db->conn = PQconnectdbParams(keys, vals, 1);
	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK) {
		/* NOTICEs would otherwise go raw to stderr and break the logfmt stream. */
		PQsetNoticeProcessor(db->conn, db_ignore_notice, NULL);
		db->backoff_ms = 0;
		return PA_OK;
	}
	db_set_error(db, NULL);
	db_drop(db);
	db->backoff_ms = db->backoff_ms == 0 ? DB_BACKOFF_MIN_MS : db->backoff_ms * 2;
	if (db->backoff_ms > DB_BACKOFF_MAX_MS)
		db->backoff_ms = DB_BACKOFF_MAX_MS;
	db->next_attempt_ns = now + (uint64_t) db->backoff_ms * 1000000u;
	return PA_EUNAVAILABLE;
}

/* Maps a failed result: a dead connection is dropped and reported unavailable. */
static pa_err
db_fail(struct pa_db *db, PGresult *res)
{
	db_set_error(db, res);
	PQclear(res);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		db_drop(db);
		return PA_EUNAVAILABLE;
	}
	return PA_EDB;
}

static int
db_prepared_index(struct pa_db *db, const struct pa_stmt *st, pa_err *err)
{
	char      name[16];
	PGresult *res;

	for (unsigned i = 0; i < db->nprepared; i++)
		if (db->prepared[i] == st)
			return (int) i;
	if (db->nprepared == DB_MAX_PREPARED) {
		*err = PA_EINTERNAL;
		return -1;
	}
	(void) snprintf(name, sizeof name, "s%u", db->nprepared);
	res = PQprepare(db->conn, name, st->sql, st->nparams, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		*err = db_fail(db, res);
		return -1;
	}
	PQclear(res);
	db->prepared[db->nprepared] = st;
	return (int) db->nprepared++;
}

static const struct pa_stmt db_begin_step     = { "BEGIN", 0 };
const struct pa_stmt        pa_db_commit_step = { "COMMIT", 0 };

/* Clears the outs of steps[0..n) after a failure. */
static void
db_clear_outs(const struct pa_db_step *steps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (steps[i].out != NULL) {
			PQclear(*steps[i].out);
			*steps[i].out = NULL;
		}
	}
}

/* A pipeline that broke half-way: the connection is no use any more. */
static pa_err
db_pipeline_lost(struct pa_db *db, PGresult *res)
{
	db_set_error(db, res);
	PQclear(res);
	db_drop(db);
	return PA_EUNAVAILABLE;
}

/* libpq's per-parameter formats for lengths (see PA_DB_TEXT); NULL when all are text. */
static const int *
db_formats(const struct pa_stmt *st, const int *lengths, int formats[DB_MAX_PARAMS])
{
	if (lengths == NULL)
		return NULL;
	for (int i = 0; i < st->nparams && i < DB_MAX_PARAMS; i++)
		formats[i] = lengths[i] >= 0;
	return formats;
}

/* Sends every step (the pending BEGIN first), then reads each one's result. */
static pa_err
db_pipeline(struct pa_db *db, const struct pa_db_step *steps, size_t n, const int *idx)
{
	char      name[16];
	PGresult *res;
	pa_err    first = PA_OK;
	bool      begin = db->begin_pending;

	if (PQenterPipelineMode(db->conn) != 1)
		return db_pipeline_lost(db, NULL);
	if (begin
	    && PQsendQueryParams(db->conn, db_begin_step.sql, 0, NULL, NULL, NULL, NULL, 0) != 1)
		return db_pipeline_lost(db, NULL);
	for (size_t i = 0; i < n; i++) {
		(void) snprintf(name, sizeof name, "s%d", idx[i]);
		int formats[DB_MAX_PARAMS];

		if (PQsendQueryPrepared(db->conn, name, steps[i].st->nparams, steps[i].params,
		        steps[i].lengths, db_formats(steps[i].st, steps[i].lengths, formats), 0)
		    != 1)
			return db_pipeline_lost(db, NULL);
	}
	if (PQpipelineSync(db->conn) != 1)
		return db_pipeline_lost(db, NULL);
	db->begin_pending = false;
	for (size_t i = 0; i < n + (begin ? 1 : 0); i++) {
		const struct pa_db_step *step = begin ? (i == 0 ? NULL : &steps[i - 1]) : &steps[i];
		ExecStatusType           status;

		if ((res = PQgetResult(db->conn)) == NULL)
			return db_pipeline_lost(db, NULL);
		status = PQresultStatus(res);
		if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
			if (step != NULL && step->out != NULL && first == PA_OK)
				*step->out = res;
			else
				PQclear(res);
		} else if (status == PGRES_PIPELINE_ABORTED) {
			PQclear(res);
		} else if (PQstatus(db->conn) != CONNECTION_OK) {
			return db_pipeline_lost(db, res);
		} else {
			if (first == PA_OK) {
				db_set_error(db, res);
				first = PA_EDB;
			}
			PQclear(res);
		}
		/* Each statement's results end with a NULL. */
		if ((res = PQgetResult(db->conn)) != NULL)
			return db_pipeline_lost(db, res);
	}
	res = PQgetResult(db->conn);
	if (PQresultStatus(res) != PGRES_PIPELINE_SYNC)
		return db_pipeline_lost(db, res);
	PQclear(res);
	if (PQexitPipelineMode(db->conn) != 1)
		return db_pipeline_lost(db, NULL);
	return first;
}

pa_err
pa_db_exec_batch(struct pa_db *db, const struct pa_db_step *steps, size_t n)
{
	int    idx[DB_MAX_BATCH];
	pa_err rv;

	for (size_t i = 0; i < n; i++)
		if (steps[i].out != NULL)
			*steps[i].out = NULL;
	if (n > DB_MAX_BATCH)
		return PA_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (steps[i].st->nparams > DB_MAX_PARAMS)
			return PA_EINVAL;
	if ((rv = pa_db_ready(db)) != PA_OK)
		return rv;
	/* Preparing needs its own round trips, so it happens before the pipeline (once per
	 * statement and connection). */
	for (size_t i = 0; i < n; i++)
		if ((idx[i] = db_prepared_index(db, steps[i].st, &rv)) < 0)
			return rv;
	if ((rv = db_pipeline(db, steps, n, idx)) != PA_OK) {
		db_clear_outs(steps, n);
		return rv;
	}
	db->sqlstate[0] = '\0';
	return PA_OK;
}

pa_err
pa_db_exec(struct pa_db *db, const struct pa_stmt *st, const char *const *params, PGresult **out)
{
	return pa_db_exec_len(db, st, params, NULL, out);
}

pa_err
pa_db_exec_len(struct pa_db *db, const struct pa_stmt *st, const char *const *params,
    const int *lengths, PGresult **out)
{
	char           name[16];
	int            formats[DB_MAX_PARAMS];
	PGresult      *res;
	ExecStatusType status;
	pa_err         rv;
	int            idx;

	if (out != NULL)
		*out = NULL;
	if (st->nparams > DB_MAX_PARAMS)
		return PA_EINVAL;
	if (db->begin_pending)
		return pa_db_exec_batch(db, &(struct pa_db_step) { st, params, out, lengths }, 1);
	if ((rv = pa_db_ready(db)) != PA_OK)
		return rv;
	if ((idx = db_prepared_index(db, st, &rv)) < 0)
		return rv;
	(void) snprintf(name, sizeof name, "s%d", idx);
	res = PQexecPrepared(
	    db->conn, name, st->nparams, params, lengths, db_formats(st, lengths, formats), 0);
	status = PQresultStatus(res);
	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
		return db_fail(db, res);
	db->sqlstate[0] = '\0';
	if (out != NULL)
		*out = res;
	else
		PQclear(res);
	return PA_OK;
}

pa_err
pa_db_exec_simple(struct pa_db *db, const char *sql)
{
	PGresult      *res;
	ExecStatusType status;
	pa_err         rv;

	if ((rv = pa_db_ready(db)) != PA_OK)
		return rv;
	if (db->begin_pending) {
		db->begin_pending = false;
		if ((rv = pa_db_exec_simple(db, "BEGIN")) != PA_OK)
			return rv;
	}
	res    = PQexec(db->conn, sql);
	status = PQresultStatus(res);
	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
		return db_fail(db, res);
	PQclear(res);
	return PA_OK;
}

pa_err
pa_db_begin(struct pa_db *db)
{
	pa_err rv;

	/* Connecting now keeps "the database is down" where callers expect it. */
	if ((rv = pa_db_ready(db)) != PA_OK)
		return rv;
	if (db->begin_pending || PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
		(void) snprintf(db->errmsg, sizeof db->errmsg, "BEGIN inside a transaction");
		return PA_EINTERNAL;
	}
	db->begin_pending = true;
	return PA_OK;
}

pa_err
pa_db_commit(struct pa_db *db)
{
	/* A transaction that never sent a statement has nothing to commit. */
	if (db->begin_pending) {
		db->begin_pending = false;
		return PA_OK;
	}
	return pa_db_exec_simple(db, "COMMIT");
}

void
pa_db_rollback(struct pa_db *db)
{
	PGresult *res;

	db->begin_pending = false;
	if (db->conn == NULL || PQtransactionStatus(db->conn) == PQTRANS_IDLE)
		return;
	/* A failed ROLLBACK means the connection is gone, and with it the transaction. */
	res = PQexec(db->conn, "ROLLBACK");
	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQstatus(db->conn) != CONNECTION_OK)
		db_drop(db);
	PQclear(res);
}

const char *
pa_db_sqlstate(const struct pa_db *db)
{
	return db->sqlstate;
}

const char *
pa_db_errmsg(const struct pa_db *db)
{
	return db->errmsg;
}

bool
pa_db_connected(const struct pa_db *db)
{
	return db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK;
}

pa_err
pa_db_bytea(const PGresult *res, int row, int col, unsigned char *out, size_t outsz)
{
	unsigned char *raw;
	size_t         len;
	pa_err         rv = PA_EINVAL;

	if (PQgetisnull(res, row, col))
		return PA_EINVAL;
	raw = PQunescapeBytea((const unsigned char *) PQgetvalue(res, row, col), &len);
	if (raw == NULL)
		return PA_ENOMEM;
	if (len == outsz) {
		memcpy(out, raw, len);
		rv = PA_OK;
	}
	PQfreemem(raw);
	return rv;
}
