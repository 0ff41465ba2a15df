// Package trust signs, attests, verifies and scans bundle versions: the
// part of mpak's API that needs cosign's, sigstore's and the scanners'
// libraries. It extends an mpak.Client, so a version is resolved once and
// that digest is what is signed, verified or scanned; programs that only
// pull and run do not import it and do not pay for those libraries.
package trust

import (
	"github.com/mpak-oci/mpak"
)

// Client is an mpak.Client with signing, verification and scanning.
type Client struct {
	*mpak.Client
}

// New extends c.
func New(c *mpak.Client) *Client { return &Client{Client: c} }
