package mcpb

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseSourceDateEpoch reads SOURCE_DATE_EPOCH, the reproducible-builds
// convention for the time a build stamps (unix seconds), into the time
// callers pass as PackOptions.ModTime or bundle.PrepareOptions.Created.
func ParseSourceDateEpoch(s string) (time.Time, error) {
	sec, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a unix time in seconds; fix or unset it", s)
	}
	return time.Unix(sec, 0).UTC(), nil
}
