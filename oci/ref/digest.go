package ref

import (
	// go-digest only validates algorithms whose hash is linked in.
	_ "crypto/sha256"
	_ "crypto/sha512"
	"fmt"
	"strings"

	"github.com/opencontainers/go-digest"
)

// digestHexLengths are the algorithms the OCI image spec registers, with the
// length of their hex encoding.
var digestHexLengths = map[string]int{"sha256": 64, "sha512": 128}

// looksLikeDigest tells a digest from a version after '@': versions, tags and
// ranges never contain ':', digests always do.
func looksLikeDigest(s string) bool {
	return strings.Contains(s, ":")
}

// checkDigest returns why s is not a usable digest, or "" if it is.
func checkDigest(s string) string {
	const fix = "pin with sha256:<64 lowercase hex digits>"
	alg, hex, _ := strings.Cut(s, ":")
	want, ok := digestHexLengths[alg]
	if !ok {
		return fmt.Sprintf("digest algorithm %q is not supported: %s (or sha512:<128 hex digits>)", alg, fix)
	}
	if len(hex) != want {
		return fmt.Sprintf("digest %q has %d hex digits where %s needs %d: %s", s, len(hex), alg, want, fix)
	}
	for _, r := range hex {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return fmt.Sprintf("digest %q contains %s: %s", s, describeRune(r), fix)
		}
	}
	// go-digest has the final word so nothing accepted here is refused by
	// the libraries that later fetch by this digest.
	if err := digest.Digest(s).Validate(); err != nil {
		return fmt.Sprintf("digest %q: %v: %s", s, err, fix)
	}
	return ""
}
