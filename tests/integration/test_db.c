/* test_db.c: the database layer against a real PostgreSQL: batches sent in one round trip
 * (pipeline mode), a failure half-way through one, the BEGIN that waits for the next statement,
 * and a connection lost under a batch. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "harness.h"

static char          db_url[512];
static struct pa_db *db, *other;

static const struct pa_stmt st_insert = { "INSERT INTO t (id, v) VALUES ($1::int, $2)", 2 };
static const struct pa_stmt st_count  = { "SELECT count(*) FROM t WHERE id = ANY ($1::int[])", 1 };
static const struct pa_stmt st_pid    = { "SELECT pg_backend_pid()", 0 };
static const struct pa_stmt st_kill   = { "SELECT pg_terminate_backend($1::int)", 1 };
static const struct pa_stmt st_status = { "SELECT current_setting('transaction_isolation')", 0 };

static long
count_ids(const char *ids)
{
	const char *params[1] = { ids };
	PGresult   *res;
	long        n;

	assert_int_equal(pa_db_exec(other, &st_count, params, &res), PA_OK);
	n = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return n;
}

static int
group_setup(void **state)
{
	if (harness_newdb(harness_pgdir(), "t_db", db_url, sizeof db_url) != 0
	    || pa_db_new(&db, db_url) != PA_OK || pa_db_new(&other, db_url) != PA_OK)
		return -1;
	return pa_db_exec_simple(db, "CREATE TABLE t (id int PRIMARY KEY, v text NOT NULL)")
	        == PA_OK
	    ? 0
	    : -1;
}

static int
group_teardown(void **state)
{
	pa_db_free(db);
	pa_db_free(other);
	return 0;
}

static void
test_batch_commits(void **state)
{
	const char       *a[2] = { "1", "one" }, *b[2] = { "2", "two" }, *ids[1] = { "{1,2}" };
	PGresult         *count   = NULL;
	struct pa_db_step steps[] = { { &st_insert, a, NULL, NULL }, { &st_insert, b, NULL, NULL },
		{ &st_count, ids, &count, NULL }, { &pa_db_commit_step, NULL, NULL, NULL } };

	assert_int_equal(pa_db_begin(db), PA_OK);
	assert_int_equal(pa_db_exec_batch(db, steps, 4), PA_OK);
	assert_non_null(count);
	assert_string_equal(PQgetvalue(count, 0, 0), "2"); /* the batch sees its own rows */
	PQclear(count);
	/* Committed: another connection sees both rows. */
	assert_int_equal(count_ids("{1,2}"), 2);
}

static void
test_batch_fails_half_way(void **state)
{
	const char       *a[2] = { "3", "three" }, *dup[2] = { "1", "again" }, *ids[1] = { "{3}" };
	PGresult         *first = (PGresult *) 1, *after = (PGresult *) 1;
	struct pa_db_step steps[] = { { &st_count, ids, &first, NULL },
		{ &st_insert, a, NULL, NULL }, { &st_insert, dup, NULL, NULL },
		{ &st_count, ids, &after, NULL }, { &pa_db_commit_step, NULL, NULL, NULL } };

	assert_int_equal(pa_db_begin(db), PA_OK);
	assert_int_equal(pa_db_exec_batch(db, steps, 5), PA_EDB);
	assert_string_equal(pa_db_sqlstate(db), "23505");
	/* Every out is NULL on an error, the ones before the failure too. */
	assert_null(first);
	assert_null(after);
	/* The COMMIT after the failure did not run: the transaction is open and aborted. */
	pa_db_rollback(db);
	assert_int_equal(count_ids("{3}"), 0);
	/* The connection is still good. */
	assert_int_equal(pa_db_exec(db, &st_insert, a, NULL), PA_OK);
	assert_int_equal(count_ids("{3}"), 1);
}

static void
test_begin_waits_for_a_statement(void **state)
{
	const char *a[2] = { "4", "four" };
	PGresult   *res;

	/* Nothing sent, nothing to commit. */
	assert_int_equal(pa_db_begin(db), PA_OK);
	assert_int_equal(pa_db_commit(db), PA_OK);
	assert_true(pa_db_connected(db));

	/* The BEGIN goes out with the first statement: a rollback undoes it. */
	assert_int_equal(pa_db_begin(db), PA_OK);
	assert_int_equal(pa_db_begin(db), PA_EINTERNAL); /* no nesting */
	assert_int_equal(pa_db_exec(db, &st_insert, a, NULL), PA_OK);
	pa_db_rollback(db);
	assert_int_equal(count_ids("{4}"), 0);

	/* Likewise before constant SQL. */
	assert_int_equal(pa_db_begin(db), PA_OK);
	assert_int_equal(
	    pa_db_exec_simple(db, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"), PA_OK);
	assert_int_equal(pa_db_exec(db, &st_status, NULL, &res), PA_OK);
	assert_string_equal(PQgetvalue(res, 0, 0), "repeatable read");
	PQclear(res);
	assert_int_equal(pa_db_exec_simple(db, "INSERT INTO t (id, v) VALUES (4, 'four')"), PA_OK);
	pa_db_rollback(db);
	assert_int_equal(count_ids("{4}"), 0);

	/* A rolled-back BEGIN that never went out leaves nothing behind. */
	assert_int_equal(pa_db_begin(db), PA_OK);
	pa_db_rollback(db);
	assert_int_equal(pa_db_exec(db, &st_insert, a, NULL), PA_OK);
	assert_int_equal(count_ids("{4}"), 1);
}

static void
test_connection_lost_under_a_batch(void **state)
{
	const char       *a[2] = { "5", "five" }, *ids[1] = { "{5}" }, *kill[1];
	char              pid[16];
	PGresult         *res, *count = (PGresult *) 1;
	struct pa_db_step steps[] = { { &st_insert, a, NULL, NULL },
		{ &st_count, ids, &count, NULL }, { &pa_db_commit_step, NULL, NULL, NULL } };

	assert_int_equal(pa_db_exec(db, &st_pid, NULL, &res), PA_OK);
	(void) snprintf(pid, sizeof pid, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	kill[0] = pid;
	assert_int_equal(pa_db_exec(other, &st_kill, kill, &res), PA_OK);
	assert_string_equal(PQgetvalue(res, 0, 0), "t");
	PQclear(res);

	assert_int_equal(pa_db_begin(db), PA_OK);
	assert_int_equal(pa_db_exec_batch(db, steps, 3), PA_EUNAVAILABLE);
	assert_null(count);
	assert_false(pa_db_connected(db));
	pa_db_rollback(db);
	assert_int_equal(count_ids("{5}"), 0);

	/* A later call reconnects (after the first backoff) and works. */
	harness_sleep_ms(100);
	assert_int_equal(pa_db_begin(db), PA_OK);
	assert_int_equal(pa_db_exec_batch(db, steps, 3), PA_OK);
	assert_string_equal(PQgetvalue(count, 0, 0), "1");
	PQclear(count);
	assert_int_equal(count_ids("{5}"), 1);
}

static void
test_batch_too_long(void **state)
{
	const char       *ids[1] = { "{}" };
	struct pa_db_step steps[17];

	for (size_t i = 0; i < 17; i++)
		steps[i] = (struct pa_db_step) { &st_count, ids, NULL, NULL };
	assert_int_equal(pa_db_exec_batch(db, steps, 17), PA_EINVAL);
	assert_int_equal(pa_db_exec_batch(db, steps, 16), PA_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_commits),
		cmocka_unit_test(test_batch_fails_half_way),
		cmocka_unit_test(test_begin_waits_for_a_statement),
		cmocka_unit_test(test_connection_lost_under_a_batch),
		cmocka_unit_test(test_batch_too_long),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
