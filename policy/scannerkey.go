package policy

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/mpak-oci/mpak/oci/connect"
	"github.com/mpak-oci/mpak/oci/verify"
)

// maxScannerKey bounds the published key read (a PEM key is < 1 KiB).
const maxScannerKey = 64 << 10

// RegistryScannerKey fetches the scanner key host publishes at
// ScannerKeyPath; nil, without error, when it publishes none (most
// registries: GHCR, Harbor, distribution).
func RegistryScannerKey(ctx context.Context, host string, opts connect.Options) (*verify.Key, error) {
	client, err := opts.Client()
	if err != nil {
		return nil, err
	}
	scheme := "https"
	if opts.UsePlainHTTP(host) {
		scheme = "http"
	}
	url := scheme + "://" + host + ScannerKeyPath
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching the registry's scanner key: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil
	}
	pem, err := io.ReadAll(io.LimitReader(resp.Body, maxScannerKey))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", url, err)
	}
	k, err := verify.ParseKey(pem)
	if err != nil {
		return nil, fmt.Errorf("%s is no public key: %w", url, err)
	}
	return &k, nil
}
