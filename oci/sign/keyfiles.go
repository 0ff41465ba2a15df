package sign

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ExistsError is returned when a key file would replace something already
// at Path; Link is where it points when it is a symlink (dangling or not).
type ExistsError struct {
	Path, Link string
}

func (e *ExistsError) Error() string {
	if e.Link != "" {
		return fmt.Sprintf("%s exists and is a symlink to %s; a key is never written through a link", e.Path, e.Link)
	}
	return e.Path + " exists"
}

// KeyFiles are the paths a key pair is written to: prefix.key and
// prefix.pub, as cosign names them.
func KeyFiles(prefix string) (private, public string) { return prefix + ".key", prefix + ".pub" }

// CheckKeyFiles returns an *ExistsError when anything, even a dangling
// symlink, is at either path of prefix: callers check before asking for
// a password; WriteKeyPair's exclusive create is what guarantees it.
func CheckKeyFiles(prefix string) error {
	priv, pub := KeyFiles(prefix)
	for _, p := range []string{priv, pub} {
		if err := refuseExisting(p); err != nil {
			return err
		}
	}
	return nil
}

// WriteKeyPair writes kp's private key (0600) and public key (0644) under
// prefix. Without replace it refuses anything already there; with
// replace it renames new files over the old ones, links included (never
// through them). A failed write of the public key removes a private key
// it had just created, so no half pair is left.
func WriteKeyPair(prefix string, kp *KeyPair, replace bool) error {
	priv, pub := KeyFiles(prefix)
	if err := writeKeyFile(priv, kp.Private, 0o600, replace); err != nil {
		return err
	}
	if err := writeKeyFile(pub, kp.Public, 0o644, replace); err != nil {
		if !replace {
			os.Remove(priv)
		}
		return err
	}
	return nil
}

// refuseExisting fails when anything, even a dangling symlink, is at path.
// Stat would follow a planted link and report its missing target as free.
func refuseExisting(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("%s: %w", path, err)
	case fi.Mode()&fs.ModeSymlink != 0:
		target, _ := os.Readlink(path)
		return &ExistsError{Path: path, Link: target}
	default:
		return &ExistsError{Path: path}
	}
}

// writeKeyFile writes data to path with mode perm. A link planted at path
// must never redirect the key (a private key written into a file an
// attacker can read, or a public key over a file of the user's), so:
// without replace, O_EXCL creates the file and fails on anything already
// there, a symlink included, since O_CREATE|O_EXCL does not follow links;
// with replace, the key goes to a new file beside path that is renamed over
// it, and rename replaces a link rather than its target.
func writeKeyFile(path string, data []byte, perm os.FileMode, replace bool) error {
	if !replace {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			return refuseExisting(path)
		} else if err != nil {
			return fmt.Errorf("write key: %w", err)
		}
		if err := finishKeyFile(f, data, perm); err != nil {
			os.Remove(path)
			return err
		}
		return nil
	}
	if fi, err := os.Lstat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%s is a directory: write the keys under another name", path)
	}
	// CreateTemp makes the file 0600 and exclusively: the private key is
	// never readable by others, not even before the chmod.
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write key: %w (is the directory writable?)", err)
	}
	tmp := f.Name()
	if err := finishKeyFile(f, data, perm); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write key: %w", err)
	}
	return nil
}

// finishKeyFile writes data to the new file f, sets perm despite the umask,
// flushes and closes it.
func finishKeyFile(f *os.File, data []byte, perm os.FileMode) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write key %s: %w", f.Name(), err)
	}
	return nil
}
