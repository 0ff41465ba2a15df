package trustcmd

import (
	"bytes"
	"errors"
	"fmt"
	"os"

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

// loadPublicKey reads a cosign public key file.
func loadPublicKey(path string) (signature.Verifier, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return sign.LoadPublicKey(pem)
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
			if !force {
				// Checked before asking for the password, to fail early.
				if err := sign.CheckKeyFiles(prefix); err != nil {
					return keyFileHint(err)
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
			if err := sign.WriteKeyPair(prefix, keys, force); err != nil {
				return keyFileHint(err)
			}
			priv, pub := sign.KeyFiles(prefix)
			a.Infof("private key written to %s, public key to %s", priv, pub)
			return nil
		},
	}
	cmd.Flags().StringVar(&prefix, "output-key-prefix", "cosign", "name of the key files, without .key/.pub")
	cmd.Flags().BoolVar(&force, "force", false, "replace existing key files (a symlink is replaced, never written through)")
	return cmd
}

// keyFileHint says what to do about a key file in the way.
func keyFileHint(err error) error {
	var exists *sign.ExistsError
	switch {
	case !errors.As(err, &exists):
		return err
	case exists.Link != "":
		return fmt.Errorf("%s exists and is a symlink to %s; keygen never writes through a link: remove it, or pass --force to replace the link itself",
			exists.Path, exists.Link)
	default:
		return fmt.Errorf("%s exists: move it away or pass --force to overwrite it", exists.Path)
	}
}
