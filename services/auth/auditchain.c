/* auditchain.c: makes the audit trail tamper-evident. A background thread signs each new range
 * of audit rows into a hash chain (audit_checkpoints); verify recomputes the chain and names the
 * first row or checkpoint that no longer matches. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "auditchain.h"
#include "auth.h"
#include "common/log.h"
#include "common/metrics.h"

#define HASH_BYTES 32
#define ENTRY_BYTES (8 + HASH_BYTES) /* id, big-endian, then the row's digest */
#define RANGE_MAX 4096 /* rows per checkpoint: bounds memory and lock-free time */
#define ROW_COLS 11

static const char row_tag[]  = "phoneauth audit row v1";
static const char ckpt_tag[] = "phoneauth audit checkpoint v1";

/* The canonical form of a row: every column as text (NULL kept apart from ""), the time in
 * microseconds so no formatting setting can change it. (No "id::text": ORDER BY id would then
 * sort the text column, "10" before "2".) */
static const struct pa_stmt st_rows
    = { "SELECT id, (extract(epoch FROM at) * 1000000)::bigint::text, event, actor,"
	" user_id::text, phone_masked, verification_id::text, message_sid, end_user_ip::text,"
	" outcome, detail::text FROM audit_events"
	" WHERE id > $1::bigint AND id <= $2::bigint ORDER BY id",
	      2 };
static const struct pa_stmt st_max = { "SELECT coalesce(max(id), 0) FROM audit_events", 0 };
static const struct pa_stmt st_last
    = { "SELECT last_id, hash FROM audit_checkpoints ORDER BY last_id DESC LIMIT 1", 0 };
static const struct pa_stmt st_insert
    = { "INSERT INTO audit_checkpoints (first_id, last_id, prev_hash, hash, signature, row_digests)"
	" VALUES ($1::bigint, $2::bigint, $3::bytea, $4::bytea, $5::bytea, $6::bytea)",
	      6 };
static const struct pa_stmt st_ckpts
    = { "SELECT id, first_id, last_id, prev_hash, hash, signature, row_digests"
	" FROM audit_checkpoints WHERE first_id > $1::bigint ORDER BY first_id LIMIT 16",
	      1 };
static const struct pa_stmt st_after
    = { "SELECT count(*) FROM audit_events WHERE id > $1::bigint", 1 };

static void
put_be64(unsigned char out[8], int64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		out[i] = (unsigned char) (v & 0xff);
}

static int64_t
get_be64(const unsigned char in[8])
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | in[i];
	return (int64_t) v;
}

/* Digest of row i of a st_rows result. */
static void
row_digest(unsigned char out[HASH_BYTES], const PGresult *r, int i)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, HASH_BYTES);
	crypto_generichash_update(&st, (const unsigned char *) row_tag, sizeof row_tag);
	for (int c = 0; c < ROW_COLS; c++) {
		unsigned char head[5] = { 0 };
		uint32_t      len     = 0;

		if (!PQgetisnull(r, i, c)) {
			len     = (uint32_t) PQgetlength(r, i, c);
			head[0] = 1;
		}
		head[1] = (unsigned char) (len >> 24);
		head[2] = (unsigned char) (len >> 16);
		head[3] = (unsigned char) (len >> 8);
		head[4] = (unsigned char) len;
		crypto_generichash_update(&st, head, sizeof head);
		crypto_generichash_update(&st, (const unsigned char *) PQgetvalue(r, i, c), len);
	}
	crypto_generichash_final(&st, out, HASH_BYTES);
}

static void
ckpt_hash(unsigned char out[HASH_BYTES], const unsigned char prev[HASH_BYTES], int64_t first,
    int64_t last, const unsigned char *entries, size_t entries_len)
{
	crypto_generichash_state st;
	unsigned char            ids[16];

	put_be64(ids, first);
	put_be64(ids + 8, last);
	crypto_generichash_init(&st, NULL, 0, HASH_BYTES);
	crypto_generichash_update(&st, (const unsigned char *) ckpt_tag, sizeof ckpt_tag);
	crypto_generichash_update(&st, prev, HASH_BYTES);
	crypto_generichash_update(&st, ids, sizeof ids);
	crypto_generichash_update(&st, entries, entries_len);
	crypto_generichash_final(&st, out, HASH_BYTES);
}

/* "\x<hex>" for a bytea parameter; NULL when out of memory. */
static char *
bytea_param(const unsigned char *bin, size_t len)
{
	char *s = malloc(2 + 2 * len + 1);

	if (s == NULL)
		return NULL;
	s[0] = '\\';
	s[1] = 'x';
	(void) sodium_bin2hex(s + 2, 2 * len + 1, bin, len);
	return s;
}

/* Decodes a bytea column (hex output) into a malloc'd buffer; false if it is not hex. */
static bool
bytea_value(const PGresult *r, int row, int col, unsigned char **out, size_t *len)
{
	const char *v = PQgetvalue(r, row, col);
	size_t      n = (size_t) PQgetlength(r, row, col);

	*out = NULL;
	*len = 0;
	if (n < 2 || v[0] != '\\' || v[1] != 'x' || (*out = malloc(n / 2 + 1)) == NULL)
		return false;
	return sodium_hex2bin(*out, n / 2, v + 2, n - 2, NULL, len, NULL) == 0;
}

/* ---- the checkpointer ------------------------------------------------------------------------ */

struct auth_auditchain {
	struct auth_app     *app;
	struct pa_db        *db;
	pthread_t            thread;
	pthread_mutex_t      mu;
	pthread_cond_t       cv;
	bool                 stop;
	atomic_uint_fast64_t checkpoints, failures, covered;
};

/* The highest id whose row (if any) is committed: the SHARE lock waits for every transaction
 * that is inserting, and ids come from a sequence, so no lower id can appear afterwards. New
 * inserts wait only for this one short transaction. */
static pa_err
stable_max(struct pa_db *db, int64_t *out)
{
	PGresult *r = NULL;
	pa_err    rv;

	if ((rv = pa_db_begin(db)) != PA_OK)
		return rv;
	if ((rv = pa_db_exec_simple(db, "SET LOCAL lock_timeout = '2s'")) == PA_OK
	    && (rv = pa_db_exec_simple(db, "LOCK TABLE audit_events IN SHARE MODE")) == PA_OK
	    && (rv = pa_db_exec(db, &st_max, NULL, &r)) == PA_OK) {
		*out = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
		return pa_db_commit(db);
	}
	pa_db_rollback(db);
	return rv;
}

/* Signs the next range of rows up to max; *more is set when rows beyond the range remain. */
static pa_err
checkpoint_once(struct auth_auditchain *c, int64_t max, bool *more)
{
	unsigned char  prev[HASH_BYTES] = { 0 }, hash[HASH_BYTES], sig[crypto_sign_BYTES];
	unsigned char *entries = NULL, *prev_db = NULL;
	char           a[24], b[24], *p_prev = NULL, *p_hash = NULL, *p_sig = NULL, *p_ent = NULL;
	int64_t        last = 0, upto;
	size_t         n    = 0, plen;
	PGresult      *r    = NULL;
	pa_err         rv;

	*more = false;
	if ((rv = pa_db_begin(c->db)) != PA_OK)
		return rv;
	/* Checkpointers of several auth instances take turns; the chain stays linear. */
	if ((rv = pa_db_exec_simple(
	         c->db, "LOCK TABLE audit_checkpoints IN SHARE ROW EXCLUSIVE MODE"))
	        != PA_OK
	    || (rv = pa_db_exec(c->db, &st_last, NULL, &r)) != PA_OK)
		goto out;
	if (PQntuples(r) == 1) {
		last = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		if (!bytea_value(r, 0, 1, &prev_db, &plen) || plen != HASH_BYTES) {
			rv = PA_EINVAL;
			goto out;
		}
		memcpy(prev, prev_db, HASH_BYTES);
	}
	PQclear(r);
	r = NULL;
	if (last >= max)
		goto out;
	upto  = max - last > RANGE_MAX ? last + RANGE_MAX : max;
	*more = upto < max;
	(void) snprintf(a, sizeof a, "%lld", (long long) last);
	(void) snprintf(b, sizeof b, "%lld", (long long) upto);
	if ((rv = pa_db_exec(c->db, &st_rows, (const char *[]) { a, b }, &r)) != PA_OK)
		goto out;
	n = (size_t) PQntuples(r);
	if ((entries = malloc(n * ENTRY_BYTES + 1)) == NULL) {
		rv = PA_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		put_be64(entries + i * ENTRY_BYTES, strtoll(PQgetvalue(r, (int) i, 0), NULL, 10));
		row_digest(entries + i * ENTRY_BYTES + 8, r, (int) i);
	}
	ckpt_hash(hash, prev, last + 1, upto, entries, n * ENTRY_BYTES);
	if (crypto_sign_detached(sig, NULL, hash, sizeof hash, c->app->audit_sk) != 0) {
		rv = PA_ECRYPTO;
		goto out;
	}
	(void) snprintf(a, sizeof a, "%lld", (long long) (last + 1));
	p_prev = bytea_param(prev, sizeof prev);
	p_hash = bytea_param(hash, sizeof hash);
	p_sig  = bytea_param(sig, sizeof sig);
	p_ent  = bytea_param(entries, n * ENTRY_BYTES);
	if (p_prev == NULL || p_hash == NULL || p_sig == NULL || p_ent == NULL) {
		rv = PA_ENOMEM;
		goto out;
	}
	if ((rv = pa_db_exec(
	         c->db, &st_insert, (const char *[]) { a, b, p_prev, p_hash, p_sig, p_ent }, NULL))
	        == PA_OK
	    && (rv = pa_db_commit(c->db)) == PA_OK) {
		atomic_fetch_add(&c->checkpoints, 1);
		atomic_store(&c->covered, (uint64_t) upto);
		pa_log_debug("audit_checkpoint", "first_id=%s last_id=%s rows=%zu", a, b, n);
	}
out:
	if (r != NULL)
		PQclear(r);
	pa_db_rollback(c->db);
	free(entries);
	free(prev_db);
	free(p_prev);
	free(p_hash);
	free(p_sig);
	free(p_ent);
	return rv;
}

/* Signs everything committed so far, a range at a time. */
static pa_err
checkpoint_all(struct auth_auditchain *c)
{
	int64_t max = 0;
	bool    more;
	pa_err  rv;

	if ((rv = pa_db_ready(c->db)) != PA_OK || (rv = stable_max(c->db, &max)) != PA_OK)
		return rv;
	do {
		rv = checkpoint_once(c, max, &more);
	} while (rv == PA_OK && more);
	return rv;
}

static void *
chain_main(void *arg)
{
	struct auth_auditchain *c = arg;
	bool                    stop;

	do {
		struct timespec until;
		pa_err          rv = checkpoint_all(c);

		if (rv != PA_OK) {
			atomic_fetch_add(&c->failures, 1);
			pa_log_warn("audit_checkpoint_failed", "error=%s sqlstate=%s",
			    pa_err_name(rv), pa_db_sqlstate(c->db));
		}
		(void) clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += c->app->cfg.audit_every_s;
		pthread_mutex_lock(&c->mu);
		while (!c->stop && pthread_cond_timedwait(&c->cv, &c->mu, &until) != ETIMEDOUT)
			;
		stop = c->stop;
		pthread_mutex_unlock(&c->mu);
	} while (!stop);
	/* Sign the tail on the way out, so a clean stop leaves no unsigned rows behind. */
	if (checkpoint_all(c) != PA_OK)
		atomic_fetch_add(&c->failures, 1);
	return NULL;
}

pa_err
auth_auditchain_start(struct auth_auditchain **out, struct auth_app *app)
{
	struct auth_auditchain *c = calloc(1, sizeof *c);
	pthread_condattr_t      ca;

	*out = NULL;
	if (c == NULL)
		return PA_ENOMEM;
	c->app = app;
	if (pa_db_new(&c->db, app->cfg.database_url) != PA_OK) {
		free(c);
		return PA_ENOMEM;
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&c->thread, NULL, chain_main, c) != 0) {
		pthread_cond_destroy(&c->cv);
		pthread_mutex_destroy(&c->mu);
		pa_db_free(c->db);
		free(c);
		return PA_ENOMEM;
	}
	*out = c;
	return PA_OK;
}

void
auth_auditchain_stop(struct auth_auditchain *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	c->stop = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	pa_db_free(c->db);
	free(c);
}

void
auth_auditchain_write_metrics(struct pa_strbuf *out, struct auth_auditchain *c)
{
	if (c == NULL)
		return;
	pa_metrics_header(out, "phoneauth_audit_checkpoints_total", "counter",
	    "Signed audit checkpoints written by this process.");
	pa_strbuf_printf(out, "phoneauth_audit_checkpoints_total %llu\n",
	    (unsigned long long) atomic_load(&c->checkpoints));
	pa_metrics_header(out, "phoneauth_audit_checkpoint_failures_total", "counter",
	    "Checkpoint runs that failed (retried at the next interval).");
	pa_strbuf_printf(out, "phoneauth_audit_checkpoint_failures_total %llu\n",
	    (unsigned long long) atomic_load(&c->failures));
	pa_metrics_header(out, "phoneauth_audit_signed_id", "gauge",
	    "Highest audit row id covered by a checkpoint this process wrote.");
	pa_strbuf_printf(
	    out, "phoneauth_audit_signed_id %llu\n", (unsigned long long) atomic_load(&c->covered));
}

/* ---- verification ---------------------------------------------------------------------------- */

/* Compares a checkpoint's stored (id, digest) list with the rows now in its range and names the
 * first difference. False with the problem filled in when they differ. */
static bool
range_matches(
    const PGresult *rows, const unsigned char *entries, size_t n, struct auth_audit_report *rep)
{
	size_t i = 0, j = 0, nrows = (size_t) PQntuples(rows);

	while (i < n || j < nrows) {
		int64_t want = i < n ? get_be64(entries + i * ENTRY_BYTES) : INT64_MAX;
		int64_t have
		    = j < nrows ? strtoll(PQgetvalue(rows, (int) j, 0), NULL, 10) : INT64_MAX;
		unsigned char d[HASH_BYTES];

		if (want < have) {
			rep->bad_row = want;
			(void) snprintf(rep->problem, sizeof rep->problem, "row %lld was deleted",
			    (long long) want);
			return false;
		}
		if (have < want) {
			rep->bad_row = have;
			(void) snprintf(rep->problem, sizeof rep->problem,
			    "row %lld was inserted after its range was signed", (long long) have);
			return false;
		}
		row_digest(d, rows, (int) j);
		if (sodium_memcmp(d, entries + i * ENTRY_BYTES + 8, HASH_BYTES) != 0) {
			rep->bad_row = have;
			(void) snprintf(rep->problem, sizeof rep->problem, "row %lld was changed",
			    (long long) have);
			return false;
		}
		i++;
		j++;
	}
	rep->rows += n;
	return true;
}

/* Whether a stored checkpoint hash is the hash of what the checkpoint row says it covers. */
static bool
hash_matches(const unsigned char stored[HASH_BYTES], const unsigned char prev[HASH_BYTES],
    int64_t first, int64_t last, const unsigned char *entries, size_t entries_len)
{
	unsigned char want[HASH_BYTES];

	ckpt_hash(want, prev, first, last, entries, entries_len);
	return sodium_memcmp(want, stored, HASH_BYTES) == 0;
}

/* Checks one checkpoint row (k of r) against the chain so far and its rows; false with the
 * problem set on the first mismatch. */
static pa_err
check_one(struct pa_db *db, const PGresult *r, int k, const unsigned char pk[32],
    unsigned char prev[HASH_BYTES], int64_t *next_first, struct auth_audit_report *rep, bool *ok)
{
	unsigned char *ph = NULL, *h = NULL, *sig = NULL, *ent = NULL;
	size_t         phl, hl, sigl, entl;
	int64_t        id    = strtoll(PQgetvalue(r, k, 0), NULL, 10);
	int64_t        first = strtoll(PQgetvalue(r, k, 1), NULL, 10);
	int64_t        last  = strtoll(PQgetvalue(r, k, 2), NULL, 10);
	char           a[24], b[24];
	PGresult      *rows = NULL;
	pa_err         rv   = PA_OK;

	*ok                 = false;
	rep->bad_checkpoint = id;
	if (!bytea_value(r, k, 3, &ph, &phl) || !bytea_value(r, k, 4, &h, &hl)
	    || !bytea_value(r, k, 5, &sig, &sigl) || !bytea_value(r, k, 6, &ent, &entl)
	    || phl != HASH_BYTES || hl != HASH_BYTES || sigl != crypto_sign_BYTES
	    || entl % ENTRY_BYTES != 0) {
		(void) snprintf(rep->problem, sizeof rep->problem, "checkpoint %lld is malformed",
		    (long long) id);
	} else if (first != *next_first) {
		(void) snprintf(rep->problem, sizeof rep->problem,
		    "checkpoint %lld starts at row %lld, not %lld: a checkpoint was removed",
		    (long long) id, (long long) first, (long long) *next_first);
	} else if (sodium_memcmp(ph, prev, HASH_BYTES) != 0) {
		(void) snprintf(rep->problem, sizeof rep->problem,
		    "checkpoint %lld does not chain to the one before it", (long long) id);
	} else if (!hash_matches(h, prev, first, last, ent, entl)) {
		(void) snprintf(rep->problem, sizeof rep->problem,
		    "checkpoint %lld was altered (its hash does not match its contents)",
		    (long long) id);
	} else if (crypto_sign_verify_detached(sig, h, HASH_BYTES, pk) != 0) {
		(void) snprintf(rep->problem, sizeof rep->problem,
		    "checkpoint %lld is not signed by this key", (long long) id);
	} else {
		(void) snprintf(a, sizeof a, "%lld", (long long) (first - 1));
		(void) snprintf(b, sizeof b, "%lld", (long long) last);
		if ((rv = pa_db_exec(db, &st_rows, (const char *[]) { a, b }, &rows)) == PA_OK
		    && range_matches(rows, ent, entl / ENTRY_BYTES, rep)) {
			memcpy(prev, h, HASH_BYTES);
			*next_first = last + 1;
			rep->checkpoints += 1;
			rep->last_row       = last;
			rep->bad_checkpoint = 0;
			*ok                 = true;
		}
	}
	if (rows != NULL)
		PQclear(rows);
	free(ph);
	free(h);
	free(sig);
	free(ent);
	return rv;
}

pa_err
auth_auditchain_verify(struct pa_db *db, const unsigned char pk[32],
    const unsigned char *known_hash, struct auth_audit_report *rep)
{
	bool          known_seen       = known_hash == NULL;
	unsigned char prev[HASH_BYTES] = { 0 };
	int64_t       next_first       = 1;
	bool          ok               = true;
	char          a[24];
	PGresult     *r  = NULL;
	pa_err        rv = PA_OK;

	memset(rep, 0, sizeof *rep);
	memcpy(rep->public_key, pk, sizeof rep->public_key);
	/* Repeatable read: one snapshot for the whole walk, so rows and checkpoints added while it
	 * runs neither count as tampering nor get half-checked. */
	if ((rv = pa_db_exec_simple(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"))
	    != PA_OK)
		return rv;
	while (ok) {
		int n;

		(void) snprintf(a, sizeof a, "%lld", (long long) (next_first - 1));
		if ((rv = pa_db_exec(db, &st_ckpts, (const char *[]) { a }, &r)) != PA_OK)
			goto out;
		if ((n = PQntuples(r)) == 0)
			break;
		for (int k = 0; k < n && ok; k++) {
			if ((rv = check_one(db, r, k, pk, prev, &next_first, rep, &ok)) != PA_OK)
				goto out;
			if (ok && !known_seen)
				known_seen = sodium_memcmp(prev, known_hash, HASH_BYTES) == 0;
		}
		PQclear(r);
		r = NULL;
	}
	if (ok) {
		(void) snprintf(a, sizeof a, "%lld", (long long) (next_first - 1));
		if ((rv = pa_db_exec(db, &st_after, (const char *[]) { a }, &r)) != PA_OK)
			goto out;
		rep->rows_unsigned = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		memcpy(rep->last_hash, prev, sizeof prev);
		rep->ok = known_seen;
		if (!known_seen)
			(void) snprintf(rep->problem, sizeof rep->problem,
			    "the chain no longer reaches the head recorded earlier: its newest "
			    "checkpoints (and rows) were removed");
	}
out:
	if (r != NULL)
		PQclear(r);
	pa_db_rollback(db);
	return rv;
}
