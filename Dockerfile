# Reprise: one image, run as many instances as you like behind a load balancer
# (docker-compose.yml runs three behind nginx; README.md, "Deploying", explains the topology).
#
#   docker build -t reprise .
#   docker run --rm -p 8080:8080 -v "$PWD/media:/media:ro" reprise
#
# Without REPRISE_REDIS_URL an instance keeps its state in the process (one instance
# only); set it to share state with other instances.

# ---- build ------------------------------------------------------------------------
FROM rust:1-bookworm AS build
WORKDIR /src

# Dependencies first, against placeholder sources, so that this (slow) layer is
# rebuilt only when Cargo.toml or Cargo.lock change, not on every source edit.
# bench/loadgen is a member of the workspace: its manifest must be there too.
COPY Cargo.toml Cargo.lock ./
COPY bench/loadgen/Cargo.toml bench/loadgen/Cargo.toml
RUN mkdir -p src bench/loadgen/src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && echo 'fn main() {}' > bench/loadgen/src/main.rs \
    && cargo build --release --locked --bin reprise \
    && rm -rf src bench/loadgen/src

# The real sources (web/ is compiled into the binary).
COPY src src
COPY web web
COPY bench/loadgen/src bench/loadgen/src
# COPY keeps the files' own times, which may be older than the placeholders' build:
# touch them so that cargo rebuilds the crate rather than reusing the placeholder.
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked --bin reprise \
    && install -D -m 0755 target/release/reprise /out/reprise

# ---- runtime ----------------------------------------------------------------------
FROM debian:bookworm-slim

# ffmpeg/ffprobe for the default processor, CA certificates for rediss:// URLs,
# curl for the health check.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 reprise \
    && useradd --system --uid 10001 --gid reprise --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin reprise \
    && mkdir -p /app/config /media /outputs \
    && chown reprise:reprise /media /outputs

WORKDIR /app
COPY config/default.toml /app/config/default.toml
COPY --from=build /out/reprise /usr/local/bin/reprise

# Environment wins over config/default.toml (README.md, "Configuration").
ENV REPRISE_LISTEN=0.0.0.0:8080 \
    REPRISE_MEDIA_ROOT=/media \
    REPRISE_OUTPUT_ROOT=/outputs

# /media: the videos (mount read-only); /outputs: one folder per session, shared by
# every instance so that any of them can serve GET /outputs/<path>.
VOLUME ["/media", "/outputs"]
EXPOSE 8080
USER reprise

# Liveness. Readiness (the shared store answers) is GET /readyz.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS -o /dev/null http://127.0.0.1:8080/healthz || exit 1

# SIGTERM drains: stop accepting, hand running sessions to other instances, close
# sockets (clients reconnect elsewhere and resume), exit 0 within
# REPRISE_DRAIN_GRACE_MS. Give the container longer than that to stop.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/reprise"]
