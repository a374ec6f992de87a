/* auditchain.c: makes the audit trail tamper-evident. A background thread signs each new range
 * of audit rows into a hash chain (audit_checkpoints); verify recomputes the chain and names the
 * first row or checkpoint that no longer matches. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "auditchain.h"
#include "auth.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/ticker.h"
#include "store_auditchain.h"

#define HASH_BYTES AUTH_CHAIN_HASH_BYTES
#define ENTRY_BYTES (8 + HASH_BYTES) /* id, big-endian, then the row's digest */
#define RANGE_MAX 4096 /* rows per checkpoint: bounds memory and lock-free time */

static const char row_tag[]  = "phoneauth audit row v1";
static const char ckpt_tag[] = "phoneauth audit checkpoint v1";

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

/* Digest of an audit row's canonical form: for each column, a NULL flag and the length
 * (big-endian), then its text. */
static void
row_digest(unsigned char out[HASH_BYTES], const struct auth_chain_row *r)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, HASH_BYTES);
	crypto_generichash_update(&st, (const unsigned char *) row_tag, sizeof row_tag);
	for (int c = 0; c < AUTH_CHAIN_ROW_COLS; c++) {
		unsigned char head[5] = { 0 };
		uint32_t      len     = 0;

		if (r->col[c] != NULL) {
			len     = (uint32_t) r->len[c];
			head[0] = 1;
		}
		head[1] = (unsigned char) (len >> 24);
		head[2] = (unsigned char) (len >> 16);
		head[3] = (unsigned char) (len >> 8);
		head[4] = (unsigned char) len;
		crypto_generichash_update(&st, head, sizeof head);
		crypto_generichash_update(
		    &st, (const unsigned char *) (r->col[c] != NULL ? r->col[c] : ""), len);
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

/* ---- the checkpointer ------------------------------------------------------------------------ */

struct auth_auditchain {
	struct auth_app     *app;
	struct pa_db        *db;
	struct pa_ticker    *ticker;
	atomic_uint_fast64_t checkpoints, failures, covered;
};

/* Signs the next range of rows up to max; *more is set when rows beyond the range remain. */
static pa_err
checkpoint_once(struct auth_auditchain *c, int64_t max, bool *more)
{
	unsigned char           prev[HASH_BYTES], hash[HASH_BYTES], sig[crypto_sign_BYTES];
	unsigned char          *entries = NULL;
	int64_t                 last    = 0, upto;
	struct auth_chain_rows *rows    = NULL;
	pa_err                  rv;

	*more = false;
	if ((rv = pa_db_begin(c->db)) != PA_OK)
		return rv;
	/* Checkpointers of several auth instances take turns; the chain stays linear. */
	if ((rv = auth_chain_lock(c->db)) != PA_OK
	    || (rv = auth_chain_head(c->db, &last, prev)) != PA_OK || last >= max)
		goto out;
	upto  = max - last > RANGE_MAX ? last + RANGE_MAX : max;
	*more = upto < max;
	if ((rv = auth_chain_rows(c->db, last, upto, &rows)) != PA_OK)
		goto out;
	if ((entries = malloc(rows->n * ENTRY_BYTES + 1)) == NULL) {
		rv = PA_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < rows->n; i++) {
		put_be64(entries + i * ENTRY_BYTES, rows->row[i].id);
		row_digest(entries + i * ENTRY_BYTES + 8, &rows->row[i]);
	}
	ckpt_hash(hash, prev, last + 1, upto, entries, rows->n * ENTRY_BYTES);
	if (crypto_sign_detached(sig, NULL, hash, sizeof hash, c->app->audit_sk) != 0) {
		rv = PA_ECRYPTO;
		goto out;
	}
	if ((rv = auth_chain_insert(c->db,
	         &(struct auth_chain_link_new) { .first_id = last + 1,
	             .last_id                              = upto,
	             .prev_hash                            = prev,
	             .hash                                 = hash,
	             .signature                            = sig,
	             .row_digests                          = entries,
	             .row_digests_len                      = rows->n * ENTRY_BYTES }))
	        == PA_OK
	    && (rv = pa_db_commit(c->db)) == PA_OK) {
		atomic_fetch_add(&c->checkpoints, 1);
		atomic_store(&c->covered, (uint64_t) upto);
		pa_log_debug("audit_checkpoint", "first_id=%lld last_id=%lld rows=%zu",
		    (long long) (last + 1), (long long) upto, rows->n);
	}
out:
	pa_db_rollback(c->db);
	free(entries);
	free(rows);
	return rv;
}

/* Signs everything committed so far, a range at a time. */
static pa_err
checkpoint_all(struct auth_auditchain *c)
{
	int64_t max = 0;
	bool    more;
	pa_err  rv;

	if ((rv = pa_db_ready(c->db)) != PA_OK
	    || (rv = auth_chain_stable_max(c->db, &max)) != PA_OK)
		return rv;
	do {
		rv = checkpoint_once(c, max, &more);
	} while (rv == PA_OK && more);
	return rv;
}

/* The ticker's job: sign what is new, a failure counted and logged (retried next time). */
static void
chain_tick(struct pa_ticker *tk, void *arg)
{
	struct auth_auditchain *c  = arg;
	pa_err                  rv = checkpoint_all(c);

	(void) tk;
	if (rv != PA_OK) {
		atomic_fetch_add(&c->failures, 1);
		pa_log_warn("audit_checkpoint_failed", "error=%s sqlstate=%s", pa_err_name(rv),
		    pa_db_sqlstate(c->db));
	}
}

pa_err
auth_auditchain_start(struct auth_auditchain **out, struct auth_app *app)
{
	struct auth_auditchain *c = calloc(1, sizeof *c);

	*out = NULL;
	if (c == NULL)
		return PA_ENOMEM;
	c->app = app;
	if (pa_db_new(&c->db, app->cfg.database_url) != PA_OK) {
		free(c);
		return PA_ENOMEM;
	}
	/* The final run signs the tail, so a clean stop leaves no unsigned rows behind. */
	if (pa_ticker_start(&c->ticker, app->cfg.audit_every_s, chain_tick, chain_tick, c)
	    != PA_OK) {
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
	pa_ticker_stop(c->ticker);
	pa_db_free(c->db);
	free(c);
}

void
auth_auditchain_write_metrics(struct pa_strbuf *out, struct auth_auditchain *c)
{
	if (c == NULL)
		return;
	pa_metrics_one(out, "phoneauth_audit_checkpoints_total", "counter",
	    "Signed audit checkpoints written by this process.",
	    (long long) atomic_load(&c->checkpoints));
	pa_metrics_one(out, "phoneauth_audit_checkpoint_failures_total", "counter",
	    "Checkpoint runs that failed (retried at the next interval).",
	    (long long) atomic_load(&c->failures));
	pa_metrics_one(out, "phoneauth_audit_signed_id", "gauge",
	    "Highest audit row id covered by a checkpoint this process wrote.",
	    (long long) atomic_load(&c->covered));
}

/* ---- verification ---------------------------------------------------------------------------- */

/* Compares a checkpoint's stored (id, digest) list with the rows now in its range and names the
 * first difference. False with the problem filled in when they differ. */
static bool
range_matches(const struct auth_chain_rows *rows, const unsigned char *entries, size_t n,
    struct auth_audit_report *rep)
{
	size_t i = 0, j = 0;

	while (i < n || j < rows->n) {
		int64_t       want = i < n ? get_be64(entries + i * ENTRY_BYTES) : INT64_MAX;
		int64_t       have = j < rows->n ? rows->row[j].id : INT64_MAX;
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
		row_digest(d, &rows->row[j]);
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

/* Checks one checkpoint against the chain so far and its rows; *ok false with the problem set on
 * the first mismatch. */
static pa_err
check_one(struct pa_db *db, const struct auth_chain_link *l, const unsigned char pk[32],
    unsigned char prev[HASH_BYTES], int64_t *next_first, struct auth_audit_report *rep, bool *ok)
{
	struct auth_chain_rows *rows = NULL;
	long long               id   = (long long) l->id;
	pa_err                  rv   = PA_OK;

	*ok                 = false;
	rep->bad_checkpoint = l->id;
	if (!l->intact || l->row_digests_len % ENTRY_BYTES != 0) {
		(void) snprintf(
		    rep->problem, sizeof rep->problem, "checkpoint %lld is malformed", id);
	} else if (l->first_id != *next_first) {
		(void) snprintf(rep->problem, sizeof rep->problem,
		    "checkpoint %lld starts at row %lld, not %lld: a checkpoint was removed", id,
		    (long long) l->first_id, (long long) *next_first);
	} else if (sodium_memcmp(l->prev_hash, prev, HASH_BYTES) != 0) {
		(void) snprintf(rep->problem, sizeof rep->problem,
		    "checkpoint %lld does not chain to the one before it", id);
	} else if (!hash_matches(l->hash, prev, l->first_id, l->last_id, l->row_digests,
	               l->row_digests_len)) {
		(void) snprintf(rep->problem, sizeof rep->problem,
		    "checkpoint %lld was altered (its hash does not match its contents)", id);
	} else if (crypto_sign_verify_detached(l->signature, l->hash, HASH_BYTES, pk) != 0) {
		(void) snprintf(rep->problem, sizeof rep->problem,
		    "checkpoint %lld is not signed by this key", id);
	} else if ((rv = auth_chain_rows(db, l->first_id - 1, l->last_id, &rows)) == PA_OK
	    && range_matches(rows, l->row_digests, l->row_digests_len / ENTRY_BYTES, rep)) {
		memcpy(prev, l->hash, HASH_BYTES);
		*next_first = l->last_id + 1;
		rep->checkpoints += 1;
		rep->last_row       = l->last_id;
		rep->bad_checkpoint = 0;
		*ok                 = true;
	}
	free(rows);
	return rv;
}

pa_err
auth_auditchain_verify(struct pa_db *db, const unsigned char pk[32],
    const unsigned char *known_hash, struct auth_audit_report *rep)
{
	bool                   known_seen       = known_hash == NULL;
	unsigned char          prev[HASH_BYTES] = { 0 };
	int64_t                next_first       = 1;
	bool                   ok               = true;
	struct auth_chain_page page             = { .n = 0 };
	pa_err                 rv               = PA_OK;

	memset(rep, 0, sizeof *rep);
	memcpy(rep->public_key, pk, sizeof rep->public_key);
	/* Repeatable read: one snapshot for the whole walk, so rows and checkpoints added while it
	 * runs neither count as tampering nor get half-checked. */
	if ((rv = auth_chain_snapshot(db)) != PA_OK)
		return rv;
	while (ok) {
		if ((rv = auth_chain_links(db, next_first - 1, &page)) != PA_OK)
			goto out;
		if (page.n == 0)
			break;
		for (size_t k = 0; k < page.n && ok; k++) {
			if ((rv = check_one(db, &page.link[k], pk, prev, &next_first, rep, &ok))
			    != PA_OK)
				goto out;
			if (ok && !known_seen)
				known_seen = sodium_memcmp(prev, known_hash, HASH_BYTES) == 0;
		}
		auth_chain_page_clear(&page);
	}
	if (ok) {
		if ((rv = auth_chain_count_after(db, next_first - 1, &rep->rows_unsigned)) != PA_OK)
			goto out;
		memcpy(rep->last_hash, prev, sizeof prev);
		rep->ok = known_seen;
		if (!known_seen)
			(void) snprintf(rep->problem, sizeof rep->problem,
			    "the chain no longer reaches the head recorded earlier: its newest "
			    "checkpoints (and rows) were removed");
	}
out:
	auth_chain_page_clear(&page);
	pa_db_rollback(db);
	return rv;
}
