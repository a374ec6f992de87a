#!/usr/bin/env bash
# test_compose.sh: compose.yaml is valid for docker-compose (1.29, Debian 12's) with and without
# the fake-twilio profile, renders the shape deploy/README.md promises, and
# deploy/phoneauth.env.example names every variable the programs read. Needs no Docker engine.
# Exit 77 (skipped) without docker-compose.
#
#   test_compose.sh [SOURCE_DIR]
set -euo pipefail

top=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
if ! command -v docker-compose >/dev/null 2>&1; then
  echo "docker-compose not installed: skipped"
  exit 77
fi

fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }

# A throwaway project directory: env_file: .env must exist, and the real .env must not be touched.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$top/compose.yaml" "$tmp/"
# The committed example is the .env, so a format compose cannot read fails here. Secrets get
# marker values, to see which container receives which.
sed -e 's/^POSTGRES_PASSWORD=$/POSTGRES_PASSWORD=pgsecret123/' \
    -e 's/^PHONEAUTH_OTP_KEY=$/PHONEAUTH_OTP_KEY=otp-secret/' \
    -e 's/^PHONEAUTH_OUTBOX_KEY=$/PHONEAUTH_OUTBOX_KEY=outbox-secret/' \
    -e 's/^TWILIO_AUTH_TOKEN=$/TWILIO_AUTH_TOKEN=twilio-secret/' \
    "$top/deploy/phoneauth.env.example" >"$tmp/.env"
cd "$tmp"
# No inherited COMPOSE_* or secret from the caller's environment may change the result.
unset COMPOSE_FILE COMPOSE_PROFILES COMPOSE_PROJECT_NAME POSTGRES_PASSWORD TWILIO_ACCOUNT_SID \
  TWILIO_AUTH_TOKEN TWILIO_API_KEY TWILIO_API_SECRET PHONEAUTH_IMAGE_TAG PHONEAUTH_PUBLISH_ADDR

docker-compose -f compose.yaml config -q || bad "docker-compose config"
docker-compose -f compose.yaml --profile fake-twilio config -q || bad "docker-compose --profile fake-twilio config"
docker-compose -f compose.yaml config >rendered.yaml 2>config.err || bad "render: $(cat config.err)"

# Without the password compose must refuse, not start PostgreSQL with an empty one.
sed -i 's/^POSTGRES_PASSWORD=.*/POSTGRES_PASSWORD=/' .env
if docker-compose -f compose.yaml config -q 2>/dev/null; then
  bad "config accepted an empty POSTGRES_PASSWORD"
fi

# The rendered file, checked with the YAML module docker-compose itself runs on.
if ! python3 -c 'import yaml' 2>/dev/null; then
  echo "python3 yaml module missing: rendered-config checks skipped" >&2
else
  python3 - rendered.yaml <<'PY' || fail=1
import sys, yaml

cfg = yaml.safe_load(open(sys.argv[1]))
svc = cfg["services"]
errors = []

def check(ok, what):
    if not ok:
        errors.append(what)

for name in ("postgres", "migrate", "auth", "sms-worker", "fake-twilio"):
    check(name in svc, f"service {name} missing")
if errors:
    sys.exit("FAIL: " + "; ".join(errors))

pg, mig, auth, wk, fake = (svc[n] for n in ("postgres", "migrate", "auth", "sms-worker", "fake-twilio"))
check(pg.get("image") == "postgres:15", "postgres is not postgres:15")
check(any(str(v).startswith("pgdata:") for v in pg.get("volumes", [])), "postgres has no pgdata volume")
check("pgdata" in (cfg.get("volumes") or {}), "named volume pgdata not declared")
check("pg_isready" in " ".join(pg.get("healthcheck", {}).get("test", [])), "postgres health check is not pg_isready")

# One image from the repository's Dockerfile for the three phoneauth services.
images = {mig.get("image"), auth.get("image"), wk.get("image")}
check(len(images) == 1, f"phoneauth services use different images: {images}")
for n in ("migrate", "auth", "sms-worker"):
    b = svc[n].get("build", {})
    check(b.get("target") == "runtime", f"{n} does not build the runtime target")
check(fake.get("build", {}).get("target") == "fake-twilio", "fake-twilio does not build its target")
check(fake.get("profiles") == ["fake-twilio"], "fake-twilio is not in the fake-twilio profile")

check(mig.get("command") == ["phoneauth-auth", "migrate"], f"migrate runs {mig.get('command')}")
check(mig.get("restart") == "no", "migrate restarts")
check(mig.get("depends_on", {}).get("postgres", {}).get("condition") == "service_healthy",
      "migrate does not wait for a healthy postgres")
check(auth.get("command") == ["phoneauth-auth", "serve"], f"auth runs {auth.get('command')}")
check(auth.get("depends_on", {}).get("migrate", {}).get("condition") == "service_completed_successfully",
      "auth does not wait for migrate to succeed")
check(wk.get("command") == ["phoneauth-sms-worker"], f"sms-worker runs {wk.get('command')}")

# Scalable workers: nothing fixed per container.
check("container_name" not in wk, "sms-worker has a container_name (breaks --scale)")
check(not wk.get("ports"), "sms-worker publishes ports (breaks --scale)")
for n, s in svc.items():
    check(n == "sms-worker" or "container_name" not in s, f"{n} has a container_name")

env = {n: (svc[n].get("environment") or {}) for n in ("migrate", "auth", "sms-worker")}
check(env["sms-worker"].get("PHONEAUTH_JOBS_URL") == "tcp://auth:7402", "workers do not dial tcp://auth:7402")
check(env["auth"].get("PHONEAUTH_JOBS_URL") == "tcp://0.0.0.0:7402", "auth does not listen for workers on 0.0.0.0:7402")
for n in env:
    check(env[n].get("DATABASE_URL") == "postgresql://phoneauth:pgsecret123@postgres:5432/phoneauth",
          f"{n}: DATABASE_URL is {env[n].get('DATABASE_URL')!r}")
# Secrets reach only the program that uses them.
check(env["auth"].get("TWILIO_AUTH_TOKEN") == "", "auth receives the Twilio auth token")
check(env["sms-worker"].get("TWILIO_AUTH_TOKEN") == "twilio-secret", "workers lack the Twilio auth token")
check(env["sms-worker"].get("PHONEAUTH_OTP_KEY") == "", "workers receive the OTP key")
check(env["auth"].get("PHONEAUTH_OTP_KEY") == "otp-secret", "auth lacks the OTP key")
check(env["sms-worker"].get("PHONEAUTH_OUTBOX_KEY") == "outbox-secret", "workers lack the outbox key")
check(env["migrate"].get("PHONEAUTH_OTP_KEY") == "" and env["migrate"].get("TWILIO_AUTH_TOKEN") == "",
      "migrate receives secrets it does not use")
fenv = fake.get("environment") or {}
check(fenv.get("TWILIO_AUTH_TOKEN") == "twilio-secret", "the fake does not share the workers' Twilio token")

for n in ("auth", "sms-worker"):
    check(svc[n].get("healthcheck", {}).get("test"), f"{n} has no health check")
# Auth's ports are published on loopback unless PHONEAUTH_PUBLISH_ADDR says otherwise.
check(all(str(p).startswith("127.0.0.1:") for p in auth.get("ports", [])), f"auth ports: {auth.get('ports')}")

if errors:
    sys.exit("FAIL: " + "\nFAIL: ".join(errors))
PY
fi

# That the example lists every variable the programs read is the readme_env test's job (it asks
# the programs themselves, with check-config).

# The env file with the secrets stays out of git and out of the image build context.
grep -qxF '.env' "$top/.gitignore" || bad ".env is not in .gitignore"
grep -qxF '.env' "$top/.dockerignore" || bad ".env is not in .dockerignore"

[ "$fail" = 0 ] && echo "compose.yaml: ok"
exit "$fail"
