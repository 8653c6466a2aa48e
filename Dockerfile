# Higate in a container: a static binary (CGO_ENABLED=0; SQLite is pure Go)
# on a distroless base, running as a non-root user with its data in /data.
#   docker build -t higate .
#   docker run -p 8080:8080 -v higate-data:/data -e HIGATE_ADMIN_TOKEN=... higate
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/higate ./cmd/higate \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/higate /usr/local/bin/higate
# The volume's mount point belongs to the image's non-root user (65532).
COPY --from=build --chown=65532:65532 /out/data /data
VOLUME /data
ENV HIGATE_ADDR=0.0.0.0:8080 \
    HIGATE_DATA=/data \
    HIGATE_SANDBOX=false
EXPOSE 8080
USER nonroot:nonroot
# distroless has no shell or curl: the binary checks itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/higate", "health", "--url", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/usr/local/bin/higate"]
CMD ["serve"]
