package xades

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"strings"
)

// RFC 2253 keywords; every other attribute is written as its dotted OID, as in the
// X509IssuerName of messages GIS accepts ("1.2.840.113549.1.9.1=…, 1.2.643.100.1=…").
var rfc2253Keywords = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.6":                    "C",
	"2.5.4.9":                    "STREET",
	"0.9.2342.19200300.100.1.25": "DC",
	"0.9.2342.19200300.100.1.1":  "UID",
}

// Friendlier names for display only (CLI output): Russian qualified certificates carry OGRN,
// INN and SNILS as bare OIDs.
var displayKeywords = map[string]string{
	"1.2.840.113549.1.9.1": "E",
	"2.5.4.4":              "SN",
	"2.5.4.42":             "G",
	"2.5.4.12":             "T",
	"1.2.643.100.1":        "OGRN",
	"1.2.643.100.5":        "OGRNIP",
	"1.2.643.100.3":        "SNILS",
	"1.2.643.3.131.1.1":    "INN",
	"1.2.643.100.4":        "INNLE",
}

// formatName writes a DER Name in RFC 2253 order (last RDN first). String values are written as
// text, other values as #hex of their DER. display adds the friendlier keywords.
func formatName(rawName []byte, display bool) string {
	var seq pkix.RDNSequence
	if rest, err := asn1.Unmarshal(rawName, &seq); err != nil || len(rest) != 0 {
		return "#" + hex.EncodeToString(rawName)
	}
	var b strings.Builder
	for i := len(seq) - 1; i >= 0; i-- {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		for j, atv := range seq[i] {
			if j > 0 {
				b.WriteString("+")
			}
			oid := atv.Type.String()
			key, ok := rfc2253Keywords[oid]
			if !ok && display {
				key, ok = displayKeywords[oid]
			}
			if !ok {
				key = oid
			}
			b.WriteString(key)
			b.WriteByte('=')
			if s, ok := atv.Value.(string); ok {
				b.WriteString(escapeDNValue(s))
			} else if der, err := asn1.Marshal(atv.Value); err == nil {
				b.WriteString("#" + hex.EncodeToString(der))
			}
		}
	}
	return b.String()
}

// escapeDNValue escapes an attribute value as RFC 2253 section 2.4 asks.
func escapeDNValue(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case strings.ContainsRune(`,+"\<>;`, r),
			i == 0 && (r == ' ' || r == '#'),
			i == len(s)-1 && r == ' ':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
