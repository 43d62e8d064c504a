# syntax=docker/dockerfile:1
# Node 24 LTS in every stage (the same Debian bookworm-slim family as before). Override with
# --build-arg NODE_IMAGE=node:24.x.y-bookworm-slim to pin a patch release.
ARG NODE_IMAGE=node:24-bookworm-slim

# Build stage: full dependencies, compile TypeScript. The full `npm ci` also installs the `node`
# devDependency (its preinstall fetches a Node 24 binary into node_modules, which npx then uses
# for the build); it never reaches the runtime image.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json ormconfig.ts ./
COPY apps ./apps
COPY libs ./libs
COPY scripts ./scripts
RUN npx nest build api

# Production dependencies only (the `node` devDependency is omitted: the image's own Node runs).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# Runtime: non-root, no dev tooling, no sources. NODE_ENV=production: JSON logs.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0 DATA_DIR=/app/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
RUN mkdir -p /app/data && chown -R node:node /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/api/v1/health/live').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
STOPSIGNAL SIGTERM
CMD ["node", "dist/apps/api/src/main.js"]
