package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/gisgw/gisgw/responder/config"
	"github.com/gisgw/gisgw/soap/xades"
)

func signCommand() command {
	return command{"sign an XML document (stdin) with XAdES-BES, GOST or RSA (--sign-key FILE --sign-cert FILE, or --config FILE)", runSign}
}

func verifyCommand() command {
	return command{"verify the XAdES signature of a SOAP message's body element (stdin) [--trust CERTFILE]", runVerify}
}

func runSign(_ context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "sign", "Usage: gisgw sign (--sign-key FILE --sign-cert FILE | --config FILE) [--id ID] [--password-env VAR] < in.xml > out.xml\n\n"+
		"Inserts an enveloped XAdES-BES signature as the first child of the element with the Id.\n"+
		"The algorithm follows the certificate: GOST R 34.10-2012 256/512 or RSA-SHA256.\n")
	var keyFile, certFile string
	fs.StringVar(&keyFile, "sign-key", "", "private key, PEM (PKCS #8 as openssl genpkey -engine gost writes it, optionally encrypted)")
	fs.StringVar(&certFile, "sign-cert", "", "the key's certificate, PEM or DER")
	fs.StringVar(&keyFile, "key", "", "deprecated: use --sign-key")
	fs.StringVar(&certFile, "cert", "", "deprecated: use --sign-cert")
	configPath := fs.String("config", "", "configuration `FILE` to take signing.key, signing.cert and signing.key_password from when the flags are absent")
	id := fs.String("id", xades.DefaultID, "Id attribute of the element to sign")
	passwordEnv := fs.String("password-env", "", "name of the environment variable holding the key's password")
	refuseExpired := fs.Bool("refuse-expired", false, "fail instead of warning when the certificate is not valid now")
	inclusive := fs.Bool("inclusive-c14n", false, "canonicalize SignedInfo with inclusive C14N 1.0 instead of exclusive")
	if _, err := fs.parse(args, ""); err != nil {
		return err
	}
	password := ""
	if *configPath != "" && keyFile == "" && certFile == "" {
		cfg, err := config.Load(*configPath, nil)
		if err != nil {
			return err
		}
		keyFile, certFile, password = cfg.Signing.Key, cfg.Signing.Cert, cfg.Signing.KeyPassword.Reveal()
	}
	if keyFile == "" || certFile == "" {
		fs.Usage()
		return errors.New("--sign-key and --sign-cert are required (or --config with signing.key and signing.cert)")
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return fmt.Errorf("read key: %w", err)
	}
	certBytes, err := os.ReadFile(certFile)
	if err != nil {
		return fmt.Errorf("read certificate: %w", err)
	}
	if *passwordEnv != "" {
		var ok bool
		if password, ok = os.LookupEnv(*passwordEnv); !ok {
			return fmt.Errorf("--password-env %s: the variable is not set", *passwordEnv)
		}
	}
	kp, err := xades.LoadKeyPair(keyPEM, certBytes, password)
	if err != nil {
		return fmt.Errorf("key %s with certificate %s: %w", keyFile, certFile, err)
	}
	opts := xades.Options{
		RefuseExpired: *refuseExpired,
		Logger:        slog.New(slog.NewTextHandler(env.stderr, nil)),
	}
	if *inclusive {
		opts.SignedInfoC14N = xades.C14NInclusive
	}
	signer, err := xades.NewSigner(kp, opts)
	if err != nil {
		return fmt.Errorf("certificate %s: %w", certFile, err)
	}
	doc, err := readDocument(env.stdin)
	if err != nil {
		return err
	}
	out, err := signer.Sign(doc, *id)
	if err != nil {
		return err
	}
	_, err = env.stdout.Write(out)
	return err
}

func runVerify(_ context.Context, env *cliEnv, args []string) error {
	fs := newFlags(env, "verify", "Usage: gisgw verify [--trust CERTFILE] < signed.xml\n\n"+
		"Prints OK, the algorithm and the signer's certificate; exits 1 with the reason when the\n"+
		"signature does not hold. The signed element must be the only element in soapenv:Body,\n"+
		"the one a receiver reads; a signature elsewhere (header, beside or inside the body) fails.\n"+
		"An expired certificate is reported, not treated as a failure.\n")
	trustFile := fs.String("trust", "", "accept only this certificate or certificates it issued (PEM bundle or DER); default: any")
	if _, err := fs.parse(args, ""); err != nil {
		return err
	}
	opts := xades.VerifyOptions{}
	if *trustFile != "" {
		b, err := os.ReadFile(*trustFile)
		if err != nil {
			return fmt.Errorf("read --trust: %w", err)
		}
		certs, err := xades.ParseCertificates(b)
		if err != nil {
			return fmt.Errorf("--trust %s: %w", *trustFile, err)
		}
		opts.Trusted = certs
	}
	doc, err := readDocument(env.stdin)
	if err != nil {
		return err
	}
	res, verr := xades.VerifyEnvelope(doc, opts)
	if verr != nil {
		if res != nil {
			printCertificate(env.stderr, res.Certificate)
		}
		return verr
	}
	w := env.stdout
	fmt.Fprintln(w, "OK")
	fmt.Fprintf(w, "algorithm:    %s\n", res.Algorithm)
	fmt.Fprintf(w, "signed Id:    %s\n", res.SignedID)
	fmt.Fprintf(w, "signed body:  %s\n", bodyElementName(res.SignedXML))
	if !res.SigningTime.IsZero() {
		fmt.Fprintf(w, "signing time: %s\n", res.SigningTime.Format(time.RFC3339))
	}
	printCertificate(w, res.Certificate)
	if res.Certificate.Expired || res.Certificate.NotYetValid {
		fmt.Fprintln(env.stderr, "warning: the certificate is not valid now; GIS would reject a message signed with it")
	}
	return nil
}

func printCertificate(w io.Writer, c xades.CertificateInfo) {
	state := "valid now"
	switch {
	case c.Expired:
		state = "EXPIRED"
	case c.NotYetValid:
		state = "NOT YET VALID"
	}
	fmt.Fprintf(w, "certificate:  %s\n", c.Subject)
	fmt.Fprintf(w, "issuer:       %s\n", c.Issuer)
	fmt.Fprintf(w, "serial:       %s\n", c.Serial)
	fmt.Fprintf(w, "validity:     %s to %s (%s)\n", c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339), state)
}

// readDocument reads stdin up to the size Sign and Verify accept, so an oversized input fails
// with a clear message instead of filling memory.
func readDocument(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, xades.DefaultMaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read stdin: %w", err)
	}
	if len(b) > xades.DefaultMaxSize {
		return nil, fmt.Errorf("%w: stdin holds more than %d bytes", xades.ErrTooLarge, xades.DefaultMaxSize)
	}
	return b, nil
}

// bodyElementName names the verified element from the bytes that were verified, never from
// the document, which may hold anything beside them.
func bodyElementName(signedXML []byte) string {
	d := xml.NewDecoder(bytes.NewReader(signedXML))
	for {
		tok, err := d.Token()
		if err != nil {
			return "?"
		}
		if se, ok := tok.(xml.StartElement); ok {
			return "{" + se.Name.Space + "}" + se.Name.Local
		}
	}
}
