// Package compat holds the registry compatibility matrix: every registry
// kind mpak meets (distribution/v3 without the referrers API, a GHCR-like
// one that also hides its catalog, a Harbor-like one with a faithful
// referrers API and Harbor webhooks, go-containerregistry's with the API)
// against every product flow (push, pull and install; sign and verify;
// scan and attach; mpakd indexing and download counting). Each cell is a
// test; the README's matrix marks a cell only where one passes.
package compat
