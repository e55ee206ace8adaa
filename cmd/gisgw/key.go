package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gisgw/gisgw/responder/app"
	"github.com/gisgw/gisgw/responder/config"
	"github.com/gisgw/gisgw/soap/xades"
	"github.com/gisgw/gisgw/soap/xades/cryptopro"
)

// Exit codes of `gisgw key check`, for monitoring.
const (
	keyCheckOK      = 0
	keyCheckWarning = 1 // a certificate expires in less than keyWarnDays
	keyCheckError   = 2 // expired, not yet valid, key and certificate do not match, unreadable
)

// keyWarnDays is when `key check` starts warning about expiry.
const keyWarnDays = 30

// exitCodeError makes the process exit with code after printing nothing more than the
// command already did.
type exitCodeError struct {
	code int
	msg  string
}

func (e exitCodeError) Error() string { return e.msg }

func keyImportCommand() command {
	return command{"convert a CryptoPro container folder or a GOST PFX into a PEM key and certificate (--container DIR | --pfx FILE)", runKeyImport}
}

func keyCheckCommand() command {
	return command{"check the configured signing and TLS key pairs and their expiry (exit 0 ok, 1 warning, 2 error)", runKeyCheck}
}

func runKeyImport(_ context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "key import", "Usage: gisgw key import (--container DIR | --pfx FILE) --out-key FILE --out-cert FILE [--cert FILE]\n\n"+
		"Reads a CryptoPro CSP key container folder (header.key, masks.key, primary.key, …) or a PFX\n"+
		"with GOST algorithms and writes the key as PKCS #8 PEM and the certificate as PEM, which\n"+
		"`gisgw run` and `gisgw sign` read. The PIN or PFX password comes from GISGW_CONTAINER_PIN\n"+
		"(set and empty: an empty PIN) or is asked for on the terminal; never give it as an argument.\n"+
		"The key is encrypted with GISGW_KEY_PASSWORD when that is set.\n")
	dir := fs.String("container", "", "CryptoPro container folder, such as /media/usb/srv.000")
	pfxFile := fs.String("pfx", "", "PFX (PKCS #12) file with a GOST key")
	certFile := fs.String("cert", "", "the key's certificate (PEM or DER), when the container does not carry it")
	outKey := fs.String("out-key", "", "where to write the private key (mode 0600)")
	outCert := fs.String("out-cert", "", "where to write the certificate")
	if _, err := fs.parse(args, ""); err != nil {
		return err
	}
	if (*dir == "") == (*pfxFile == "") || *outKey == "" || *outCert == "" {
		fs.Usage()
		return errors.New("give --container DIR or --pfx FILE, and --out-key and --out-cert")
	}
	var given *x509.Certificate
	if *certFile != "" {
		b, err := os.ReadFile(*certFile)
		if err != nil {
			return fmt.Errorf("read --cert: %w", err)
		}
		if given, err = xades.ParseCertificate(b); err != nil {
			return fmt.Errorf("--cert %s: %w", *certFile, err)
		}
	}
	what := "container PIN"
	if *pfxFile != "" {
		what = "PFX password"
	}
	pin, err := readPIN(env, what)
	if err != nil {
		return err
	}
	var key *cryptopro.Key
	var cert *x509.Certificate
	if *dir != "" {
		c, err := cryptopro.ReadDir(*dir, pin)
		if err != nil {
			return fmt.Errorf("container %s: %w", *dir, err)
		}
		if key, cert, _, err = c.Pair(given); err != nil {
			return fmt.Errorf("container %s: %w", *dir, err)
		}
	} else {
		b, err := os.ReadFile(*pfxFile)
		if err != nil {
			return fmt.Errorf("read --pfx: %w", err)
		}
		if key, cert, err = cryptopro.ReadPFX(b, pin); err != nil {
			return fmt.Errorf("PFX %s: %w", *pfxFile, err)
		}
		if given != nil {
			cert = given
		}
		if _, err := cryptopro.KeyPair(key, cert); err != nil {
			return fmt.Errorf("PFX %s: %w", *pfxFile, err)
		}
	}
	password, encrypt := os.LookupEnv("GISGW_KEY_PASSWORD")
	encrypt = encrypt && password != ""
	keyPEM, err := key.PEM(password)
	if err != nil {
		return err
	}
	if err := writeExclusive(*outKey, keyPEM, 0o600); err != nil {
		return fmt.Errorf("--out-key: %w", err)
	}
	if err := writeExclusive(*outCert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o644); err != nil {
		return fmt.Errorf("--out-cert: %w", err)
	}
	now := env.now()
	fmt.Fprintln(env.stdout, "key and certificate match")
	printCert(env.stdout, cert, now)
	fmt.Fprintf(env.stdout, "key:          %s\n", *outKey)
	fmt.Fprintf(env.stdout, "certificate:  %s\n", *outCert)
	if !encrypt {
		fmt.Fprintf(env.stderr, "warning: %s is not encrypted (mode 0600); set GISGW_KEY_PASSWORD to encrypt it\n", *outKey)
	}
	if now.After(cert.NotAfter) {
		fmt.Fprintln(env.stderr, "warning: the certificate has expired; GIS refuses messages signed with it")
	}
	return nil
}

// writeExclusive writes a new file and refuses to overwrite one: an import must not
// silently replace the key in use.
func writeExclusive(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readPIN takes the PIN from GISGW_CONTAINER_PIN, else asks on the terminal with echo off
// (readTerminal; Linux only).
func readPIN(env *cliEnv, what string) (string, error) {
	if pin, ok := os.LookupEnv("GISGW_CONTAINER_PIN"); ok {
		return pin, nil
	}
	f, ok := env.stdin.(*os.File)
	if !ok {
		return "", fmt.Errorf("set GISGW_CONTAINER_PIN to the %s (empty for none): there is no terminal to ask on", what)
	}
	return readTerminal(f, env.stderr, what)
}

func printCert(w io.Writer, c *x509.Certificate, now time.Time) {
	fmt.Fprintf(w, "subject:      %s\n", c.Subject)
	fmt.Fprintf(w, "issuer:       %s\n", c.Issuer)
	fmt.Fprintf(w, "serial:       %X\n", c.SerialNumber)
	fmt.Fprintf(w, "valid:        %s to %s (%s)\n", c.NotBefore.UTC().Format(time.DateOnly), c.NotAfter.UTC().Format(time.DateOnly), validity(c, now))
}

func validity(c *x509.Certificate, now time.Time) string {
	switch {
	case now.Before(c.NotBefore):
		return "NOT YET VALID"
	case now.After(c.NotAfter):
		return "EXPIRED"
	}
	return fmt.Sprintf("%d days left", daysLeft(c, now))
}

func daysLeft(c *x509.Certificate, now time.Time) int {
	return int(c.NotAfter.Sub(now) / (24 * time.Hour))
}

func runKeyCheck(_ context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "key check", "Usage: gisgw key check --config FILE\n\n"+
		"Prints, for the signing key pair and the TLS client pair of the configuration: the\n"+
		"algorithm, subject, issuer, serial, validity, days left, whether key and certificate\n"+
		"match and whether the certificate is GOST (what GIS accepts).\n"+
		"Exit status: 0 all good; 1 warning (a certificate expires within 30 days, or is not\n"+
		"GOST); 2 error (expired or not yet valid, key and certificate do not match, unreadable).\n")
	path := fs.String("config", os.Getenv("GISGW_CONFIG"), "configuration file (YAML); default $GISGW_CONFIG")
	if _, err := fs.parse(args, ""); err != nil {
		return err
	}
	cfg, err := config.Load(*path, os.Environ())
	if err != nil {
		return exitCodeError{keyCheckError, err.Error()}
	}
	cfg = cfg.WithDefaults()
	now := env.now()
	worst := keyCheckOK
	checked := 0
	if cfg.Signing.Key != "" || cfg.Signing.Container != "" {
		checked++
		fmt.Fprintln(env.stdout, "signing key pair:")
		kp, err := app.LoadSigningPair(cfg.Signing)
		worst = max(worst, reportPair(env.stdout, kp, err, now))
	}
	if cfg.GIS.ClientCert != "" {
		checked++
		fmt.Fprintln(env.stdout, "TLS client key pair:")
		kp, err := loadTLSPair(cfg.GIS.ClientKey, cfg.GIS.ClientCert)
		worst = max(worst, reportPair(env.stdout, kp, err, now))
	}
	if checked == 0 {
		return exitCodeError{keyCheckError, "no signing key (signing.key or signing.container) and no TLS client pair configured"}
	}
	switch worst {
	case keyCheckWarning:
		return exitCodeError{keyCheckWarning, "warning: see above"}
	case keyCheckError:
		return exitCodeError{keyCheckError, "error: see above"}
	}
	fmt.Fprintln(env.stdout, "OK")
	return nil
}

// loadTLSPair reads the TLS client pair: RSA/ECDSA as crypto/tls does, or a GOST pair.
func loadTLSPair(keyFile, certFile string) (*xades.KeyPair, error) {
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("gis.client_key: %w", err)
	}
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("gis.client_cert: %w", err)
	}
	kp, err := xades.LoadKeyPair(keyPEM, certPEM, "")
	if err == nil {
		return kp, nil
	}
	if _, terr := tls.X509KeyPair(certPEM, keyPEM); terr != nil {
		return nil, err
	}
	cert, perr := xades.ParseCertificate(certPEM)
	if perr != nil {
		return nil, perr
	}
	// A non-GOST, non-RSA pair that crypto/tls accepts: report it without a signer.
	return &xades.KeyPair{Certificate: cert}, nil
}

// reportPair prints one pair and returns its exit code.
func reportPair(w io.Writer, kp *xades.KeyPair, err error, now time.Time) int {
	if err != nil {
		fmt.Fprintf(w, "  ERROR:        %v\n", err)
		return keyCheckError
	}
	c := kp.Certificate
	alg := string(kp.Algorithm())
	if alg == "" {
		alg = c.PublicKeyAlgorithm.String()
	}
	gostCert := kp.Algorithm() == xades.SignatureGOST256 || kp.Algorithm() == xades.SignatureGOST512
	fmt.Fprintf(w, "  algorithm:    %s\n", alg)
	fmt.Fprintf(w, "  subject:      %s\n", c.Subject)
	fmt.Fprintf(w, "  issuer:       %s\n", c.Issuer)
	fmt.Fprintf(w, "  serial:       %X\n", c.SerialNumber)
	fmt.Fprintf(w, "  valid:        %s to %s\n", c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "  days left:    %d\n", daysLeft(c, now))
	fmt.Fprintln(w, "  key matches:  yes")
	fmt.Fprintf(w, "  GOST:         %s\n", map[bool]string{true: "yes", false: "no (GIS accepts only GOST R 34.10-2012 signatures)"}[gostCert])
	switch {
	case now.After(c.NotAfter):
		fmt.Fprintln(w, "  ERROR:        the certificate has expired")
		return keyCheckError
	case now.Before(c.NotBefore):
		fmt.Fprintln(w, "  ERROR:        the certificate is not valid yet")
		return keyCheckError
	case daysLeft(c, now) < keyWarnDays:
		fmt.Fprintf(w, "  WARNING:      the certificate expires in less than %d days; order a new one\n", keyWarnDays)
		return keyCheckWarning
	case !gostCert:
		fmt.Fprintln(w, "  WARNING:      not a GOST certificate")
		return keyCheckWarning
	}
	return keyCheckOK
}
