# Dockerfile: one runtime image holding phoneauth-auth, phoneauth-sms-worker and the phoneauth CLI
# (the command picks the program), plus a separate `fake-twilio` target for trying the stack
# without a Twilio account.
#
#   docker build -t phoneauth .                                   # the runtime image (last stage)
#   docker build --target fake-twilio -t phoneauth-fake-twilio .
#   docker run --rm --env-file .env phoneauth phoneauth-auth migrate
#   docker run --rm --env-file .env phoneauth phoneauth-sms-worker
#
# Stages: build (compilers, -dev packages), base (runtime libraries and the phoneauth user),
# fake-twilio-build and fake-twilio, runtime. BuildKit builds only the stages a target needs; the
# legacy builder (docker-compose 1.29 without COMPOSE_DOCKER_CLI_BUILD=1 DOCKER_BUILDKIT=1) also
# builds the fake's stages when building runtime, which costs time but changes nothing.

ARG DEBIAN_IMAGE=debian:12-slim

# ---- build -------------------------------------------------------------------------------------
# scripts/deps.sh's list without the PostgreSQL server and client, clang and cmocka (tests only).
FROM ${DEBIAN_IMAGE} AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config g++ \
      libnng-dev protobuf-c-compiler libprotobuf-c-dev \
      libsodium-dev libcurl4-openssl-dev libpq-dev libjson-c-dev libssl-dev \
      libphonenumber-dev libutf8proc-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The install prefix is compiled in: PHONEAUTH_MIGRATIONS_DIR defaults to
# /usr/local/share/phoneauth/migrations, where the runtime stage puts them. -Werror stays for CI
# (`make test`); an image build should not fail on a warning only -O3 shows.
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr/local \
      -DPHONEAUTH_TESTS=OFF -DPHONEAUTH_WERROR=OFF \
 && cmake --build /build -j"$(nproc)" \
 && cmake --install /build --prefix /staging --strip

# ---- base: runtime libraries only ---------------------------------------------------------------
# curl: the worker's health check (GET /healthz); libcurl4 is needed by the worker anyway.
FROM ${DEBIAN_IMAGE} AS base
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libnng1 libprotobuf-c1 libsodium23 libcurl4 libpq5 libjson-c5 libssl3 libphonenumber8 \
      libutf8proc2 \
      ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 phoneauth \
 && useradd --uid 10001 --gid phoneauth --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin phoneauth
# Inside a container the loopback defaults are useless: listen on every interface. Publishing is
# decided by whoever runs the container. PHONEAUTH_JOBS_URL is not set here: auth listens on it and
# workers dial it, so its value depends on the program (compose.yaml sets both).
ENV PHONEAUTH_RPC_URL=tcp://0.0.0.0:7400 \
    PHONEAUTH_ADMIN_URL=tcp://0.0.0.0:7401 \
    PHONEAUTH_HTTP=0.0.0.0:7480 \
    PHONEAUTH_WORKER_HTTP=0.0.0.0:7481
WORKDIR /

# ---- fake Twilio (not in the runtime image) --------------------------------------------------------
# phoneauth-fake-twilio is a test-suite program: CMake builds it only with PHONEAUTH_TESTS=ON (which
# needs cmocka) and installs nothing for it. It is built here from the same tree and shipped in its
# own image, so the production image carries nothing that answers like Twilio.
FROM build AS fake-twilio-build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends libcmocka-dev \
 && rm -rf /var/lib/apt/lists/*
RUN cmake -S . -B /build -DPHONEAUTH_TESTS=ON \
 && cmake --build /build --target phoneauth-fake-twilio -j"$(nproc)" \
 && strip /build/tests/phoneauth-fake-twilio

FROM base AS fake-twilio
COPY --from=fake-twilio-build /build/tests/phoneauth-fake-twilio /usr/local/bin/
USER 10001:10001
EXPOSE 7490
# Needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN: the credentials the workers will send.
CMD ["phoneauth-fake-twilio", "--listen", "0.0.0.0:7490", "--auto-callback-ms", "1000"]

# ---- runtime (the default target) -------------------------------------------------------------
FROM base AS runtime
COPY --from=build /staging/bin/phoneauth-auth /staging/bin/phoneauth-sms-worker \
     /staging/bin/phoneauth /usr/local/bin/
COPY --from=build /staging/share/phoneauth/ /usr/local/share/phoneauth/
# The phoneauth user (numeric, so that "run as non-root" checks can see it).
USER 10001:10001
# 7400 Auth RPC, 7401 Admin RPC, 7402 SMS jobs (workers dial it), 7480 auth /healthz /metrics,
# 7481 worker /twilio/status /healthz /metrics.
EXPOSE 7400 7401 7402 7480 7481
# No ENTRYPOINT: the command names the program (phoneauth-auth [serve|migrate|check-config],
# phoneauth-sms-worker, phoneauth ...). Both services drain on SIGTERM.
CMD ["phoneauth-auth", "serve"]
