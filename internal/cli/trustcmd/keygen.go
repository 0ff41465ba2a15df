package trustcmd

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/mpak-oci/mpak/oci/sign"
)

// password is COSIGN_PASSWORD, else asked on the terminal (twice when
// confirm is set), as cosign does.
func (a *app) password(confirm bool) ([]byte, error) {
	if pw, ok := a.LookupEnv("COSIGN_PASSWORD"); ok {
		return []byte(pw), nil
	}
	fd := int(os.Stdin.Fd())
	if a.Stdin != os.Stdin || !term.IsTerminal(fd) {
		return nil, errors.New("no password: set COSIGN_PASSWORD (an empty value means no password)")
	}
	fmt.Fprint(a.Stderr, "Enter password for private key: ")
	pw, err := term.ReadPassword(fd)
	fmt.Fprintln(a.Stderr)
	if err != nil || !confirm {
		return pw, err
	}
	fmt.Fprint(a.Stderr, "Enter password for private key again: ")
	again, err := term.ReadPassword(fd)
	fmt.Fprintln(a.Stderr)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(pw, again) {
		return nil, errors.New("the passwords do not match")
	}
	return pw, nil
}

// loadSigner decrypts the cosign private key file with the password.
func (a *app) loadSigner(key string) (signature.SignerVerifier, error) {
	if key == "" {
		return nil, errors.New("no key: pass --key cosign.key (make one with mpak bundle keygen)")
	}
	pem, err := os.ReadFile(key)
	if err != nil {
		return nil, err
	}
	pw, err := a.password(false)
	if err != nil {
		return nil, err
	}
	return sign.LoadPrivateKey(pem, pw)
}

func (a *app) keygenCommand() *cobra.Command {
	var prefix string
	var force bool
	cmd := &cobra.Command{
		Use:   "keygen",
		Short: "Make a cosign key pair (cosign.key, cosign.pub) in the current directory",
		Long: "Writes cosign's formats, so `cosign sign --key` and `cosign verify --key` use the same files. The private\n" +
			"key is encrypted with a password from COSIGN_PASSWORD or asked on the terminal.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			priv, pub := prefix+".key", prefix+".pub"
			if !force {
				// Checked before asking for the password, to fail early;
				// the O_EXCL create in writeKeyFile is what guarantees it.
				for _, f := range []string{priv, pub} {
					if err := refuseExisting(f); err != nil {
						return err
					}
				}
			}
			pw, err := a.password(true)
			if err != nil {
				return err
			}
			keys, err := sign.GenerateKeyPair(pw)
			if err != nil {
				return err
			}
			if err := writeKeyFile(priv, keys.Private, 0o600, force); err != nil {
				return err
			}
			if err := writeKeyFile(pub, keys.Public, 0o644, force); err != nil {
				if !force {
					// Without --force priv is new: do not leave half a pair.
					os.Remove(priv)
				}
				return err
			}
			a.Infof("private key written to %s, public key to %s", priv, pub)
			return nil
		},
	}
	cmd.Flags().StringVar(&prefix, "output-key-prefix", "cosign", "name of the key files, without .key/.pub")
	cmd.Flags().BoolVar(&force, "force", false, "replace existing key files (a symlink is replaced, never written through)")
	return cmd
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
		return fmt.Errorf("%s exists and is a symlink to %s; keygen never writes through a link: remove it, or pass --force to replace the link itself", path, target)
	default:
		return fmt.Errorf("%s exists: move it away or pass --force to overwrite it", path)
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
		return fmt.Errorf("%s is a directory; pass another --output-key-prefix", path)
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
