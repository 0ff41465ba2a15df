package main

import (
	"crypto"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/spf13/pflag"

	"github.com/mpak-oci/mpak/oci/verify"
	"github.com/mpak-oci/mpak/registry/auth"
	"github.com/mpak-oci/mpak/registry/server"
)

// scannerFlags say whose scan verdicts the catalog trusts and whether
// mpakd scans what is published to it.
type scannerFlags struct {
	scan    bool
	key     string
	trusted []string
	vulnDB  string
}

// addTrust adds the flags every command that indexes needs: a reindex
// must trust the same scanners as the server.
func (s *scannerFlags) addTrust(fl *pflag.FlagSet) {
	fl.StringVar(&s.key, "scanner-key", "", "ECDSA P-256 key (PEM) mpakd signs its scan verdicts with and publishes at /.well-known/mpak/scanner.pub "+
		"(default with --scan: --data/scanner.key, created if missing; replicas on one --db need the same file)")
	fl.StringArrayVar(&s.trusted, "trusted-scanner-key", nil, "public key (PEM) of another scanner whose signed verdicts set levels in the catalog (repeatable)")
}

// addScan adds serve's own flags.
func (s *scannerFlags) addScan(fl *pflag.FlagSet) {
	fl.BoolVar(&s.scan, "scan", false, "scan each version pushed (L1-L2, offline) and attach the reports with a verdict signed by --scanner-key")
	fl.StringVar(&s.vulnDB, "scan-vuln-db", "", "directory of OSV JSON files for --scan's vulnerability control (without it no version reaches L2)")
}

// apply loads the keys into o. The default key file is created only when
// mpakd is to scan; the maintenance commands use it when it exists.
func (s *scannerFlags) apply(o *server.Options, data, db string) error {
	for _, path := range s.trusted {
		pem, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("--trusted-scanner-key: %w", err)
		}
		k, err := verify.ParseKey(pem)
		if err != nil {
			return fmt.Errorf("--trusted-scanner-key %s: %w", path, err)
		}
		o.TrustedScanners = append(o.TrustedScanners, k)
	}
	path := s.key
	if path == "" {
		if s.scan && (strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")) {
			return errors.New("--scan with a shared --db needs --scanner-key, the same file on every replica: " +
				"a verdict one replica signs must verify on the others")
		}
		if data == "" {
			return nil
		}
		path = filepath.Join(data, "scanner.key")
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && !s.scan {
			return nil
		}
	}
	key, err := auth.LoadOrCreateKey(path)
	if err != nil {
		return fmt.Errorf("scanner key: %w", err)
	}
	sv, err := signature.LoadECDSASignerVerifier(key, crypto.SHA256)
	if err != nil {
		return fmt.Errorf("scanner key %s: %w", path, err)
	}
	pub, err := cryptoutils.MarshalPublicKeyToPEM(key.Public())
	if err != nil {
		return err
	}
	o.ScannerKey, o.ScannerPublicKey = sv, pub
	o.Scan, o.ScanVulnDB = s.scan, s.vulnDB
	return nil
}
