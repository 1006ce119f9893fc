# The ccgw image the Kubernetes manifests (deploy/kubernetes) run: one static binary on a
# distroless base, as a non-root user. Build it where a container engine is:
#   docker build -t registry.example/ccgw-harness:v1 --build-arg VERSION=$(git describe --always) .
#   make k8s SHARDS=5 IMAGE=registry.example/ccgw-harness:v1 ...

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# CGO_ENABLED=0: a static binary, nothing to load from the base image.
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/ccgw ./cmd/ccgw

# distroless/static: CA certificates, tzdata and /etc/passwd, no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ccgw /ccgw
# The nonroot user of distroless (65532); the manifests' runAsUser says the same.
USER 65532:65532
ENTRYPOINT ["/ccgw"]
CMD ["help"]
