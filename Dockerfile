# The executable, built with the official Deno image at the project's Deno version, run on
# a distroless base as a non-root user.
#
#   docker build -t schedule:0.1.0 .
#   docker run --rm -v $PWD/config:/app/config:ro schedule:0.1.0            # a node
#   docker run --rm -v $PWD/config:/app/config:ro schedule:0.1.0 worker --config /app/config/config.yml

FROM denoland/deno:2.9.6 AS build
WORKDIR /src
COPY deno.json deno.lock ./
COPY mod.ts client.ts server.ts ./
COPY lib ./lib
RUN deno install --frozen --entrypoint server.ts \
 && deno task compile

FROM gcr.io/distroless/cc-debian12:nonroot
WORKDIR /app
COPY --from=build /src/dist/schedule /app/schedule
COPY config/config.yml /app/config/config.yml
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/app/schedule"]
CMD ["serve", "--config", "/app/config/config.yml"]
