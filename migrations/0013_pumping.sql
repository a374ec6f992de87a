-- 0013: the SMS pumping defence (issue 14): what was sent where and what was verified
-- (pump_events), the circuit breakers per destination (pump_breakers: a country, and a longer
-- E.164 prefix), the daily verified volume each breaker's thresholds grow with (pump_daily), and
-- the captcha tokens already used (captcha_used). services/auth/store_breakers.c is the only
-- writer of all four. The breaker logic is here, in pump_breaker_take(), so that it runs under
-- the breaker row's lock whatever auth instance calls it.

-- One SMS sent (kind 'send', with the end user's per-IP key) or one verification that succeeded
-- (kind 'verified', the destination of its code's send). Counts over the last hour and day come
-- from here; rows older than PHONEAUTH_RETAIN_RATE_EVENTS go with the retention job.
CREATE TABLE pump_events (
    id              bigserial PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT now(),
    kind            text NOT NULL CHECK (kind IN ('send', 'verified')),
    country         text NOT NULL,  -- region, "ID"; "" for a non-geographic number
    prefix          text NOT NULL,  -- the E.164 number's first digits, "+62812"
    ip_key          text,           -- auth_caller_ip_key(): the IPv4 address or the IPv6 /64
    verification_id uuid
);
CREATE INDEX pump_events_country_idx ON pump_events (country, at);
CREATE INDEX pump_events_prefix_idx ON pump_events (prefix, at);
CREATE INDEX pump_events_ip_idx ON pump_events (ip_key, at) WHERE ip_key IS NOT NULL;
CREATE INDEX pump_events_send_at_idx ON pump_events (at) WHERE kind = 'send';
CREATE INDEX pump_events_verification_idx ON pump_events (verification_id)
    WHERE verification_id IS NOT NULL;

-- Verified codes per breaker and UTC day: the 14-day rolling maximum the thresholds scale with.
CREATE TABLE pump_daily (
    level    text NOT NULL,
    key      text NOT NULL,
    day      date NOT NULL,
    verified integer NOT NULL DEFAULT 0,
    PRIMARY KEY (level, key, day)
);

-- One breaker per destination. 'armed' lets sends through; 'tripped' makes them need a captcha
-- (or refuses them) until rearm_at, or until an admin re-arms it. Counts start again at
-- counted_since (the last re-arm), so a re-armed breaker gets its budget back.
CREATE TABLE pump_breakers (
    level         text NOT NULL CHECK (level IN ('country', 'prefix')),
    key           text NOT NULL,
    state         text NOT NULL DEFAULT 'armed' CHECK (state IN ('armed', 'tripped')),
    trips         integer NOT NULL DEFAULT 0,  -- trips in a row; the cool-off doubles with each
    tripped_at    timestamptz,
    rearm_at      timestamptz,
    rearmed_at    timestamptz,
    rearmed_by    text,                        -- 'auto' or 'admin'
    counted_since timestamptz NOT NULL DEFAULT '-infinity',
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (level, key)
);

-- Captcha tokens (their BLAKE2b hashes) that a send used: a token works once.
CREATE TABLE captcha_used (
    hash bytea PRIMARY KEY,
    at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX captcha_used_at_idx ON captcha_used (at);

-- Sends and verifications for one breaker after a time (plpgsql, so each level's query uses its
-- own index).
CREATE FUNCTION pump_counts(p_level text, p_key text, p_since timestamptz,
    OUT sends integer, OUT verified integer)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_level = 'country' THEN
        SELECT count(*) FILTER (WHERE kind = 'send'), count(*) FILTER (WHERE kind = 'verified')
          INTO sends, verified
          FROM pump_events WHERE country = p_key AND at >= p_since;
    ELSE
        SELECT count(*) FILTER (WHERE kind = 'send'), count(*) FILTER (WHERE kind = 'verified')
          INTO sends, verified
          FROM pump_events WHERE prefix = p_key AND at >= p_since;
    END IF;
END
$$;

-- Takes one send's decision for breaker (p_level, p_key), under the breaker row's lock:
--   1. a tripped breaker whose cool-off is over re-arms (rearmed = true);
--   2. the thresholds, Authgear's shape: a day allows
--        max(p_day_min, ratio x the 14-day rolling max of daily verified, ratio x verified in
--        the last 24 h)
--      unverified sends, an hour max(p_hour_min, that rolling max / p_hour_div, ratio x verified
--      in the last hour); a destination never sent to has no verified volume, so it starts with
--      the minimums;
--   3. an armed breaker that this send would take past either threshold trips (tripped = true),
--      for p_cooloff_s doubled for each trip in a row (at most p_cooloff_max_s);
--   4. blocked: the breaker is tripped and the send did not pass a captcha (p_passed).
-- Ratios are percentages. Nothing is counted here: the caller records the send if it goes.
CREATE FUNCTION pump_breaker_take(p_level text, p_key text, p_day_min int, p_day_ratio int,
    p_hour_min int, p_hour_div int, p_hour_ratio int, p_cooloff_s int, p_cooloff_max_s int,
    p_passed boolean,
    OUT blocked boolean, OUT rearmed boolean, OUT tripped boolean, OUT trips integer,
    OUT rearm_in_s integer, OUT unverified_hour integer, OUT unverified_day integer,
    OUT hour_limit integer, OUT day_limit integer)
LANGUAGE plpgsql AS $$
DECLARE
    b        pump_breakers;
    c        record;
    vh       integer;
    vd       integer;
    maxdaily integer;
BEGIN
    INSERT INTO pump_breakers (level, key) VALUES (p_level, p_key) ON CONFLICT DO NOTHING;
    SELECT * INTO b FROM pump_breakers WHERE level = p_level AND key = p_key FOR UPDATE;
    rearmed := false;
    tripped := false;
    IF b.state = 'tripped' AND b.rearm_at <= now() THEN
        b.state := 'armed';
        b.counted_since := now();
        b.rearmed_at := now();
        b.rearmed_by := 'auto';
        rearmed := true;
    END IF;

    SELECT coalesce(max(d.verified), 0) INTO maxdaily FROM pump_daily d
     WHERE d.level = p_level AND d.key = p_key AND d.day > current_date - 14;
    SELECT x.verified INTO vh FROM pump_counts(p_level, p_key, now() - interval '1 hour') x;
    SELECT x.verified INTO vd FROM pump_counts(p_level, p_key, now() - interval '1 day') x;
    day_limit := greatest(p_day_min, (p_day_ratio * maxdaily) / 100, (p_day_ratio * vd) / 100);
    hour_limit := greatest(p_hour_min, maxdaily / greatest(p_hour_div, 1),
                           (p_hour_ratio * vh) / 100);
    SELECT * INTO c FROM pump_counts(p_level, p_key,
        greatest(now() - interval '1 hour', b.counted_since));
    unverified_hour := greatest(c.sends - c.verified, 0);
    SELECT * INTO c FROM pump_counts(p_level, p_key,
        greatest(now() - interval '1 day', b.counted_since));
    unverified_day := greatest(c.sends - c.verified, 0);

    IF b.state = 'armed'
       AND (unverified_hour + 1 > hour_limit OR unverified_day + 1 > day_limit) THEN
        -- A trip more than a day after the last one starts the doubling again.
        b.trips := CASE WHEN b.tripped_at > now() - interval '1 day' THEN b.trips + 1 ELSE 1 END;
        b.state := 'tripped';
        b.tripped_at := now();
        b.rearm_at := now() + make_interval(secs => least(p_cooloff_max_s::float8,
            p_cooloff_s::float8 * power(2, least(b.trips - 1, 30))));
        tripped := true;
    END IF;

    IF rearmed OR tripped THEN
        UPDATE pump_breakers
           SET state = b.state, trips = b.trips, tripped_at = b.tripped_at,
               rearm_at = b.rearm_at, rearmed_at = b.rearmed_at, rearmed_by = b.rearmed_by,
               counted_since = b.counted_since
         WHERE level = p_level AND key = p_key;
    END IF;
    trips := b.trips;
    rearm_in_s := CASE WHEN b.state = 'tripped'
        THEN greatest(ceil(extract(epoch FROM b.rearm_at - now())), 1)::int ELSE 0 END;
    blocked := b.state = 'tripped' AND NOT p_passed;
END
$$;

-- Re-arms a breaker now (an admin's decision): counts start again. False when there is no such
-- breaker or it was not tripped.
CREATE FUNCTION pump_breaker_rearm(p_level text, p_key text) RETURNS boolean
LANGUAGE sql AS $$
    WITH r AS (
        UPDATE pump_breakers
           SET state = 'armed', counted_since = now(), rearmed_at = now(), rearmed_by = 'admin'
         WHERE level = p_level AND key = p_key AND state = 'tripped'
        RETURNING 1)
    SELECT count(*) > 0 FROM r
$$;

-- The quick read before a send's transaction (no locks): why this send needs a captcha now,
-- or '' when nothing says so: 'destination' (a tripped breaker still cooling off), 'budget' (the
-- global hourly or daily budget, 0 = none, is spent), 'ip' (the IP key sent to more than
-- p_ip_countries other countries in the last day, 0 = off; the key 'none' is never judged).
CREATE FUNCTION pump_peek(p_country text, p_prefix text, p_ip_key text, p_budget_hour int,
    p_budget_day int, p_ip_countries int)
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN EXISTS (SELECT 1 FROM pump_breakers
                      WHERE ((level = 'country' AND key = p_country)
                          OR (level = 'prefix' AND key = p_prefix))
                        AND state = 'tripped' AND rearm_at > now())
            THEN 'destination'
        WHEN p_budget_hour > 0 AND (SELECT count(*) FROM pump_events WHERE kind = 'send'
                                     AND at > now() - interval '1 hour') >= p_budget_hour
            THEN 'budget'
        WHEN p_budget_day > 0 AND (SELECT count(*) FROM pump_events WHERE kind = 'send'
                                    AND at > now() - interval '1 day') >= p_budget_day
            THEN 'budget'
        WHEN p_ip_countries > 0 AND p_ip_key <> 'none'
             AND (SELECT count(DISTINCT country) FROM pump_events
                   WHERE ip_key = p_ip_key AND kind = 'send' AND country <> p_country
                     AND at > now() - interval '1 day') >= p_ip_countries
            THEN 'ip'
        ELSE '' END
$$;

-- A verified code: counted for the destination its code was sent to (nothing when it was never
-- sent through the defence, e.g. a phantom or one sent while the defence was off).
CREATE FUNCTION pump_note_verified(p_verification_id uuid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    s record;
BEGIN
    SELECT country, prefix INTO s FROM pump_events
     WHERE verification_id = p_verification_id AND kind = 'send' ORDER BY at DESC LIMIT 1;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    INSERT INTO pump_events (kind, country, prefix, verification_id)
    VALUES ('verified', s.country, s.prefix, p_verification_id);
    INSERT INTO pump_daily (level, key, day, verified)
    VALUES ('country', s.country, current_date, 1), ('prefix', s.prefix, current_date, 1)
    ON CONFLICT (level, key, day) DO UPDATE SET verified = pump_daily.verified + 1;
END
$$;
