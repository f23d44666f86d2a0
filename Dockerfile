# One image for every service; docker-compose.yml picks the entry point per service.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY service-kit/package.json service-kit/
COPY api/package.json api/
COPY origin/package.json origin/
COPY discovery/package.json discovery/
COPY edge/package.json edge/
COPY web/package.json web/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# ffmpeg converts uploaded fallback videos once, in the API, and makes thumbnails from one
# recorded segment each, in the origin (never per live stream).
# openssl makes the self-signed certificate for HAProxy's TLS (the tls-cert service in docker-compose.yml).
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg openssl && rm -rf /var/lib/apt/lists/*
COPY --from=build /app /app
RUN mkdir -p /hls /data/fallback /data/fallback-cache && chown node:node /hls /data/fallback /data/fallback-cache
USER node
