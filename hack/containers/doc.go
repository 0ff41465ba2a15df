// Package containers is the container suite: mpakd's FROM-scratch image
// alone and in --upstream mode next to a registry container, through
// dockertest. Its tests carry the docker build tag: run them with
// `make images test-docker` (what .ci/run does), which needs a Docker
// engine.
package containers
