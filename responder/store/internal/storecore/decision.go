package storecore

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/gisgw/gisgw/responder/domain"
)

// decisionDoc is the stored JSON form of a decision. It has its own tags so that renaming a
// Go field never silently changes what old rows mean.
type decisionDoc struct {
	RuleVersion   string        `json:"rule_version"`
	DecidedAt     time.Time     `json:"decided_at"`
	PremisesIDs   []string      `json:"premises_ids,omitempty"`
	MatchMethod   string        `json:"match_method,omitempty"`
	HasDebt       bool          `json:"has_debt"`
	DebtInfo      []debtInfoDoc `json:"debt_info,omitempty"`
	Evidence      []evidenceDoc `json:"evidence,omitempty"`
	Review        bool          `json:"review"`
	ReviewReasons []string      `json:"review_reasons,omitempty"`
	Description   string        `json:"description,omitempty"`
	Notes         []string      `json:"notes,omitempty"`
	DecidedBy     string        `json:"decided_by,omitempty"`
	Comment       string        `json:"comment,omitempty"`
	Correction    bool          `json:"correction,omitempty"`
}

type debtInfoDoc struct {
	Person    personDoc     `json:"person"`
	Documents []documentDoc `json:"documents,omitempty"`
}

type personDoc struct {
	LastName   string `json:"last_name"`
	FirstName  string `json:"first_name"`
	MiddleName string `json:"middle_name,omitempty"`
	SNILS      string `json:"snils,omitempty"`
	DocType    string `json:"doc_type,omitempty"`
	DocSeries  string `json:"doc_series,omitempty"`
	DocNumber  string `json:"doc_number,omitempty"`
}

type documentDoc struct {
	ActOrg         string `json:"act_org,omitempty"`
	ActID          string `json:"act_id,omitempty"`
	Name           string `json:"name"`
	Path           string `json:"path"`
	Hash           string `json:"hash,omitempty"`
	Size           int64  `json:"size"`
	AttachmentGUID string `json:"attachment_guid,omitempty"`
}

type evidenceDoc struct {
	ActID   string `json:"act_id"`
	Counted bool   `json:"counted"`
	Reason  string `json:"reason"`
}

// EncodeDecision returns the JSON the store keeps for d (the sub-request GUID is a column):
// json.Marshal of its decisionDoc, byte for byte, written by hand (reflection was a tenth of
// saving a batch of decisions; TestEncodeDecisionIsMarshal compares the two).
func EncodeDecision(d domain.Decision) ([]byte, error) {
	return AppendDecision(make([]byte, 0, 512+64*len(d.Evidence)), d)
}

// AppendDecision appends EncodeDecision(d) to b: a batch's bodies can share one buffer.
func AppendDecision(b []byte, d domain.Decision) ([]byte, error) {
	at, err := d.DecidedAt.MarshalJSON()
	if err != nil {
		// A time JSON cannot hold (a year past 9999): json.Marshal's error.
		_, err := marshalDecision(d)
		return b, err
	}
	b = append(b, `{"rule_version":`...)
	b = appendJSONString(b, d.RuleVersion)
	b = append(b, `,"decided_at":`...)
	b = append(b, at...)
	if len(d.PremisesIDs) > 0 {
		b = appendJSONStrings(append(b, `,"premises_ids":`...), d.PremisesIDs)
	}
	if d.MatchMethod != "" {
		b = appendJSONString(append(b, `,"match_method":`...), d.MatchMethod)
	}
	b = strconv.AppendBool(append(b, `,"has_debt":`...), d.HasDebt)
	if len(d.DebtInfo) > 0 {
		b = append(b, `,"debt_info":[`...)
		for i, di := range d.DebtInfo {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendPerson(append(b, `{"person":`...), di.Person)
			if len(di.Documents) > 0 {
				b = append(b, `,"documents":[`...)
				for j, doc := range di.Documents {
					if j > 0 {
						b = append(b, ',')
					}
					b = appendDocument(b, doc)
				}
				b = append(b, ']')
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if len(d.Evidence) > 0 {
		b = append(b, `,"evidence":[`...)
		for i, e := range d.Evidence {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(append(b, `{"act_id":`...), e.ActID)
			b = strconv.AppendBool(append(b, `,"counted":`...), e.Counted)
			b = append(appendJSONString(append(b, `,"reason":`...), e.Reason), '}')
		}
		b = append(b, ']')
	}
	b = strconv.AppendBool(append(b, `,"review":`...), d.Review)
	if len(d.ReviewReasons) > 0 {
		b = appendJSONStrings(append(b, `,"review_reasons":`...), d.ReviewReasons)
	}
	b = appendOmitEmpty(b, `,"description":`, d.Description)
	if len(d.Notes) > 0 {
		b = appendJSONStrings(append(b, `,"notes":`...), d.Notes)
	}
	b = appendOmitEmpty(b, `,"decided_by":`, d.DecidedBy)
	b = appendOmitEmpty(b, `,"comment":`, d.Comment)
	if d.Correction {
		b = append(b, `,"correction":true`...)
	}
	return append(b, '}'), nil
}

// marshalDecision is EncodeDecision by reflection over decisionDoc, the stored form's
// definition.
func marshalDecision(d domain.Decision) ([]byte, error) {
	b, err := json.Marshal(decisionDocOf(d))
	if err != nil {
		return nil, fmt.Errorf("encode decision for %s: %w", d.SubRequestGUID, err)
	}
	return b, nil
}

func decisionDocOf(d domain.Decision) decisionDoc {
	doc := decisionDoc{
		RuleVersion: d.RuleVersion, DecidedAt: d.DecidedAt, PremisesIDs: d.PremisesIDs,
		MatchMethod: d.MatchMethod, HasDebt: d.HasDebt, Review: d.Review,
		ReviewReasons: d.ReviewReasons, Description: d.Description, Notes: d.Notes,
		DecidedBy: d.DecidedBy, Comment: d.Comment, Correction: d.Correction,
	}
	for _, di := range d.DebtInfo {
		x := debtInfoDoc{Person: personDoc(di.Person)}
		for _, doc := range di.Documents {
			x.Documents = append(x.Documents, documentDoc(doc))
		}
		doc.DebtInfo = append(doc.DebtInfo, x)
	}
	for _, e := range d.Evidence {
		doc.Evidence = append(doc.Evidence, evidenceDoc(e))
	}
	return doc
}

func appendPerson(b []byte, p domain.Person) []byte {
	b = appendJSONString(append(b, `{"last_name":`...), p.LastName)
	b = appendJSONString(append(b, `,"first_name":`...), p.FirstName)
	b = appendOmitEmpty(b, `,"middle_name":`, p.MiddleName)
	b = appendOmitEmpty(b, `,"snils":`, p.SNILS)
	b = appendOmitEmpty(b, `,"doc_type":`, p.DocType)
	b = appendOmitEmpty(b, `,"doc_series":`, p.DocSeries)
	b = appendOmitEmpty(b, `,"doc_number":`, p.DocNumber)
	return append(b, '}')
}

func appendDocument(b []byte, d domain.Document) []byte {
	b = append(b, '{')
	if d.ActOrg != "" {
		b = append(appendJSONString(append(b, `"act_org":`...), d.ActOrg), ',')
	}
	if d.ActID != "" {
		b = append(appendJSONString(append(b, `"act_id":`...), d.ActID), ',')
	}
	b = appendJSONString(append(b, `"name":`...), d.Name)
	b = appendJSONString(append(b, `,"path":`...), d.Path)
	b = appendOmitEmpty(b, `,"hash":`, d.Hash)
	b = strconv.AppendInt(append(b, `,"size":`...), d.Size, 10)
	b = appendOmitEmpty(b, `,"attachment_guid":`, d.AttachmentGUID)
	return append(b, '}')
}

// appendOmitEmpty appends the member name and s unless s is "" (omitempty).
func appendOmitEmpty(b []byte, name, s string) []byte {
	if s == "" {
		return b
	}
	return appendJSONString(append(b, name...), s)
}

func appendJSONStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// appendJSONString appends s quoted as encoding/json writes it (HTML escaping on): ", \ and
// controls escaped (\b \f \n \r \t by name), <, > and & as \u003c..., an invalid byte as
// \ufffd, U+2028 and U+2029 as \u2028 and \u2029.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(append(b, s[start:i]...), `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(append(b, s[start:]...), '"')
}

// DecodeDecision is the inverse of EncodeDecision.
func DecodeDecision(guid string, b []byte) (domain.Decision, error) {
	var doc decisionDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return domain.Decision{}, fmt.Errorf("decode stored decision for %s: %w", guid, err)
	}
	d := domain.Decision{
		SubRequestGUID: guid, RuleVersion: doc.RuleVersion, DecidedAt: doc.DecidedAt.UTC(),
		PremisesIDs: doc.PremisesIDs, MatchMethod: doc.MatchMethod, HasDebt: doc.HasDebt,
		Review: doc.Review, ReviewReasons: doc.ReviewReasons, Description: doc.Description,
		Notes: doc.Notes, DecidedBy: doc.DecidedBy, Comment: doc.Comment, Correction: doc.Correction,
	}
	for _, di := range doc.DebtInfo {
		x := domain.DebtInfo{Person: domain.Person(di.Person)}
		for _, f := range di.Documents {
			x.Documents = append(x.Documents, domain.Document(f))
		}
		d.DebtInfo = append(d.DebtInfo, x)
	}
	for _, e := range doc.Evidence {
		d.Evidence = append(d.Evidence, domain.Evidence(e))
	}
	return d, nil
}
