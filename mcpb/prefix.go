package mcpb

import (
	"archive/zip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ErrPrefixed is matched when bytes precede a bundle's first zip entry.
var ErrPrefixed = errors.New("bytes before the zip's first entry")

// localHeaderLen is the fixed part of a zip local file header.
const localHeaderLen = 30

// checkNoPrefix refuses an archive whose first entry does not start at
// byte 0. Zip readers find the central directory from the end and accept
// anything in front, so "#!/bin/sh ..." followed by a valid zip is both a
// shell script and a bundle: a polyglot a publisher could get written to
// a path that runs. A bundle is a zip and nothing else.
func checkNoPrefix(r io.ReaderAt, zr *zip.Reader) error {
	if len(zr.File) == 0 {
		return nil
	}
	var h [localHeaderLen]byte
	if _, err := r.ReadAt(h[:], 0); err != nil {
		return fmt.Errorf("%w: the file is shorter than a zip entry header", ErrPrefixed)
	}
	if string(h[:4]) != "PK\x03\x04" {
		return fmt.Errorf("%w: it does not start with a zip entry (%q...): refusing a file that is something else too, such as a script; repack it with mpak bundle pack", ErrPrefixed, h[:4])
	}
	// The entry at byte 0 must be one the central directory lists: a
	// decoy header in front of the real archive is a prefix as well.
	first := int64(localHeaderLen) + int64(binary.LittleEndian.Uint16(h[26:])) + int64(binary.LittleEndian.Uint16(h[28:]))
	for _, f := range zr.File {
		if off, err := f.DataOffset(); err == nil && off == first {
			return nil
		}
	}
	return fmt.Errorf("%w: the entry at byte 0 is not in the archive's directory: refusing a file with something in front of the zip; repack it with mpak bundle pack", ErrPrefixed)
}
