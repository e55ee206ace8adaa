package gissim

import (
	"bytes"
	"crypto/x509"
	"encoding/xml"
	"fmt"

	"github.com/gisgw/gisgw/soap"
	"github.com/gisgw/gisgw/soap/xades"
)

// VerifySignatures returns an Options.Verify that checks the XAdES-BES signature of a
// business message with soap/xades, as GIS does: exactly one valid signature, on the element
// the simulator reads, the only element of soapenv:Body (exportDSRsRequest or
// importDSRResponsesRequest), every Id once in the message. A signed element moved into the
// header, beside or inside an unsigned body is refused, so its unsigned neighbour is never
// recorded. trusted nil accepts any certificate (the signature is still checked against the
// one in KeyInfo); otherwise only these certificates, or certificates they issued directly,
// are accepted. Expired certificates are accepted: the simulator does not judge validity
// periods.
func VerifySignatures(trusted []*x509.Certificate) func(envelope []byte) error {
	return func(envelope []byte) error {
		res, err := xades.VerifyEnvelope(envelope, xades.VerifyOptions{Trusted: trusted, MaxSize: maxRequestSize})
		if err != nil {
			return err
		}
		name, err := firstElement(res.SignedXML)
		if err != nil {
			return fmt.Errorf("signed element: %w", err)
		}
		if name.Space != soap.NSDRS || (name.Local != opExport && name.Local != opImport) {
			return fmt.Errorf("the signature covers %s, not the body element (drs:%s or drs:%s)", describe(name), opExport, opImport)
		}
		// The handler decodes the body with package soap, not with the verifier's parser:
		// both must see the signed element there.
		msg, err := soap.ParseBytes(envelope)
		if err != nil {
			return fmt.Errorf("the signed message: %w", err)
		}
		if msg.BodyName() != name {
			return fmt.Errorf("the body holds %s, the signature covers %s", describe(msg.BodyName()), describe(name))
		}
		return nil
	}
}

func firstElement(b []byte) (xml.Name, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := d.Token()
		if err != nil {
			return xml.Name{}, err
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name, nil
		}
	}
}
